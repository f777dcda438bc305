/* DVPP memory, channels, picture descriptions and the ROI, resize and JPEG-encode configurations.
 *
 * Every object is a registered handle (emu registry, under emu_lock) so a stale or foreign pointer gives an
 * error instead of a crash. Field reads and writes take a leaf mutex of their own (field_lock), never emu_lock,
 * because stream tasks write decoded picture sizes back into descriptions. A description a queued task will
 * write is reference-counted, so destroying it before the task has run is safe. */
#include <stdlib.h>
#include <string.h>

#include "acl_dvpp_vpc.h"
#include "dvpp.h"

#define DVPP_ALL_MODES (DVPP_CHNMODE_VPC | DVPP_CHNMODE_JPEGD | DVPP_CHNMODE_JPEGE | DVPP_CHNMODE_PNGD)

struct acldvppPicDesc {
    dvpp_pic f;
    atomic_int refs;
    const acldvppBatchPicDesc *batch; /* the batch that owns it (and alone destroys it), or NULL */
};

/* The most pictures one batch call takes: acldvppVpcBatchCropAsync and the other batch calls document
 * roiNums[0] + ... + roiNums[size - 1] <= 256, "consistent with the batchSize of dstBatchPicDescs", so a larger
 * batch could never be used; it is refused at creation (instead of making one description per picture). */
#define DVPP_BATCH_MAX 256u

struct acldvppBatchPicDesc {
    uint32_t count;
    acldvppPicDesc *pics[]; /* registered picture descriptions, owned by the batch */
};

struct acldvppChannelDesc {
    uint32_t mode;
    bool created;
    int32_t device; /* where the channel was created */
    uint64_t id;
    uint32_t csc_matrix, width, height, precision_mode; /* acldvppSetChannelDescParam */
};

struct acldvppRoiConfig {
    uint32_t left, right, top, bottom;
};

struct acldvppResizeConfig {
    uint32_t interpolation;
};

struct acldvppJpegeConfig {
    uint32_t level;
};

static pthread_mutex_t field_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t next_channel_id = 1;

/* ------------------------------------------------------------------------------------------ SoC rules */

const dvpp_soc_rules *dvpp_soc(void) {
    /* Video (CANN 6.0.1 / 8.0.0 VDEC and VENC pages): VDEC channel ids [0, 31] on 310 and 910, [0, 255] on 310P
     * and newer; streams 128x128 .. 4096x4096 (310B: H.264 8192x8192, H.265 5400x8192); RGB output, CSC matrices
     * and reference-frame counts on 310P and newer; VENC on 310 (128..1920), 310P (128..4096, H.264 at most
     * 4096x2304) and 310B (114..8192), not on the training series. */
    static const dvpp_soc_rules r310 = {"Ascend310", false, false, false, false, 128, 3, 4, true,
                                        32, 4096, 4096, 0, false, false, false, true, 128, 1920, 0};
    static const dvpp_soc_rules r910 = {"Ascend910", false, false, false, false, 128, 3, 4, true,
                                        32, 4096, 4096, 0, false, false, false, false, 0, 0, 0};
    static const dvpp_soc_rules r310p = {"Ascend310P", true, true, true, false, 64, 2, 2, false,
                                         256, 4096, 4096, 0, true, true, true, true, 128, 4096, 4096u * 2304u};
    static const dvpp_soc_rules a2 = {"Ascend310B/910B", true, true, true, true, 64, 2, 5, true,
                                      256, 8192, 8192, 5400u * 8192u, true, true, true, true, 114, 8192, 0};
    const char *soc = emu_cfg.soc_name;
    if (strncmp(soc, "Ascend310P", 10) == 0) return &r310p;
    if (strncmp(soc, "Ascend310B", 10) == 0 || strncmp(soc, "Ascend910B", 10) == 0 ||
        strncmp(soc, "Ascend910_93", 12) == 0) {
        return &a2;
    }
    if (strncmp(soc, "Ascend910", 9) == 0) return &r910;
    return &r310;
}

/* ------------------------------------------------------------------------------------------- helpers */

static aclError lookup(const void *p, emu_handle_kind kind, const char *func, const char *what) {
    if (!p) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", what);
    if (!emu_reg_has(p, kind)) {
        return emu_fail(ACL_ERROR_RT_INVALID_HANDLE, func, "%s %p is not a live %s (destroyed already?)", what, p,
                        what);
    }
    return ACL_SUCCESS;
}

/* Look a handle up under emu_lock (after checking initialization). */
aclError dvpp_live(const void *p, emu_handle_kind kind, const char *func, const char *what) {
    aclError err = emu_require_init(func);
    if (err) return err;
    emu_lock();
    err = lookup(p, kind, func, what);
    emu_unlock();
    return err;
}

void *dvpp_create(size_t size, emu_handle_kind kind, const char *func) {
    if (emu_require_init(func)) return NULL;
    void *p = calloc(1, size);
    if (!p) {
        emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        return NULL;
    }
    emu_lock();
    bool ok = emu_reg_add(p, kind, -1);
    emu_unlock();
    if (!ok) {
        free(p);
        emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        return NULL;
    }
    return p;
}

static aclError destroy(void *p, emu_handle_kind kind, const char *func, const char *what) {
    aclError err = emu_require_init(func);
    if (err) return err;
    emu_lock();
    err = lookup(p, kind, func, what);
    if (!err) emu_reg_remove(p, kind);
    emu_unlock();
    if (!err) {
        if (kind == EMU_H_DVPP_PIC) dvpp_pic_unref(p);
        else free(p);
    }
    return err;
}

/* ------------------------------------------------------------------------------------------- memory */

EMU_EXPORT aclError acldvppMalloc(void **devPtr, size_t size) {
    const char *func = "acldvppMalloc";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!devPtr) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "devPtr is NULL");
    emu_lock();
    emu_context *ctx = emu_current_context_locked(func, &err);
    int32_t device = ctx ? ctx->device : 0;
    emu_unlock();
    if (!ctx) return err;
    /* The arena gives what the documented rule asks: 128-byte aligned starts, ALIGN_UP(size, 32) + 32 per block. */
    return emu_mem_alloc(EMU_MEM_DVPP, device, size, devPtr, func);
}

EMU_EXPORT aclError acldvppFree(void *devPtr) {
    aclError err = emu_require_init("acldvppFree");
    return err ? err : emu_mem_free(EMU_MEM_DVPP, devPtr, "acldvppFree");
}

aclError dvpp_check_memory(const void *p, size_t len, const char *func, const char *what) {
    if (!p) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", what);
    emu_mem_where w;
    aclError err = emu_mem_locate(p, len, &w, func, what);
    if (err) return err;
    if (w.kind == EMU_MEM_DVPP || (w.kind == EMU_MEM_DEVICE && dvpp_soc()->device_memory_ok)) return ACL_SUCCESS;
    if (emu_cfg.strict) {
        return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func,
                        "%s %p is %s; DVPP on %s reads and writes only memory from acldvppMalloc "
                        "(set ACLLITE_EMU_STRICT=0 to allow)", what, p, emu_mem_kind_name(w.kind), emu_cfg.soc_name);
    }
    emu_log(ACLLITE_EMU_LOG_WARNING, "%s: %s %p is %s, not memory from acldvppMalloc; used anyway", func, what, p,
            emu_mem_kind_name(w.kind));
    return ACL_SUCCESS;
}

aclError dvpp_submit(aclrtStream stream, emu_task_fn fn, void *task, emu_task_drop drop, const char *func) {
    aclError err = ACL_SUCCESS;
    emu_lock();
    emu_stream *s = emu_stream_resolve_locked(stream, func, &err);
    emu_unlock();
    if (!s) {
        drop(task);
        return err;
    }
    err = emu_stream_enqueue(s, fn, task, drop, func);
    emu_stream_unref(s);
    return err;
}

/* ------------------------------------------------------------------------------------------ channels */

EMU_EXPORT acldvppChannelDesc *acldvppCreateChannelDesc(void) {
    acldvppChannelDesc *c = dvpp_create(sizeof *c, EMU_H_DVPP_CHANNEL, "acldvppCreateChannelDesc");
    if (c) {
        c->mode = DVPP_CHNMODE_VPC | DVPP_CHNMODE_JPEGD | DVPP_CHNMODE_JPEGE; /* every mode but PNGD by default */
        if (dvpp_soc()->pngd) c->mode |= DVPP_CHNMODE_PNGD;
        c->device = -1;
    }
    return c;
}

EMU_EXPORT aclError acldvppDestroyChannelDesc(acldvppChannelDesc *channelDesc) {
    const char *func = "acldvppDestroyChannelDesc";
    aclError err = dvpp_live(channelDesc, EMU_H_DVPP_CHANNEL, func, "channel description");
    if (err) return err;
    pthread_mutex_lock(&field_lock);
    bool created = channelDesc->created;
    pthread_mutex_unlock(&field_lock);
    if (created) {
        emu_log(ACLLITE_EMU_LOG_WARNING, "%s: channel %p is still created; destroying it (call acldvppDestroyChannel "
                "first)", func, (void *)channelDesc);
    }
    return destroy(channelDesc, EMU_H_DVPP_CHANNEL, func, "channel description");
}

EMU_EXPORT uint64_t acldvppGetChannelDescChannelId(const acldvppChannelDesc *channelDesc) {
    if (dvpp_live(channelDesc, EMU_H_DVPP_CHANNEL, "acldvppGetChannelDescChannelId", "channel description")) return 0;
    pthread_mutex_lock(&field_lock);
    uint64_t id = channelDesc->created ? channelDesc->id : 0;
    pthread_mutex_unlock(&field_lock);
    return id;
}

EMU_EXPORT aclError acldvppSetChannelDescMode(acldvppChannelDesc *channelDesc, uint32_t mode) {
    const char *func = "acldvppSetChannelDescMode";
    aclError err = dvpp_live(channelDesc, EMU_H_DVPP_CHANNEL, func, "channel description");
    if (err) return err;
    if (mode == 0 || (mode & ~(uint32_t)DVPP_ALL_MODES)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "mode 0x%x is not a combination of DVPP_CHNMODE_VPC (1), _JPEGD (2), _JPEGE (4), _PNGD (8)",
                        mode);
    }
    pthread_mutex_lock(&field_lock);
    bool created = channelDesc->created;
    if (!created) channelDesc->mode = mode;
    pthread_mutex_unlock(&field_lock);
    if (created) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the channel is created already: set its mode before");
    return ACL_SUCCESS;
}

EMU_EXPORT aclError acldvppCreateChannel(acldvppChannelDesc *channelDesc) {
    const char *func = "acldvppCreateChannel";
    aclError err = dvpp_live(channelDesc, EMU_H_DVPP_CHANNEL, func, "channel description");
    if (err) return err;
    emu_lock();
    emu_context *ctx = emu_current_context_locked(func, &err);
    int32_t device = ctx ? ctx->device : -1;
    emu_unlock();
    if (!ctx) return err;
    pthread_mutex_lock(&field_lock);
    uint32_t mode = channelDesc->mode;
    bool created = channelDesc->created;
    if (!created && !((mode & DVPP_CHNMODE_PNGD) && !dvpp_soc()->pngd)) {
        channelDesc->created = true;
        channelDesc->device = device;
        channelDesc->id = next_channel_id++;
    }
    pthread_mutex_unlock(&field_lock);
    if (created) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "channel %p is created already", (void *)channelDesc);
    if ((mode & DVPP_CHNMODE_PNGD) && !dvpp_soc()->pngd) {
        return emu_fail(ACL_ERROR_FEATURE_UNSUPPORTED, func,
                        "DVPP_CHNMODE_PNGD: %s has no PNG decoder (PNGD exists on Ascend310P and newer)",
                        emu_cfg.soc_name);
    }
    return ACL_SUCCESS;
}

EMU_EXPORT aclError acldvppDestroyChannel(acldvppChannelDesc *channelDesc) {
    const char *func = "acldvppDestroyChannel";
    aclError err = dvpp_live(channelDesc, EMU_H_DVPP_CHANNEL, func, "channel description");
    if (err) return err;
    pthread_mutex_lock(&field_lock);
    bool created = channelDesc->created;
    channelDesc->created = false;
    pthread_mutex_unlock(&field_lock);
    if (!created) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "channel %p is not created", (void *)channelDesc);
    return ACL_SUCCESS;
}

aclError dvpp_channel_check(const acldvppChannelDesc *channel, uint32_t mode, const char *func) {
    aclError err = dvpp_live(channel, EMU_H_DVPP_CHANNEL, func, "channel description");
    if (err) return err;
    pthread_mutex_lock(&field_lock);
    bool created = channel->created;
    uint32_t have = channel->mode;
    pthread_mutex_unlock(&field_lock);
    if (!created) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "channel %p is not created (call acldvppCreateChannel)",
                        (const void *)channel);
    }
    if (!(have & mode)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "channel %p was created with mode 0x%x, without 0x%x",
                        (const void *)channel, have, mode);
    }
    return ACL_SUCCESS;
}

/* ------------------------------------------------------------------------------ picture descriptions */

EMU_EXPORT acldvppPicDesc *acldvppCreatePicDesc(void) {
    acldvppPicDesc *d = dvpp_create(sizeof *d, EMU_H_DVPP_PIC, "acldvppCreatePicDesc");
    if (d) {
        d->f.format = PIXEL_FORMAT_YUV_400; /* the documented default */
        atomic_init(&d->refs, 1);
    }
    return d;
}

EMU_EXPORT aclError acldvppDestroyPicDesc(acldvppPicDesc *picDesc) {
    const char *func = "acldvppDestroyPicDesc";
    aclError err = dvpp_live(picDesc, EMU_H_DVPP_PIC, func, "picture description");
    if (err) return err;
    if (picDesc->batch) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "picture description %p belongs to batch %p: destroy the "
                        "batch (acldvppDestroyBatchPicDesc)", (void *)picDesc, (const void *)picDesc->batch);
    }
    return destroy(picDesc, EMU_H_DVPP_PIC, func, "picture description");
}

/* -------------------------------------------------------------------- batches of picture descriptions */

EMU_EXPORT acldvppBatchPicDesc *acldvppCreateBatchPicDesc(uint32_t batchSize) {
    const char *func = "acldvppCreateBatchPicDesc";
    if (emu_require_init(func)) return NULL;
    if (batchSize == 0 || batchSize > DVPP_BATCH_MAX) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "batchSize %u is not in 1..%u (the most pictures a batch call "
                 "takes)", batchSize, DVPP_BATCH_MAX);
        return NULL;
    }
    acldvppBatchPicDesc *b = dvpp_create(sizeof *b + (size_t)batchSize * sizeof b->pics[0], EMU_H_DVPP_BATCH, func);
    if (!b) return NULL;
    for (uint32_t i = 0; i < batchSize; i++) {
        acldvppPicDesc *d = acldvppCreatePicDesc();
        if (!d) {
            acldvppDestroyBatchPicDesc(b); /* (the message of the failed creation stays) */
            return NULL;
        }
        d->batch = b;
        b->pics[b->count++] = d;
    }
    return b;
}

EMU_EXPORT acldvppPicDesc *acldvppGetPicDesc(acldvppBatchPicDesc *batchPicDesc, uint32_t index) {
    const char *func = "acldvppGetPicDesc";
    if (dvpp_live(batchPicDesc, EMU_H_DVPP_BATCH, func, "batch picture description")) return NULL;
    if (index >= batchPicDesc->count) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "index %u is past the batch's %u pictures", index,
                 batchPicDesc->count);
        return NULL;
    }
    return batchPicDesc->pics[index];
}

aclError dvpp_batch_count(const acldvppBatchPicDesc *batch, uint32_t *count, const char *func, const char *what) {
    aclError err = dvpp_live(batch, EMU_H_DVPP_BATCH, func, what);
    if (!err) *count = batch->count; /* fixed at creation */
    return err;
}

acldvppPicDesc *dvpp_batch_pic(const acldvppBatchPicDesc *batch, uint32_t i) { return batch->pics[i]; }

EMU_EXPORT aclError acldvppDestroyBatchPicDesc(acldvppBatchPicDesc *batchPicDesc) {
    const char *func = "acldvppDestroyBatchPicDesc";
    aclError err = emu_require_init(func);
    if (err) return err;
    emu_lock();
    err = lookup(batchPicDesc, EMU_H_DVPP_BATCH, func, "batch picture description");
    if (!err) {
        emu_reg_remove(batchPicDesc, EMU_H_DVPP_BATCH);
        for (uint32_t i = 0; i < batchPicDesc->count; i++) emu_reg_remove(batchPicDesc->pics[i], EMU_H_DVPP_PIC);
    }
    emu_unlock();
    if (err) return err;
    for (uint32_t i = 0; i < batchPicDesc->count; i++) dvpp_pic_unref(batchPicDesc->pics[i]);
    free(batchPicDesc);
    return ACL_SUCCESS;
}

void dvpp_pic_unref(acldvppPicDesc *desc) {
    if (atomic_fetch_sub(&desc->refs, 1) == 1) free(desc);
}

aclError dvpp_pic_ref(acldvppPicDesc *desc, const char *func, const char *what) {
    aclError err = emu_require_init(func);
    if (err) return err;
    emu_lock();
    err = lookup(desc, EMU_H_DVPP_PIC, func, what);
    if (!err) atomic_fetch_add(&desc->refs, 1);
    emu_unlock();
    return err;
}

aclError dvpp_pic_read(const acldvppPicDesc *desc, dvpp_pic *out, const char *func, const char *what) {
    aclError err = dvpp_live(desc, EMU_H_DVPP_PIC, func, what);
    if (err) return err;
    pthread_mutex_lock(&field_lock);
    *out = desc->f;
    pthread_mutex_unlock(&field_lock);
    return ACL_SUCCESS;
}

void dvpp_pic_write_result(acldvppPicDesc *desc, const dvpp_pic *f) {
    pthread_mutex_lock(&field_lock);
    desc->f.size = f->size;
    pthread_mutex_unlock(&field_lock);
    dvpp_pic_write_back(desc, f);
}

bool dvpp_pic_live(const acldvppPicDesc *desc) {
    emu_lock();
    bool ok = desc && emu_reg_has(desc, EMU_H_DVPP_PIC);
    emu_unlock();
    return ok;
}

void dvpp_pic_write_back(acldvppPicDesc *desc, const dvpp_pic *f) {
    pthread_mutex_lock(&field_lock);
    desc->f.format = f->format;
    desc->f.width = f->width;
    desc->f.height = f->height;
    desc->f.wstride = f->wstride;
    desc->f.hstride = f->hstride;
    desc->f.retcode = f->retcode;
    pthread_mutex_unlock(&field_lock);
}

/* Setters and getters: one field each. */
#define PIC_SETTER(NAME, TYPE, FIELD, CHECK)                                                                          \
    EMU_EXPORT aclError NAME(acldvppPicDesc *picDesc, TYPE value) {                                                  \
        aclError err = dvpp_live(picDesc, EMU_H_DVPP_PIC, #NAME, "picture description");                               \
        if (err) return err;                                                                                         \
        CHECK;                                                                                                       \
        pthread_mutex_lock(&field_lock);                                                                             \
        picDesc->f.FIELD = value;                                                                                    \
        pthread_mutex_unlock(&field_lock);                                                                           \
        return ACL_SUCCESS;                                                                                          \
    }
#define PIC_GETTER(NAME, TYPE, FIELD, DEFAULT)                                                                        \
    EMU_EXPORT TYPE NAME(const acldvppPicDesc *picDesc) {                                                            \
        if (dvpp_live(picDesc, EMU_H_DVPP_PIC, #NAME, "picture description")) return DEFAULT;                          \
        pthread_mutex_lock(&field_lock);                                                                             \
        TYPE value = picDesc->f.FIELD;                                                                               \
        pthread_mutex_unlock(&field_lock);                                                                           \
        return value;                                                                                                \
    }

PIC_SETTER(acldvppSetPicDescData, void *, data, (void)0)
PIC_SETTER(acldvppSetPicDescSize, uint32_t, size, (void)0)
PIC_SETTER(acldvppSetPicDescFormat, acldvppPixelFormat, format,
           if (!dvpp_format_of(value) && value != PIXEL_FORMAT_UNKNOWN) return emu_fail(
               ACL_ERROR_INVALID_PARAM, "acldvppSetPicDescFormat", "format %d is not a pixel format DVPP handles",
               (int)value))
PIC_SETTER(acldvppSetPicDescWidth, uint32_t, width, (void)0)
PIC_SETTER(acldvppSetPicDescHeight, uint32_t, height, (void)0)
PIC_SETTER(acldvppSetPicDescWidthStride, uint32_t, wstride, (void)0)
PIC_SETTER(acldvppSetPicDescHeightStride, uint32_t, hstride, (void)0)
PIC_SETTER(acldvppSetPicDescRetCode, uint32_t, retcode, (void)0)

PIC_GETTER(acldvppGetPicDescSize, uint32_t, size, 0)
PIC_GETTER(acldvppGetPicDescFormat, acldvppPixelFormat, format, PIXEL_FORMAT_YUV_400)
PIC_GETTER(acldvppGetPicDescWidth, uint32_t, width, 0)
PIC_GETTER(acldvppGetPicDescHeight, uint32_t, height, 0)
PIC_GETTER(acldvppGetPicDescWidthStride, uint32_t, wstride, 0)
PIC_GETTER(acldvppGetPicDescHeightStride, uint32_t, hstride, 0)
PIC_GETTER(acldvppGetPicDescRetCode, uint32_t, retcode, 0)

EMU_EXPORT void *acldvppGetPicDescData(const acldvppPicDesc *picDesc) {
    if (dvpp_live(picDesc, EMU_H_DVPP_PIC, "acldvppGetPicDescData", "picture description")) return NULL;
    pthread_mutex_lock(&field_lock);
    void *data = picDesc->f.data;
    pthread_mutex_unlock(&field_lock);
    return data;
}

/* ------------------------------------------------------------------------------------------- configs */

EMU_EXPORT acldvppRoiConfig *acldvppCreateRoiConfig(uint32_t left, uint32_t right, uint32_t top, uint32_t bottom) {
    acldvppRoiConfig *r = dvpp_create(sizeof *r, EMU_H_DVPP_ROI, "acldvppCreateRoiConfig");
    if (r) *r = (acldvppRoiConfig){left, right, top, bottom};
    return r;
}

EMU_EXPORT aclError acldvppDestroyRoiConfig(acldvppRoiConfig *roiConfig) {
    return destroy(roiConfig, EMU_H_DVPP_ROI, "acldvppDestroyRoiConfig", "ROI configuration");
}

#define ROI_SETTER(NAME, FIELD)                                                                                       \
    EMU_EXPORT aclError NAME(acldvppRoiConfig *config, uint32_t value) {                                             \
        aclError err = dvpp_live(config, EMU_H_DVPP_ROI, #NAME, "ROI configuration");                                  \
        if (err) return err;                                                                                         \
        pthread_mutex_lock(&field_lock);                                                                             \
        config->FIELD = value;                                                                                       \
        pthread_mutex_unlock(&field_lock);                                                                           \
        return ACL_SUCCESS;                                                                                          \
    }
ROI_SETTER(acldvppSetRoiConfigLeft, left)
ROI_SETTER(acldvppSetRoiConfigRight, right)
ROI_SETTER(acldvppSetRoiConfigTop, top)
ROI_SETTER(acldvppSetRoiConfigBottom, bottom)

EMU_EXPORT aclError acldvppSetRoiConfig(acldvppRoiConfig *config, uint32_t left, uint32_t right, uint32_t top,
                                        uint32_t bottom) {
    aclError err = dvpp_live(config, EMU_H_DVPP_ROI, "acldvppSetRoiConfig", "ROI configuration");
    if (err) return err;
    pthread_mutex_lock(&field_lock);
    *config = (acldvppRoiConfig){left, right, top, bottom};
    pthread_mutex_unlock(&field_lock);
    return ACL_SUCCESS;
}

aclError dvpp_roi_read(const acldvppRoiConfig *roi, dvpp_rect *out, const char *func, const char *what) {
    aclError err = dvpp_live(roi, EMU_H_DVPP_ROI, func, what);
    if (err) return err;
    pthread_mutex_lock(&field_lock);
    acldvppRoiConfig r = *roi;
    pthread_mutex_unlock(&field_lock);
    if (r.right < r.left || r.bottom < r.top) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "%s (left %u, right %u, top %u, bottom %u) is empty: right and bottom are inclusive and "
                        "must not be smaller than left and top", what, r.left, r.right, r.top, r.bottom);
    }
    uint64_t w = (uint64_t)r.right - r.left + 1, h = (uint64_t)r.bottom - r.top + 1; /* 2^32 when 0 .. UINT32_MAX */
    if (w > UINT32_MAX || h > UINT32_MAX) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s (left %u, right %u, top %u, bottom %u) is %llux%llu: wider "
                        "or taller than any picture", what, r.left, r.right, r.top, r.bottom, (unsigned long long)w,
                        (unsigned long long)h);
    }
    *out = (dvpp_rect){r.left, r.top, (uint32_t)w, (uint32_t)h};
    return ACL_SUCCESS;
}

EMU_EXPORT acldvppResizeConfig *acldvppCreateResizeConfig(void) {
    return dvpp_create(sizeof(acldvppResizeConfig), EMU_H_DVPP_RESIZE, "acldvppCreateResizeConfig");
}

EMU_EXPORT aclError acldvppDestroyResizeConfig(acldvppResizeConfig *resizeConfig) {
    return destroy(resizeConfig, EMU_H_DVPP_RESIZE, "acldvppDestroyResizeConfig", "resize configuration");
}

EMU_EXPORT aclError acldvppSetResizeConfigInterpolation(acldvppResizeConfig *resizeConfig, uint32_t interpolation) {
    const char *func = "acldvppSetResizeConfigInterpolation";
    aclError err = dvpp_live(resizeConfig, EMU_H_DVPP_RESIZE, func, "resize configuration");
    if (err) return err;
    if (interpolation > 5) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "interpolation %u: expected 0 (default), 1 (bilinear), 2 (nearest), 3 (TF bilinear), 4 (TF "
                        "nearest) or 5 (high-order filter)", interpolation);
    }
    pthread_mutex_lock(&field_lock);
    resizeConfig->interpolation = interpolation;
    pthread_mutex_unlock(&field_lock);
    return ACL_SUCCESS;
}

EMU_EXPORT uint32_t acldvppGetResizeConfigInterpolation(const acldvppResizeConfig *resizeConfig) {
    if (dvpp_live(resizeConfig, EMU_H_DVPP_RESIZE, "acldvppGetResizeConfigInterpolation", "resize configuration")) {
        return 0;
    }
    pthread_mutex_lock(&field_lock);
    uint32_t v = resizeConfig->interpolation;
    pthread_mutex_unlock(&field_lock);
    return v;
}

aclError dvpp_resize_read(const acldvppResizeConfig *cfg, uint32_t *interpolation, const char *func) {
    aclError err = dvpp_live(cfg, EMU_H_DVPP_RESIZE, func, "resize configuration");
    if (err) return err;
    pthread_mutex_lock(&field_lock);
    *interpolation = cfg->interpolation;
    pthread_mutex_unlock(&field_lock);
    return ACL_SUCCESS;
}

EMU_EXPORT acldvppJpegeConfig *acldvppCreateJpegeConfig(void) {
    return dvpp_create(sizeof(acldvppJpegeConfig), EMU_H_DVPP_JPEGE, "acldvppCreateJpegeConfig");
}

EMU_EXPORT aclError acldvppDestroyJpegeConfig(acldvppJpegeConfig *jpegeConfig) {
    return destroy(jpegeConfig, EMU_H_DVPP_JPEGE, "acldvppDestroyJpegeConfig", "JPEG encode configuration");
}

EMU_EXPORT aclError acldvppSetJpegeConfigLevel(acldvppJpegeConfig *jpegeConfig, uint32_t level) {
    const char *func = "acldvppSetJpegeConfigLevel";
    aclError err = dvpp_live(jpegeConfig, EMU_H_DVPP_JPEGE, func, "JPEG encode configuration");
    if (err) return err;
    if (level > 100) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "level %u is outside [0, 100]", level);
    pthread_mutex_lock(&field_lock);
    jpegeConfig->level = level;
    pthread_mutex_unlock(&field_lock);
    return ACL_SUCCESS;
}

EMU_EXPORT uint32_t acldvppGetJpegeConfigLevel(const acldvppJpegeConfig *jpegeConfig) {
    uint32_t level = 0;
    dvpp_jpege_read(jpegeConfig, &level, "acldvppGetJpegeConfigLevel");
    return level;
}

aclError dvpp_jpege_read(const acldvppJpegeConfig *cfg, uint32_t *level, const char *func) {
    aclError err = dvpp_live(cfg, EMU_H_DVPP_JPEGE, func, "JPEG encode configuration");
    if (err) return err;
    pthread_mutex_lock(&field_lock);
    *level = cfg->level;
    pthread_mutex_unlock(&field_lock);
    return ACL_SUCCESS;
}

/* ------------------------------------------------------------------------------------- release, counts */

/* ------------------------------------------------------------------------- channel description options */

/* The byte length of each acldvppChannelDescParamType value (the header's _UINT32/_UINT64/_ENUM suffixes). */
static size_t channel_param_length(acldvppChannelDescParamType type) {
    return type == ACL_DVPP_CHANNEL_ID_UINT64 ? sizeof(uint64_t) : sizeof(uint32_t);
}

static aclError channel_param_check(const acldvppChannelDesc *desc, acldvppChannelDescParamType type, size_t length,
                                    const void *param, const char *func) {
    aclError err = dvpp_live(desc, EMU_H_DVPP_CHANNEL, func, "channel description");
    if (err) return err;
    if ((int)type < ACL_DVPP_CSC_MATRIX_UINT32 || type > ACL_DVPP_JPEGD_PRECISION_MODE_ENUM) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "paramType %d is not an acldvppChannelDescParamType", (int)type);
    }
    if (!param) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "param is NULL");
    if (length != channel_param_length(type)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "length %zu: paramType %d takes %zu bytes", length, (int)type,
                        channel_param_length(type));
    }
    return ACL_SUCCESS;
}

EMU_EXPORT aclError acldvppSetChannelDescParam(acldvppChannelDesc *channelDesc, acldvppChannelDescParamType paramType,
                                               size_t length, const void *param) {
    const char *func = "acldvppSetChannelDescParam";
    aclError err = channel_param_check(channelDesc, paramType, length, param, func);
    if (err) return err;
    uint32_t value = 0;
    if (paramType == ACL_DVPP_CHANNEL_ID_UINT64) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the channel id is given by acldvppCreateChannel: it is read "
                        "with acldvppGetChannelDescChannelId, not set");
    }
    memcpy(&value, param, sizeof value);
    switch (paramType) {
    case ACL_DVPP_MODE_UINT32: return acldvppSetChannelDescMode(channelDesc, value);
    case ACL_DVPP_CSC_MATRIX_UINT32:
        if (!dvpp_soc()->vpc_rgb_out) {
            return emu_fail(ACL_ERROR_FEATURE_UNSUPPORTED, func, "%s has no VPC colour-conversion matrix option",
                            emu_cfg.soc_name);
        }
        if (value > ACL_DVPP_CSC_MATRIX_BT2020_NARROW) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "CSC matrix %u is not an acldvppCscMatrix (0..5)", value);
        }
        break;
    case ACL_DVPP_JPEGD_PRECISION_MODE_ENUM:
        if (value > ACL_YUVOUT_ALIGN_DOWN_COMPAT) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "precision mode %u is not an acldvppJpegdPrecisionMode "
                            "(0..2)", value);
        }
        break;
    default:
        if (value > 8192) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%u is larger than any picture", value);
        break;
    }
    pthread_mutex_lock(&field_lock);
    switch (paramType) {
    case ACL_DVPP_CSC_MATRIX_UINT32: channelDesc->csc_matrix = value; break;
    case ACL_DVPP_CHANNEL_HEIGHT_UINT32: channelDesc->height = value; break;
    case ACL_DVPP_CHANNEL_WIDTH_UINT32: channelDesc->width = value; break;
    default: channelDesc->precision_mode = value; break;
    }
    pthread_mutex_unlock(&field_lock);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError acldvppGetChannelDescParam(const acldvppChannelDesc *channelDesc,
                                               acldvppChannelDescParamType paramType, size_t length,
                                               size_t *paramRetSize, void *param) {
    const char *func = "acldvppGetChannelDescParam";
    aclError err = channel_param_check(channelDesc, paramType, length, param, func);
    if (err) return err;
    if (!paramRetSize) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "paramRetSize is NULL");
    pthread_mutex_lock(&field_lock);
    uint64_t id = channelDesc->created ? channelDesc->id : 0;
    uint32_t value = paramType == ACL_DVPP_MODE_UINT32           ? channelDesc->mode
                     : paramType == ACL_DVPP_CSC_MATRIX_UINT32    ? channelDesc->csc_matrix
                     : paramType == ACL_DVPP_CHANNEL_HEIGHT_UINT32 ? channelDesc->height
                     : paramType == ACL_DVPP_CHANNEL_WIDTH_UINT32  ? channelDesc->width
                                                                   : channelDesc->precision_mode;
    pthread_mutex_unlock(&field_lock);
    if (paramType == ACL_DVPP_CHANNEL_ID_UINT64) memcpy(param, &id, sizeof id);
    else memcpy(param, &value, sizeof value);
    *paramRetSize = length;
    return ACL_SUCCESS;
}

void emu_dvpp_release_device_locked(int32_t device, acllite_emu_counts *leaks) {
    dvpp_vdec_release_device_locked(device, leaks);
    dvpp_venc_release_device_locked(device, leaks);
    size_t n = emu_reg_count(EMU_H_DVPP_CHANNEL, -1);
    void **list = calloc(n + 1, sizeof *list);
    if (!list) return;
    emu_reg_collect(EMU_H_DVPP_CHANNEL, -1, list, n);
    pthread_mutex_lock(&field_lock);
    for (size_t i = 0; i < n; i++) {
        acldvppChannelDesc *c = list[i];
        if (c->created && c->device == device) {
            c->created = false; /* the device's DVPP channels go with it; the description stays */
            leaks->dvppChannels++;
        }
    }
    pthread_mutex_unlock(&field_lock);
    free(list);
}

static void pic_release(void *p) { dvpp_pic_unref(p); }

static uint64_t release_kind(emu_handle_kind kind) {
    return emu_reg_release_all(kind, -1, kind == EMU_H_DVPP_PIC ? pic_release : free);
}

void emu_dvpp_release_all_locked(acllite_emu_counts *leaks) {
    leaks->dvppChannels += release_kind(EMU_H_DVPP_CHANNEL);
    /* a batch's pictures are registered pictures: released with them; the batch itself only frees its array */
    uint64_t video_channels = 0;
    uint64_t video = dvpp_video_release_all_locked(&video_channels); /* before the pictures VDEC writes */
    leaks->dvppChannels += video_channels;
    leaks->dvppDescs += release_kind(EMU_H_DVPP_PIC) + release_kind(EMU_H_DVPP_ROI) +
                        release_kind(EMU_H_DVPP_RESIZE) + release_kind(EMU_H_DVPP_JPEGE) +
                        release_kind(EMU_H_DVPP_BATCH) + video + dvpp_vpc_ops_release_all_locked();
}

void emu_dvpp_count_locked(acllite_emu_counts *counts) {
    counts->dvppChannels = emu_reg_count(EMU_H_DVPP_CHANNEL, -1);
    uint64_t video_channels = 0;
    counts->dvppDescs = emu_reg_count(EMU_H_DVPP_PIC, -1) + emu_reg_count(EMU_H_DVPP_ROI, -1) +
                        emu_reg_count(EMU_H_DVPP_RESIZE, -1) + emu_reg_count(EMU_H_DVPP_JPEGE, -1) +
                        emu_reg_count(EMU_H_DVPP_BATCH, -1) + dvpp_video_count_locked(&video_channels) +
                        dvpp_vpc_ops_count_locked();
    counts->dvppChannels += video_channels;
}
