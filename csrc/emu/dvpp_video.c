/* What VDEC and VENC share: stream descriptions, the registered video codec and its sinks, and the delivery of
 * channel callbacks on report threads.
 *
 * A real VDEC/VENC channel "encapsulates aclrtCreateStream and aclrtSubscribeReport" (CANN's aclvdecCreateChannel
 * page): callbacks reach the caller's thread as aclrtLaunchCallback tasks of a stream subscribed to it, run by
 * its aclrtProcessReport loop. The reporter here does exactly that with the public runtime functions, and counts
 * what it launched and what ran, so that end of stream and channel destruction can wait for the callbacks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dvpp.h"

/* ------------------------------------------------------------------------------------ stream descriptions */

struct acldvppStreamDesc {
    dvpp_stream f;
};

static pthread_mutex_t stream_lock = PTHREAD_MUTEX_INITIALIZER; /* leaf: the fields of every stream description */

static aclError stream_live(const void *p, const char *func, const char *what) {
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!p) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", what);
    emu_lock();
    bool ok = emu_reg_has(p, EMU_H_DVPP_STREAM);
    emu_unlock();
    return ok ? ACL_SUCCESS
              : emu_fail(ACL_ERROR_RT_INVALID_HANDLE, func, "%s %p is not a live stream description (destroyed "
                         "already?)", what, p);
}

acldvppStreamDesc *dvpp_stream_new(const char *func) {
    if (emu_require_init(func)) return NULL;
    acldvppStreamDesc *d = calloc(1, sizeof *d);
    if (!d) {
        emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        return NULL;
    }
    emu_lock();
    bool ok = emu_reg_add(d, EMU_H_DVPP_STREAM, -1);
    emu_unlock();
    if (!ok) {
        free(d);
        emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        return NULL;
    }
    return d;
}

EMU_EXPORT acldvppStreamDesc *acldvppCreateStreamDesc(void) { return dvpp_stream_new("acldvppCreateStreamDesc"); }

EMU_EXPORT aclError acldvppDestroyStreamDesc(acldvppStreamDesc *streamDesc) {
    const char *func = "acldvppDestroyStreamDesc";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!streamDesc) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "streamDesc is NULL");
    emu_lock();
    bool ok = emu_reg_remove(streamDesc, EMU_H_DVPP_STREAM);
    emu_unlock();
    if (!ok) {
        return emu_fail(ACL_ERROR_RT_INVALID_HANDLE, func, "streamDesc %p is not a live stream description "
                        "(destroyed already?)", (void *)streamDesc);
    }
    free(streamDesc);
    return ACL_SUCCESS;
}

aclError dvpp_stream_read(const acldvppStreamDesc *desc, dvpp_stream *out, const char *func, const char *what) {
    aclError err = stream_live(desc, func, what);
    if (err) return err;
    pthread_mutex_lock(&stream_lock);
    *out = desc->f;
    pthread_mutex_unlock(&stream_lock);
    return ACL_SUCCESS;
}

void dvpp_stream_write(acldvppStreamDesc *desc, const dvpp_stream *f) {
    pthread_mutex_lock(&stream_lock);
    desc->f = *f;
    pthread_mutex_unlock(&stream_lock);
}

#define STREAM_SETTER(NAME, TYPE, FIELD, CHECK)                                                                       \
    EMU_EXPORT aclError NAME(acldvppStreamDesc *streamDesc, TYPE value) {                                            \
        aclError err = stream_live(streamDesc, #NAME, "streamDesc");                                                 \
        if (err) return err;                                                                                         \
        CHECK;                                                                                                       \
        pthread_mutex_lock(&stream_lock);                                                                            \
        streamDesc->f.FIELD = value;                                                                                 \
        pthread_mutex_unlock(&stream_lock);                                                                          \
        return ACL_SUCCESS;                                                                                          \
    }
#define STREAM_GETTER(NAME, TYPE, FIELD, DEFAULT)                                                                     \
    EMU_EXPORT TYPE NAME(const acldvppStreamDesc *streamDesc) {                                                      \
        if (stream_live(streamDesc, #NAME, "streamDesc")) return DEFAULT;                                            \
        pthread_mutex_lock(&stream_lock);                                                                            \
        TYPE value = streamDesc->f.FIELD;                                                                            \
        pthread_mutex_unlock(&stream_lock);                                                                          \
        return value;                                                                                                \
    }

STREAM_SETTER(acldvppSetStreamDescData, void *, data, (void)0)
STREAM_SETTER(acldvppSetStreamDescSize, uint32_t, size, (void)0)
/* Plain setters, as CANN's: the values are checked where they are used (VDEC decides the codec by the channel's
 * enType; any eos other than 0 ends the stream). */
STREAM_SETTER(acldvppSetStreamDescFormat, acldvppStreamFormat, format, (void)0)
STREAM_SETTER(acldvppSetStreamDescTimestamp, uint64_t, timestamp, (void)0)
STREAM_SETTER(acldvppSetStreamDescRetCode, uint32_t, retcode, (void)0)
STREAM_SETTER(acldvppSetStreamDescEos, uint8_t, eos, (void)0)
STREAM_GETTER(acldvppGetStreamDescData, void *, data, NULL)
STREAM_GETTER(acldvppGetStreamDescSize, uint32_t, size, 0)
STREAM_GETTER(acldvppGetStreamDescFormat, acldvppStreamFormat, format, H265_MAIN_LEVEL)
STREAM_GETTER(acldvppGetStreamDescTimestamp, uint64_t, timestamp, 0)
STREAM_GETTER(acldvppGetStreamDescRetCode, uint32_t, retcode, 0)
STREAM_GETTER(acldvppGetStreamDescEos, uint8_t, eos, 0)

/* ------------------------------------------------------------------------------------------ the codec */

static pthread_mutex_t codec_lock = PTHREAD_MUTEX_INITIALIZER;
static acllite_emu_video_codec codec;
static bool have_codec;

EMU_EXPORT void acllite_emu_set_video_codec(const acllite_emu_video_codec *c) {
    pthread_mutex_lock(&codec_lock);
    have_codec = c != NULL;
    if (c) codec = *c;
    else memset(&codec, 0, sizeof codec);
    pthread_mutex_unlock(&codec_lock);
}

aclError dvpp_video_codec(acllite_emu_video_codec *out, const char *func) {
    pthread_mutex_lock(&codec_lock);
    bool ok = have_codec;
    if (ok) *out = codec;
    pthread_mutex_unlock(&codec_lock);
    if (!ok) {
        return emu_fail(ACL_ERROR_API_NOT_SUPPORT, func, "no video codec is registered: the emulator decodes and "
                        "encodes H.264/H.265 with PyAV (pip install 'acllite[video]')");
    }
    return ACL_SUCCESS;
}

static aclError sink_check(const acllite_emu_video_sink *s, const char *func) {
    if (!s || s->magic != DVPP_VIDEO_SINK_MAGIC) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "sink %p is not a live video sink (use the one the codec call "
                        "received, during that call)", (const void *)s);
    }
    return ACL_SUCCESS;
}

EMU_EXPORT aclError acllite_emu_video_put_picture(acllite_emu_video_sink *sink, int64_t tag, uint32_t width,
                                                  uint32_t height, int32_t layout, int32_t profile, int32_t flags,
                                                  const void *y, size_t yStride, const void *u, size_t uStride,
                                                  const void *v, size_t vStride) {
    const char *func = "acllite_emu_video_put_picture";
    aclError err = sink_check(sink, func);
    if (err) return err;
    if (!sink->picture) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "this sink takes packets, not pictures");
    return sink->picture(sink->owner, tag, width, height, layout, profile, flags, y, yStride, u, uStride, v, vStride);
}

EMU_EXPORT aclError acllite_emu_video_put_packet(acllite_emu_video_sink *sink, int64_t tag, const void *data,
                                                 size_t size, int32_t keyFrame) {
    const char *func = "acllite_emu_video_put_packet";
    aclError err = sink_check(sink, func);
    if (err) return err;
    if (!sink->packet) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "this sink takes pictures, not packets");
    return sink->packet(sink->owner, tag, data, size, keyFrame);
}

/* ------------------------------------------------------------------------------------------ reporting */

struct dvpp_reporter {
    atomic_int refs;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    uint64_t thread;
    aclrtStream stream;  /* registered: what aclrtSubscribeReport and aclrtLaunchCallback take */
    emu_stream *held;    /* a reference: the stream's memory outlives a device tear-down, so its address is never
                            reused by a new stream while a delivery may still be launched on it */
    uint64_t launched, delivered;
    int running;
    bool closed;
};

typedef struct {
    dvpp_reporter *r;
    dvpp_deliver_fn deliver;
    void *arg;
} delivery;

static _Thread_local const dvpp_reporter *delivering; /* set while this thread runs a delivery */

static void reporter_unref(dvpp_reporter *r) {
    if (atomic_fetch_sub(&r->refs, 1) != 1) return;
    if (r->held) emu_stream_unref(r->held);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->cond);
    free(r);
}

aclError dvpp_reporter_open(dvpp_reporter **out, uint64_t thread, const char *func) {
    dvpp_reporter *r = calloc(1, sizeof *r);
    if (!r) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    atomic_init(&r->refs, 1);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    r->thread = thread;
    aclError err = aclrtCreateStream(&r->stream);
    if (!err) {
        emu_lock();
        r->held = emu_stream_resolve_locked(r->stream, func, &err);
        emu_unlock();
    }
    if (!err) err = aclrtSubscribeReport(thread, r->stream);
    if (err) {
        char message[EMU_MSG_MAX];
        snprintf(message, sizeof message, "%s", emu_recent_message());
        if (r->stream) aclrtDestroyStream(r->stream);
        reporter_unref(r);
        return emu_fail(err, func, "cannot subscribe the callback thread %llu: %s", (unsigned long long)thread,
                        message);
    }
    *out = r;
    return ACL_SUCCESS;
}

uint64_t dvpp_reporter_thread(const dvpp_reporter *r) { return r->thread; }

bool dvpp_reporter_in_delivery(const dvpp_reporter *r) { return r && delivering == r; }

static void run_delivery(void *p) {
    delivery *d = p;
    dvpp_reporter *r = d->r;
    pthread_mutex_lock(&r->lock);
    bool run = !r->closed;
    if (run) r->running++;
    pthread_mutex_unlock(&r->lock);
    const dvpp_reporter *outer = delivering;
    delivering = r;
    d->deliver(d->arg, run);
    delivering = outer;
    pthread_mutex_lock(&r->lock);
    if (run) r->running--;
    r->delivered++;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    reporter_unref(r);
    free(d);
}

void dvpp_reporter_launch(dvpp_reporter *r, dvpp_deliver_fn deliver, void *arg) {
    delivery *d = malloc(sizeof *d);
    pthread_mutex_lock(&r->lock);
    bool closed = r->closed;
    r->launched++;
    pthread_mutex_unlock(&r->lock);
    if (!d || closed) {
        free(d);
        deliver(arg, false);
        pthread_mutex_lock(&r->lock);
        r->delivered++;
        pthread_cond_broadcast(&r->cond);
        pthread_mutex_unlock(&r->lock);
        return;
    }
    *d = (delivery){r, deliver, arg};
    atomic_fetch_add(&r->refs, 1);
    if (aclrtLaunchCallback(run_delivery, d, ACL_CALLBACK_NO_BLOCK, r->stream) != ACL_SUCCESS) {
        /* the stream went with a device tear-down, or AscendCL is being finalized: nobody will run it */
        emu_log(ACLLITE_EMU_LOG_WARNING, "a VDEC/VENC callback could not be handed to thread %llu: %s",
                (unsigned long long)r->thread, emu_recent_message());
        deliver(arg, false);
        pthread_mutex_lock(&r->lock);
        r->delivered++;
        pthread_cond_broadcast(&r->cond);
        pthread_mutex_unlock(&r->lock);
        reporter_unref(r);
        free(d);
    }
}

aclError dvpp_reporter_drain(dvpp_reporter *r, const char *func) {
    bool on_report_thread = (uint64_t)pthread_self() == r->thread;
    pthread_mutex_lock(&r->lock);
    uint64_t seen = r->delivered;
    uint64_t quiet_since = emu_now_ns();
    while (r->delivered < r->launched) {
        if (on_report_thread) {
            /* this is the thread that runs them: run them here (a thread waiting for itself would never wake) */
            pthread_mutex_unlock(&r->lock);
            aclrtProcessReport(20);
            pthread_mutex_lock(&r->lock);
        } else {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 20 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&r->cond, &r->lock, &ts);
        }
        uint64_t now = emu_now_ns();
        if (r->delivered != seen || r->running > 0) {
            seen = r->delivered;
            quiet_since = now;
        } else if (now - quiet_since > (uint64_t)DVPP_REPORT_PATIENCE_MS * 1000000u) {
            uint64_t left = r->launched - r->delivered;
            pthread_mutex_unlock(&r->lock);
            return emu_fail(ACL_ERROR_WAIT_CALLBACK_TIMEOUT, func,
                            "%llu callback(s) are waiting for thread %llu, which has run none for %d ms: it must call "
                            "aclrtProcessReport in a loop until the channel is destroyed",
                            (unsigned long long)left, (unsigned long long)r->thread, DVPP_REPORT_PATIENCE_MS);
        }
    }
    pthread_mutex_unlock(&r->lock);
    return ACL_SUCCESS;
}

void dvpp_reporter_close(dvpp_reporter *r, bool locked) {
    pthread_mutex_lock(&r->lock);
    r->closed = true;
    uint64_t left = r->launched - r->delivered;
    pthread_mutex_unlock(&r->lock);
    if (left) {
        emu_log(ACLLITE_EMU_LOG_WARNING, "%llu VDEC/VENC callback(s) queued for thread %llu are dropped: their channel "
                "is destroyed", (unsigned long long)left, (unsigned long long)r->thread);
    }
    if (!locked) {
        /* (a failure here means a device reset destroyed the stream already: nothing is left to undo) */
        if (aclrtUnSubscribeReport(r->thread, r->stream) == ACL_SUCCESS) aclrtDestroyStream(r->stream);
    }
    reporter_unref(r);
}

/* ------------------------------------------------------------------------------------- release, counts */

static void stream_release(void *p) { free(p); }

uint64_t dvpp_video_release_all_locked(uint64_t *channels) {
    uint64_t descs = dvpp_vdec_release_all_locked(channels) + dvpp_venc_release_all_locked(channels);
    return descs + emu_reg_release_all(EMU_H_DVPP_STREAM, -1, stream_release);
}

uint64_t dvpp_video_count_locked(uint64_t *channels) {
    return dvpp_vdec_count_locked(channels) + dvpp_venc_count_locked(channels) + emu_reg_count(EMU_H_DVPP_STREAM, -1);
}
