/* Internal interfaces shared by the emulator's DVPP files: dvpp_objects.c (memory, channels, descriptions,
 * configurations, SoC rules), dvpp_vpc.c (resize, crop, paste, colour conversion) and dvpp_codec.c (JPEG and
 * PNG: parsing, size prediction, decode and encode through the registered codec). */
#ifndef ACLLITE_EMU_DVPP_H
#define ACLLITE_EMU_DVPP_H

#include "acl_dvpp.h"
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
aclError dvpp_pic_read(const acldvppPicDesc *desc, dvpp_pic *out, const char *func, const char *what);
/* Keep a description alive for a queued task that writes it back; release with dvpp_pic_unref. Takes emu_lock. */
aclError dvpp_pic_ref(acldvppPicDesc *desc, const char *func, const char *what);
void dvpp_pic_unref(acldvppPicDesc *desc);
/* Write the decoder-owned fields (format, width, height, strides, retcode) back (no lock needed by callers). */
void dvpp_pic_write_back(acldvppPicDesc *desc, const dvpp_pic *fields);
/* The region of a live ROI configuration, checked for inverted bounds. */
aclError dvpp_roi_read(const acldvppRoiConfig *roi, dvpp_rect *out, const char *func, const char *what);
aclError dvpp_resize_read(const acldvppResizeConfig *cfg, uint32_t *interpolation, const char *func);
aclError dvpp_jpege_read(const acldvppJpegeConfig *cfg, uint32_t *level, const char *func);
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

/* JFIF (BT.601 full range) conversions, 16-bit fixed point, shared by VPC and the codec rows. */
static inline uint8_t dvpp_clamp8(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

#endif
