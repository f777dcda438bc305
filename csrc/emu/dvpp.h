/* Internal interfaces shared by the emulator's DVPP files: dvpp_objects.c (memory, channels, descriptions,
 * configurations, SoC rules), dvpp_vpc.c (resize, crop, paste, colour conversion, batches), dvpp_vpc_ops.c
 * (borders, LUT maps, histograms, pyramids), dvpp_codec.c (JPEG and PNG: parsing, size prediction, decode and
 * encode through the registered codec), dvpp_video.c (stream descriptions, the video codec, report delivery),
 * dvpp_vdec.c and dvpp_venc.c (video decoding and encoding channels). */
#ifndef ACLLITE_EMU_DVPP_H
#define ACLLITE_EMU_DVPP_H

#include "acl_dvpp.h"
#include "acl_dvpp_vpc.h"
#include "acl_vdec_venc.h"
#include "emu.h"

#define DVPP_ALIGN(x, a) ((((uint64_t)(x)) + ((a) - 1)) / (a) * (a))

/* What a SoC's DVPP does differently (from emu_cfg.soc_name; see docs/DVPP.md for the sources). */
typedef struct {
    const char *family;           /* "Ascend310", "Ascend310P", "Ascend910", "Ascend310B/910B" */
    bool pngd;                    /* PNG decoding exists */
    bool convert_color;           /* acldvppVpcConvertColorAsync exists */
    bool vpc_rgb_out;             /* VPC may write YUV400/RGB888/BGR888 besides YUV420SP */
    bool device_memory_ok;        /* aclrtMalloc memory is accepted besides acldvppMalloc memory */
    uint32_t jpegd_wstride_align; /* JPEGD output width stride alignment: 128 (310, 910) or 64 */
    uint32_t yuv400_size_num;     /* VPC YUV400 input size = ws * hs * num / 2 (310 documents 3/2) */
    uint32_t interp_max;          /* highest resize interpolation accepted */
    bool interp_tf;               /* 3 and 4 (TensorFlow-like) accepted */
    /* video */
    uint32_t vdec_channels;       /* VDEC channel ids 0 .. n-1 (the channels a device has) */
    uint32_t vdec_max_w, vdec_max_h; /* largest H.264 stream (H.265: see vdec_h265_area) */
    uint64_t vdec_h265_area;      /* largest H.265 stream area (5400 x 8192 on 310B), 0: max_w x max_h */
    bool vdec_rgb_out;            /* VDEC may write RGB888/BGR888 */
    bool vdec_ref_frames;         /* aclvdecSetChannelDescRefFrameNum accepted */
    bool vdec_csc;                /* ACL_VDEC_CSC_MATRIX_UINT32 accepted */
    bool venc;                    /* VENC exists */
    uint32_t venc_min, venc_max;  /* input width and height range */
    uint64_t venc_h264_area;      /* largest H.264 picture area (4096 x 2304 on 310P), 0: no extra limit */
} dvpp_soc_rules;

const dvpp_soc_rules *dvpp_soc(void);

/* A picture description's fields (snapshotted at submission; written back by decoders). */
typedef struct {
    uint8_t *data;
    uint32_t size;
    acldvppPixelFormat format;
    uint32_t width, height, wstride, hstride, retcode;
} dvpp_pic;

typedef struct {
    uint32_t x, y, w, h;
} dvpp_rect;

/* ---- objects (dvpp_objects.c) ---- */
/* Copy a live picture description's fields; error (message set) for NULL or a stale handle. */
/* The emulator's DVPP objects (dvpp_objects.c): a live handle of kind (after checking initialization; NULL and
 * dead handles refused with what named), and a new zeroed object of size registered as kind (NULL: failed, said). */
aclError dvpp_live(const void *p, emu_handle_kind kind, const char *func, const char *what);
void *dvpp_create(size_t size, emu_handle_kind kind, const char *func);
/* A setter and a getter of one field of a DVPP description (kind: its registry kind; lock: the file's field lock):
 * the handle must be live; CHECK may refuse the value (err, func and value are in scope). */
#define DVPP_DESC_SETTER(NAME, DESC, KIND, LOCK, TYPE, FIELD, CHECK)                                                  \
    EMU_EXPORT aclError NAME(DESC *desc, TYPE value) {                                                               \
        const char *func = #NAME;                                                                                    \
        aclError err = dvpp_live(desc, KIND, func, "channel description");                                           \
        if (err) return err;                                                                                         \
        CHECK;                                                                                                       \
        pthread_mutex_lock(LOCK);                                                                                    \
        desc->FIELD = value;                                                                                         \
        pthread_mutex_unlock(LOCK);                                                                                  \
        return ACL_SUCCESS;                                                                                          \
    }
#define DVPP_DESC_GETTER(NAME, DESC, KIND, LOCK, TYPE, FIELD, DEFAULT)                                                \
    EMU_EXPORT TYPE NAME(const DESC *desc) {                                                                         \
        if (dvpp_live(desc, KIND, #NAME, "channel description")) return DEFAULT;                                     \
        pthread_mutex_lock(LOCK);                                                                                    \
        TYPE value = desc->FIELD;                                                                                    \
        pthread_mutex_unlock(LOCK);                                                                                  \
        return value;                                                                                                \
    }

aclError dvpp_pic_read(const acldvppPicDesc *desc, dvpp_pic *out, const char *func, const char *what);
/* Keep a description alive for a queued task that writes it back; release with dvpp_pic_unref. Takes emu_lock. */
aclError dvpp_pic_ref(acldvppPicDesc *desc, const char *func, const char *what);
void dvpp_pic_unref(acldvppPicDesc *desc);
/* Write the decoder-owned fields (format, width, height, strides, retcode) back (no lock needed by callers). */
void dvpp_pic_write_back(acldvppPicDesc *desc, const dvpp_pic *fields);
/* The same, and the size too (VDEC writes the picture's size). */
void dvpp_pic_write_result(acldvppPicDesc *desc, const dvpp_pic *fields);
/* Whether desc is a live picture description (takes emu_lock). */
bool dvpp_pic_live(const acldvppPicDesc *desc);
/* The region of a live ROI configuration, checked for inverted bounds. */
aclError dvpp_roi_read(const acldvppRoiConfig *roi, dvpp_rect *out, const char *func, const char *what);
aclError dvpp_resize_read(const acldvppResizeConfig *cfg, uint32_t *interpolation, const char *func);
aclError dvpp_jpege_read(const acldvppJpegeConfig *cfg, uint32_t *level, const char *func);
/* The pictures of a live batch (count), and its picture i (i < count). */
aclError dvpp_batch_count(const acldvppBatchPicDesc *batch, uint32_t *count, const char *func, const char *what);
acldvppPicDesc *dvpp_batch_pic(const acldvppBatchPicDesc *batch, uint32_t i);
/* The channel must be live, created, and made for mode (a DVPP_CHNMODE_* bit). */
aclError dvpp_channel_check(const acldvppChannelDesc *channel, uint32_t mode, const char *func);
/* [p, p + len) must lie in one live allocation that DVPP may use (acldvppMalloc memory; a warning instead of an
 * error with ACLLITE_EMU_STRICT=0). Safe to call from a stream task. */
aclError dvpp_check_memory(const void *p, size_t len, const char *func, const char *what);
/* Queue fn(task) on stream (NULL: the current context's default stream); drop(task) runs after it or instead of it.
 * On failure drop(task) has run. */
aclError dvpp_submit(aclrtStream stream, emu_task_fn fn, void *task, emu_task_drop drop, const char *func);

/* ---- pixel formats (dvpp_vpc.c) ---- */
typedef enum {
    DVPP_FAM_NONE = 0,
    DVPP_FAM_Y400,   /* luma only */
    DVPP_FAM_SP,     /* semi-planar: Y plane, then interleaved chroma pairs */
    DVPP_FAM_PK422,  /* packed 4:2:2 (YUYV and its orders) */
    DVPP_FAM_PK444,  /* packed Y, U, V */
    DVPP_FAM_RGB3,   /* RGB888 / BGR888 */
    DVPP_FAM_RGB4    /* four bytes with alpha */
} dvpp_family;

typedef struct {
    dvpp_family family;
    const char *name;
    uint8_t sx, sy;       /* chroma subsampling shifts (SP, PK422) */
    bool v_first;         /* chroma pair stored V, U */
    uint8_t bpp;          /* bytes per pixel in the first plane row (width stride = width * bpp at least) */
    uint8_t off[4];       /* PK422: Y0, U, V offsets in a 4-byte group; PK444/RGB: Y|R, U|G, V|B, alpha */
    uint8_t size_num;     /* total size = ws * hs * size_num / 2 */
} dvpp_format;

/* The description of a format, or NULL when DVPP does not handle it. */
const dvpp_format *dvpp_format_of(acldvppPixelFormat format);
const char *dvpp_format_name(acldvppPixelFormat format);
/* Bytes a picture of this format and these strides occupies (SoC rules applied). */
uint64_t dvpp_picture_bytes(const dvpp_format *f, uint32_t wstride, uint32_t hstride);
/* Convert a picture to packed Y, Cb, Cr rows (3 bytes per pixel) for the JPEG encoder (4:2:0 and packed 4:2:2
 * inputs; chroma repeated to full resolution). */
void dvpp_to_ycbcr(const dvpp_pic *in, const dvpp_format *f, uint8_t *out, size_t out_stride);

/* Scale a sw x sh plane of 8-bit samples (rows sstride bytes apart, samples sstep apart) into dw x dh samples at
 * dst with VPC's bilinear kernel (OpenCV's pixel-centre mapping); same size: a copy. */
aclError dvpp_scale_plane(const uint8_t *src, size_t sstride, uint32_t sstep, uint32_t sw, uint32_t sh, uint8_t *dst,
                          size_t dstride, uint32_t dstep, uint32_t dw, uint32_t dh, const char *func);

/* ---- video (dvpp_video.c) ---- */
/* A stream description's fields. */
typedef struct {
    void *data;
    uint32_t size;
    acldvppStreamFormat format;
    uint64_t timestamp;
    uint32_t retcode;
    uint8_t eos;
} dvpp_stream;

aclError dvpp_stream_read(const acldvppStreamDesc *desc, dvpp_stream *out, const char *func, const char *what);
void dvpp_stream_write(acldvppStreamDesc *desc, const dvpp_stream *fields);
/* A stream description made by the emulator (VENC outputs): registered like the caller's. */
acldvppStreamDesc *dvpp_stream_new(const char *func);

/* The registered video codec, or false with ACL_ERROR_API_NOT_SUPPORT and a message saying what to install. */
aclError dvpp_video_codec(acllite_emu_video_codec *out, const char *func);

#define DVPP_VIDEO_SINK_MAGIC 0x56494453u
struct acllite_emu_video_sink {
    uint32_t magic;
    void *owner;
    const char *func;
    aclError (*picture)(void *owner, int64_t tag, uint32_t width, uint32_t height, int32_t layout, int32_t profile,
                        int32_t flags, const void *y, size_t ys, const void *u, size_t us, const void *v, size_t vs);
    aclError (*packet)(void *owner, int64_t tag, const void *data, size_t size, int32_t key);
};

/* Callbacks delivered on a report thread, as VDEC/VENC do: a stream of the calling context subscribed to the
 * channel's thread; each delivery is one aclrtLaunchCallback. */
typedef struct dvpp_reporter dvpp_reporter;
/* deliver(arg, run): run false when the channel is gone (only release arg then). */
typedef void (*dvpp_deliver_fn)(void *arg, bool run);
aclError dvpp_reporter_open(dvpp_reporter **out, uint64_t thread, const char *func);
/* Launch deliver(arg) on the report thread; on failure deliver(arg, false) has run. Takes emu_lock: never call it
 * with a lock held that a thread holding emu_lock may wait for. */
void dvpp_reporter_launch(dvpp_reporter *r, dvpp_deliver_fn deliver, void *arg);
/* Wait until every launched delivery has run (running the reports itself when called on the report thread).
 * ACL_ERROR_WAIT_CALLBACK_TIMEOUT when none ran for DVPP_REPORT_PATIENCE_MS while some were pending. */
aclError dvpp_reporter_drain(dvpp_reporter *r, const char *func);
/* True when the calling thread is inside a delivery of r. */
bool dvpp_reporter_in_delivery(const dvpp_reporter *r);
/* Unsubscribe and destroy the stream (locked: false), or only forget it (locked: true, emu_lock held: a device
 * tear-down has destroyed the stream already); deliveries still queued are dropped when they run. */
void dvpp_reporter_close(dvpp_reporter *r, bool locked);
uint64_t dvpp_reporter_thread(const dvpp_reporter *r);
#define DVPP_REPORT_PATIENCE_MS 3000

/* VDEC/VENC release and counts (dvpp_vdec.c, dvpp_venc.c); all require emu_lock. */
void dvpp_vdec_release_device_locked(int32_t device, acllite_emu_counts *leaks);
void dvpp_venc_release_device_locked(int32_t device, acllite_emu_counts *leaks);
/* Release every VDEC/VENC object: returns the descriptions and frame configurations, *channels the channel
 * descriptions. */
uint64_t dvpp_video_release_all_locked(uint64_t *channels);
uint64_t dvpp_video_count_locked(uint64_t *channels);
uint64_t dvpp_vdec_release_all_locked(uint64_t *channels);
uint64_t dvpp_vdec_count_locked(uint64_t *channels);
uint64_t dvpp_venc_release_all_locked(uint64_t *channels);
uint64_t dvpp_venc_count_locked(uint64_t *channels);
/* ---- borders, LUT maps, histograms, pyramids (dvpp_vpc_ops.c) ---- */
uint64_t dvpp_vpc_ops_release_all_locked(void);
uint64_t dvpp_vpc_ops_count_locked(void);
/* ACL_ERROR_FEATURE_UNSUPPORTED with the message when the SoC lacks the operation (make border, LUT remapping,
 * histograms and their batch form exist on Ascend310P and newer; pyramid down only on Ascend310P). */
aclError dvpp_vpc_ops_supported(const char *func, bool pyramid);

/* A border configuration's fields. */
typedef struct {
    uint32_t top, bottom, left, right;
    acldvppBorderType type;
    double value[4]; /* per channel: R|Y, G|U, B|V, reserved */
} dvpp_border;
aclError dvpp_border_read(const acldvppBorderConfig *cfg, dvpp_border *out, const char *func, const char *what);
/* The region of out inside the borders (at least 10x6); error with the message when the borders leave less. */
aclError dvpp_border_inner(const dvpp_border *b, const dvpp_pic *out, dvpp_rect *inner, const char *func,
                           const char *what);
/* Fill everything of out outside inner by the border rule, channel by channel at each channel's resolution, from
 * out's own samples inside inner. Constant values are RGB unless both fin and fout are YUV formats. */
void dvpp_border_fill(const dvpp_pic *out, const dvpp_format *fout, dvpp_rect inner, const dvpp_border *b,
                      const dvpp_format *fin);

/* A channel of a picture read in place: sample (0, 0), bytes between rows and between adjacent samples. */
typedef struct {
    const uint8_t *base;
    size_t stride;
    uint32_t step;
    uint32_t w, h; /* samples */
} dvpp_plane;
/* The Y, U, V planes of a YUV picture (returns 1 for YUV400, 3 for the others, 0 for RGB formats). */
int dvpp_yuv_planes(const dvpp_pic *p, const dvpp_format *f, dvpp_plane out[3]);
void dvpp_rgb_to_yuv(uint8_t r, uint8_t g, uint8_t b, uint8_t *y, uint8_t *u, uint8_t *v);
/* Scale (or copy, same size) region crop of in into region paste of out, converting formats as VPC does; the
 * pictures are checked and their memory located by the caller. */
aclError dvpp_vpc_place(const dvpp_pic *in, const dvpp_format *fin, dvpp_rect crop, const dvpp_pic *out,
                        const dvpp_format *fout, dvpp_rect paste, const char *func);
/* The checks of a VPC input or output picture (dvpp_vpc.c) */
aclError dvpp_vpc_check_picture(const dvpp_pic *p, bool output, const char *func, const char *what,
                                const dvpp_format **fmt, uint64_t *bytes);
/* The same, naming the memory "memory" in messages (an output checked by the input rules, say). */
aclError dvpp_vpc_check_picture_named(const dvpp_pic *p, bool output, const char *func, const char *what,
                                      const char *memory, const dvpp_format **fmt, uint64_t *bytes);

/* JFIF (BT.601 full range) conversions, 16-bit fixed point, shared by VPC and the codec rows. */
static inline uint8_t dvpp_clamp8(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

#endif
