/* VPC: resize, crop, crop-and-paste (with or without resizing) and colour conversion, done in C on the
 * pictures' own layouts (semi-planar, packed, RGB) with their strides.
 *
 * Every operation is the same job: take a region of the input ("crop", the whole picture for a resize), scale it
 * into a region of the output ("paste", the whole picture unless pasting), channel by channel. A channel is read
 * through a plane view (base, row stride, byte step between samples), so NV12, NV21, 4:2:2/4:4:4 semi-planar and
 * packed YUV are read in place; only RGB inputs go through a temporary YUV 4:4:4 copy of the crop region, and
 * RGB outputs through one of the paste region. Resampling is separable-weight fixed point (Q11): bilinear with
 * OpenCV's pixel-centre mapping (interpolation 0 and 1), nearest (2 and 4) and TensorFlow's corner mapping (3).
 * Chroma is resampled at chroma resolution with the same mapping, so a 2:1 chroma reduction is a 2x2 average. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dvpp.h"

#define Q 11
#define ONE (1 << Q)

enum { KERNEL_BILINEAR = 0, KERNEL_NEAREST, KERNEL_BILINEAR_CORNER };

/* ------------------------------------------------------------------------------------------- formats */

static const struct {
    acldvppPixelFormat id;
    dvpp_format f;
} formats[] = {
    {PIXEL_FORMAT_YUV_400, {DVPP_FAM_Y400, "YUV400", 0, 0, false, 1, {0, 0, 0, 0}, 2}},
    {PIXEL_FORMAT_YUV_SEMIPLANAR_420, {DVPP_FAM_SP, "YUV420SP NV12", 1, 1, false, 1, {0, 0, 0, 0}, 3}},
    {PIXEL_FORMAT_YVU_SEMIPLANAR_420, {DVPP_FAM_SP, "YUV420SP NV21", 1, 1, true, 1, {0, 0, 0, 0}, 3}},
    {PIXEL_FORMAT_YUV_SEMIPLANAR_422, {DVPP_FAM_SP, "YUV422SP", 1, 0, false, 1, {0, 0, 0, 0}, 4}},
    {PIXEL_FORMAT_YVU_SEMIPLANAR_422, {DVPP_FAM_SP, "YVU422SP", 1, 0, true, 1, {0, 0, 0, 0}, 4}},
    {PIXEL_FORMAT_YUV_SEMIPLANAR_444, {DVPP_FAM_SP, "YUV444SP", 0, 0, false, 1, {0, 0, 0, 0}, 6}},
    {PIXEL_FORMAT_YVU_SEMIPLANAR_444, {DVPP_FAM_SP, "YVU444SP", 0, 0, true, 1, {0, 0, 0, 0}, 6}},
    {PIXEL_FORMAT_YUV_SEMIPLANAR_440, {DVPP_FAM_SP, "YUV440SP", 0, 1, false, 1, {0, 0, 0, 0}, 4}},
    {PIXEL_FORMAT_YVU_SEMIPLANAR_440, {DVPP_FAM_SP, "YVU440SP", 0, 1, true, 1, {0, 0, 0, 0}, 4}},
    {PIXEL_FORMAT_YUYV_PACKED_422, {DVPP_FAM_PK422, "YUYV packed 4:2:2", 1, 0, false, 2, {0, 1, 3, 0}, 2}},
    {PIXEL_FORMAT_UYVY_PACKED_422, {DVPP_FAM_PK422, "UYVY packed 4:2:2", 1, 0, false, 2, {1, 0, 2, 0}, 2}},
    {PIXEL_FORMAT_YVYU_PACKED_422, {DVPP_FAM_PK422, "YVYU packed 4:2:2", 1, 0, false, 2, {0, 3, 1, 0}, 2}},
    {PIXEL_FORMAT_VYUY_PACKED_422, {DVPP_FAM_PK422, "VYUY packed 4:2:2", 1, 0, false, 2, {1, 2, 0, 0}, 2}},
    {PIXEL_FORMAT_YUV_PACKED_444, {DVPP_FAM_PK444, "YUV packed 4:4:4", 0, 0, false, 3, {0, 1, 2, 0}, 2}},
    {PIXEL_FORMAT_RGB_888, {DVPP_FAM_RGB3, "RGB888", 0, 0, false, 3, {0, 1, 2, 0}, 2}},
    {PIXEL_FORMAT_BGR_888, {DVPP_FAM_RGB3, "BGR888", 0, 0, false, 3, {2, 1, 0, 0}, 2}},
    {PIXEL_FORMAT_ARGB_8888, {DVPP_FAM_RGB4, "ARGB8888", 0, 0, false, 4, {1, 2, 3, 0}, 2}},
    {PIXEL_FORMAT_ABGR_8888, {DVPP_FAM_RGB4, "ABGR8888", 0, 0, false, 4, {3, 2, 1, 0}, 2}},
    {PIXEL_FORMAT_RGBA_8888, {DVPP_FAM_RGB4, "RGBA8888", 0, 0, false, 4, {0, 1, 2, 3}, 2}},
    {PIXEL_FORMAT_BGRA_8888, {DVPP_FAM_RGB4, "BGRA8888", 0, 0, false, 4, {2, 1, 0, 3}, 2}},
};

const dvpp_format *dvpp_format_of(acldvppPixelFormat format) {
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (formats[i].id == format) return &formats[i].f;
    return NULL;
}

const char *dvpp_format_name(acldvppPixelFormat format) {
    const dvpp_format *f = dvpp_format_of(format);
    return f ? f->name : format == PIXEL_FORMAT_UNKNOWN ? "PIXEL_FORMAT_UNKNOWN" : "an unsupported format";
}

/* Chroma plane of a semi-planar picture: row stride and rows. */
static size_t sp_chroma_stride(const dvpp_format *f, uint32_t ws) { return f->sx ? ws : (size_t)ws * 2; }
static uint32_t sp_chroma_rows(const dvpp_format *f, uint32_t hs) { return f->sy ? hs / 2 : hs; }

uint64_t dvpp_picture_bytes(const dvpp_format *f, uint32_t ws, uint32_t hs) {
    uint64_t luma = (uint64_t)ws * hs, chroma = (uint64_t)sp_chroma_stride(f, ws) * sp_chroma_rows(f, hs), total;
    bool fits = true; /* 32-bit strides: the products fit; the sums and the YUV400 factor are checked */
    switch (f->family) {
    case DVPP_FAM_SP: fits = emu_add64(luma, chroma, &total); break;
    case DVPP_FAM_Y400: fits = emu_mul64(luma, dvpp_soc()->yuv400_size_num, &total); total /= 2; break;
    default: total = luma; break;
    }
    return fits ? total : UINT64_MAX; /* more than any buffer: every size check refuses it */
}

/* ---------------------------------------------------------------------------------------- plane views */

typedef dvpp_plane plane;

/* The Y, U, V planes of a YUV picture read in place (n = 1 for YUV400, else 3). */
int dvpp_yuv_planes(const dvpp_pic *p, const dvpp_format *f, dvpp_plane out[3]) {
    const uint8_t *d = p->data;
    uint32_t cw = (p->width + (1u << f->sx) - 1) >> f->sx, ch = (p->height + (1u << f->sy) - 1) >> f->sy;
    switch (f->family) {
    case DVPP_FAM_Y400:
        out[0] = (plane){d, p->wstride, 1, p->width, p->height};
        return 1;
    case DVPP_FAM_SP: {
        const uint8_t *c = d + (size_t)p->wstride * p->hstride;
        size_t cs = sp_chroma_stride(f, p->wstride);
        out[0] = (plane){d, p->wstride, 1, p->width, p->height};
        out[1] = (plane){c + (f->v_first ? 1 : 0), cs, 2, cw, ch};
        out[2] = (plane){c + (f->v_first ? 0 : 1), cs, 2, cw, ch};
        return 3;
    }
    case DVPP_FAM_PK422:
        out[0] = (plane){d + f->off[0], p->wstride, 2, p->width, p->height};
        out[1] = (plane){d + f->off[1], p->wstride, 4, cw, p->height};
        out[2] = (plane){d + f->off[2], p->wstride, 4, cw, p->height};
        return 3;
    case DVPP_FAM_PK444:
        for (int i = 0; i < 3; i++) out[i] = (plane){d + f->off[i], p->wstride, 3, p->width, p->height};
        return 3;
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------------------------ colour (JFIF) */

void dvpp_rgb_to_yuv(uint8_t r, uint8_t g, uint8_t b, uint8_t *y, uint8_t *u, uint8_t *v) {
    /* BT.601 full range, the JPEG/JFIF matrix, Q16 */
    int yy = (19595 * r + 38470 * g + 7471 * b + 32768) >> 16;
    int uu = ((-11059 * r - 21709 * g + 32768 * b + 32768) >> 16) + 128;
    int vv = ((32768 * r - 27439 * g - 5329 * b + 32768) >> 16) + 128;
    *y = dvpp_clamp8(yy);
    *u = dvpp_clamp8(uu);
    *v = dvpp_clamp8(vv);
}

static void yuv_to_rgb(uint8_t y, uint8_t u, uint8_t v, uint8_t rgb[3]) {
    int c = (int)u - 128, e = (int)v - 128, yy = (int)y << 16;
    rgb[0] = dvpp_clamp8((yy + 91881 * e + 32768) >> 16);
    rgb[1] = dvpp_clamp8((yy - 22554 * c - 46802 * e + 32768) >> 16);
    rgb[2] = dvpp_clamp8((yy + 116130 * c + 32768) >> 16);
}

/* --------------------------------------------------------------------------------------- resampling */

/* Source coordinate of destination sample d (of dn) in a region of sn samples: the integer part and Q11 weight. */
static void map_coord(uint32_t d, uint32_t dn, uint32_t sn, int kernel, uint32_t *i0, uint32_t *i1, uint32_t *w) {
    double scale = (double)sn / (double)dn;
    if (kernel == KERNEL_NEAREST) {
        uint32_t i = (uint32_t)floor((double)d * scale);
        *i0 = *i1 = i < sn ? i : sn - 1;
        *w = 0;
        return;
    }
    double f = kernel == KERNEL_BILINEAR ? ((double)d + 0.5) * scale - 0.5 : (double)d * scale;
    if (f < 0) f = 0;
    double fl = floor(f);
    uint32_t i = (uint32_t)fl;
    if (i >= sn - 1) {
        *i0 = *i1 = sn - 1;
        *w = 0;
        return;
    }
    *i0 = i;
    *i1 = i + 1;
    *w = (uint32_t)lround((f - fl) * ONE);
    if (*w >= ONE) { /* rounding reached the next sample */
        *i0 = i + 1;
        *w = 0;
    }
}

/* Scale region sr of plane s into dw x dh samples at dst (rows dstride apart, samples dstep apart). */
static aclError resample(const plane *s, dvpp_rect sr, uint8_t *dst, size_t dstride, uint32_t dstep, uint32_t dw,
                         uint32_t dh, int kernel, const char *func) {
    if (sr.w == dw && sr.h == dh) { /* same size: every mapping is the identity */
        for (uint32_t y = 0; y < dh; y++) {
            const uint8_t *src = s->base + (size_t)(sr.y + y) * s->stride + (size_t)sr.x * s->step;
            uint8_t *out = dst + (size_t)y * dstride;
            if (s->step == 1 && dstep == 1) {
                memcpy(out, src, dw);
            } else {
                for (uint32_t x = 0; x < dw; x++) out[(size_t)x * dstep] = src[(size_t)x * s->step];
            }
        }
        return ACL_SUCCESS;
    }
    uint32_t *xt = malloc((size_t)dw * 3 * sizeof *xt);
    if (!xt) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    for (uint32_t x = 0; x < dw; x++) {
        uint32_t i0, i1, w;
        map_coord(x, dw, sr.w, kernel, &i0, &i1, &w);
        xt[3 * x] = (sr.x + i0) * s->step;
        xt[3 * x + 1] = (sr.x + i1) * s->step;
        xt[3 * x + 2] = w;
    }
    for (uint32_t y = 0; y < dh; y++) {
        uint32_t j0, j1, wy;
        map_coord(y, dh, sr.h, kernel, &j0, &j1, &wy);
        const uint8_t *r0 = s->base + (size_t)(sr.y + j0) * s->stride;
        const uint8_t *r1 = s->base + (size_t)(sr.y + j1) * s->stride;
        uint8_t *out = dst + (size_t)y * dstride;
        if (kernel == KERNEL_NEAREST) {
            for (uint32_t x = 0; x < dw; x++) out[(size_t)x * dstep] = r0[xt[3 * x]];
            continue;
        }
        uint32_t wy0 = ONE - wy;
        for (uint32_t x = 0; x < dw; x++) {
            uint32_t a = xt[3 * x], b = xt[3 * x + 1], wx = xt[3 * x + 2], wx0 = ONE - wx;
            uint32_t top = r0[a] * wx0 + r0[b] * wx;
            uint32_t bot = r1[a] * wx0 + r1[b] * wx;
            out[(size_t)x * dstep] = (uint8_t)((top * wy0 + bot * wy + (1u << (2 * Q - 1))) >> (2 * Q));
        }
    }
    free(xt);
    return ACL_SUCCESS;
}

static void fill_region(uint8_t *dst, size_t dstride, uint32_t dstep, uint32_t w, uint32_t h, uint8_t value) {
    for (uint32_t y = 0; y < h; y++) {
        uint8_t *row = dst + (size_t)y * dstride;
        if (dstep == 1) memset(row, value, w);
        else for (uint32_t x = 0; x < w; x++) row[(size_t)x * dstep] = value;
    }
}

aclError dvpp_scale_plane(const uint8_t *src, size_t sstride, uint32_t sstep, uint32_t sw, uint32_t sh, uint8_t *dst,
                          size_t dstride, uint32_t dstep, uint32_t dw, uint32_t dh, const char *func) {
    plane s = {src, sstride, sstep, sw, sh};
    dvpp_rect r = {0, 0, sw, sh};
    return resample(&s, r, dst, dstride, dstep, dw, dh, KERNEL_BILINEAR, func);
}

/* ------------------------------------------------------------------------------------------ the job */

typedef struct {
    const char *func;
    dvpp_pic in, out;
    const dvpp_format *fin, *fout;
    dvpp_rect crop, paste;
    int kernel;
    uint64_t in_bytes, out_bytes;
    bool has_border;   /* batch crop-resize-make-border: paste is the inner region, border fills the rest */
    dvpp_border border;
} vpc_job;

/* RGB input: the crop region as three YUV 4:4:4 planes in buf (3 * w * h bytes). */
static void rgb_region_to_yuv(const vpc_job *j, uint8_t *buf, plane out[3]) {
    const dvpp_format *f = j->fin;
    uint32_t w = j->crop.w, h = j->crop.h;
    uint8_t *yp = buf, *up = buf + (size_t)w * h, *vp = up + (size_t)w * h;
    for (uint32_t y = 0; y < h; y++) {
        const uint8_t *src = j->in.data + (size_t)(j->crop.y + y) * j->in.wstride + (size_t)j->crop.x * f->bpp;
        for (uint32_t x = 0; x < w; x++, src += f->bpp) {
            size_t o = (size_t)y * w + x;
            dvpp_rgb_to_yuv(src[f->off[0]], src[f->off[1]], src[f->off[2]], &yp[o], &up[o], &vp[o]);
        }
    }
    for (int i = 0; i < 3; i++) out[i] = (plane){buf + (size_t)i * w * h, w, 1, w, h};
}

static aclError vpc_process(const vpc_job *j) {
    plane src[3];
    uint8_t *tmp_in = NULL, *tmp_out = NULL;
    dvpp_rect crop = j->crop;
    int nsrc;
    uint32_t isx = j->fin->sx, isy = j->fin->sy;
    aclError err = ACL_SUCCESS;
    if (j->fin->family == DVPP_FAM_RGB3 || j->fin->family == DVPP_FAM_RGB4) {
        tmp_in = malloc((size_t)crop.w * crop.h * 3);
        if (!tmp_in) return emu_fail(ACL_ERROR_BAD_ALLOC, j->func, "out of host memory");
        rgb_region_to_yuv(j, tmp_in, src);
        crop.x = crop.y = 0;
        isx = isy = 0;
        nsrc = 3;
    } else {
        nsrc = dvpp_yuv_planes(&j->in, j->fin, src);
    }

    /* Destination planes: the output itself (YUV) or a YUV 4:4:4 copy of the paste region (RGB). */
    const dvpp_format *fo = j->fout;
    uint8_t *dp[3];
    size_t ds[3];
    uint32_t dstep[3], osx = 0, osy = 0;
    int ndst;
    dvpp_rect paste = j->paste;
    bool rgb_out = fo->family == DVPP_FAM_RGB3 || fo->family == DVPP_FAM_RGB4;
    if (rgb_out) {
        size_t n = (size_t)paste.w * paste.h;
        tmp_out = malloc(n * 3);
        if (!tmp_out) {
            free(tmp_in);
            return emu_fail(ACL_ERROR_BAD_ALLOC, j->func, "out of host memory");
        }
        for (int i = 0; i < 3; i++) {
            dp[i] = tmp_out + n * i;
            ds[i] = paste.w;
            dstep[i] = 1;
        }
        paste.x = paste.y = 0;
        ndst = 3;
    } else {
        plane op[3];
        ndst = dvpp_yuv_planes(&j->out, fo, op);
        osx = fo->sx;
        osy = fo->sy;
        for (int i = 0; i < ndst; i++) {
            dp[i] = (uint8_t *)op[i].base;
            ds[i] = op[i].stride;
            dstep[i] = op[i].step;
        }
    }

    for (int c = 0; c < ndst && !err; c++) {
        uint32_t dsx = c ? osx : 0, dsy = c ? osy : 0;
        dvpp_rect dr = {paste.x >> dsx, paste.y >> dsy, (paste.w + (1u << dsx) - 1) >> dsx,
                        (paste.h + (1u << dsy) - 1) >> dsy};
        uint8_t *d0 = dp[c] + (size_t)dr.y * ds[c] + (size_t)dr.x * dstep[c];
        if (c >= nsrc) { /* no chroma in the input: neutral grey */
            fill_region(d0, ds[c], dstep[c], dr.w, dr.h, 0x80);
            continue;
        }
        uint32_t ssx = c ? isx : 0, ssy = c ? isy : 0;
        dvpp_rect sr = {crop.x >> ssx, crop.y >> ssy, (crop.w + (1u << ssx) - 1) >> ssx,
                        (crop.h + (1u << ssy) - 1) >> ssy};
        err = resample(&src[c], sr, d0, ds[c], dstep[c], dr.w, dr.h, j->kernel, j->func);
    }

    if (!err && rgb_out) {
        size_t n = (size_t)j->paste.w * j->paste.h;
        for (uint32_t y = 0; y < j->paste.h; y++) {
            uint8_t *row = j->out.data + (size_t)(j->paste.y + y) * j->out.wstride + (size_t)j->paste.x * fo->bpp;
            for (uint32_t x = 0; x < j->paste.w; x++, row += fo->bpp) {
                size_t o = (size_t)y * j->paste.w + x;
                uint8_t rgb[3];
                yuv_to_rgb(tmp_out[o], tmp_out[n + o], tmp_out[2 * n + o], rgb);
                row[fo->off[0]] = rgb[0];
                row[fo->off[1]] = rgb[1];
                row[fo->off[2]] = rgb[2];
                if (fo->family == DVPP_FAM_RGB4) row[fo->off[3]] = 0xff;
            }
        }
    }
    free(tmp_in);
    free(tmp_out);
    return err;
}

void dvpp_to_ycbcr(const dvpp_pic *in, const dvpp_format *f, uint8_t *out, size_t out_stride) {
    plane p[3];
    int n = dvpp_yuv_planes(in, f, p);
    for (uint32_t y = 0; y < in->height; y++) {
        uint8_t *o = out + (size_t)y * out_stride;
        const uint8_t *yr = p[0].base + (size_t)y * p[0].stride;
        const uint8_t *ur = n == 3 ? p[1].base + (size_t)(y >> f->sy) * p[1].stride : NULL;
        const uint8_t *vr = n == 3 ? p[2].base + (size_t)(y >> f->sy) * p[2].stride : NULL;
        for (uint32_t x = 0; x < in->width; x++, o += 3) {
            o[0] = yr[(size_t)x * p[0].step];
            o[1] = ur ? ur[(size_t)(x >> f->sx) * p[1].step] : 0x80;
            o[2] = vr ? vr[(size_t)(x >> f->sx) * p[2].step] : 0x80;
        }
    }
}

/* ------------------------------------------------------------------------------------------ checks */

static bool is_8k(uint32_t w, uint32_t h) { return w > 4096 || h > 4096; }

/* A VPC input or output picture against the documented limits; fills the format and the bytes it spans. */
static aclError check_picture_named(const dvpp_pic *p, bool output, const char *func, const char *what,
                                    const char *memory, const dvpp_format **fmt, uint64_t *bytes) {
    const dvpp_soc_rules *soc = dvpp_soc();
    const dvpp_format *f = dvpp_format_of(p->format);
    if (!f) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s: format %d is not a VPC format", what, (int)p->format);
    if (output) {
        bool yuv420 = p->format == PIXEL_FORMAT_YUV_SEMIPLANAR_420 || p->format == PIXEL_FORMAT_YVU_SEMIPLANAR_420;
        bool extra = p->format == PIXEL_FORMAT_YUV_400 || f->family == DVPP_FAM_RGB3 || f->family == DVPP_FAM_RGB4;
        if (!yuv420 && !(extra && soc->vpc_rgb_out)) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                            "%s: VPC on %s writes YUV420SP NV12 or NV21%s, not %s", what, emu_cfg.soc_name,
                            soc->vpc_rgb_out ? ", YUV400, RGB888/BGR888 or 8888 RGB" : "", f->name);
        }
    }
    uint32_t max_w = output ? 4096 : 8192, max_h = output ? (soc->device_memory_ok ? 8192 : 4096) : 8192;
    if (p->width < 10 || p->height < 6 || p->width > max_w || p->height > max_h) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s: %ux%u is outside the %s resolution range 10x6..%ux%u",
                        what, p->width, p->height, output ? "output" : "input", max_w, max_h);
    }
    bool big = is_8k(p->width, p->height);
    if (!output && big && !soc->device_memory_ok && p->format != PIXEL_FORMAT_YUV_SEMIPLANAR_420 &&
        p->format != PIXEL_FORMAT_YVU_SEMIPLANAR_420) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "%s: a %ux%u (8K) input must be YUV420SP NV12 or NV21 on %s, not %s", what, p->width,
                        p->height, emu_cfg.soc_name, f->name);
    }
    if ((f->sx || f->family == DVPP_FAM_PK422 || (output && f->family == DVPP_FAM_SP)) && (p->width & 1)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s: width %u must be even for %s", what, p->width, f->name);
    }
    if ((f->sy || (output && f->family == DVPP_FAM_SP)) && (p->height & 1)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s: height %u must be even for %s", what, p->height, f->name);
    }
    uint32_t walign = big ? 2 : 16;
    uint64_t min_ws = big ? (uint64_t)p->width * f->bpp : DVPP_ALIGN(p->width, 16) * f->bpp;
    if (p->wstride % walign || p->wstride < min_ws || p->wstride < 32 || p->wstride > 16384) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "%s: width stride %u: %s %ux%u needs a multiple of %u, at least %llu (ALIGN_UP(width, 16)%s), "
                        "within 32..16384", what, p->wstride, f->name, p->width, p->height, walign,
                        (unsigned long long)min_ws, f->bpp > 1 ? " * bytes per pixel" : "");
    }
    if (p->hstride % 2 || p->hstride < p->height || p->hstride < 6 || p->hstride > 16384) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "%s: height stride %u: needs an even number, at least the height %u, within 6..16384", what,
                        p->hstride, p->height);
    }
    uint64_t need = dvpp_picture_bytes(f, p->wstride, p->hstride);
    if (p->size < need) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "%s: size %u is too small: %s with strides %ux%u takes %llu bytes", what, p->size, f->name,
                        p->wstride, p->hstride, (unsigned long long)need);
    }
    aclError err = dvpp_check_memory(p->data, need, func, memory);
    if (err) return err;
    *fmt = f;
    *bytes = need;
    return ACL_SUCCESS;
}

static aclError check_picture(const dvpp_pic *p, bool output, const char *func, const char *what,
                              const dvpp_format **fmt, uint64_t *bytes) {
    return check_picture_named(p, output, func, what, output ? "output data" : "input data", fmt, bytes);
}

aclError dvpp_vpc_check_picture_named(const dvpp_pic *p, bool output, const char *func, const char *what,
                                      const char *memory, const dvpp_format **fmt, uint64_t *bytes) {
    return check_picture_named(p, output, func, what, memory, fmt, bytes);
}

aclError dvpp_vpc_check_picture(const dvpp_pic *p, bool output, const char *func, const char *what,
                                const dvpp_format **fmt, uint64_t *bytes) {
    return check_picture(p, output, func, what, fmt, bytes);
}

static aclError check_roi(const dvpp_rect *r, const dvpp_pic *p, bool paste, const char *func) {
    const char *what = paste ? "pasteArea" : "cropArea";
    /* right and bottom as the caller gave them (dvpp_roi_read made w and h from them: no wrap here) */
    unsigned long long right = (uint64_t)r->x + r->w - 1, bottom = (uint64_t)r->y + r->h - 1;
    if (r->x & 1 || r->y & 1 || r->w & 1 || r->h & 1) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "%s (left %u, right %llu, top %u, bottom %llu): left and top must be even, right and bottom odd",
                        what, r->x, right, r->y, bottom);
    }
    if (paste && r->x % 16) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "pasteArea: left %u must be a multiple of 16", r->x);
    }
    if (r->w < 10 || r->h < 6 || r->w > 4096 || r->h > 4096) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s: %ux%u is outside 10x6..4096x4096", what, r->w, r->h);
    }
    if ((uint64_t)r->x + r->w > p->width || (uint64_t)r->y + r->h > p->height) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "%s (left %u, right %llu, top %u, bottom %llu) leaves the %s picture of %ux%u", what, r->x,
                        right, r->y, bottom, paste ? "output" : "input", p->width, p->height);
    }
    return ACL_SUCCESS;
}

static aclError check_scale(const dvpp_rect *from, const dvpp_rect *to, const char *func) {
    if ((uint64_t)to->w * 32 < from->w || (uint64_t)to->w > (uint64_t)from->w * 16 ||
        (uint64_t)to->h * 32 < from->h || (uint64_t)to->h > (uint64_t)from->h * 16) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "scaling %ux%u to %ux%u: each dimension may scale by 1/32 to 16", from->w, from->h, to->w,
                        to->h);
    }
    return ACL_SUCCESS;
}

static aclError kernel_of(uint32_t interpolation, int *kernel, const char *func) {
    const dvpp_soc_rules *soc = dvpp_soc();
    if (interpolation > soc->interp_max || ((interpolation == 3 || interpolation == 4) && !soc->interp_tf)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "interpolation %u is not supported on %s", interpolation,
                        emu_cfg.soc_name);
    }
    /* 0 and 5 are Huawei's own filters; emulated as bilinear (docs/DVPP.md). */
    *kernel = interpolation == 2 || interpolation == 4 ? KERNEL_NEAREST
              : interpolation == 3                     ? KERNEL_BILINEAR_CORNER
                                                       : KERNEL_BILINEAR;
    return ACL_SUCCESS;
}

/* ------------------------------------------------------------------------------------ submission */

static aclError run_job(void *arg) {
    vpc_job *j = arg;
    emu_mem_where w;
    aclError err = emu_mem_locate(j->in.data, j->in_bytes, &w, j->func, "input data");
    if (!err) err = emu_mem_locate(j->out.data, j->out_bytes, &w, j->func, "output data");
    if (!err) err = vpc_process(j);
    if (!err && j->has_border) dvpp_border_fill(&j->out, j->fout, j->paste, &j->border, j->fin);
    return err;
}

typedef struct {
    const acldvppRoiConfig *crop, *paste;
    const acldvppResizeConfig *resize;
    bool convert;
    const acldvppBorderConfig *border; /* batch make-border: the region is scaled inside the output's borders */
} vpc_args;

/* Read and check one operation (the pictures, regions and configuration) into job; names label the pictures in
 * messages. *take_input_size: the output takes the input's size (colour conversion to a 0x0 output). */
static aclError vpc_prepare(const acldvppPicDesc *inputDesc, const acldvppPicDesc *outputDesc, const vpc_args *a,
                            vpc_job *job, bool *take_input_size, const char *in_name, const char *out_name,
                            const char *func) {
    aclError err;
    *job = (vpc_job){.func = func};
    if ((err = dvpp_pic_read(inputDesc, &job->in, func, in_name)) ||
        (err = dvpp_pic_read(outputDesc, &job->out, func, out_name))) {
        return err;
    }
    if ((err = check_picture(&job->in, false, func, in_name, &job->fin, &job->in_bytes))) return err;
    *take_input_size = a->convert && (job->out.width == 0 || job->out.height == 0);
    if (*take_input_size) {
        /* Documented: an output of width or height 0 takes the input's size, with strides aligned as required (the
         * input was checked first: its size is within 8192x8192, so the strides fit). Written back to the
         * description only once every check has passed. */
        const dvpp_format *of = dvpp_format_of(job->out.format);
        job->out.width = job->in.width;
        job->out.height = job->in.height;
        job->out.wstride = (uint32_t)(DVPP_ALIGN(job->in.width, 16) * (of ? of->bpp : 1));
        job->out.hstride = (uint32_t)DVPP_ALIGN(job->in.height, 2);
    }
    if ((err = check_picture(&job->out, true, func, out_name, &job->fout, &job->out_bytes))) return err;
    uint32_t interpolation = 0;
    if (a->resize && (err = dvpp_resize_read(a->resize, &interpolation, func))) return err;
    if ((err = kernel_of(interpolation, &job->kernel, func))) return err;
    job->crop = (dvpp_rect){0, 0, job->in.width, job->in.height};
    job->paste = (dvpp_rect){0, 0, job->out.width, job->out.height};
    if (a->convert) {
        if (job->in.width != job->out.width || job->in.height != job->out.height) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                            "the output (%ux%u) must have the input's size (%ux%u), or 0 to take it", job->out.width,
                            job->out.height, job->in.width, job->in.height);
        }
        if (job->in.width > 4096 || job->in.height > 4096) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%ux%u is outside 10x6..4096x4096", job->in.width,
                            job->in.height);
        }
        if (job->in.format == PIXEL_FORMAT_YUV_400 && job->out.format != PIXEL_FORMAT_YUV_400) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "a YUV400 input converts only to YUV400, not %s",
                            job->fout->name);
        }
        return ACL_SUCCESS;
    }
    if (a->crop && ((err = dvpp_roi_read(a->crop, &job->crop, func, "cropArea")) ||
                    (err = check_roi(&job->crop, &job->in, false, func)))) {
        return err;
    }
    if (a->paste && ((err = dvpp_roi_read(a->paste, &job->paste, func, "pasteArea")) ||
                     (err = check_roi(&job->paste, &job->out, true, func)))) {
        return err;
    }
    if (a->border) {
        if ((err = dvpp_border_read(a->border, &job->border, func, "borderCfgs[]")) ||
            (err = dvpp_border_inner(&job->border, &job->out, &job->paste, func, out_name))) {
            return err;
        }
        job->has_border = true;
    }
    return check_scale(&job->crop, &job->paste, func);
}

static aclError vpc_submit(acldvppChannelDesc *channel, acldvppPicDesc *inputDesc, acldvppPicDesc *outputDesc,
                           const vpc_args *a, aclrtStream stream, const char *func) {
    aclError err = emu_require_init(func);
    if (err || (err = dvpp_channel_check(channel, DVPP_CHNMODE_VPC, func))) return err;
    if (a->convert && !dvpp_soc()->convert_color) {
        return emu_fail(ACL_ERROR_FEATURE_UNSUPPORTED, func,
                        "%s has no VPC colour conversion (acldvppVpcConvertColorAsync exists on Ascend310P and newer)",
                        emu_cfg.soc_name);
    }
    vpc_job job;
    bool take_input_size = false;
    if ((err = vpc_prepare(inputDesc, outputDesc, a, &job, &take_input_size, "inputDesc", "outputDesc", func))) {
        return err;
    }
    vpc_job *t = malloc(sizeof *t);
    if (!t) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    *t = job;
    if ((err = dvpp_submit(stream, run_job, t, free, func))) return err;
    if (take_input_size) dvpp_pic_write_back(outputDesc, &job.out);
    return ACL_SUCCESS;
}

/* ----------------------------------------------------------------------------------------- batches */

/* The most regions one batch call takes: roiNums[0] + ... + roiNums[size - 1] <= 256 (CANN's batch VPC pages). */
#define BATCH_ROI_MAX 256u

typedef struct {
    uint32_t count;
    vpc_job jobs[];
} batch_task;

/* The regions of a batch are independent (as on the hardware, which works on several at once): a second thread
 * takes every other region when the machine has a second CPU. It only computes (vpc_process); the memory checks,
 * and any region it could not do, are done by the task's own thread, so every error is reported there. */
#define BATCH_PARALLEL_MIN 4u

typedef struct {
    batch_task *b;
    uint8_t *done; /* per region: 1 when the helper did it */
} batch_half;

static void *batch_helper(void *arg) {
    batch_half *h = arg;
    for (uint32_t i = 1; i < h->b->count; i += 2) {
        vpc_job *j = &h->b->jobs[i];
        if (vpc_process(j) == ACL_SUCCESS) {
            if (j->has_border) dvpp_border_fill(&j->out, j->fout, j->paste, &j->border, j->fin);
            h->done[i] = 1;
        }
    }
    return NULL;
}

static aclError run_batch(void *arg) {
    batch_task *b = arg;
    aclError first = ACL_SUCCESS;
    for (uint32_t i = 0; i < b->count && !first; i++) { /* memory first: a region freed meanwhile stops the batch */
        emu_mem_where w;
        vpc_job *j = &b->jobs[i];
        first = emu_mem_locate(j->in.data, j->in_bytes, &w, j->func, "input data");
        if (!first) first = emu_mem_locate(j->out.data, j->out_bytes, &w, j->func, "output data");
    }
    if (first) return first;
    static atomic_long cpus; /* read once */
    if (atomic_load(&cpus) == 0) atomic_store(&cpus, sysconf(_SC_NPROCESSORS_ONLN));
    batch_half half = {b, b->count >= BATCH_PARALLEL_MIN && cpus > 1 ? calloc(b->count, 1) : NULL};
    pthread_t helper;
    bool parallel = half.done && pthread_create(&helper, NULL, batch_helper, &half) == 0;
    for (uint32_t i = 0; i < b->count; i += parallel ? 2 : 1) {
        aclError err = vpc_process(&b->jobs[i]);
        if (!err && b->jobs[i].has_border) {
            vpc_job *j = &b->jobs[i];
            dvpp_border_fill(&j->out, j->fout, j->paste, &j->border, j->fin);
        }
        if (err && !first) first = err;
    }
    if (parallel) {
        pthread_join(helper, NULL);
        for (uint32_t i = 1; i < b->count; i += 2) { /* what the helper could not do (out of memory): here */
            if (half.done[i]) continue;
            vpc_job *j = &b->jobs[i];
            aclError err = vpc_process(j);
            if (!err && j->has_border) dvpp_border_fill(&j->out, j->fout, j->paste, &j->border, j->fin);
            if (err && !first) first = err;
        }
    }
    free(half.done);
    return first;
}

static aclError batch_submit(acldvppChannelDesc *channel, acldvppBatchPicDesc *src, const uint32_t *roiNums,
                             uint32_t size, acldvppBatchPicDesc *dst, acldvppRoiConfig *const *cropAreas,
                             acldvppRoiConfig *const *pasteAreas, acldvppBorderConfig *const *borders,
                             const acldvppResizeConfig *resize, aclrtStream stream, const char *func) {
    aclError err = emu_require_init(func);
    if (err || (err = dvpp_channel_check(channel, DVPP_CHNMODE_VPC, func))) return err;
    if (!src || !dst || !roiNums || !cropAreas) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", !src ? "srcBatchPicDescs" : !dst ? "dstBatchPicDescs"
                        : !roiNums ? "roiNums" : "cropAreas");
    }
    if (size == 0 || size > BATCH_ROI_MAX) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "size %u: 1 to %u source pictures", size, BATCH_ROI_MAX);
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < size; i++) {
        if (roiNums[i] == 0 || roiNums[i] > BATCH_ROI_MAX) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "roiNums[%u] is %u: each source picture has 1 to %u regions",
                            i, roiNums[i], BATCH_ROI_MAX);
        }
        total += roiNums[i];
    }
    if (total > BATCH_ROI_MAX) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "roiNums add up to %llu regions: at most %u in one call",
                        (unsigned long long)total, BATCH_ROI_MAX);
    }
    uint32_t nsrc = 0, ndst = 0;
    if ((err = dvpp_batch_count(src, &nsrc, func, "srcBatchPicDescs")) ||
        (err = dvpp_batch_count(dst, &ndst, func, "dstBatchPicDescs"))) {
        return err;
    }
    if (nsrc < size) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "size %u is more than the %u pictures of srcBatchPicDescs", size,
                        nsrc);
    }
    if (ndst < total) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%llu regions need as many pictures in dstBatchPicDescs, which "
                        "has %u", (unsigned long long)total, ndst);
    }
    batch_task *b = malloc(sizeof *b + (size_t)total * sizeof b->jobs[0]);
    if (!b) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    b->count = (uint32_t)total;
    uint32_t k = 0;
    for (uint32_t i = 0; i < size && !err; i++) {
        for (uint32_t j = 0; j < roiNums[i] && !err; j++, k++) {
            char in_name[48], out_name[48];
            snprintf(in_name, sizeof in_name, "srcBatchPicDescs[%u]", i);
            snprintf(out_name, sizeof out_name, "dstBatchPicDescs[%u]", k);
            if (!cropAreas[k] || (pasteAreas && !pasteAreas[k]) || (borders && !borders[k])) {
                err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s[%u] is NULL", !cropAreas[k] ? "cropAreas"
                               : (pasteAreas && !pasteAreas[k]) ? "pasteAreas" : "borderCfgs", k);
                break;
            }
            vpc_args a = {cropAreas[k], pasteAreas ? pasteAreas[k] : NULL, resize, false, borders ? borders[k] : NULL};
            bool unused = false;
            err = vpc_prepare(dvpp_batch_pic(src, i), dvpp_batch_pic(dst, k), &a, &b->jobs[k], &unused, in_name,
                              out_name, func);
        }
    }
    if (err) {
        free(b);
        return err;
    }
    return dvpp_submit(stream, run_batch, b, free, func); /* one task for the whole call */
}

EMU_EXPORT aclError acldvppVpcBatchCropAsync(acldvppChannelDesc *channelDesc, acldvppBatchPicDesc *srcBatchPicDescs,
                                             uint32_t *roiNums, uint32_t size, acldvppBatchPicDesc *dstBatchPicDescs,
                                             acldvppRoiConfig *cropAreas[], aclrtStream stream) {
    return batch_submit(channelDesc, srcBatchPicDescs, roiNums, size, dstBatchPicDescs, cropAreas, NULL, NULL, NULL,
                        stream, "acldvppVpcBatchCropAsync");
}

EMU_EXPORT aclError acldvppVpcBatchCropResizeAsync(acldvppChannelDesc *channelDesc,
                                                   acldvppBatchPicDesc *srcBatchPicDescs, uint32_t *roiNums,
                                                   uint32_t size, acldvppBatchPicDesc *dstBatchPicDescs,
                                                   acldvppRoiConfig *cropAreas[], acldvppResizeConfig *resizeConfig,
                                                   aclrtStream stream) {
    const char *func = "acldvppVpcBatchCropResizeAsync";
    if (!resizeConfig) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "resizeConfig is NULL");
    return batch_submit(channelDesc, srcBatchPicDescs, roiNums, size, dstBatchPicDescs, cropAreas, NULL, NULL,
                        resizeConfig, stream, func);
}

EMU_EXPORT aclError acldvppVpcBatchCropAndPasteAsync(acldvppChannelDesc *channelDesc,
                                                     acldvppBatchPicDesc *srcBatchPicDescs, uint32_t *roiNums,
                                                     uint32_t size, acldvppBatchPicDesc *dstBatchPicDescs,
                                                     acldvppRoiConfig *cropAreas[], acldvppRoiConfig *pasteAreas[],
                                                     aclrtStream stream) {
    const char *func = "acldvppVpcBatchCropAndPasteAsync";
    if (!pasteAreas) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "pasteAreas is NULL");
    return batch_submit(channelDesc, srcBatchPicDescs, roiNums, size, dstBatchPicDescs, cropAreas, pasteAreas, NULL,
                        NULL, stream, func);
}

EMU_EXPORT aclError acldvppVpcBatchCropResizePasteAsync(acldvppChannelDesc *channelDesc,
                                                        acldvppBatchPicDesc *srcBatchPicDescs, uint32_t *roiNums,
                                                        uint32_t size, acldvppBatchPicDesc *dstBatchPicDescs,
                                                        acldvppRoiConfig *cropAreas[], acldvppRoiConfig *pasteAreas[],
                                                        acldvppResizeConfig *resizeConfig, aclrtStream stream) {
    const char *func = "acldvppVpcBatchCropResizePasteAsync";
    if (!pasteAreas || !resizeConfig) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", !pasteAreas ? "pasteAreas" : "resizeConfig");
    }
    return batch_submit(channelDesc, srcBatchPicDescs, roiNums, size, dstBatchPicDescs, cropAreas, pasteAreas, NULL,
                        resizeConfig, stream, func);
}

EMU_EXPORT aclError acldvppVpcBatchCropResizeMakeBorderAsync(acldvppChannelDesc *channelDesc,
                                                             acldvppBatchPicDesc *srcBatchPicDescs, uint32_t *roiNums,
                                                             uint32_t size, acldvppBatchPicDesc *dstBatchPicDescs,
                                                             acldvppRoiConfig *cropAreas[],
                                                             acldvppBorderConfig *borderCfgs[],
                                                             acldvppResizeConfig *resizeConfig, aclrtStream stream) {
    const char *func = "acldvppVpcBatchCropResizeMakeBorderAsync";
    aclError err = emu_require_init(func);
    if (err || (err = dvpp_vpc_ops_supported(func, false))) return err;
    if (!borderCfgs || !resizeConfig) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", !borderCfgs ? "borderCfgs" : "resizeConfig");
    }
    return batch_submit(channelDesc, srcBatchPicDescs, roiNums, size, dstBatchPicDescs, cropAreas, NULL, borderCfgs,
                        resizeConfig, stream, func);
}

/* A same-size or scaled copy of region crop of in into region paste of out (formats converted as VPC does), for
 * the border operations; the caller has checked both pictures and located their memory. */
aclError dvpp_vpc_place(const dvpp_pic *in, const dvpp_format *fin, dvpp_rect crop, const dvpp_pic *out,
                        const dvpp_format *fout, dvpp_rect paste, const char *func) {
    vpc_job j = {.func = func, .in = *in, .out = *out, .fin = fin, .fout = fout, .crop = crop, .paste = paste,
                 .kernel = KERNEL_BILINEAR};
    return vpc_process(&j);
}

EMU_EXPORT aclError acldvppVpcResizeAsync(acldvppChannelDesc *channelDesc, acldvppPicDesc *inputDesc,
                                          acldvppPicDesc *outputDesc, acldvppResizeConfig *resizeConfig,
                                          aclrtStream stream) {
    const char *func = "acldvppVpcResizeAsync";
    if (!resizeConfig) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "resizeConfig is NULL");
    vpc_args a = {NULL, NULL, resizeConfig, false, NULL};
    return vpc_submit(channelDesc, inputDesc, outputDesc, &a, stream, func);
}

EMU_EXPORT aclError acldvppVpcCropAsync(acldvppChannelDesc *channelDesc, acldvppPicDesc *inputDesc,
                                        acldvppPicDesc *outputDesc, acldvppRoiConfig *cropArea, aclrtStream stream) {
    const char *func = "acldvppVpcCropAsync";
    if (!cropArea) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "cropArea is NULL");
    vpc_args a = {cropArea, NULL, NULL, false, NULL};
    return vpc_submit(channelDesc, inputDesc, outputDesc, &a, stream, func);
}

EMU_EXPORT aclError acldvppVpcCropResizeAsync(acldvppChannelDesc *channelDesc, acldvppPicDesc *inputDesc,
                                              acldvppPicDesc *outputDesc, acldvppRoiConfig *cropArea,
                                              acldvppResizeConfig *resizeConfig, aclrtStream stream) {
    const char *func = "acldvppVpcCropResizeAsync";
    if (!cropArea || !resizeConfig) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", cropArea ? "resizeConfig" : "cropArea");
    }
    vpc_args a = {cropArea, NULL, resizeConfig, false, NULL};
    return vpc_submit(channelDesc, inputDesc, outputDesc, &a, stream, func);
}

EMU_EXPORT aclError acldvppVpcCropAndPasteAsync(acldvppChannelDesc *channelDesc, acldvppPicDesc *inputDesc,
                                                acldvppPicDesc *outputDesc, acldvppRoiConfig *cropArea,
                                                acldvppRoiConfig *pasteArea, aclrtStream stream) {
    const char *func = "acldvppVpcCropAndPasteAsync";
    if (!cropArea || !pasteArea) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", cropArea ? "pasteArea" : "cropArea");
    }
    vpc_args a = {cropArea, pasteArea, NULL, false, NULL};
    return vpc_submit(channelDesc, inputDesc, outputDesc, &a, stream, func);
}

EMU_EXPORT aclError acldvppVpcCropResizePasteAsync(acldvppChannelDesc *channelDesc, acldvppPicDesc *inputDesc,
                                                   acldvppPicDesc *outputDesc, acldvppRoiConfig *cropArea,
                                                   acldvppRoiConfig *pasteArea, acldvppResizeConfig *resizeConfig,
                                                   aclrtStream stream) {
    const char *func = "acldvppVpcCropResizePasteAsync";
    if (!cropArea || !pasteArea || !resizeConfig) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL",
                        !cropArea ? "cropArea" : !pasteArea ? "pasteArea" : "resizeConfig");
    }
    vpc_args a = {cropArea, pasteArea, resizeConfig, false, NULL};
    return vpc_submit(channelDesc, inputDesc, outputDesc, &a, stream, func);
}

EMU_EXPORT aclError acldvppVpcConvertColorAsync(acldvppChannelDesc *channelDesc, acldvppPicDesc *inputDesc,
                                                acldvppPicDesc *outputDesc, aclrtStream stream) {
    vpc_args a = {NULL, NULL, NULL, true, NULL};
    return vpc_submit(channelDesc, inputDesc, outputDesc, &a, stream, "acldvppVpcConvertColorAsync");
}
