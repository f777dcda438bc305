/* VPC's less common operations: border configurations and acldvppVpcMakeBorderAsync, LUT maps and
 * acldvppVpcEqualizeHistAsync (remapping through a LUT), histograms and acldvppVpcCalcHistAsync, and
 * acldvppVpcPyrDownAsync. Facts: the CANN header (acl/ops/acl_dvpp.h) and the CANN 6.0.1 .. 8.5 VPC pages; what
 * they leave open is chosen and listed in docs/DVPP.md.
 *
 * The objects are registered handles like the other configurations. A histogram is written by a queued task, so
 * it is reference-counted (destroying it before the task ran is safe). A LUT map is read when the call is made
 * (its 3 x 256 bytes are copied into the task), like every other description. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dvpp.h"

#define LUT_DIMS 3u
#define LUT_LEN 256u
#define HIST_DIMS 3u
#define HIST_LEN 256u
#define BORDER_VALUES 4u /* R|Y, G|U, B|V and a reserved fourth */

struct acldvppBorderConfig {
    dvpp_border f;
};

struct acldvppLutMap {
    uint8_t data[LUT_DIMS][LUT_LEN];
};

struct acldvppHist {
    atomic_int refs;
    uint32_t retcode;
    uint32_t data[HIST_DIMS][HIST_LEN];
};

static pthread_mutex_t ops_lock = PTHREAD_MUTEX_INITIALIZER; /* leaf lock for the objects' fields */

/* ------------------------------------------------------------------------------------------- helpers */

aclError dvpp_vpc_ops_supported(const char *func, bool pyramid) {
    const char *family = dvpp_soc()->family;
    bool p310 = strcmp(family, "Ascend310P") == 0, a2 = strcmp(family, "Ascend310B/910B") == 0;
    if (pyramid ? p310 : (p310 || a2)) return ACL_SUCCESS;
    return emu_fail(ACL_ERROR_FEATURE_UNSUPPORTED, func, "%s has no %s (it exists on %s)", emu_cfg.soc_name,
                    func, pyramid ? "Ascend310P only" : "Ascend310P and newer");
}

static const char *kind_name(emu_handle_kind kind) {
    return kind == EMU_H_DVPP_BORDER ? "border configuration" : kind == EMU_H_DVPP_LUT ? "LUT map" : "histogram";
}

/* what: the argument's name in messages. */
static aclError ops_live(const void *p, emu_handle_kind kind, const char *func, const char *what) {
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!p) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", what);
    emu_lock();
    bool ok = emu_reg_has(p, kind);
    emu_unlock();
    if (!ok) {
        return emu_fail(ACL_ERROR_RT_INVALID_HANDLE, func, "%s %p is not a live %s (destroyed already?)", what, p,
                        kind_name(kind));
    }
    return ACL_SUCCESS;
}

static void hist_unref(acldvppHist *h) {
    if (atomic_fetch_sub(&h->refs, 1) == 1) free(h);
}

static void hist_release(void *p) { hist_unref(p); }

static aclError ops_destroy(void *p, emu_handle_kind kind, const char *func, const char *what) {
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!p) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", what);
    emu_lock();
    bool ok = emu_reg_remove(p, kind);
    emu_unlock();
    if (!ok) {
        return emu_fail(ACL_ERROR_RT_INVALID_HANDLE, func, "%s %p is not a live %s (destroyed already?)", what, p,
                        kind_name(kind));
    }
    if (kind == EMU_H_DVPP_HIST) hist_unref(p);
    else free(p);
    return ACL_SUCCESS;
}

uint64_t dvpp_vpc_ops_release_all_locked(void) {
    return emu_reg_release_all(EMU_H_DVPP_BORDER, -1, free) + emu_reg_release_all(EMU_H_DVPP_LUT, -1, free) +
           emu_reg_release_all(EMU_H_DVPP_HIST, -1, hist_release);
}

uint64_t dvpp_vpc_ops_count_locked(void) {
    return emu_reg_count(EMU_H_DVPP_BORDER, -1) + emu_reg_count(EMU_H_DVPP_LUT, -1) +
           emu_reg_count(EMU_H_DVPP_HIST, -1);
}

/* ---------------------------------------------------------------------------------- border configurations */

EMU_EXPORT acldvppBorderConfig *acldvppCreateBorderConfig(void) {
    return dvpp_create(sizeof(acldvppBorderConfig), EMU_H_DVPP_BORDER, "acldvppCreateBorderConfig");
}

EMU_EXPORT aclError acldvppDestroyBorderConfig(acldvppBorderConfig *borderConfig) {
    return ops_destroy(borderConfig, EMU_H_DVPP_BORDER, "acldvppDestroyBorderConfig", "borderConfig");
}

EMU_EXPORT aclError acldvppSetBorderConfigValue(acldvppBorderConfig *borderConfig, uint32_t index, double value) {
    const char *func = "acldvppSetBorderConfigValue";
    aclError err = ops_live(borderConfig, EMU_H_DVPP_BORDER, func, "borderConfig");
    if (err) return err;
    if (index >= BORDER_VALUES) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "index %u: 0 (R or Y), 1 (G or U), 2 (B or V) or 3 (reserved)", index);
    }
    if (!(value >= 0.0 && value <= 255.0)) { /* also NaN */
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "value %g of index %u is not a pixel value 0..255", value,
                        index);
    }
    pthread_mutex_lock(&ops_lock);
    borderConfig->f.value[index] = value;
    pthread_mutex_unlock(&ops_lock);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError acldvppSetBorderConfigBorderType(acldvppBorderConfig *borderConfig, acldvppBorderType borderType) {
    const char *func = "acldvppSetBorderConfigBorderType";
    aclError err = ops_live(borderConfig, EMU_H_DVPP_BORDER, func, "borderConfig");
    if (err) return err;
    if ((unsigned)borderType > BORDER_REFLECT_101) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "border type %d: BORDER_CONSTANT (0), BORDER_REPLICATE (1), BORDER_REFLECT (2) or "
                        "BORDER_REFLECT_101 (3)", (int)borderType);
    }
    pthread_mutex_lock(&ops_lock);
    borderConfig->f.type = borderType;
    pthread_mutex_unlock(&ops_lock);
    return ACL_SUCCESS;
}

#define BORDER_SIDE(SET, GET, FIELD)                                                                                 \
    EMU_EXPORT aclError SET(acldvppBorderConfig *borderConfig, uint32_t FIELD) {                                     \
        aclError err = ops_live(borderConfig, EMU_H_DVPP_BORDER, #SET, "borderConfig");                     \
        if (err) return err;                                                                                         \
        pthread_mutex_lock(&ops_lock);                                                                               \
        borderConfig->f.FIELD = FIELD;                                                                               \
        pthread_mutex_unlock(&ops_lock);                                                                             \
        return ACL_SUCCESS;                                                                                          \
    }                                                                                                                \
    EMU_EXPORT uint32_t GET(const acldvppBorderConfig *borderConfig) {                                               \
        if (ops_live(borderConfig, EMU_H_DVPP_BORDER, #GET, "borderConfig")) return 0;                      \
        pthread_mutex_lock(&ops_lock);                                                                               \
        uint32_t v = borderConfig->f.FIELD;                                                                          \
        pthread_mutex_unlock(&ops_lock);                                                                             \
        return v;                                                                                                    \
    }
BORDER_SIDE(acldvppSetBorderConfigTop, acldvppGetBorderConfigTop, top)
BORDER_SIDE(acldvppSetBorderConfigBottom, acldvppGetBorderConfigBottom, bottom)
BORDER_SIDE(acldvppSetBorderConfigLeft, acldvppGetBorderConfigLeft, left)
BORDER_SIDE(acldvppSetBorderConfigRight, acldvppGetBorderConfigRight, right)

EMU_EXPORT double acldvppGetBorderConfigValue(const acldvppBorderConfig *borderConfig, uint32_t index) {
    const char *func = "acldvppGetBorderConfigValue";
    if (ops_live(borderConfig, EMU_H_DVPP_BORDER, func, "borderConfig")) return 0.0;
    if (index >= BORDER_VALUES) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "index %u: 0 (R or Y), 1 (G or U), 2 (B or V) or 3 (reserved)",
                 index);
        return 0.0;
    }
    pthread_mutex_lock(&ops_lock);
    double v = borderConfig->f.value[index];
    pthread_mutex_unlock(&ops_lock);
    return v;
}

EMU_EXPORT acldvppBorderType acldvppGetBorderConfigBorderType(const acldvppBorderConfig *borderConfig) {
    if (ops_live(borderConfig, EMU_H_DVPP_BORDER, "acldvppGetBorderConfigBorderType", "borderConfig")) {
        return BORDER_CONSTANT;
    }
    pthread_mutex_lock(&ops_lock);
    acldvppBorderType t = borderConfig->f.type;
    pthread_mutex_unlock(&ops_lock);
    return t;
}

aclError dvpp_border_read(const acldvppBorderConfig *cfg, dvpp_border *out, const char *func, const char *what) {
    aclError err = ops_live(cfg, EMU_H_DVPP_BORDER, func, what);
    if (err) return err;
    pthread_mutex_lock(&ops_lock);
    *out = cfg->f;
    pthread_mutex_unlock(&ops_lock);
    return ACL_SUCCESS;
}

aclError dvpp_border_inner(const dvpp_border *b, const dvpp_pic *out, dvpp_rect *inner, const char *func,
                           const char *what) {
    uint64_t lr = (uint64_t)b->left + b->right, tb = (uint64_t)b->top + b->bottom; /* 33 bits at most: no wrap */
    if (lr + 10 > out->width || tb + 6 > out->height) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "%s: borders left %u + right %u, top %u + bottom %u leave less than 10x6 of its %ux%u", what,
                        b->left, b->right, b->top, b->bottom, out->width, out->height);
    }
    *inner = (dvpp_rect){b->left, b->top, out->width - (uint32_t)lr, out->height - (uint32_t)tb};
    return ACL_SUCCESS;
}

/* OpenCV's border extrapolation: the interior sample that position p (outside 0 .. n-1) copies. */
static uint32_t border_source(int64_t p, uint32_t n, acldvppBorderType type) {
    if (n == 1) return 0;
    if (type == BORDER_REPLICATE) return p < 0 ? 0 : p >= (int64_t)n ? n - 1 : (uint32_t)p;
    int64_t delta = type == BORDER_REFLECT_101 ? 1 : 0;
    while (p < 0 || p >= (int64_t)n) p = p < 0 ? -p - 1 + delta : 2 * (int64_t)n - 1 - p - delta;
    return (uint32_t)p;
}

/* One channel: interior [x0, x0 + iw) x [y0, y0 + ih) of a plane of w x h samples. */
static void fill_plane(const dvpp_plane *pl, uint32_t x0, uint32_t y0, uint32_t iw, uint32_t ih,
                       acldvppBorderType type, uint8_t value) {
    uint8_t *base = (uint8_t *)pl->base;
    if (iw == 0 || ih == 0) return;
    for (uint32_t y = 0; y < pl->h; y++) {
        uint8_t *row = base + (size_t)y * pl->stride;
        bool inside_rows = y >= y0 && y < y0 + ih;
        if (!inside_rows) {
            if (type == BORDER_CONSTANT) {
                for (uint32_t x = 0; x < pl->w; x++) row[(size_t)x * pl->step] = value;
            }
            continue; /* extrapolated rows are copied below, after every interior row is complete */
        }
        for (uint32_t x = 0; x < pl->w; x++) {
            if (x >= x0 && x < x0 + iw) continue;
            uint8_t v = type == BORDER_CONSTANT
                            ? value
                            : row[(size_t)(x0 + border_source((int64_t)x - x0, iw, type)) * pl->step];
            row[(size_t)x * pl->step] = v;
        }
    }
    if (type == BORDER_CONSTANT) return;
    for (uint32_t y = 0; y < pl->h; y++) {
        if (y >= y0 && y < y0 + ih) continue;
        const uint8_t *src = base + (size_t)(y0 + border_source((int64_t)y - y0, ih, type)) * pl->stride;
        uint8_t *row = base + (size_t)y * pl->stride;
        for (uint32_t x = 0; x < pl->w; x++) row[(size_t)x * pl->step] = src[(size_t)x * pl->step];
    }
}

static bool is_rgb(const dvpp_format *f) { return f->family == DVPP_FAM_RGB3 || f->family == DVPP_FAM_RGB4; }

void dvpp_border_fill(const dvpp_pic *out, const dvpp_format *fout, dvpp_rect inner, const dvpp_border *b,
                      const dvpp_format *fin) {
    uint8_t v[4];
    for (int i = 0; i < 4; i++) v[i] = (uint8_t)lround(b->value[i]); /* 0..255: checked by the setter */
    dvpp_plane pl[4];
    int n;
    uint32_t sx = 0, sy = 0;
    if (is_rgb(fout)) {
        n = fout->family == DVPP_FAM_RGB4 ? 4 : 3;
        for (int i = 0; i < n; i++) pl[i] = (dvpp_plane){out->data + fout->off[i], out->wstride, fout->bpp,
                                                         out->width, out->height};
        v[3] = 0xff; /* alpha of the border: opaque, as VPC writes it inside */
    } else {
        n = dvpp_yuv_planes(out, fout, pl);
        sx = fout->sx;
        sy = fout->sy;
        if (is_rgb(fin)) dvpp_rgb_to_yuv(v[0], v[1], v[2], &v[0], &v[1], &v[2]); /* the values are RGB then */
    }
    for (int c = 0; c < n; c++) {
        uint32_t csx = (c == 1 || c == 2) ? sx : 0, csy = (c == 1 || c == 2) ? sy : 0;
        uint32_t x0 = inner.x >> csx, y0 = inner.y >> csy;
        uint32_t iw = (inner.w + (1u << csx) - 1) >> csx, ih = (inner.h + (1u << csy) - 1) >> csy;
        if (x0 + iw > pl[c].w) iw = pl[c].w - x0;
        if (y0 + ih > pl[c].h) ih = pl[c].h - y0;
        fill_plane(&pl[c], x0, y0, iw, ih, b->type, v[c]);
    }
}

/* -------------------------------------------------------------------------------------- make border */

typedef struct {
    const char *func;
    dvpp_pic in, out;
    const dvpp_format *fin, *fout;
    uint64_t in_bytes, out_bytes;
    dvpp_border border;
    dvpp_rect inner;
} border_task;

static aclError locate_both(const char *func, const dvpp_pic *in, uint64_t in_bytes, const dvpp_pic *out,
                            uint64_t out_bytes) {
    emu_mem_where w;
    aclError err = emu_mem_locate(in->data, in_bytes, &w, func, "input data");
    return err ? err : emu_mem_locate(out->data, out_bytes, &w, func, "output data");
}

static aclError run_border(void *arg) {
    border_task *t = arg;
    aclError err = locate_both(t->func, &t->in, t->in_bytes, &t->out, t->out_bytes);
    if (err) return err;
    dvpp_family fam = t->fin->family;
    if (t->fin == t->fout && (fam == DVPP_FAM_Y400 || fam == DVPP_FAM_PK444 || is_rgb(t->fin))) {
        /* one plane of whole pixels in both: copied as bytes (VPC's RGB path would go through YUV) */
        size_t row = (size_t)t->in.width * t->fin->bpp, at = (size_t)t->inner.x * t->fin->bpp;
        for (uint32_t y = 0; y < t->in.height; y++) {
            memcpy(t->out.data + (size_t)(t->inner.y + y) * t->out.wstride + at,
                   t->in.data + (size_t)y * t->in.wstride, row);
        }
    } else {
        err = dvpp_vpc_place(&t->in, t->fin, (dvpp_rect){0, 0, t->in.width, t->in.height}, &t->out, t->fout,
                             t->inner, t->func);
    }
    if (!err) dvpp_border_fill(&t->out, t->fout, t->inner, &t->border, t->fin);
    return err;
}

/* A picture checked by VPC's input rules, at most max_w x max_h: the inputs of the border, LUT and histogram
 * operations, and the remapping's output (which has its input's format and strides). */
static aclError check_input(const dvpp_pic *p, uint32_t max_w, uint32_t max_h, const char *func, const char *what,
                            const dvpp_format **f, uint64_t *bytes) {
    const char *memory = strcmp(what, "outputDesc") == 0 ? "output data" : "input data"; /* for the messages */
    aclError err = dvpp_vpc_check_picture_named(p, false, func, what, memory, f, bytes);
    if (err) return err;
    if (p->width > max_w || p->height > max_h) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s: %ux%u is outside 10x6..%ux%u", what, p->width,
                        p->height, max_w, max_h);
    }
    return ACL_SUCCESS;
}

static aclError check_vpc_channel(const acldvppChannelDesc *channel, const char *func, bool pyramid) {
    aclError err = emu_require_init(func);
    if (err || (err = dvpp_vpc_ops_supported(func, pyramid))) return err;
    return dvpp_channel_check(channel, DVPP_CHNMODE_VPC, func);
}

EMU_EXPORT aclError acldvppVpcMakeBorderAsync(const acldvppChannelDesc *channelDesc, const acldvppPicDesc *inputDesc,
                                              acldvppPicDesc *outputDesc, const acldvppBorderConfig *borderConfig,
                                              aclrtStream stream) {
    const char *func = "acldvppVpcMakeBorderAsync";
    aclError err = check_vpc_channel(channelDesc, func, false);
    if (err) return err;
    border_task t = {.func = func};
    if ((err = dvpp_pic_read(inputDesc, &t.in, func, "inputDesc")) ||
        (err = dvpp_pic_read(outputDesc, &t.out, func, "outputDesc")) ||
        (err = dvpp_border_read(borderConfig, &t.border, func, "borderConfig")) ||
        (err = check_input(&t.in, 4096, 4096, func, "inputDesc", &t.fin, &t.in_bytes)) ||
        (err = dvpp_vpc_check_picture(&t.out, true, func, "outputDesc", &t.fout, &t.out_bytes))) {
        return err;
    }
    uint64_t want_w = (uint64_t)t.in.width + t.border.left + t.border.right;
    uint64_t want_h = (uint64_t)t.in.height + t.border.top + t.border.bottom;
    if (want_w != t.out.width || want_h != t.out.height) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "outputDesc is %ux%u: the input %ux%u with borders left %u, right %u, top %u, bottom %u is "
                        "%llux%llu", t.out.width, t.out.height, t.in.width, t.in.height, t.border.left,
                        t.border.right, t.border.top, t.border.bottom, (unsigned long long)want_w,
                        (unsigned long long)want_h);
    }
    t.inner = (dvpp_rect){t.border.left, t.border.top, t.in.width, t.in.height};
    border_task *task = malloc(sizeof *task);
    if (!task) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    *task = t;
    return dvpp_submit(stream, run_border, task, free, func);
}

/* ------------------------------------------------------------------------------ LUT maps, remapping */

EMU_EXPORT acldvppLutMap *acldvppCreateLutMap(void) {
    acldvppLutMap *m = dvpp_create(sizeof *m, EMU_H_DVPP_LUT, "acldvppCreateLutMap");
    if (m) { /* an identity map until the caller writes one: an unwritten map leaves pictures unchanged */
        for (uint32_t d = 0; d < LUT_DIMS; d++)
            for (uint32_t i = 0; i < LUT_LEN; i++) m->data[d][i] = (uint8_t)i;
    }
    return m;
}

EMU_EXPORT aclError acldvppDestroyLutMap(acldvppLutMap *lutMap) {
    return ops_destroy(lutMap, EMU_H_DVPP_LUT, "acldvppDestroyLutMap", "lutMap");
}

EMU_EXPORT uint32_t acldvppGetLutMapDims(const acldvppLutMap *lutMap) {
    return ops_live(lutMap, EMU_H_DVPP_LUT, "acldvppGetLutMapDims", "lutMap") ? 0 : LUT_DIMS;
}

EMU_EXPORT aclError acldvppGetLutMapData(const acldvppLutMap *lutMap, uint32_t dim, uint8_t **data, uint32_t *len) {
    const char *func = "acldvppGetLutMapData";
    aclError err = ops_live(lutMap, EMU_H_DVPP_LUT, func, "lutMap");
    if (err) return err;
    if (!data || !len) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", !data ? "data" : "len");
    if (dim >= LUT_DIMS) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dim %u: a LUT map has %u dimensions (0..%u)", dim, LUT_DIMS,
                        LUT_DIMS - 1);
    }
    *data = (uint8_t *)lutMap->data[dim]; /* the caller writes the map through this pointer, as documented */
    *len = LUT_LEN;
    return ACL_SUCCESS;
}

typedef struct {
    const char *func;
    dvpp_pic in, out;
    const dvpp_format *f;
    uint64_t bytes;
    uint8_t lut[LUT_DIMS][LUT_LEN];
} remap_task;

/* The channels of a picture in a fixed order: Y, U, V or R, G, B (whatever the byte order). */
static int channels_of(const dvpp_pic *p, const dvpp_format *f, dvpp_plane pl[3]) {
    if (!is_rgb(f)) return dvpp_yuv_planes(p, f, pl);
    for (int i = 0; i < 3; i++) pl[i] = (dvpp_plane){p->data + f->off[i], p->wstride, f->bpp, p->width, p->height};
    return 3;
}

static aclError run_remap(void *arg) {
    remap_task *t = arg;
    aclError err = locate_both(t->func, &t->in, t->bytes, &t->out, t->bytes);
    if (err) return err;
    dvpp_plane src[3], dst[3];
    int n = channels_of(&t->in, t->f, src);
    channels_of(&t->out, t->f, dst);
    for (int c = 0; c < n; c++) {
        const uint8_t *lut = t->lut[c];
        for (uint32_t y = 0; y < src[c].h; y++) {
            const uint8_t *s = src[c].base + (size_t)y * src[c].stride;
            uint8_t *d = (uint8_t *)dst[c].base + (size_t)y * dst[c].stride;
            for (uint32_t x = 0; x < src[c].w; x++) d[(size_t)x * dst[c].step] = lut[s[(size_t)x * src[c].step]];
        }
    }
    return ACL_SUCCESS;
}

static bool remap_format(acldvppPixelFormat f) {
    switch (f) {
    case PIXEL_FORMAT_YUV_400: case PIXEL_FORMAT_YUV_SEMIPLANAR_420: case PIXEL_FORMAT_YVU_SEMIPLANAR_420:
    case PIXEL_FORMAT_YUV_SEMIPLANAR_422: case PIXEL_FORMAT_YVU_SEMIPLANAR_422: case PIXEL_FORMAT_YUV_PACKED_444:
    case PIXEL_FORMAT_RGB_888: case PIXEL_FORMAT_BGR_888:
        return true;
    default:
        return false;
    }
}

EMU_EXPORT aclError acldvppVpcEqualizeHistAsync(const acldvppChannelDesc *channelDesc, const acldvppPicDesc *inputDesc,
                                                acldvppPicDesc *outputDesc, const acldvppLutMap *lutMap,
                                                aclrtStream stream) {
    const char *func = "acldvppVpcEqualizeHistAsync";
    aclError err = check_vpc_channel(channelDesc, func, false);
    if (err) return err;
    remap_task t = {.func = func};
    const dvpp_format *fout = NULL;
    uint64_t out_bytes = 0;
    if ((err = dvpp_pic_read(inputDesc, &t.in, func, "inputDesc")) ||
        (err = dvpp_pic_read(outputDesc, &t.out, func, "outputDesc")) ||
        (err = ops_live(lutMap, EMU_H_DVPP_LUT, func, "lutMap"))) {
        return err;
    }
    if (!remap_format(t.in.format)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "inputDesc: %s is not remapped (YUV400, YUV420SP, YUV422SP, YUV packed 4:4:4, RGB888 or "
                        "BGR888)", dvpp_format_name(t.in.format));
    }
    if ((err = check_input(&t.in, 4096, 4096, func, "inputDesc", &t.f, &t.bytes)) ||
        (err = check_input(&t.out, 4096, 4096, func, "outputDesc", &fout, &out_bytes))) {
        return err;
    }
    if (t.out.format != t.in.format || t.out.width != t.in.width || t.out.height != t.in.height ||
        t.out.wstride != t.in.wstride || t.out.hstride != t.in.hstride) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "outputDesc (%s %ux%u, strides %ux%u) must match inputDesc (%s %ux%u, strides %ux%u)",
                        fout->name, t.out.width, t.out.height, t.out.wstride, t.out.hstride, t.f->name, t.in.width,
                        t.in.height, t.in.wstride, t.in.hstride);
    }
    pthread_mutex_lock(&ops_lock);
    memcpy(t.lut, lutMap->data, sizeof t.lut);
    pthread_mutex_unlock(&ops_lock);
    remap_task *task = malloc(sizeof *task);
    if (!task) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    *task = t;
    return dvpp_submit(stream, run_remap, task, free, func);
}

/* ------------------------------------------------------------------------------------- histograms */

EMU_EXPORT acldvppHist *acldvppCreateHist(void) {
    acldvppHist *h = dvpp_create(sizeof *h, EMU_H_DVPP_HIST, "acldvppCreateHist");
    if (h) atomic_init(&h->refs, 1);
    return h;
}

EMU_EXPORT aclError acldvppDestroyHist(acldvppHist *hist) {
    return ops_destroy(hist, EMU_H_DVPP_HIST, "acldvppDestroyHist", "hist");
}

EMU_EXPORT uint32_t acldvppGetHistDims(acldvppHist *hist) {
    return ops_live(hist, EMU_H_DVPP_HIST, "acldvppGetHistDims", "hist") ? 0 : HIST_DIMS;
}

EMU_EXPORT aclError acldvppGetHistData(acldvppHist *hist, uint32_t dim, uint32_t **data, uint16_t *len) {
    const char *func = "acldvppGetHistData";
    aclError err = ops_live(hist, EMU_H_DVPP_HIST, func, "hist");
    if (err) return err;
    if (!data || !len) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", !data ? "data" : "len");
    if (dim >= HIST_DIMS) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dim %u: a histogram has %u dimensions (0..%u)", dim,
                        HIST_DIMS, HIST_DIMS - 1);
    }
    *data = hist->data[dim];
    *len = HIST_LEN;
    return ACL_SUCCESS;
}

EMU_EXPORT uint32_t acldvppGetHistRetCode(acldvppHist *hist) {
    if (ops_live(hist, EMU_H_DVPP_HIST, "acldvppGetHistRetCode", "hist")) return 0;
    pthread_mutex_lock(&ops_lock);
    uint32_t v = hist->retcode;
    pthread_mutex_unlock(&ops_lock);
    return v;
}

EMU_EXPORT aclError acldvppClearHist(acldvppHist *hist) {
    aclError err = ops_live(hist, EMU_H_DVPP_HIST, "acldvppClearHist", "hist");
    if (err) return err;
    pthread_mutex_lock(&ops_lock);
    memset(hist->data, 0, sizeof hist->data);
    hist->retcode = 0;
    pthread_mutex_unlock(&ops_lock);
    return ACL_SUCCESS;
}

typedef struct {
    const char *func;
    dvpp_pic in;
    const dvpp_format *f;
    uint64_t bytes;
    acldvppHist *hist; /* a reference of the task's own */
} hist_task;

static aclError run_hist(void *arg) {
    hist_task *t = arg;
    emu_mem_where w;
    aclError err = emu_mem_locate(t->in.data, t->bytes, &w, t->func, "input data");
    uint32_t (*counts)[HIST_LEN] = calloc(HIST_DIMS, sizeof *counts);
    if (!err && !counts) err = emu_fail(ACL_ERROR_BAD_ALLOC, t->func, "out of host memory");
    if (!err) {
        dvpp_plane pl[3];
        int n = channels_of(&t->in, t->f, pl);
        for (int c = 0; c < n; c++) {
            for (uint32_t y = 0; y < pl[c].h; y++) {
                const uint8_t *row = pl[c].base + (size_t)y * pl[c].stride;
                for (uint32_t x = 0; x < pl[c].w; x++) counts[c][row[(size_t)x * pl[c].step]]++;
            }
        }
    }
    pthread_mutex_lock(&ops_lock);
    if (!err) memcpy(t->hist->data, counts, sizeof t->hist->data);
    t->hist->retcode = (uint32_t)err;
    pthread_mutex_unlock(&ops_lock);
    free(counts);
    return err;
}

static void drop_hist(void *arg) {
    hist_task *t = arg;
    hist_unref(t->hist);
    free(t);
}

static bool hist_format(const dvpp_format *f) { return f->family != DVPP_FAM_RGB4; }

EMU_EXPORT aclError acldvppVpcCalcHistAsync(acldvppChannelDesc *channelDesc, acldvppPicDesc *srcPicDesc,
                                            acldvppHist *hist, void *reserve, aclrtStream stream) {
    const char *func = "acldvppVpcCalcHistAsync";
    aclError err = check_vpc_channel(channelDesc, func, false);
    if (err) return err;
    if (reserve) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "reserve must be NULL");
    hist_task t = {.func = func};
    bool a2 = dvpp_soc()->device_memory_ok; /* Ascend310B/910B: inputs up to 4096x8192 */
    if ((err = dvpp_pic_read(srcPicDesc, &t.in, func, "srcPicDesc")) ||
        (err = check_input(&t.in, 4096, a2 ? 8192 : 4096, func, "srcPicDesc", &t.f, &t.bytes))) {
        return err;
    }
    if (!hist_format(t.f)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "srcPicDesc: %s has no histogram (8-bit YUV, RGB888 or BGR888)",
                        t.f->name);
    }
    emu_lock();
    bool ok = hist && emu_reg_has(hist, EMU_H_DVPP_HIST);
    if (ok) atomic_fetch_add(&hist->refs, 1);
    emu_unlock();
    if (!ok) {
        return emu_fail(hist ? ACL_ERROR_RT_INVALID_HANDLE : ACL_ERROR_INVALID_PARAM, func,
                        hist ? "hist %p is not a live histogram (destroyed already?)" : "hist is NULL", (void *)hist);
    }
    hist_task *task = malloc(sizeof *task);
    if (!task) {
        hist_unref(hist);
        return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    t.hist = hist;
    *task = t;
    return dvpp_submit(stream, run_hist, task, drop_hist, func);
}

/* --------------------------------------------------------------------------------------- pyramid */

typedef struct {
    const char *func;
    dvpp_pic in, out;
    uint64_t in_bytes, out_bytes;
} pyr_task;

static aclError run_pyr(void *arg) {
    static const uint32_t k[5] = {1, 4, 6, 4, 1}; /* the documented default 5x5 filter is k^T k, divisor 256 */
    pyr_task *t = arg;
    aclError err = locate_both(t->func, &t->in, t->in_bytes, &t->out, t->out_bytes);
    if (err) return err;
    uint32_t w = t->in.width, h = t->in.height;
    size_t n = 0;
    uint32_t *rows = emu_mul((size_t)t->out.width * 5, sizeof *rows, &n) ? malloc(n) : NULL; /* 5 rows' sums */
    if (!rows) return emu_fail(ACL_ERROR_BAD_ALLOC, t->func, "out of host memory");
    for (uint32_t oy = 0; oy < t->out.height; oy++) {
        for (int r = 0; r < 5; r++) {
            uint32_t sy = border_source((int64_t)oy * 2 + r - 2, h, BORDER_REFLECT_101);
            const uint8_t *src = t->in.data + (size_t)sy * t->in.wstride;
            for (uint32_t ox = 0; ox < t->out.width; ox++) {
                uint32_t s = 0;
                for (int c = 0; c < 5; c++) s += k[c] * src[border_source((int64_t)ox * 2 + c - 2, w,
                                                                          BORDER_REFLECT_101)];
                rows[(size_t)r * t->out.width + ox] = s;
            }
        }
        uint8_t *dst = t->out.data + (size_t)oy * t->out.wstride;
        for (uint32_t ox = 0; ox < t->out.width; ox++) {
            uint32_t s = 0;
            for (int r = 0; r < 5; r++) s += k[r] * rows[(size_t)r * t->out.width + ox];
            dst[ox] = (uint8_t)((s + 128) >> 8); /* round half up; at most 255 * 256 + 128 before the shift */
        }
    }
    free(rows);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError acldvppVpcPyrDownAsync(acldvppChannelDesc *channelDesc, acldvppPicDesc *inputDesc,
                                           acldvppPicDesc *outputDesc, void *reserve, aclrtStream stream) {
    const char *func = "acldvppVpcPyrDownAsync";
    aclError err = check_vpc_channel(channelDesc, func, true);
    if (err) return err;
    if (reserve) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "reserve must be NULL");
    pyr_task t = {.func = func};
    const dvpp_format *fin = NULL, *fout = NULL;
    if ((err = dvpp_pic_read(inputDesc, &t.in, func, "inputDesc")) ||
        (err = dvpp_pic_read(outputDesc, &t.out, func, "outputDesc"))) {
        return err;
    }
    if (t.in.format != PIXEL_FORMAT_YUV_400 || t.out.format != PIXEL_FORMAT_YUV_400) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is %s: pyramid down takes and writes YUV400 only",
                        t.in.format != PIXEL_FORMAT_YUV_400 ? "inputDesc" : "outputDesc",
                        dvpp_format_name(t.in.format != PIXEL_FORMAT_YUV_400 ? t.in.format : t.out.format));
    }
    if (t.in.width < 20 || t.in.height < 12 || t.in.width > 2048 || t.in.height > 2048) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "inputDesc: %ux%u is outside 20x12..2048x2048", t.in.width,
                        t.in.height);
    }
    if ((err = dvpp_vpc_check_picture(&t.in, false, func, "inputDesc", &fin, &t.in_bytes)) ||
        (err = dvpp_vpc_check_picture(&t.out, true, func, "outputDesc", &fout, &t.out_bytes))) {
        return err;
    }
    if (t.out.width != t.in.width / 2 || t.out.height != t.in.height / 2) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "outputDesc is %ux%u: half of the input %ux%u is %ux%u",
                        t.out.width, t.out.height, t.in.width, t.in.height, t.in.width / 2, t.in.height / 2);
    }
    pyr_task *task = malloc(sizeof *task);
    if (!task) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    *task = t;
    return dvpp_submit(stream, run_pyr, task, free, func);
}
