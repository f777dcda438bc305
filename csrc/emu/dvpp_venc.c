/* VENC: video encoding channels (aclvenc*), as CANN documents them.
 *
 * The same machinery as VDEC (dvpp_vdec.c): an encoding thread per channel, the registered video codec (PyAV:
 * libx264/libx265, tuned for no latency, so that every picture gives its packet at once) and a reporter that
 * runs the callbacks on the channel's thread. The output of each frame is a stream description the channel makes,
 * whose data lies in DVPP memory the channel owns ("the output memory is managed by the system"): both are valid
 * during the callback and released after it. End of stream (a frame configuration with eos 1) drains the encoder
 * and waits until every callback has run. */
#include <stdlib.h>
#include <string.h>

#include "dvpp.h"

#define VENC_RET_NO_PACKET 1u /* the encoder gave nothing for the picture */

typedef struct venc_core venc_core;

struct aclvencChannelDesc {
    uint64_t thread_id;
    aclvencCallback callback;
    acldvppStreamFormat en_type;
    acldvppPixelFormat pic_format;
    uint32_t width, height, key_frame_interval;
    void *buf_addr;
    uint32_t buf_size, rc_mode, src_rate, max_bit_rate, max_ip_prop;
    uint32_t channel_id; /* given at creation */
    venc_core *core;
};

struct aclvencFrameConfig {
    uint8_t force_i_frame, eos;
};

typedef struct venc_record {
    struct venc_record *next;
    int64_t tag;
    acldvppPicDesc *input; /* referenced */
    dvpp_pic in;
    uint64_t in_bytes;
    bool force_key;
    void *user_data;
    /* the result */
    uint8_t *packet;      /* DVPP memory of the channel's device */
    uint32_t packet_size;
    uint32_t retcode;
    venc_core *core;
} venc_record;

typedef struct venc_job {
    struct venc_job *next;
    venc_record *record; /* NULL: end of stream */
    bool stop;
} venc_job;

struct venc_core {
    atomic_int refs;
    pthread_mutex_t lock, send_lock;
    pthread_cond_t cond;
    aclvencChannelDesc cfg;
    int32_t device;
    acllite_emu_video_codec codec;
    uint64_t encoder;
    dvpp_reporter *rep;
    pthread_t thread;
    venc_job *head, *tail;
    uint64_t queued, done;
    venc_record *inflight;
    bool aborted;
    int64_t next_tag;
};

static pthread_mutex_t field_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_uint next_channel_id;

static void core_unref(venc_core *c) {
    if (atomic_fetch_sub(&c->refs, 1) != 1) return;
    pthread_mutex_destroy(&c->lock);
    pthread_mutex_destroy(&c->send_lock);
    pthread_cond_destroy(&c->cond);
    free(c);
}

static void record_free(venc_record *r) {
    if (r->packet) emu_mem_free(EMU_MEM_DVPP, r->packet, "aclvencSendFrame");
    if (r->input) dvpp_pic_unref(r->input);
    core_unref(r->core);
    free(r);
}

/* -------------------------------------------------------------------------------- channel descriptions */

EMU_EXPORT aclvencChannelDesc *aclvencCreateChannelDesc(void) {
    aclvencChannelDesc *d = dvpp_create(sizeof *d, EMU_H_VENC_CHANNEL, "aclvencCreateChannelDesc");
    if (d) {
        d->en_type = H264_MAIN_LEVEL;
        d->pic_format = PIXEL_FORMAT_YUV_SEMIPLANAR_420;
    }
    return d;
}

static venc_core *channel_core_ref(const aclvencChannelDesc *d) {
    pthread_mutex_lock(&field_lock);
    venc_core *c = d->core;
    if (c) atomic_fetch_add(&c->refs, 1);
    pthread_mutex_unlock(&field_lock);
    return c;
}

static aclError destroy_channel(aclvencChannelDesc *desc, const char *func);

EMU_EXPORT aclError aclvencDestroyChannelDesc(aclvencChannelDesc *channelDesc) {
    const char *func = "aclvencDestroyChannelDesc";
    aclError err = dvpp_live(channelDesc, EMU_H_VENC_CHANNEL, func, "channel description");
    if (err) return err;
    venc_core *c = channel_core_ref(channelDesc);
    if (c) {
        core_unref(c);
        emu_log(ACLLITE_EMU_LOG_WARNING, "%s: channel %p is still created; destroying it first (call "
                "aclvencDestroyChannel before)", func, (void *)channelDesc);
        if ((err = destroy_channel(channelDesc, func))) return err;
    }
    emu_lock();
    bool ok = emu_reg_remove(channelDesc, EMU_H_VENC_CHANNEL);
    emu_unlock();
    if (!ok) return emu_fail(ACL_ERROR_RT_INVALID_HANDLE, func, "channel description %p is gone", (void *)channelDesc);
    free(channelDesc);
    return ACL_SUCCESS;
}

#define VENC_SETTER(NAME, TYPE, FIELD, CHECK) \
    DVPP_DESC_SETTER(NAME, aclvencChannelDesc, EMU_H_VENC_CHANNEL, &field_lock, TYPE, FIELD, CHECK)
#define VENC_GETTER(NAME, TYPE, FIELD, DEFAULT) \
    DVPP_DESC_GETTER(NAME, aclvencChannelDesc, EMU_H_VENC_CHANNEL, &field_lock, TYPE, FIELD, DEFAULT)

VENC_SETTER(aclvencSetChannelDescThreadId, uint64_t, thread_id, (void)0)
VENC_SETTER(aclvencSetChannelDescCallback, aclvencCallback, callback,
            if (!value) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "callback is NULL"))
VENC_SETTER(aclvencSetChannelDescEnType, acldvppStreamFormat, en_type,
            if ((int)value < H265_MAIN_LEVEL || value > H264_HIGH_LEVEL) return emu_fail(
                ACL_ERROR_INVALID_PARAM, func,
                "enType %d is not an acldvppStreamFormat (0 H.265 main, 1..3 H.264 baseline/main/high)", (int)value))
VENC_SETTER(aclvencSetChannelDescPicFormat, acldvppPixelFormat, pic_format,
            if (value != PIXEL_FORMAT_YUV_SEMIPLANAR_420 && value != PIXEL_FORMAT_YVU_SEMIPLANAR_420) return emu_fail(
                ACL_ERROR_INVALID_PARAM, func, "VENC encodes YUV420SP NV12 (1) or NV21 (2), not %s (%d)",
                dvpp_format_name(value), (int)value))
VENC_SETTER(aclvencSetChannelDescPicWidth, uint32_t, width, (void)0)
VENC_SETTER(aclvencSetChannelDescPicHeight, uint32_t, height, (void)0)
VENC_SETTER(aclvencSetChannelDescKeyFrameInterval, uint32_t, key_frame_interval,
            if (value > 65536) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "key-frame interval %u is too long",
                                               value))
VENC_SETTER(aclvencSetChannelDescBufAddr, void *, buf_addr, (void)0)
VENC_SETTER(aclvencSetChannelDescBufSize, uint32_t, buf_size, (void)0)
VENC_SETTER(aclvencSetChannelDescRcMode, uint32_t, rc_mode,
            if (value > 2) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "rate control mode %u: 0 (default), 1 (VBR) "
                                           "or 2 (CBR)", value))
VENC_SETTER(aclvencSetChannelDescSrcRate, uint32_t, src_rate,
            if (value > 240) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "frame rate %u: at most 240", value))
VENC_SETTER(aclvencSetChannelDescMaxBitRate, uint32_t, max_bit_rate,
            if (value > 614400) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "bit rate %u kbit/s: at most 614400",
                                                value))

VENC_GETTER(aclvencGetChannelDescBufAddr, void *, buf_addr, NULL)
VENC_GETTER(aclvencGetChannelDescBufSize, uint32_t, buf_size, 0)
VENC_GETTER(aclvencGetChannelDescChannelId, uint32_t, channel_id, 0)
VENC_GETTER(aclvencGetChannelDescThreadId, uint64_t, thread_id, 0)
VENC_GETTER(aclvencGetChannelDescCallback, aclvencCallback, callback, NULL)
VENC_GETTER(aclvencGetChannelDescEnType, acldvppStreamFormat, en_type, H265_MAIN_LEVEL)
VENC_GETTER(aclvencGetChannelDescPicFormat, acldvppPixelFormat, pic_format, PIXEL_FORMAT_YUV_SEMIPLANAR_420)
VENC_GETTER(aclvencGetChannelDescPicWidth, uint32_t, width, 0)
VENC_GETTER(aclvencGetChannelDescPicHeight, uint32_t, height, 0)
VENC_GETTER(aclvencGetChannelDescKeyFrameInterval, uint32_t, key_frame_interval, 0)
VENC_GETTER(aclvencGetChannelDescRcMode, uint32_t, rc_mode, 0)
VENC_GETTER(aclvencGetChannelDescSrcRate, uint32_t, src_rate, 0)
VENC_GETTER(aclvencGetChannelDescMaxBitRate, uint32_t, max_bit_rate, 0)

static size_t param_length(aclvencChannelDescParamType t) {
    return t == ACL_VENC_THREAD_ID_UINT64                             ? sizeof(uint64_t)
           : t == ACL_VENC_CALLBACK_PTR || t == ACL_VENC_BUF_ADDR_PTR ? sizeof(void *)
                                                                      : sizeof(uint32_t);
}

static aclError param_check(const aclvencChannelDesc *d, aclvencChannelDescParamType t, size_t length,
                            const void *param, const char *func) {
    aclError err = dvpp_live(d, EMU_H_VENC_CHANNEL, func, "channel description");
    if (err) return err;
    if ((int)t < ACL_VENC_THREAD_ID_UINT64 || t > ACL_VENC_MAX_IP_PROP_UINT32) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "paramType %d is not an aclvencChannelDescParamType", (int)t);
    }
    if (!param) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "param is NULL");
    if (length != param_length(t)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "length %zu: paramType %d takes %zu bytes", length, (int)t,
                        param_length(t));
    }
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclvencSetChannelDescParam(aclvencChannelDesc *channelDesc, aclvencChannelDescParamType paramType,
                                               size_t length, const void *param) {
    const char *func = "aclvencSetChannelDescParam";
    aclError err = param_check(channelDesc, paramType, length, param, func);
    if (err) return err;
    uint32_t v = 0;
    uint64_t v64 = 0;
    void *ptr = NULL;
    if (paramType == ACL_VENC_THREAD_ID_UINT64) memcpy(&v64, param, sizeof v64);
    else if (length == sizeof(void *) && paramType != ACL_VENC_THREAD_ID_UINT64) memcpy(&ptr, param, sizeof ptr);
    else memcpy(&v, param, sizeof v);
    switch (paramType) {
    case ACL_VENC_THREAD_ID_UINT64: return aclvencSetChannelDescThreadId(channelDesc, v64);
    case ACL_VENC_CALLBACK_PTR: {
        aclvencCallback cb;
        memcpy(&cb, param, sizeof cb);
        return aclvencSetChannelDescCallback(channelDesc, cb);
    }
    case ACL_VENC_PIXEL_FORMAT_UINT32: return aclvencSetChannelDescPicFormat(channelDesc, (acldvppPixelFormat)v);
    case ACL_VENC_ENCODE_TYPE_UINT32: return aclvencSetChannelDescEnType(channelDesc, (acldvppStreamFormat)v);
    case ACL_VENC_PIC_WIDTH_UINT32: return aclvencSetChannelDescPicWidth(channelDesc, v);
    case ACL_VENC_PIC_HEIGHT_UINT32: return aclvencSetChannelDescPicHeight(channelDesc, v);
    case ACL_VENC_KEY_FRAME_INTERVAL_UINT32: return aclvencSetChannelDescKeyFrameInterval(channelDesc, v);
    case ACL_VENC_BUF_ADDR_PTR: return aclvencSetChannelDescBufAddr(channelDesc, ptr);
    case ACL_VENC_BUF_SIZE_UINT32: return aclvencSetChannelDescBufSize(channelDesc, v);
    case ACL_VENC_RC_MODE_UINT32: return aclvencSetChannelDescRcMode(channelDesc, v);
    case ACL_VENC_SRC_RATE_UINT32: return aclvencSetChannelDescSrcRate(channelDesc, v);
    case ACL_VENC_MAX_BITRATE_UINT32: return aclvencSetChannelDescMaxBitRate(channelDesc, v);
    default:
        if (v > 100) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "I/P quality ratio %u: at most 100", v);
        pthread_mutex_lock(&field_lock);
        channelDesc->max_ip_prop = v;
        pthread_mutex_unlock(&field_lock);
        return ACL_SUCCESS;
    }
}

EMU_EXPORT aclError aclvencGetChannelDescParam(const aclvencChannelDesc *channelDesc,
                                               aclvencChannelDescParamType paramType, size_t length,
                                               size_t *paramRetSize, void *param) {
    const char *func = "aclvencGetChannelDescParam";
    aclError err = param_check(channelDesc, paramType, length, param, func);
    if (err) return err;
    if (!paramRetSize) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "paramRetSize is NULL");
    pthread_mutex_lock(&field_lock);
    aclvencChannelDesc d = *channelDesc;
    pthread_mutex_unlock(&field_lock);
    switch (paramType) {
    case ACL_VENC_THREAD_ID_UINT64: memcpy(param, &d.thread_id, sizeof d.thread_id); break;
    case ACL_VENC_CALLBACK_PTR: memcpy(param, &d.callback, sizeof d.callback); break;
    case ACL_VENC_BUF_ADDR_PTR: memcpy(param, &d.buf_addr, sizeof d.buf_addr); break;
    default: {
        uint32_t v = paramType == ACL_VENC_PIXEL_FORMAT_UINT32         ? (uint32_t)d.pic_format
                     : paramType == ACL_VENC_ENCODE_TYPE_UINT32        ? (uint32_t)d.en_type
                     : paramType == ACL_VENC_PIC_WIDTH_UINT32          ? d.width
                     : paramType == ACL_VENC_PIC_HEIGHT_UINT32         ? d.height
                     : paramType == ACL_VENC_KEY_FRAME_INTERVAL_UINT32 ? d.key_frame_interval
                     : paramType == ACL_VENC_BUF_SIZE_UINT32           ? d.buf_size
                     : paramType == ACL_VENC_RC_MODE_UINT32            ? d.rc_mode
                     : paramType == ACL_VENC_SRC_RATE_UINT32           ? d.src_rate
                     : paramType == ACL_VENC_MAX_BITRATE_UINT32        ? d.max_bit_rate
                                                                       : d.max_ip_prop;
        memcpy(param, &v, sizeof v);
        break;
    }
    }
    *paramRetSize = length;
    return ACL_SUCCESS;
}

/* ----------------------------------------------------------------------------------- frame configurations */

EMU_EXPORT aclvencFrameConfig *aclvencCreateFrameConfig(void) {
    return dvpp_create(sizeof(aclvencFrameConfig), EMU_H_VENC_FRAME, "aclvencCreateFrameConfig");
}

EMU_EXPORT aclError aclvencDestroyFrameConfig(aclvencFrameConfig *config) {
    const char *func = "aclvencDestroyFrameConfig";
    aclError err = dvpp_live(config, EMU_H_VENC_FRAME, func, "frame configuration");
    if (err) return err;
    emu_lock();
    bool ok = emu_reg_remove(config, EMU_H_VENC_FRAME);
    emu_unlock();
    if (ok) free(config);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclvencSetFrameConfigForceIFrame(aclvencFrameConfig *config, uint8_t forceIFrame) {
    const char *func = "aclvencSetFrameConfigForceIFrame";
    aclError err = dvpp_live(config, EMU_H_VENC_FRAME, func, "frame configuration");
    if (err) return err;
    if (forceIFrame > 1) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "forceIFrame %u: 0 or 1", forceIFrame);
    pthread_mutex_lock(&field_lock);
    config->force_i_frame = forceIFrame;
    pthread_mutex_unlock(&field_lock);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclvencSetFrameConfigEos(aclvencFrameConfig *config, uint8_t eos) {
    const char *func = "aclvencSetFrameConfigEos";
    aclError err = dvpp_live(config, EMU_H_VENC_FRAME, func, "frame configuration");
    if (err) return err;
    if (eos > 1) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "eos %u: 0 or 1", eos);
    pthread_mutex_lock(&field_lock);
    config->eos = eos;
    pthread_mutex_unlock(&field_lock);
    return ACL_SUCCESS;
}

EMU_EXPORT uint8_t aclvencGetFrameConfigForceIFrame(const aclvencFrameConfig *config) {
    if (dvpp_live(config, EMU_H_VENC_FRAME, "aclvencGetFrameConfigForceIFrame", "frame configuration")) return 0;
    pthread_mutex_lock(&field_lock);
    uint8_t v = config->force_i_frame;
    pthread_mutex_unlock(&field_lock);
    return v;
}

EMU_EXPORT uint8_t aclvencGetFrameConfigEos(const aclvencFrameConfig *config) {
    if (dvpp_live(config, EMU_H_VENC_FRAME, "aclvencGetFrameConfigEos", "frame configuration")) return 0;
    pthread_mutex_lock(&field_lock);
    uint8_t v = config->eos;
    pthread_mutex_unlock(&field_lock);
    return v;
}

/* --------------------------------------------------------------------------------- encoding thread */

typedef struct {
    venc_core *core;
    venc_record *finished, **tail;
} encode_pass;

static void finish(encode_pass *p, venc_record *r) {
    r->next = NULL;
    *p->tail = r;
    p->tail = &r->next;
}

static venc_record *take_inflight(venc_core *c, int64_t tag) {
    pthread_mutex_lock(&c->lock);
    venc_record **pp = &c->inflight;
    while (*pp && (*pp)->tag != tag) pp = &(*pp)->next;
    venc_record *r = *pp;
    if (r) *pp = r->next;
    pthread_mutex_unlock(&c->lock);
    return r;
}

static aclError on_packet(void *owner, int64_t tag, const void *data, size_t size, int32_t key) {
    (void)key;
    encode_pass *p = owner;
    venc_record *r = take_inflight(p->core, tag);
    if (!r) {
        emu_log(ACLLITE_EMU_LOG_WARNING, "VENC: a packet of picture %lld has no picture waiting for it: dropped",
                (long long)tag);
        return ACL_SUCCESS;
    }
    void *buf = NULL;
    aclError err = size == 0 || size > UINT32_MAX ? ACL_ERROR_INVALID_PARAM
                                                  : emu_mem_alloc(EMU_MEM_DVPP, p->core->device, size, &buf,
                                                                  "aclvencSendFrame");
    if (err) {
        r->retcode = (uint32_t)err;
    } else {
        memcpy(buf, data, size);
        r->packet = buf;
        r->packet_size = (uint32_t)size;
    }
    finish(p, r);
    return ACL_SUCCESS;
}

static void deliver(void *arg, bool run) {
    venc_record *r = arg;
    if (run) {
        acldvppStreamDesc *out = dvpp_stream_new("aclvencSendFrame");
        if (out) {
            dvpp_stream f = {r->packet, r->packet_size, r->core->cfg.en_type, (uint64_t)r->tag, r->retcode, 0};
            dvpp_stream_write(out, &f);
        }
        emu_callback_frame frame;
        emu_callback_enter(&frame);
        r->core->cfg.callback(r->input, out, r->user_data);
        emu_callback_leave(&frame);
        if (out) acldvppDestroyStreamDesc(out);
    }
    record_free(r);
}

static void run_encode(venc_core *c, venc_record *r, encode_pass *p) {
    acllite_emu_video_sink sink = {DVPP_VIDEO_SINK_MAGIC, p, "aclvencSendFrame", NULL, on_packet};
    char message[512] = "";
    const uint8_t *y = NULL, *uv = NULL;
    size_t ys = 0;
    int64_t tag = -1;
    if (r) {
        emu_mem_where w;
        if (emu_mem_locate(r->in.data, r->in_bytes, &w, "aclvencSendFrame", "input data")) {
            r->retcode = ACL_ERROR_RT_PARAM_INVALID;
            finish(p, r);
            return;
        }
        pthread_mutex_lock(&c->lock);
        venc_record **pp = &c->inflight;
        while (*pp) pp = &(*pp)->next;
        r->next = NULL;
        *pp = r;
        pthread_mutex_unlock(&c->lock);
        y = r->in.data;
        ys = r->in.wstride;
        uv = y + (size_t)r->in.wstride * (r->in.hstride ? r->in.hstride : r->in.height);
        tag = r->tag;
    }
    emu_callback_frame frame;
    emu_callback_enter(&frame);
    aclError rc = c->codec.encode(c->encoder, y, ys, uv, ys, r && r->in.format == PIXEL_FORMAT_YVU_SEMIPLANAR_420,
                                  r && r->force_key, tag, &sink, message, sizeof message);
    emu_callback_leave(&frame);
    sink.magic = 0;
    message[sizeof message - 1] = '\0';
    if (rc) emu_log(ACLLITE_EMU_LOG_WARNING, "VENC: encoding failed: %s", message[0] ? message : "no message");
    if (rc && r) {
        venc_record *failed = take_inflight(c, r->tag);
        if (failed) {
            failed->retcode = (uint32_t)rc;
            finish(p, failed);
        }
    }
    if (!r) {
        for (;;) {
            pthread_mutex_lock(&c->lock);
            venc_record *left = c->inflight;
            if (left) c->inflight = left->next;
            pthread_mutex_unlock(&c->lock);
            if (!left) break;
            left->retcode = VENC_RET_NO_PACKET;
            finish(p, left);
        }
    }
}

static void *encode_thread(void *arg) {
    venc_core *c = arg;
    encode_pass pass = {c, NULL, NULL};
    pass.tail = &pass.finished;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->head && !c->aborted) pthread_cond_wait(&c->cond, &c->lock);
        if (c->aborted) break;
        venc_job *job = c->head;
        c->head = job->next;
        if (!c->head) c->tail = NULL;
        pthread_mutex_unlock(&c->lock);
        bool stop = job->stop;
        if (!stop) {
            run_encode(c, job->record, &pass);
            venc_record *r = pass.finished;
            pass.finished = NULL;
            pass.tail = &pass.finished;
            while (r) {
                venc_record *next = r->next;
                dvpp_reporter_launch(c->rep, deliver, r);
                r = next;
            }
        }
        free(job);
        pthread_mutex_lock(&c->lock);
        c->done++;
        pthread_cond_broadcast(&c->cond);
        if (stop) break;
    }
    while (c->head) {
        venc_job *job = c->head;
        c->head = job->next;
        if (job->record) record_free(job->record);
        free(job);
    }
    venc_record *left = c->inflight;
    c->inflight = NULL;
    pthread_mutex_unlock(&c->lock);
    while (left) {
        venc_record *next = left->next;
        record_free(left);
        left = next;
    }
    c->codec.encoderClose(c->encoder);
    core_unref(c);
    return NULL;
}

static aclError enqueue(venc_core *c, venc_record *r, bool stop, const char *func) {
    venc_job *job = calloc(1, sizeof *job);
    if (!job) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    job->record = r;
    job->stop = stop;
    pthread_mutex_lock(&c->lock);
    if (c->tail) c->tail->next = job;
    else c->head = job;
    c->tail = job;
    c->queued++;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    return ACL_SUCCESS;
}

/* ------------------------------------------------------------------------------------------ channels */

static aclError check_size(const aclvencChannelDesc *d, const char *func) {
    const dvpp_soc_rules *soc = dvpp_soc();
    if (d->width < soc->venc_min || d->height < soc->venc_min || d->width > soc->venc_max ||
        d->height > soc->venc_max || (d->width & 1) || (d->height & 1)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "picture %ux%u: VENC on %s encodes even sizes within "
                        "%ux%u..%ux%u", d->width, d->height, emu_cfg.soc_name, soc->venc_min, soc->venc_min,
                        soc->venc_max, soc->venc_max);
    }
    if (d->en_type != H265_MAIN_LEVEL && soc->venc_h264_area && (uint64_t)d->width * d->height > soc->venc_h264_area) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "picture %ux%u: H.264 encoding on %s takes at most 4096x2304 "
                        "pixels", d->width, d->height, emu_cfg.soc_name);
    }
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclvencCreateChannel(aclvencChannelDesc *channelDesc) {
    const char *func = "aclvencCreateChannel";
    aclError err = dvpp_live(channelDesc, EMU_H_VENC_CHANNEL, func, "channel description");
    if (err) return err;
    if (!dvpp_soc()->venc) {
        return emu_fail(ACL_ERROR_FEATURE_UNSUPPORTED, func, "%s has no video encoder (VENC)", emu_cfg.soc_name);
    }
    pthread_mutex_lock(&field_lock);
    aclvencChannelDesc cfg = *channelDesc;
    pthread_mutex_unlock(&field_lock);
    if (cfg.core) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "channel %p is created already", (void *)channelDesc);
    if (!cfg.callback) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "no callback: aclvencSetChannelDescCallback first");
    if (!cfg.thread_id) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "no callback thread: aclvencSetChannelDescThreadId first (a "
                        "thread that calls aclrtProcessReport)");
    }
    if ((err = check_size(&cfg, func))) return err;
    emu_lock();
    emu_context *ctx = emu_current_context_locked(func, &err);
    int32_t device = ctx ? ctx->device : -1;
    emu_unlock();
    if (!ctx) return err;
    acllite_emu_video_codec codec;
    if ((err = dvpp_video_codec(&codec, func))) return err;
    venc_core *c = calloc(1, sizeof *c);
    if (!c) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    atomic_init(&c->refs, 1);
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->send_lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    c->cfg = cfg;
    c->device = device;
    c->codec = codec;
    char message[512] = "";
    emu_callback_frame frame;
    emu_callback_enter(&frame);
    aclError rc = codec.encoderOpen((int32_t)cfg.en_type, cfg.width, cfg.height,
                                    cfg.key_frame_interval ? cfg.key_frame_interval : 30, cfg.rc_mode,
                                    cfg.max_bit_rate, cfg.src_rate ? cfg.src_rate : 30, &c->encoder, message,
                                    sizeof message);
    emu_callback_leave(&frame);
    message[sizeof message - 1] = '\0';
    if (rc) {
        core_unref(c);
        return emu_fail(rc, func, "the encoder could not be opened: %s", message);
    }
    if ((err = dvpp_reporter_open(&c->rep, cfg.thread_id, func))) {
        codec.encoderClose(c->encoder);
        core_unref(c);
        return err;
    }
    atomic_fetch_add(&c->refs, 1);
    if (pthread_create(&c->thread, NULL, encode_thread, c) != 0) {
        atomic_fetch_sub(&c->refs, 1);
        dvpp_reporter_close(c->rep, false);
        codec.encoderClose(c->encoder);
        core_unref(c);
        return emu_fail(ACL_ERROR_RT_RESOURCE_ALLOC_FAIL, func, "cannot start the channel's encoding thread");
    }
    pthread_mutex_lock(&field_lock);
    bool raced = channelDesc->core != NULL;
    if (!raced) {
        channelDesc->core = c;
        channelDesc->channel_id = atomic_fetch_add(&next_channel_id, 1) % 256;
    }
    pthread_mutex_unlock(&field_lock);
    if (raced) {
        enqueue(c, NULL, true, func);
        pthread_join(c->thread, NULL);
        dvpp_reporter_close(c->rep, false);
        core_unref(c);
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "channel %p was created by another thread meanwhile",
                        (void *)channelDesc);
    }
    return ACL_SUCCESS;
}

static aclError destroy_channel(aclvencChannelDesc *desc, const char *func) {
    venc_core *c = channel_core_ref(desc);
    if (!c) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "channel %p is not created", (void *)desc);
    if (dvpp_reporter_in_delivery(c->rep)) {
        core_unref(c);
        return emu_fail(ACL_ERROR_RT_STREAM_NOT_COMPLETE, func, "called from a callback of the channel: it waits for "
                        "every callback of the channel, this one included; destroy it after the callback has returned");
    }
    pthread_mutex_lock(&c->send_lock);
    pthread_mutex_lock(&field_lock);
    bool mine = desc->core == c;
    if (mine) desc->core = NULL;
    pthread_mutex_unlock(&field_lock);
    pthread_mutex_unlock(&c->send_lock);
    if (!mine) {
        core_unref(c);
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "channel %p was destroyed by another thread", (void *)desc);
    }
    aclError err = enqueue(c, NULL, false, func);
    if (!err) err = enqueue(c, NULL, true, func);
    if (err) {
        pthread_mutex_lock(&c->lock);
        c->aborted = true;
        pthread_cond_broadcast(&c->cond);
        pthread_mutex_unlock(&c->lock);
    }
    pthread_join(c->thread, NULL);
    if (dvpp_reporter_drain(c->rep, func)) {
        emu_log(ACLLITE_EMU_LOG_WARNING, "%s: %s; the channel is destroyed without them", func, emu_recent_message());
    }
    dvpp_reporter_close(c->rep, false);
    core_unref(c); /* the description's */
    core_unref(c); /* ours */
    return err;
}

EMU_EXPORT aclError aclvencDestroyChannel(aclvencChannelDesc *channelDesc) {
    const char *func = "aclvencDestroyChannel";
    aclError err = dvpp_live(channelDesc, EMU_H_VENC_CHANNEL, func, "channel description");
    return err ? err : destroy_channel(channelDesc, func);
}

static aclError send_on(venc_core *c, aclvencChannelDesc *channelDesc, acldvppPicDesc *input,
                        aclvencFrameConfig *config, void *userdata, const char *func) {
    aclError err;
    aclvencFrameConfig fc = {0, 0};
    if (config) {
        if ((err = dvpp_live(config, EMU_H_VENC_FRAME, func, "frame configuration"))) return err;
        pthread_mutex_lock(&field_lock);
        fc = *config;
        pthread_mutex_unlock(&field_lock);
    }
    if (fc.eos && dvpp_reporter_in_delivery(c->rep)) {
        return emu_fail(ACL_ERROR_RT_STREAM_NOT_COMPLETE, func, "end of stream from a callback of the channel: it "
                        "waits for every callback, this one included");
    }
    venc_record *r = NULL;
    if (input || !fc.eos) {
        r = calloc(1, sizeof *r);
        if (!r) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        if ((err = dvpp_pic_read(input, &r->in, func, "input"))) {
            free(r);
            return err;
        }
        dvpp_pic *p = &r->in;
        uint32_t ws = (uint32_t)DVPP_ALIGN(c->cfg.width, 16);
        uint32_t rows = p->hstride ? p->hstride : p->height;
        if (p->format != PIXEL_FORMAT_YUV_SEMIPLANAR_420 && p->format != PIXEL_FORMAT_YVU_SEMIPLANAR_420) {
            err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "input: VENC encodes YUV420SP NV12 or NV21, not %s (%d)",
                           dvpp_format_name(p->format), (int)p->format);
        } else if (p->width != c->cfg.width || p->height != c->cfg.height) {
            err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "input: %ux%u is not the channel's picture size %ux%u",
                           p->width, p->height, c->cfg.width, c->cfg.height);
        } else if (p->wstride != ws) {
            err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "input: width stride %u: VENC takes the width aligned to 16, "
                           "%u", p->wstride, ws);
        } else if (p->hstride && (p->hstride < p->height || (p->hstride & 1))) {
            err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "input: height stride %u: even, at least the height %u",
                           p->hstride, p->height);
        } else if ((uint64_t)p->size < (uint64_t)ws * rows * 3 / 2) {
            err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "input: size %u is too small: width stride x height x 3 / 2 "
                           "is %llu bytes", p->size, (unsigned long long)((uint64_t)ws * rows * 3 / 2));
        }
        r->in_bytes = (uint64_t)ws * rows * 3 / 2;
        if (!err) err = dvpp_check_memory(p->data, r->in_bytes, func, "input data");
        if (!err) err = dvpp_pic_ref(input, func, "input");
        if (err) {
            free(r);
            return err;
        }
        r->input = input;
        r->user_data = userdata;
        r->force_key = fc.force_i_frame;
    }
    pthread_mutex_lock(&c->send_lock);
    pthread_mutex_lock(&field_lock);
    bool alive = channelDesc->core == c;
    pthread_mutex_unlock(&field_lock);
    if (!alive) {
        pthread_mutex_unlock(&c->send_lock);
        if (r) {
            dvpp_pic_unref(r->input);
            free(r);
        }
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the channel was destroyed by another thread");
    }
    err = ACL_SUCCESS;
    if (r) {
        atomic_fetch_add(&c->refs, 1);
        r->core = c;
        r->tag = c->next_tag++;
        if ((err = enqueue(c, r, false, func))) record_free(r);
    }
    if (!err && fc.eos) err = enqueue(c, NULL, false, func);
    pthread_mutex_unlock(&c->send_lock);
    if (err || !fc.eos) return err;
    pthread_mutex_lock(&c->lock);
    uint64_t target = c->queued;
    while (c->done < target && !c->aborted) pthread_cond_wait(&c->cond, &c->lock);
    pthread_mutex_unlock(&c->lock);
    return dvpp_reporter_drain(c->rep, func);
}

EMU_EXPORT aclError aclvencSendFrame(aclvencChannelDesc *channelDesc, acldvppPicDesc *input, void *reserve,
                                     aclvencFrameConfig *config, void *userdata) {
    const char *func = "aclvencSendFrame";
    (void)reserve; /* reserved by CANN */
    aclError err = dvpp_live(channelDesc, EMU_H_VENC_CHANNEL, func, "channel description");
    if (err) return err;
    venc_core *c = channel_core_ref(channelDesc);
    if (!c) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the channel is not created (aclvencCreateChannel first)");
    err = send_on(c, channelDesc, input, config, userdata, func);
    core_unref(c);
    return err;
}

/* ------------------------------------------------------------------------------------- release, counts */

static void abandon_locked(aclvencChannelDesc *d) {
    pthread_mutex_lock(&field_lock);
    venc_core *c = d->core;
    d->core = NULL;
    pthread_mutex_unlock(&field_lock);
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    c->aborted = true;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    pthread_detach(c->thread);
    dvpp_reporter_close(c->rep, true);
    core_unref(c);
}

void dvpp_venc_release_device_locked(int32_t device, acllite_emu_counts *leaks) {
    size_t n = emu_reg_count(EMU_H_VENC_CHANNEL, -1);
    void **list = calloc(n + 1, sizeof *list);
    if (!list) return;
    emu_reg_collect(EMU_H_VENC_CHANNEL, -1, list, n);
    for (size_t i = 0; i < n; i++) {
        aclvencChannelDesc *d = list[i];
        pthread_mutex_lock(&field_lock);
        bool here = d->core && d->core->device == device;
        pthread_mutex_unlock(&field_lock);
        if (here) {
            abandon_locked(d);
            leaks->dvppChannels++;
        }
    }
    free(list);
}

static void channel_release(void *p) {
    abandon_locked(p);
    free(p);
}

uint64_t dvpp_venc_count_locked(uint64_t *channels) {
    *channels += emu_reg_count(EMU_H_VENC_CHANNEL, -1);
    return emu_reg_count(EMU_H_VENC_FRAME, -1);
}

uint64_t dvpp_venc_release_all_locked(uint64_t *channels) {
    *channels += emu_reg_release_all(EMU_H_VENC_CHANNEL, -1, channel_release);
    return emu_reg_release_all(EMU_H_VENC_FRAME, -1, free);
}
