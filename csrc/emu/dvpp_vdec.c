/* VDEC: video decoding channels (aclvdec*), as CANN documents them.
 *
 * A created channel has a decoding thread of its own (the device's decoder runs beside the caller), a decoder of
 * the registered video codec (PyAV: FFmpeg's H.264/H.265 decoders), and a reporter (dvpp_video.c): a stream
 * subscribed to the channel's callback thread, so that every callback runs inside that thread's
 * aclrtProcessReport, as on a device. aclvdecSendFrame checks its arguments, records the frame and queues it;
 * the decoding thread hands the access unit to the codec, which returns the pictures it completes in display
 * order, each tagged with the frame it came from. The emulator writes each picture into that frame's output
 * buffer (NV12/NV21, width stride aligned to 16 or as the caller set it, 10-bit samples rounded to 8 bits,
 * scaled when the caller asked for another size) and launches the frame's callback. A frame that gives no picture
 * (refused by the decoder, corrupt, unsupported, buffer too small) gets its callback too, with the reason in the
 * output description's retCode; the channel goes on.
 *
 * End of stream (an input description with eos 1) drains the decoder and waits until every callback has run;
 * aclvdecDestroyChannel does the same, then unsubscribes the thread and destroys the stream. Neither waits for a
 * report thread that has stopped running reports (DVPP_REPORT_PATIENCE_MS); neither may be called from a callback
 * of its channel (it would wait for itself: refused). */
#include <stdlib.h>
#include <string.h>

#include "dvpp.h"

/* Frame results in the output description's retCode (docs/VIDEO.md). */
#define VDEC_RET_FAILED 1u               /* the frame could not be decoded (corrupt): documented "1: failure" */
#define VDEC_RET_NO_PICTURE 0x20000u     /* ERR_DECODE_NOPIC: the frame gave no picture */
#define VDEC_RET_NOT_SUPPORT 0xA0058008u /* HI_ERR_VDEC_NOT_SUPPORT: profile, bit depth, chroma, size */
#define VDEC_RET_BAD_ADDR 0xA0058011u    /* HI_ERR_VDEC_BAD_ADDR: the output memory is gone */
#define VDEC_RET_BUF_SMALL 0xA0058013u   /* the output buffer is smaller than the picture needs */

/* ---------------------------------------------------------------------------------------- objects */

typedef struct vdec_core vdec_core;

struct aclvdecChannelDesc {
    uint32_t channel_id;
    uint64_t thread_id;
    aclvdecCallback callback;
    acldvppStreamFormat en_type;
    acldvppPixelFormat out_format;
    uint32_t out_width, out_height; /* the largest stream the channel decodes (0: the SoC's largest) */
    uint32_t ref_frames;
    uint32_t bit_depth;             /* 0: 8 bits, 1: 10 bits (the default: both decode) */
    uint32_t out_mode;
    uint32_t csc_matrix;
    vdec_core *core;                /* while created */
};

struct aclvdecFrameConfig {
    uint32_t reserved;
};

typedef struct vdec_record {
    struct vdec_record *next;
    int64_t tag;
    acldvppStreamDesc *input; /* the caller's, handed back */
    void *user_data;
    acldvppPicDesc *output;   /* referenced; NULL for a skipped frame */
    dvpp_pic out;             /* its fields at submission */
    bool sized;               /* the caller gave width, height and strides */
    const uint8_t *data;      /* the access unit */
    uint32_t size;
    uint32_t retcode;
    dvpp_pic result;
    vdec_core *core;          /* referenced while the record is alive */
} vdec_record;

typedef struct vdec_job {
    struct vdec_job *next;
    enum { JOB_FRAME, JOB_FLUSH, JOB_STOP } kind;
    vdec_record *record;
} vdec_job;

struct vdec_core {
    atomic_int refs;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    aclvdecChannelDesc cfg;   /* the description at creation */
    int32_t device;
    acllite_emu_video_codec codec;
    uint64_t decoder;
    dvpp_reporter *rep;
    pthread_t thread;
    vdec_job *head, *tail;
    uint64_t queued, done;
    vdec_record *inflight;    /* handed to the decoder, no picture yet (decoding order) */
    bool aborted;
    int64_t next_tag;
    pthread_mutex_t send_lock; /* serializes senders (channels are not thread-safe, but must not break) */
};

static pthread_mutex_t field_lock = PTHREAD_MUTEX_INITIALIZER;

static void core_unref(vdec_core *c) {
    if (atomic_fetch_sub(&c->refs, 1) != 1) return;
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->send_lock);
    free(c);
}

static void record_free(vdec_record *r) {
    if (r->output) dvpp_pic_unref(r->output);
    core_unref(r->core);
    free(r);
}

/* ------------------------------------------------------------------------------------------ helpers */

static const char *codec_name(acldvppStreamFormat f) { return f == H265_MAIN_LEVEL ? "H.265" : "H.264"; }

static bool out_format_ok(acldvppPixelFormat f) {
    return f == PIXEL_FORMAT_YUV_SEMIPLANAR_420 || f == PIXEL_FORMAT_YVU_SEMIPLANAR_420;
}

/* -------------------------------------------------------------------------------- channel descriptions */

EMU_EXPORT aclvdecChannelDesc *aclvdecCreateChannelDesc(void) {
    aclvdecChannelDesc *d = dvpp_create(sizeof *d, EMU_H_VDEC_CHANNEL, "aclvdecCreateChannelDesc");
    if (d) {
        d->en_type = H265_MAIN_LEVEL;
        d->out_format = PIXEL_FORMAT_YUV_SEMIPLANAR_420; /* documented default */
        d->bit_depth = 1;
    }
    return d;
}

static vdec_core *channel_core(const aclvdecChannelDesc *d) {
    pthread_mutex_lock(&field_lock);
    vdec_core *c = d->core;
    pthread_mutex_unlock(&field_lock);
    return c;
}

/* The channel of a description with a reference taken (NULL: not created); core_unref when done. */
static vdec_core *channel_core_ref(const aclvdecChannelDesc *d) {
    pthread_mutex_lock(&field_lock);
    vdec_core *c = d->core;
    if (c) atomic_fetch_add(&c->refs, 1);
    pthread_mutex_unlock(&field_lock);
    return c;
}

static aclError destroy_channel(aclvdecChannelDesc *desc, const char *func);

EMU_EXPORT aclError aclvdecDestroyChannelDesc(aclvdecChannelDesc *channelDesc) {
    const char *func = "aclvdecDestroyChannelDesc";
    aclError err = dvpp_live(channelDesc, EMU_H_VDEC_CHANNEL, func, "channel description");
    if (err) return err;
    if (channel_core(channelDesc)) {
        emu_log(ACLLITE_EMU_LOG_WARNING, "%s: channel %p is still created; destroying it first (call "
                "aclvdecDestroyChannel before)", func, (void *)channelDesc);
        if ((err = destroy_channel(channelDesc, func))) return err;
    }
    emu_lock();
    bool ok = emu_reg_remove(channelDesc, EMU_H_VDEC_CHANNEL);
    emu_unlock();
    if (!ok) return emu_fail(ACL_ERROR_RT_INVALID_HANDLE, func, "channel description %p is gone", (void *)channelDesc);
    free(channelDesc);
    return ACL_SUCCESS;
}

/* Set one field of a description that is not created (a created channel keeps what it was made with). */
#define VDEC_SETTER(NAME, TYPE, FIELD, CHECK) \
    DVPP_DESC_SETTER(NAME, aclvdecChannelDesc, EMU_H_VDEC_CHANNEL, &field_lock, TYPE, FIELD, CHECK)
#define VDEC_GETTER(NAME, TYPE, FIELD, DEFAULT) \
    DVPP_DESC_GETTER(NAME, aclvdecChannelDesc, EMU_H_VDEC_CHANNEL, &field_lock, TYPE, FIELD, DEFAULT)

static aclError check_channel_id(uint32_t id, const char *func) {
    uint32_t n = dvpp_soc()->vdec_channels;
    if (id >= n) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "channel id %u is outside [0, %u] on %s", id, n - 1,
                        emu_cfg.soc_name);
    }
    return ACL_SUCCESS;
}

static aclError check_max_size(uint32_t v, bool height, const char *func) {
    const dvpp_soc_rules *soc = dvpp_soc();
    uint32_t max = height ? soc->vdec_max_h : soc->vdec_max_w;
    if (v != 0 && (v < 128 || v > max)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the largest stream %s %u is outside 128..%u on %s",
                        height ? "height" : "width", v, max, emu_cfg.soc_name);
    }
    return ACL_SUCCESS;
}

static aclError check_out_format(acldvppPixelFormat f, const char *func) {
    if (!out_format_ok(f)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "VDEC writes YUV420SP NV12 (1) or NV21 (2)%s, not %s (%d)",
                        dvpp_soc()->vdec_rgb_out ? " (RGB888/BGR888 output is not emulated)" : "",
                        dvpp_format_name(f), (int)f);
    }
    return ACL_SUCCESS;
}

VDEC_SETTER(aclvdecSetChannelDescChannelId, uint32_t, channel_id, if ((err = check_channel_id(value, func))) return err)
VDEC_SETTER(aclvdecSetChannelDescThreadId, uint64_t, thread_id, (void)0)
VDEC_SETTER(aclvdecSetChannelDescCallback, aclvdecCallback, callback,
            if (!value) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "callback is NULL"))
VDEC_SETTER(aclvdecSetChannelDescEnType, acldvppStreamFormat, en_type,
            if ((int)value < H265_MAIN_LEVEL || value > H264_HIGH_LEVEL) return emu_fail(
                ACL_ERROR_INVALID_PARAM, func,
                "enType %d is not an acldvppStreamFormat (0 H.265 main, 1..3 H.264 baseline/main/high)", (int)value))
VDEC_SETTER(aclvdecSetChannelDescOutPicFormat, acldvppPixelFormat, out_format,
            if ((err = check_out_format(value, func))) return err)
VDEC_SETTER(aclvdecSetChannelDescOutPicWidth, uint32_t, out_width, if ((err = check_max_size(value, false, func))) return err)
VDEC_SETTER(aclvdecSetChannelDescOutPicHeight, uint32_t, out_height, if ((err = check_max_size(value, true, func))) return err)
VDEC_SETTER(aclvdecSetChannelDescRefFrameNum, uint32_t, ref_frames,
            if (!dvpp_soc()->vdec_ref_frames) return emu_fail(
                ACL_ERROR_FEATURE_UNSUPPORTED, func,
                "%s does not take a reference-frame count (CANN: setting it returns an error there)",
                emu_cfg.soc_name);
            if (value > 16) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%u reference frames: at most 16", value))
VDEC_SETTER(aclvdecSetChannelDescBitDepth, uint32_t, bit_depth,
            if (value > 1) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "bit depth %u: 0 (8 bits) or 1 (10 bits)",
                                           value))
VDEC_SETTER(aclvdecSetChannelDescOutMode, uint32_t, out_mode,
            if (value > 1) return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                                           "out mode %u: 0 (default) or 1 (fast: a picture per frame at once)", value))

VDEC_GETTER(aclvdecGetChannelDescChannelId, uint32_t, channel_id, 0)
VDEC_GETTER(aclvdecGetChannelDescThreadId, uint64_t, thread_id, 0)
VDEC_GETTER(aclvdecGetChannelDescCallback, aclvdecCallback, callback, NULL)
VDEC_GETTER(aclvdecGetChannelDescEnType, acldvppStreamFormat, en_type, H265_MAIN_LEVEL)
VDEC_GETTER(aclvdecGetChannelDescOutPicFormat, acldvppPixelFormat, out_format, PIXEL_FORMAT_YUV_SEMIPLANAR_420)
VDEC_GETTER(aclvdecGetChannelDescOutPicWidth, uint32_t, out_width, 0)
VDEC_GETTER(aclvdecGetChannelDescOutPicHeight, uint32_t, out_height, 0)
VDEC_GETTER(aclvdecGetChannelDescBitDepth, uint32_t, bit_depth, 0)
VDEC_GETTER(aclvdecGetChannelDescRefFrameNum, uint32_t, ref_frames, 0)
VDEC_GETTER(aclvdecGetChannelDescOutMode, uint32_t, out_mode, 0)

/* The length each aclvdecChannelDescParamType takes (_UINT32, _UINT64, _PTR). */
static size_t param_length(aclvdecChannelDescParamType t) {
    return t == ACL_VDEC_THREAD_ID_UINT64 ? sizeof(uint64_t) : t == ACL_VDEC_CALLBACK_PTR ? sizeof(void *)
                                                                                          : sizeof(uint32_t);
}

static aclError param_check(const aclvdecChannelDesc *d, aclvdecChannelDescParamType t, size_t length,
                            const void *param, const char *func) {
    aclError err = dvpp_live(d, EMU_H_VDEC_CHANNEL, func, "channel description");
    if (err) return err;
    if ((int)t < ACL_VDEC_CSC_MATRIX_UINT32 || t > ACL_VDEC_BIT_DEPTH_UINT32) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "paramType %d is not an aclvdecChannelDescParamType", (int)t);
    }
    if (!param) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "param is NULL");
    if (length != param_length(t)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "length %zu: paramType %d takes %zu bytes", length, (int)t,
                        param_length(t));
    }
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclvdecSetChannelDescParam(aclvdecChannelDesc *channelDesc, aclvdecChannelDescParamType paramType,
                                               size_t length, const void *param) {
    const char *func = "aclvdecSetChannelDescParam";
    aclError err = param_check(channelDesc, paramType, length, param, func);
    if (err) return err;
    uint32_t v32 = 0;
    uint64_t v64 = 0;
    aclvdecCallback cb = NULL;
    if (paramType == ACL_VDEC_THREAD_ID_UINT64) memcpy(&v64, param, sizeof v64);
    else if (paramType == ACL_VDEC_CALLBACK_PTR) memcpy(&cb, param, sizeof cb);
    else memcpy(&v32, param, sizeof v32);
    switch (paramType) {
    case ACL_VDEC_CSC_MATRIX_UINT32:
        if (!dvpp_soc()->vdec_csc) {
            return emu_fail(ACL_ERROR_FEATURE_UNSUPPORTED, func, "%s has no VDEC colour-conversion matrix option",
                            emu_cfg.soc_name);
        }
        if (v32 > ACL_DVPP_CSC_MATRIX_BT2020_NARROW) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "CSC matrix %u is not an acldvppCscMatrix (0..5)", v32);
        }
        pthread_mutex_lock(&field_lock);
        channelDesc->csc_matrix = v32;
        pthread_mutex_unlock(&field_lock);
        return ACL_SUCCESS;
    case ACL_VDEC_OUT_MODE_UINT32: return aclvdecSetChannelDescOutMode(channelDesc, v32);
    case ACL_VDEC_THREAD_ID_UINT64: return aclvdecSetChannelDescThreadId(channelDesc, v64);
    case ACL_VDEC_CALLBACK_PTR: return aclvdecSetChannelDescCallback(channelDesc, cb);
    case ACL_VDEC_CHANNEL_ID_UINT32: return aclvdecSetChannelDescChannelId(channelDesc, v32);
    case ACL_VDEC_ENCODE_TYPE_UINT32: return aclvdecSetChannelDescEnType(channelDesc, (acldvppStreamFormat)v32);
    case ACL_VDEC_OUT_PIC_FORMAT_UINT32:
        return aclvdecSetChannelDescOutPicFormat(channelDesc, (acldvppPixelFormat)v32);
    case ACL_VDEC_OUT_PIC_WIDTH_UINT32: return aclvdecSetChannelDescOutPicWidth(channelDesc, v32);
    case ACL_VDEC_OUT_PIC_HEIGHT_UINT32: return aclvdecSetChannelDescOutPicHeight(channelDesc, v32);
    case ACL_VDEC_REF_FRAME_NUM_UINT32: return aclvdecSetChannelDescRefFrameNum(channelDesc, v32);
    default: return aclvdecSetChannelDescBitDepth(channelDesc, v32);
    }
}

EMU_EXPORT aclError aclvdecGetChannelDescParam(const aclvdecChannelDesc *channelDesc,
                                               aclvdecChannelDescParamType paramType, size_t length,
                                               size_t *paramRetSize, void *param) {
    const char *func = "aclvdecGetChannelDescParam";
    aclError err = param_check(channelDesc, paramType, length, param, func);
    if (err) return err;
    if (!paramRetSize) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "paramRetSize is NULL");
    pthread_mutex_lock(&field_lock);
    aclvdecChannelDesc d = *channelDesc;
    pthread_mutex_unlock(&field_lock);
    uint32_t v32 = 0;
    switch (paramType) {
    case ACL_VDEC_THREAD_ID_UINT64: memcpy(param, &d.thread_id, sizeof d.thread_id); break;
    case ACL_VDEC_CALLBACK_PTR: memcpy(param, &d.callback, sizeof d.callback); break;
    default:
        v32 = paramType == ACL_VDEC_CSC_MATRIX_UINT32       ? d.csc_matrix
              : paramType == ACL_VDEC_OUT_MODE_UINT32       ? d.out_mode
              : paramType == ACL_VDEC_CHANNEL_ID_UINT32     ? d.channel_id
              : paramType == ACL_VDEC_ENCODE_TYPE_UINT32    ? (uint32_t)d.en_type
              : paramType == ACL_VDEC_OUT_PIC_FORMAT_UINT32 ? (uint32_t)d.out_format
              : paramType == ACL_VDEC_OUT_PIC_WIDTH_UINT32  ? d.out_width
              : paramType == ACL_VDEC_OUT_PIC_HEIGHT_UINT32 ? d.out_height
              : paramType == ACL_VDEC_REF_FRAME_NUM_UINT32  ? d.ref_frames
                                                            : d.bit_depth;
        memcpy(param, &v32, sizeof v32);
        break;
    }
    *paramRetSize = length;
    return ACL_SUCCESS;
}

/* ----------------------------------------------------------------------------------- frame configurations */

EMU_EXPORT aclvdecFrameConfig *aclvdecCreateFrameConfig(void) {
    return dvpp_create(sizeof(aclvdecFrameConfig), EMU_H_VDEC_FRAME, "aclvdecCreateFrameConfig");
}

EMU_EXPORT aclError aclvdecDestroyFrameConfig(aclvdecFrameConfig *vdecFrameConfig) {
    const char *func = "aclvdecDestroyFrameConfig";
    aclError err = dvpp_live(vdecFrameConfig, EMU_H_VDEC_FRAME, func, "frame configuration");
    if (err) return err;
    emu_lock();
    bool ok = emu_reg_remove(vdecFrameConfig, EMU_H_VDEC_FRAME);
    emu_unlock();
    if (ok) free(vdecFrameConfig);
    return ACL_SUCCESS;
}

/* ------------------------------------------------------------------------------------------ pictures */

/* Where a frame's picture goes: the size the caller gave, or the stream's with the documented strides. */
static uint32_t write_picture(vdec_core *c, vdec_record *r, uint32_t w, uint32_t h, int32_t layout, int32_t profile,
                              int32_t flags, const uint8_t *y, size_t ys, const uint8_t *u, size_t us,
                              const uint8_t *v, size_t vs, dvpp_pic *res, const char *func) {
    const dvpp_soc_rules *soc = dvpp_soc();
    bool h265 = c->cfg.en_type == H265_MAIN_LEVEL;
    if (layout == ACLLITE_EMU_VIDEO_OTHER || (layout == ACLLITE_EMU_VIDEO_I420_10 && !h265)) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "frame %lld: the %s stream is not 4:2:0 %s: VDEC decodes H.264 "
                 "8-bit and H.265 8/10-bit 4:2:0 streams", (long long)r->tag, codec_name(c->cfg.en_type),
                 h265 ? "8/10-bit" : "8-bit");
        return VDEC_RET_NOT_SUPPORT;
    }
    if (layout == ACLLITE_EMU_VIDEO_I420_10 && c->cfg.bit_depth == 0) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "frame %lld: a 10-bit stream on a channel set to 8 bits "
                 "(aclvdecSetChannelDescBitDepth)", (long long)r->tag);
        return VDEC_RET_NOT_SUPPORT;
    }
    /* H.264 baseline (66, constrained 578), main (77), high (100); H.265 main (1), main 10 (2), main still (3) */
    bool profile_ok = profile == -99 || (h265 ? (profile >= 1 && profile <= 3)
                                              : (profile == 66 || profile == 578 || profile == 77 || profile == 100));
    if (!profile_ok) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "frame %lld: %s profile %d is not supported (%s)", (long long)r->tag,
                 codec_name(c->cfg.en_type), profile, h265 ? "main, main 10" : "baseline, main, high");
        return VDEC_RET_NOT_SUPPORT;
    }
    if ((flags & ACLLITE_EMU_VIDEO_INTERLACED) && (h265 || layout != ACLLITE_EMU_VIDEO_I420)) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "frame %lld: interlaced streams decode only as H.264 8-bit",
                 (long long)r->tag);
        return VDEC_RET_NOT_SUPPORT;
    }
    uint32_t max_w = c->cfg.out_width ? c->cfg.out_width : soc->vdec_max_w;
    uint32_t max_h = c->cfg.out_height ? c->cfg.out_height : soc->vdec_max_h;
    bool area_ok = !(h265 && soc->vdec_h265_area) || (uint64_t)w * h <= soc->vdec_h265_area;
    if (w < 128 || h < 128 || w > max_w || h > max_h || !area_ok) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "frame %lld: a %ux%u stream is outside 128x128..%ux%u%s", (long long)r->tag,
                 w, h, max_w, max_h, c->cfg.out_width || c->cfg.out_height ? " (the channel's largest stream)" : "");
        return VDEC_RET_NOT_SUPPORT;
    }
    if (flags & ACLLITE_EMU_VIDEO_CORRUPT) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "frame %lld: the bitstream is corrupt (the decoder found errors in "
                 "the picture)", (long long)r->tag);
        return VDEC_RET_FAILED;
    }
    *res = r->out;
    res->format = r->out.format;
    w &= ~1u; /* 4:2:0 pictures have even sizes; a cropped odd size is rounded down, as JPEGD does */
    h &= ~1u;
    if (!r->sized) {
        res->width = w;
        res->height = h;
        res->wstride = (uint32_t)DVPP_ALIGN(w, 16);
        if (res->wstride < 32) res->wstride = 32;
        res->hstride = (uint32_t)DVPP_ALIGN(h, 2);
    }
    uint64_t need = (uint64_t)res->wstride * res->hstride * 3 / 2; /* strides <= 16384: no wrap */
    if (need > r->out.size) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "frame %lld: the output buffer of %u bytes is too small for the %ux%u "
                 "picture (strides %ux%u: %llu bytes)", (long long)r->tag, r->out.size, res->width, res->height,
                 res->wstride, res->hstride, (unsigned long long)need);
        return VDEC_RET_BUF_SMALL;
    }
    emu_mem_where where;
    if (emu_mem_locate(r->out.data, need, &where, func, "output data")) return VDEC_RET_BAD_ADDR;
    /* 10-bit samples: rounded to 8 bits first (the planes of an 8-bit copy) */
    uint8_t *tmp = NULL;
    uint32_t cw = (w + 1) / 2, ch = (h + 1) / 2;
    if (layout == ACLLITE_EMU_VIDEO_I420_10) {
        size_t n = (size_t)w * h, cn = (size_t)cw * ch;
        tmp = malloc(n + 2 * cn);
        if (!tmp) {
            emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
            return VDEC_RET_FAILED;
        }
        const uint8_t *src[3] = {y, u, v};
        size_t ss[3] = {ys, us, vs};
        uint32_t pw[3] = {w, cw, cw}, ph[3] = {h, ch, ch};
        uint8_t *dst = tmp;
        for (int p = 0; p < 3; p++) {
            for (uint32_t row = 0; row < ph[p]; row++) {
                const uint8_t *s = src[p] + (size_t)row * ss[p];
                uint8_t *d = dst + (size_t)row * pw[p];
                for (uint32_t x = 0; x < pw[p]; x++) {
                    uint32_t sample = (uint32_t)s[2 * x] | (uint32_t)s[2 * x + 1] << 8;
                    uint32_t eight = (sample + 2) >> 2;
                    d[x] = (uint8_t)(eight > 255 ? 255 : eight);
                }
            }
            if (p == 0) y = dst, ys = w;
            else if (p == 1) u = dst, us = cw;
            else v = dst, vs = cw;
            dst += (size_t)pw[p] * ph[p];
        }
    }
    uint8_t *out = r->out.data;
    uint8_t *uv = out + (size_t)res->wstride * res->hstride;
    bool nv21 = res->format == PIXEL_FORMAT_YVU_SEMIPLANAR_420;
    uint32_t ow = res->width, oh = res->height;
    aclError err = ACL_SUCCESS;
    if (ow == w && oh == h) {
        for (uint32_t row = 0; row < h; row++) memcpy(out + (size_t)row * res->wstride, y + (size_t)row * ys, w);
        for (uint32_t row = 0; row < h / 2; row++) {
            const uint8_t *su = u + (size_t)row * us, *sv = v + (size_t)row * vs;
            uint8_t *d = uv + (size_t)row * res->wstride;
            const uint8_t *first = nv21 ? sv : su, *second = nv21 ? su : sv;
            for (uint32_t x = 0; x < w / 2; x++) {
                d[2 * x] = first[x];
                d[2 * x + 1] = second[x];
            }
        }
    } else { /* VDEC's own VPC scales the picture to the size the caller gave */
        err = dvpp_scale_plane(y, ys, 1, w, h, out, res->wstride, 1, ow, oh, func);
        if (!err) err = dvpp_scale_plane(u, us, 1, w / 2, h / 2, uv + (nv21 ? 1 : 0), res->wstride, 2, ow / 2, oh / 2,
                                         func);
        if (!err) err = dvpp_scale_plane(v, vs, 1, w / 2, h / 2, uv + (nv21 ? 0 : 1), res->wstride, 2, ow / 2, oh / 2,
                                         func);
    }
    free(tmp);
    if (err) return VDEC_RET_FAILED;
    res->size = (uint32_t)need;
    res->retcode = 0;
    return 0;
}

/* --------------------------------------------------------------------------------- decoding thread */

typedef struct {
    vdec_core *core;
    vdec_record *finished, **finished_tail; /* in the order the pictures came (display order) */
} decode_pass;

static void finish(decode_pass *p, vdec_record *r) {
    r->next = NULL;
    *p->finished_tail = r;
    p->finished_tail = &r->next;
}

/* Take the frame tagged tag out of the in-flight list (NULL: not there). */
static vdec_record *take_inflight(vdec_core *c, int64_t tag) {
    pthread_mutex_lock(&c->lock);
    vdec_record **pp = &c->inflight;
    while (*pp && (*pp)->tag != tag) pp = &(*pp)->next;
    vdec_record *r = *pp;
    if (r) *pp = r->next;
    pthread_mutex_unlock(&c->lock);
    return r;
}

static aclError on_picture(void *owner, int64_t tag, uint32_t width, uint32_t height, int32_t layout,
                           int32_t profile, int32_t flags, const void *y, size_t ys, const void *u, size_t us,
                           const void *v, size_t vs) {
    decode_pass *p = owner;
    vdec_record *r = take_inflight(p->core, tag);
    if (!r) {
        /* a second picture from one access unit (two frames sent at once), or a tag never sent */
        emu_log(ACLLITE_EMU_LOG_WARNING, "VDEC channel %u: a picture of frame %lld has no frame waiting for it (one "
                "frame per aclvdecSendFrame): dropped", p->core->cfg.channel_id, (long long)tag);
        return ACL_SUCCESS;
    }
    if (!y || !u || !v) {
        r->retcode = VDEC_RET_FAILED;
    } else if (r->output) {
        r->retcode = write_picture(p->core, r, width, height, layout, profile, flags, y, ys, u, us, v, vs, &r->result,
                                   "aclvdecSendFrame");
        if (r->retcode) {
            emu_log(ACLLITE_EMU_LOG_WARNING, "VDEC channel %u: frame %lld failed (retCode 0x%x): %s",
                    p->core->cfg.channel_id, (long long)tag, r->retcode, emu_recent_message());
        }
    }
    finish(p, r);
    return ACL_SUCCESS;
}

static void deliver(void *arg, bool run) {
    vdec_record *r = arg;
    if (run) {
        if (r->output) {
            dvpp_pic res = r->retcode ? r->out : r->result;
            res.retcode = r->retcode;
            dvpp_pic_write_result(r->output, &res);
        }
        if (r->output && !dvpp_pic_live(r->output)) {
            emu_log(ACLLITE_EMU_LOG_WARNING, "VDEC channel %u: the output description of frame %lld was destroyed "
                    "before its callback", r->core->cfg.channel_id, (long long)r->tag);
        }
        emu_callback_frame frame;
        emu_callback_enter(&frame);
        r->core->cfg.callback(r->input, r->output, r->user_data);
        emu_callback_leave(&frame);
    }
    record_free(r);
}

static void launch_finished(vdec_core *c, decode_pass *p) {
    vdec_record *r = p->finished;
    p->finished = NULL;
    p->finished_tail = &p->finished;
    while (r) {
        vdec_record *next = r->next;
        dvpp_reporter_launch(c->rep, deliver, r);
        r = next;
    }
}

static void run_decode(vdec_core *c, vdec_job *job, decode_pass *p) {
    acllite_emu_video_sink sink = {DVPP_VIDEO_SINK_MAGIC, p, "aclvdecSendFrame", on_picture, NULL};
    char message[512] = "";
    vdec_record *r = job->record;
    const void *data = NULL;
    size_t size = 0;
    int64_t tag = -1;
    if (r) {
        emu_mem_where w;
        if (emu_mem_locate(r->data, r->size, &w, "aclvdecSendFrame", "input data")) {
            r->retcode = VDEC_RET_BAD_ADDR;
            finish(p, r);
            return;
        }
        pthread_mutex_lock(&c->lock);
        r->next = NULL;
        vdec_record **pp = &c->inflight;
        while (*pp) pp = &(*pp)->next;
        *pp = r;
        pthread_mutex_unlock(&c->lock);
        data = r->data;
        size = r->size;
        tag = r->tag;
    }
    emu_callback_frame frame;
    emu_callback_enter(&frame);
    aclError rc = c->codec.decode(c->decoder, data, size, tag, &sink, message, sizeof message);
    emu_callback_leave(&frame);
    sink.magic = 0;
    message[sizeof message - 1] = '\0';
    if (rc && r) {
        vdec_record *refused = take_inflight(c, r->tag);
        if (refused) {
            emu_log(ACLLITE_EMU_LOG_WARNING, "VDEC channel %u: frame %lld could not be decoded: %s",
                    c->cfg.channel_id, (long long)r->tag, message[0] ? message : "no message");
            refused->retcode = VDEC_RET_FAILED;
            finish(p, refused);
        }
    } else if (rc) {
        emu_log(ACLLITE_EMU_LOG_WARNING, "VDEC channel %u: draining the decoder failed: %s", c->cfg.channel_id,
                message[0] ? message : "no message");
    }
    if (!r) { /* end of stream: every frame still waiting gave no picture */
        for (;;) {
            pthread_mutex_lock(&c->lock);
            vdec_record *left = c->inflight;
            if (left) c->inflight = left->next;
            pthread_mutex_unlock(&c->lock);
            if (!left) break;
            left->retcode = VDEC_RET_NO_PICTURE;
            finish(p, left);
        }
    }
}

static void *decode_thread(void *arg) {
    vdec_core *c = arg;
    decode_pass pass = {c, NULL, NULL};
    pass.finished_tail = &pass.finished;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->head && !c->aborted) pthread_cond_wait(&c->cond, &c->lock);
        if (c->aborted) break;
        vdec_job *job = c->head;
        c->head = job->next;
        if (!c->head) c->tail = NULL;
        pthread_mutex_unlock(&c->lock);
        bool stop = job->kind == JOB_STOP;
        if (!stop) {
            run_decode(c, job, &pass);
            launch_finished(c, &pass);
        }
        free(job);
        pthread_mutex_lock(&c->lock);
        c->done++;
        pthread_cond_broadcast(&c->cond);
        if (stop) break;
    }
    /* aborted (a device tear-down): what is left is released without callbacks */
    while (c->head) {
        vdec_job *job = c->head;
        c->head = job->next;
        if (job->record) record_free(job->record);
        free(job);
    }
    vdec_record *left = c->inflight;
    c->inflight = NULL;
    pthread_mutex_unlock(&c->lock);
    while (left) {
        vdec_record *next = left->next;
        record_free(left);
        left = next;
    }
    c->codec.decoderClose(c->decoder);
    core_unref(c);
    return NULL;
}

static aclError enqueue(vdec_core *c, int kind, vdec_record *r, const char *func) {
    vdec_job *job = calloc(1, sizeof *job);
    if (!job) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    job->kind = kind;
    job->record = r;
    pthread_mutex_lock(&c->lock);
    if (c->tail) c->tail->next = job;
    else c->head = job;
    c->tail = job;
    c->queued++;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    return ACL_SUCCESS;
}

/* Wait until the decoding thread has run every job queued so far. */
static void wait_jobs(vdec_core *c) {
    pthread_mutex_lock(&c->lock);
    uint64_t target = c->queued;
    while (c->done < target && !c->aborted) pthread_cond_wait(&c->cond, &c->lock);
    pthread_mutex_unlock(&c->lock);
}

/* ------------------------------------------------------------------------------------------ channels */

EMU_EXPORT aclError aclvdecCreateChannel(aclvdecChannelDesc *channelDesc) {
    const char *func = "aclvdecCreateChannel";
    aclError err = dvpp_live(channelDesc, EMU_H_VDEC_CHANNEL, func, "channel description");
    if (err) return err;
    pthread_mutex_lock(&field_lock);
    aclvdecChannelDesc cfg = *channelDesc;
    pthread_mutex_unlock(&field_lock);
    if (cfg.core) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "channel %p is created already", (void *)channelDesc);
    if (!cfg.callback) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "no callback: aclvdecSetChannelDescCallback first");
    if (!cfg.thread_id) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "no callback thread: aclvdecSetChannelDescThreadId first (a "
                        "thread that calls aclrtProcessReport)");
    }
    if ((err = check_channel_id(cfg.channel_id, func)) || (err = check_out_format(cfg.out_format, func))) return err;
    emu_lock();
    emu_context *ctx = emu_current_context_locked(func, &err);
    int32_t device = ctx ? ctx->device : -1;
    /* one channel per id and device; one device per callback thread (CANN's aclrtSubscribeReport rule) */
    size_t n = ctx ? emu_reg_count(EMU_H_VDEC_CHANNEL, -1) : 0;
    void **list = ctx ? calloc(n + 1, sizeof *list) : NULL;
    if (list) emu_reg_collect(EMU_H_VDEC_CHANNEL, -1, list, n);
    emu_unlock();
    if (!ctx) return err;
    if (!list) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    pthread_mutex_lock(&field_lock);
    for (size_t i = 0; i < n && !err; i++) {
        aclvdecChannelDesc *o = list[i];
        if (!o->core || o == channelDesc) continue;
        if (o->core->device == device && o->channel_id == cfg.channel_id) {
            err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "channel id %u is in use by another VDEC channel of device "
                           "%d", cfg.channel_id, device);
        } else if (o->core->device != device && o->thread_id == cfg.thread_id) {
            err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "thread %llu takes the callbacks of device %d already: a "
                           "callback thread serves one device", (unsigned long long)cfg.thread_id, o->core->device);
        }
    }
    pthread_mutex_unlock(&field_lock);
    free(list);
    if (err) return err;
    acllite_emu_video_codec codec;
    if ((err = dvpp_video_codec(&codec, func))) return err;
    vdec_core *c = calloc(1, sizeof *c);
    if (!c) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    atomic_init(&c->refs, 1);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    pthread_mutex_init(&c->send_lock, NULL);
    c->cfg = cfg;
    c->device = device;
    c->codec = codec;
    char message[512] = "";
    emu_callback_frame frame;
    emu_callback_enter(&frame);
    aclError rc = codec.decoderOpen(cfg.en_type == H265_MAIN_LEVEL ? ACLLITE_EMU_VIDEO_H265 : ACLLITE_EMU_VIDEO_H264,
                                    (int32_t)cfg.out_mode, &c->decoder, message, sizeof message);
    emu_callback_leave(&frame);
    message[sizeof message - 1] = '\0';
    if (rc) {
        core_unref(c);
        return emu_fail(rc, func, "the %s decoder could not be opened: %s", codec_name(cfg.en_type), message);
    }
    if ((err = dvpp_reporter_open(&c->rep, cfg.thread_id, func))) {
        codec.decoderClose(c->decoder);
        core_unref(c);
        return err;
    }
    atomic_fetch_add(&c->refs, 1); /* the thread's */
    if (pthread_create(&c->thread, NULL, decode_thread, c) != 0) {
        atomic_fetch_sub(&c->refs, 1);
        dvpp_reporter_close(c->rep, false);
        codec.decoderClose(c->decoder);
        core_unref(c);
        return emu_fail(ACL_ERROR_RT_RESOURCE_ALLOC_FAIL, func, "cannot start the channel's decoding thread");
    }
    pthread_mutex_lock(&field_lock);
    bool raced = channelDesc->core != NULL;
    if (!raced) channelDesc->core = c;
    pthread_mutex_unlock(&field_lock);
    if (raced) {
        enqueue(c, JOB_STOP, NULL, func);
        pthread_join(c->thread, NULL);
        dvpp_reporter_close(c->rep, false);
        core_unref(c);
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "channel %p was created by another thread meanwhile",
                        (void *)channelDesc);
    }
    return ACL_SUCCESS;
}

/* Drain and stop a channel that the caller has taken out of its description. */
static aclError shut_down(vdec_core *c, const char *func) {
    aclError err = enqueue(c, JOB_FLUSH, NULL, func);
    if (!err) err = enqueue(c, JOB_STOP, NULL, func);
    if (err) { /* out of memory: stop without draining */
        pthread_mutex_lock(&c->lock);
        c->aborted = true;
        pthread_cond_broadcast(&c->cond);
        pthread_mutex_unlock(&c->lock);
    }
    pthread_join(c->thread, NULL);
    aclError drained = dvpp_reporter_drain(c->rep, func);
    if (drained) {
        emu_log(ACLLITE_EMU_LOG_WARNING, "%s: %s; the channel is destroyed without them", func, emu_recent_message());
    }
    dvpp_reporter_close(c->rep, false);
    core_unref(c);
    return err;
}

static aclError destroy_channel(aclvdecChannelDesc *desc, const char *func) {
    vdec_core *c = channel_core_ref(desc);
    if (!c) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "channel %p is not created", (void *)desc);
    if (dvpp_reporter_in_delivery(c->rep)) {
        core_unref(c);
        return emu_fail(ACL_ERROR_RT_STREAM_NOT_COMPLETE, func, "called from a callback of the channel: it waits for "
                        "every callback of the channel, this one included (CANN: a deadlock); destroy the channel "
                        "after the callback has returned");
    }
    pthread_mutex_lock(&c->send_lock); /* no frame is being sent now, and none is after */
    pthread_mutex_lock(&field_lock);
    bool mine = desc->core == c;
    if (mine) desc->core = NULL;
    pthread_mutex_unlock(&field_lock);
    pthread_mutex_unlock(&c->send_lock);
    aclError err = mine ? shut_down(c, func) /* drops the description's reference */
                        : emu_fail(ACL_ERROR_INVALID_PARAM, func, "channel %p was destroyed by another thread",
                                   (void *)desc);
    core_unref(c);
    return err;
}

EMU_EXPORT aclError aclvdecDestroyChannel(aclvdecChannelDesc *channelDesc) {
    const char *func = "aclvdecDestroyChannel";
    aclError err = dvpp_live(channelDesc, EMU_H_VDEC_CHANNEL, func, "channel description");
    return err ? err : destroy_channel(channelDesc, func);
}

/* ------------------------------------------------------------------------------------------ frames */

static aclError check_input_memory(const void *p, size_t len, const char *func) {
    emu_mem_where w;
    aclError err = emu_mem_locate(p, len, &w, func, "input data");
    if (err) return err;
    if (w.kind == EMU_MEM_DVPP || w.kind == EMU_MEM_DEVICE) return ACL_SUCCESS; /* acldvppMalloc or aclrtMalloc */
    if (emu_cfg.strict) {
        return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, "input data %p is %s; VDEC reads streams from acldvppMalloc "
                        "or aclrtMalloc memory (set ACLLITE_EMU_STRICT=0 to allow)", p, emu_mem_kind_name(w.kind));
    }
    emu_log(ACLLITE_EMU_LOG_WARNING, "%s: input data %p is %s; used anyway", func, p, emu_mem_kind_name(w.kind));
    return ACL_SUCCESS;
}

/* The output description of a frame: its memory, format and (all or none of) size and strides. */
static aclError check_output(const aclvdecChannelDesc *cfg, dvpp_pic *o, bool *sized, const char *func) {
    if (!o->data || !o->size) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "output: %s", o->data ? "size is 0" : "data is NULL");
    }
    aclError err = dvpp_check_memory(o->data, o->size, func, "output data");
    if (err) return err;
    if (o->format == PIXEL_FORMAT_YUV_400 || o->format == PIXEL_FORMAT_UNKNOWN) o->format = cfg->out_format; /* unset */
    if ((err = check_out_format(o->format, func))) return err;
    int given = (o->width != 0) + (o->height != 0) + (o->wstride != 0) + (o->hstride != 0);
    if (given != 0 && given != 4) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "output: width %u, height %u, width stride %u, height stride "
                        "%u: set all four (the picture is scaled to that size) or none (the stream's size)", o->width,
                        o->height, o->wstride, o->hstride);
    }
    *sized = given == 4;
    if (!*sized) return ACL_SUCCESS;
    if (o->width < 10 || o->height < 6 || o->width > 4096 || o->height > 4096 || (o->width & 1) || (o->height & 1)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "output: %ux%u: VDEC writes even sizes within 10x6..4096x4096",
                        o->width, o->height);
    }
    uint64_t min_ws = DVPP_ALIGN(o->width, 16) < 32 ? 32 : DVPP_ALIGN(o->width, 16);
    if (o->wstride % 16 || o->wstride < min_ws || o->wstride > 16384 || (o->width < 16 && o->wstride % 32)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "output: width stride %u: a multiple of 16 (32 below a width "
                        "of 16) of at least %llu, at most 16384", o->wstride, (unsigned long long)min_ws);
    }
    if (o->hstride % 2 || o->hstride < o->height || o->hstride > 16384) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "output: height stride %u: even, at least the height %u, at most "
                        "16384", o->hstride, o->height);
    }
    uint64_t need = (uint64_t)o->wstride * o->hstride * 3 / 2;
    if (o->size < need) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "output: size %u is too small: %ux%u NV12/NV21 with strides %ux%u "
                        "takes %llu bytes (width stride x height stride x 3 / 2)", o->size, o->width, o->height,
                        o->wstride, o->hstride, (unsigned long long)need);
    }
    return dvpp_check_memory(o->data, need, func, "output data");
}

static aclError send_frame_on(vdec_core *c, aclvdecChannelDesc *channelDesc, acldvppStreamDesc *input,
                              acldvppPicDesc *output, aclvdecFrameConfig *config, void *userData, bool skipped,
                              const char *func);

static aclError send_frame(aclvdecChannelDesc *channelDesc, acldvppStreamDesc *input, acldvppPicDesc *output,
                           aclvdecFrameConfig *config, void *userData, bool skipped, const char *func) {
    aclError err = dvpp_live(channelDesc, EMU_H_VDEC_CHANNEL, func, "channel description");
    if (err) return err;
    vdec_core *c = channel_core_ref(channelDesc);
    if (!c) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the channel is not created (aclvdecCreateChannel first)");
    err = send_frame_on(c, channelDesc, input, output, config, userData, skipped, func);
    core_unref(c);
    return err;
}

static aclError send_frame_on(vdec_core *c, aclvdecChannelDesc *channelDesc, acldvppStreamDesc *input,
                              acldvppPicDesc *output, aclvdecFrameConfig *config, void *userData, bool skipped,
                              const char *func) {
    aclError err;
    dvpp_stream in;
    if ((err = dvpp_stream_read(input, &in, func, "input"))) return err;
    if (config && (err = dvpp_live(config, EMU_H_VDEC_FRAME, func, "frame configuration"))) return err;
    bool has_data = in.data != NULL && in.size != 0;
    if (!has_data && !in.eos) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "input: an empty frame (%s) without eos: send one whole frame "
                        "per call, or eos 1 at the end", in.data ? "size 0" : "data NULL");
    }
    if (in.eos && dvpp_reporter_in_delivery(c->rep)) {
        return emu_fail(ACL_ERROR_RT_STREAM_NOT_COMPLETE, func, "end of stream from a callback of the channel: it "
                        "waits for every callback, this one included; send it after the callback has returned");
    }
    vdec_record *r = NULL;
    if (has_data) {
        if ((err = check_input_memory(in.data, in.size, func))) return err;
        r = calloc(1, sizeof *r);
        if (!r) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        r->input = input;
        r->user_data = userData;
        r->data = in.data;
        r->size = in.size;
        if (!skipped) {
            if (!output) err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "output is NULL");
            if (!err) err = dvpp_pic_read(output, &r->out, func, "output");
            if (!err) err = check_output(&c->cfg, &r->out, &r->sized, func);
            if (!err) err = dvpp_pic_ref(output, func, "output");
            if (err) {
                free(r);
                return err;
            }
            r->output = output;
        }
    }
    pthread_mutex_lock(&c->send_lock);
    if (channel_core(channelDesc) != c) { /* destroyed meanwhile: c is gone */
        pthread_mutex_unlock(&c->send_lock);
        if (r) {
            if (r->output) dvpp_pic_unref(r->output);
            free(r);
        }
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the channel was destroyed by another thread");
    }
    if (r) {
        atomic_fetch_add(&c->refs, 1);
        r->core = c;
        r->tag = c->next_tag++;
        if ((err = enqueue(c, JOB_FRAME, r, func))) record_free(r);
    }
    if (!err && in.eos) err = enqueue(c, JOB_FLUSH, NULL, func);
    pthread_mutex_unlock(&c->send_lock);
    if (err || !in.eos) return err;
    /* documented: end of stream returns once every frame sent is decoded and its callback has run */
    wait_jobs(c);
    return dvpp_reporter_drain(c->rep, func);
}

EMU_EXPORT aclError aclvdecSendFrame(aclvdecChannelDesc *channelDesc, acldvppStreamDesc *input, acldvppPicDesc *output,
                                     aclvdecFrameConfig *config, void *userData) {
    return send_frame(channelDesc, input, output, config, userData, false, "aclvdecSendFrame");
}

EMU_EXPORT aclError aclvdecSendSkippedFrame(aclvdecChannelDesc *channelDesc, acldvppStreamDesc *input,
                                            aclvdecFrameConfig *config, void *userData) {
    return send_frame(channelDesc, input, NULL, config, userData, true, "aclvdecSendSkippedFrame");
}

/* ------------------------------------------------------------------------------------- release, counts */

/* A device tear-down (emu_lock held; its streams, the reporters' included, are gone already): the decoding
 * thread is told to stop and left to end on its own (joining it here could wait for a thread that waits for
 * emu_lock); frames not delivered are released without callbacks. */
static void abandon_locked(aclvdecChannelDesc *d) {
    pthread_mutex_lock(&field_lock);
    vdec_core *c = d->core;
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

void dvpp_vdec_release_device_locked(int32_t device, acllite_emu_counts *leaks) {
    size_t n = emu_reg_count(EMU_H_VDEC_CHANNEL, -1);
    void **list = calloc(n + 1, sizeof *list);
    if (!list) return;
    emu_reg_collect(EMU_H_VDEC_CHANNEL, -1, list, n);
    for (size_t i = 0; i < n; i++) {
        aclvdecChannelDesc *d = list[i];
        vdec_core *c = channel_core(d);
        if (c && c->device == device) {
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

uint64_t dvpp_vdec_count_locked(uint64_t *channels) {
    *channels += emu_reg_count(EMU_H_VDEC_CHANNEL, -1);
    return emu_reg_count(EMU_H_VDEC_FRAME, -1);
}

uint64_t dvpp_vdec_release_all_locked(uint64_t *channels) {
    *channels += emu_reg_release_all(EMU_H_VDEC_CHANNEL, -1, channel_release);
    return emu_reg_release_all(EMU_H_VDEC_FRAME, -1, free);
}
