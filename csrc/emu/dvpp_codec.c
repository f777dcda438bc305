/* JPEG decode and encode, PNG decode: header parsing, the documented limits, output sizes and strides, and the
 * conversion of decoded rows into the DVPP output layout.
 *
 * The emulator reads every marker (JPEG) or chunk (PNG) itself before anything is decoded, so an image a real
 * JPEGD/PNGD would refuse (progressive, arithmetic, lossless, 12-bit, CMYK, 4:1:1, too small or too large,
 * truncated, bad CRCs) is refused with a code and message and the output buffer is left untouched. Entropy
 * decoding and encoding are done by the registered codec (acllite: Pillow's libjpeg-turbo and zlib); the codec
 * hands its rows to acllite_emu_image_put_rows, which writes them into the output with its strides (Y plane,
 * chroma averaged to the output's sampling, or RGB). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dvpp.h"

#define MESSAGE_MAX 512
#define SINK_MAGIC 0x4456504bu
#define MAX_SINKS 64

/* ------------------------------------------------------------------------------------------ the codec */

static pthread_mutex_t codec_lock = PTHREAD_MUTEX_INITIALIZER;
static acllite_emu_image_codec codec;
static bool have_codec;

EMU_EXPORT void acllite_emu_set_image_codec(const acllite_emu_image_codec *c) {
    pthread_mutex_lock(&codec_lock);
    have_codec = c != NULL;
    if (c) codec = *c;
    else memset(&codec, 0, sizeof codec);
    pthread_mutex_unlock(&codec_lock);
}

static bool get_codec(acllite_emu_image_codec *out) {
    pthread_mutex_lock(&codec_lock);
    bool ok = have_codec;
    if (ok) *out = codec;
    pthread_mutex_unlock(&codec_lock);
    return ok;
}

/* -------------------------------------------------------------------------------------- JPEG headers */

typedef struct {
    uint32_t width, height; /* as stored (SOF) */
    int32_t components;
    acldvppJpegFormat sampling;
    uint8_t sof;       /* SOFn marker (0xC0..0xCF) */
    uint8_t precision;
    int orientation;   /* EXIF, 1..8 (1 when absent or unreadable) */
    int adobe_transform; /* APP14 Adobe transform flag, -1 when absent */
    bool arithmetic;   /* DAC seen or arithmetic SOF */
} jpeg_info;

static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* The EXIF orientation in an APP1 payload, 1 when it cannot be read (the device then does not turn either). */
static int exif_orientation(const uint8_t *p, size_t n) {
    if (n < 14 || memcmp(p, "Exif\0\0", 6) != 0) return 1;
    const uint8_t *t = p + 6;
    size_t tn = n - 6;
    bool le = t[0] == 'I' && t[1] == 'I';
    if (!le && !(t[0] == 'M' && t[1] == 'M')) return 1;
#define RD16(q) (le ? (uint32_t)(q)[0] | (uint32_t)(q)[1] << 8 : be16(q))
#define RD32(q) (le ? (uint32_t)(q)[0] | (uint32_t)(q)[1] << 8 | (uint32_t)(q)[2] << 16 | (uint32_t)(q)[3] << 24 : be32(q))
    if (RD16(t + 2) != 42) return 1;
    uint32_t ifd = RD32(t + 4);
    if ((uint64_t)ifd + 2 > tn) return 1;
    uint32_t count = RD16(t + ifd);
    for (uint32_t i = 0; i < count; i++) {
        uint64_t e = (uint64_t)ifd + 2 + (uint64_t)i * 12;
        if (e + 12 > tn) return 1;
        if (RD16(t + e) == 0x0112 && RD16(t + e + 2) == 3 && RD32(t + e + 4) == 1) {
            uint32_t v = RD16(t + e + 8);
            return v >= 1 && v <= 8 ? (int)v : 1;
        }
    }
#undef RD16
#undef RD32
    return 1;
}

static acldvppJpegFormat classify(const uint8_t comps[4][4], int n) {
    if (n == 1) return ACL_JPEG_CSS_GRAY;
    if (n != 3) return ACL_JPEG_CSS_UNKNOWN;
    uint32_t hy = comps[0][1], vy = comps[0][2];
    for (int i = 1; i < 3; i++)
        if (comps[i][1] != comps[1][1] || comps[i][2] != comps[1][2] || comps[i][1] > hy || comps[i][2] > vy)
            return ACL_JPEG_CSS_UNKNOWN;
    uint32_t hc = comps[1][1], vc = comps[1][2];
    if (hy % hc || vy % vc) return ACL_JPEG_CSS_UNKNOWN;
    uint32_t rx = hy / hc, ry = vy / vc;
    if (rx == 1 && ry == 1) return ACL_JPEG_CSS_444;
    if (rx == 2 && ry == 1) return ACL_JPEG_CSS_422;
    if (rx == 2 && ry == 2) return ACL_JPEG_CSS_420;
    if (rx == 1 && ry == 2) return ACL_JPEG_CSS_440;
    if (rx == 4 && ry == 1) return ACL_JPEG_CSS_411;
    return ACL_JPEG_CSS_UNKNOWN;
}

static const char *sampling_name(acldvppJpegFormat f) {
    switch (f) {
    case ACL_JPEG_CSS_444: return "4:4:4";
    case ACL_JPEG_CSS_422: return "4:2:2";
    case ACL_JPEG_CSS_420: return "4:2:0";
    case ACL_JPEG_CSS_GRAY: return "grey (4:0:0)";
    case ACL_JPEG_CSS_440: return "4:4:0";
    case ACL_JPEG_CSS_411: return "4:1:1";
    default: return "an unknown sampling";
    }
}

/* Read the markers. header_only: stop at the frame header (image info); else walk every segment and scan to the
 * EOI marker, checking tables and components (what a decode needs). */
static aclError parse_jpeg(const uint8_t *d, size_t n, bool header_only, jpeg_info *info, const char *func) {
    memset(info, 0, sizeof *info);
    info->orientation = 1;
    info->adobe_transform = -1;
    if (n < 4 || d[0] != 0xFF || d[1] != 0xD8) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the data is not a JPEG (no SOI marker at the start)");
    }
    uint8_t comps[4][4] = {{0}}; /* id, h, v, quant table */
    int ncomp = 0;
    bool have_sof = false, have_sos = false, done = false;
    unsigned qt = 0, dc = 0, ac = 0, scanned = 0; /* bit sets of defined tables, components seen in scans */
    size_t pos = 2;
    while (!done) {
        if (pos >= n) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the JPEG is truncated: it ends at byte %zu %s", n,
                            have_sos ? "inside the image data (no EOI marker)" : "before the image data");
        }
        if (d[pos] != 0xFF) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the JPEG is corrupt: byte %zu (0x%02x) is not a marker",
                            pos, d[pos]);
        }
        while (pos < n && d[pos] == 0xFF) pos++;
        if (pos >= n) continue;
        uint8_t m = d[pos++];
        if (m == 0xD9) {
            if (!have_sos) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the JPEG is corrupt: EOI before any scan");
            done = true;
            break;
        }
        if (m == 0xD8 || m == 0x00 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the JPEG is corrupt: marker 0xFF%02X at byte %zu", m,
                            pos - 2);
        }
        if (pos + 2 > n) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the JPEG is truncated in a marker segment");
        uint32_t len = be16(d + pos);
        if (len < 2 || pos + len > n) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                            "the JPEG is truncated or corrupt: segment 0xFF%02X at byte %zu claims %u bytes, %zu are "
                            "left", m, pos - 2, len, n - pos);
        }
        const uint8_t *s = d + pos + 2;
        uint32_t sl = len - 2;
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            if (have_sof) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the JPEG is corrupt: two frame headers");
            if (sl < 6) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the JPEG is corrupt: short frame header");
            info->sof = m;
            info->precision = s[0];
            info->height = be16(s + 1);
            info->width = be16(s + 3);
            if (info->width == 0) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the JPEG is corrupt: width 0");
            if (info->height == 0) { /* the height comes later, in a DNL marker: libjpeg and JPEGD refuse that */
                return emu_fail(ACL_ERROR_UNSUPPORTED_JPEG, func,
                                "the JPEG gives its height in a DNL marker (height 0 in the frame header): not "
                                "supported");
            }
            ncomp = s[5];
            if (ncomp < 1 || ncomp > 4 || sl < 6u + 3u * (uint32_t)ncomp) {
                return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the JPEG is corrupt: frame header with %d components",
                                ncomp);
            }
            for (int i = 0; i < ncomp; i++) {
                comps[i][0] = s[6 + 3 * i];
                comps[i][1] = s[7 + 3 * i] >> 4;
                comps[i][2] = s[7 + 3 * i] & 15;
                comps[i][3] = s[8 + 3 * i];
                if (!comps[i][1] || !comps[i][2] || comps[i][1] > 4 || comps[i][2] > 4 || comps[i][3] > 3) {
                    return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                                    "the JPEG is corrupt: component %d has sampling %ux%u, table %u", i, comps[i][1],
                                    comps[i][2], comps[i][3]);
                }
            }
            info->components = ncomp;
            info->sampling = classify((const uint8_t(*)[4])comps, ncomp);
            info->arithmetic |= m >= 0xC9;
            have_sof = true;
            if (header_only) return ACL_SUCCESS;
        } else if (m == 0xC4) { /* DHT */
            for (uint32_t i = 0; i < sl;) {
                if (i + 17 > sl) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the JPEG is corrupt: short DHT");
                uint32_t cls = s[i] >> 4, id = s[i] & 15, total = 0;
                for (int k = 1; k <= 16; k++) total += s[i + k];
                if (cls > 1 || id > 3 || total > 256 || i + 17 + total > sl) {
                    return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the JPEG is corrupt: bad Huffman table");
                }
                if (cls) ac |= 1u << id;
                else dc |= 1u << id;
                i += 17 + total;
            }
        } else if (m == 0xDB) { /* DQT */
            for (uint32_t i = 0; i < sl;) {
                uint32_t pq = s[i] >> 4, id = s[i] & 15, size = pq ? 128 : 64;
                if (pq > 1 || id > 3 || i + 1 + size > sl) {
                    return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the JPEG is corrupt: bad quantization table");
                }
                qt |= 1u << id;
                i += 1 + size;
            }
        } else if (m == 0xCC) {
            info->arithmetic = true;
        } else if (m == 0xE1) {
            if (info->orientation == 1) info->orientation = exif_orientation(s, sl);
        } else if (m == 0xEE) {
            if (sl >= 12 && memcmp(s, "Adobe", 5) == 0) info->adobe_transform = s[11];
        } else if (m == 0xDA) { /* SOS, then the entropy-coded data up to the next marker */
            if (!have_sof) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the JPEG is corrupt: scan before frame");
            uint32_t ns = sl ? s[0] : 0;
            if (ns < 1 || ns > 4 || sl < 1 + 2 * ns + 3) {
                return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the JPEG is corrupt: bad scan header");
            }
            for (uint32_t i = 0; i < ns; i++) {
                int c = -1;
                for (int k = 0; k < ncomp; k++)
                    if (comps[k][0] == s[1 + 2 * i]) c = k;
                uint32_t td = s[2 + 2 * i] >> 4, ta = s[2 + 2 * i] & 15;
                if (c < 0) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the JPEG is corrupt: scan of no component");
                if (!(qt >> comps[c][3] & 1)) {
                    return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                                    "the JPEG is corrupt: quantization table %u is not defined", comps[c][3]);
                }
                if (!info->arithmetic && info->sof != 0xC2 && (td > 3 || ta > 3 || !(dc >> td & 1) || !(ac >> ta & 1))) {
                    return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                                    "the JPEG is corrupt: Huffman tables DC %u / AC %u are not defined", td, ta);
                }
                scanned |= 1u << c;
            }
            have_sos = true;
            size_t q = pos + len;
            while (q + 1 < n && !(d[q] == 0xFF && d[q + 1] != 0x00 && d[q + 1] != 0xFF &&
                                 !(d[q + 1] >= 0xD0 && d[q + 1] <= 0xD7))) {
                q++;
            }
            if (q + 1 >= n) {
                return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                                "the JPEG is truncated: the image data runs to the end without an EOI marker");
            }
            pos = q;
            continue;
        }
        pos += len;
    }
    if (!have_sof) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the JPEG has no frame header");
    if (scanned != (1u << ncomp) - 1) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the JPEG is truncated: not every component has image data");
    }
    return ACL_SUCCESS;
}

/* What JPEGD refuses (ACL_ERROR_UNSUPPORTED_JPEG), after parse_jpeg accepted the structure. */
static aclError jpeg_supported(const jpeg_info *j, const char *func) {
    const char *kind = NULL;
    switch (j->sof) {
    case 0xC0: case 0xC1: break;
    case 0xC2: kind = "progressive"; break;
    case 0xC3: kind = "lossless"; break;
    case 0xC5: case 0xC6: case 0xC7: kind = "hierarchical"; break;
    default: kind = "arithmetic-coded"; break;
    }
    if (!kind && j->arithmetic) kind = "arithmetic-coded";
    if (kind) {
        return emu_fail(ACL_ERROR_UNSUPPORTED_JPEG, func,
                        "%s JPEG (SOF 0xFF%02X): JPEGD decodes baseline Huffman-coded JPEG only", kind, j->sof);
    }
    if (j->precision != 8) {
        return emu_fail(ACL_ERROR_UNSUPPORTED_JPEG, func, "%u-bit JPEG: JPEGD decodes 8-bit samples only",
                        j->precision);
    }
    if (j->components == 4 || (j->components == 3 && j->adobe_transform == 0)) {
        return emu_fail(ACL_ERROR_UNSUPPORTED_JPEG, func,
                        "%s JPEG: JPEGD decodes YUV (YCbCr) and grey JPEG only",
                        j->components == 4 ? "CMYK/YCCK" : "RGB-coded (Adobe transform 0)");
    }
    if (j->sampling != ACL_JPEG_CSS_444 && j->sampling != ACL_JPEG_CSS_422 && j->sampling != ACL_JPEG_CSS_420 &&
        j->sampling != ACL_JPEG_CSS_440 && j->sampling != ACL_JPEG_CSS_GRAY) {
        return emu_fail(ACL_ERROR_UNSUPPORTED_JPEG, func,
                        "%s sampling: JPEGD decodes 4:4:4, 4:2:2, 4:2:0, 4:4:0 and grey", sampling_name(j->sampling));
    }
    if (j->width < 32 || j->height < 32 || j->width > 8192 || j->height > 8192) {
        return emu_fail(ACL_ERROR_UNSUPPORTED_JPEG, func, "%ux%u: JPEGD decodes 32x32 to 8192x8192", j->width,
                        j->height);
    }
    return ACL_SUCCESS;
}

typedef struct {
    acldvppPixelFormat format;
    uint32_t src_w, src_h; /* the decoded (turned) picture */
    uint32_t width, height, wstride, hstride;
    uint64_t bytes;
} out_plan;

/* The output a JPEG decodes to: format (PIXEL_FORMAT_UNKNOWN: the source's, V before U), size and strides. */
static aclError plan_jpeg(const jpeg_info *j, acldvppPixelFormat want, out_plan *p, const char *func) {
    acldvppPixelFormat a = want;
    acldvppJpegFormat s = j->sampling;
    if (a == PIXEL_FORMAT_UNKNOWN) {
        a = s == ACL_JPEG_CSS_444   ? PIXEL_FORMAT_YVU_SEMIPLANAR_444
            : s == ACL_JPEG_CSS_422 ? PIXEL_FORMAT_YVU_SEMIPLANAR_422
            : s == ACL_JPEG_CSS_440 ? PIXEL_FORMAT_YVU_SEMIPLANAR_440
                                    : PIXEL_FORMAT_YVU_SEMIPLANAR_420;
    }
    bool ok = a == PIXEL_FORMAT_YUV_SEMIPLANAR_420 || a == PIXEL_FORMAT_YVU_SEMIPLANAR_420 ||
              (s == ACL_JPEG_CSS_444 && (a == PIXEL_FORMAT_YUV_SEMIPLANAR_444 || a == PIXEL_FORMAT_YVU_SEMIPLANAR_444)) ||
              (s == ACL_JPEG_CSS_422 && (a == PIXEL_FORMAT_YUV_SEMIPLANAR_422 || a == PIXEL_FORMAT_YVU_SEMIPLANAR_422)) ||
              (s == ACL_JPEG_CSS_440 && (a == PIXEL_FORMAT_YUV_SEMIPLANAR_440 || a == PIXEL_FORMAT_YVU_SEMIPLANAR_440));
    if (!ok) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "output format %s (%d): a %s JPEG decodes to YUV420SP NV12/NV21%s", dvpp_format_name(want),
                        (int)want, sampling_name(s),
                        s == ACL_JPEG_CSS_GRAY || s == ACL_JPEG_CSS_420 ? "" : " or its own sampling (semi-planar)");
    }
    const dvpp_format *f = dvpp_format_of(a);
    bool swap = j->orientation >= 5;
    p->format = a;
    p->src_w = swap ? j->height : j->width;
    p->src_h = swap ? j->width : j->height;
    bool sub = f->sx || f->sy; /* subsampled outputs have even sizes: odd ones are rounded down */
    p->width = sub ? p->src_w & ~1u : p->src_w;
    p->height = sub ? p->src_h & ~1u : p->src_h;
    p->wstride = (uint32_t)DVPP_ALIGN(p->width, dvpp_soc()->jpegd_wstride_align);
    p->hstride = (uint32_t)DVPP_ALIGN(p->height, 16);
    p->bytes = dvpp_picture_bytes(f, p->wstride, p->hstride);
    return ACL_SUCCESS;
}

/* ---------------------------------------------------------------------------------------- PNG headers */

typedef struct {
    uint32_t width, height;
    uint8_t depth, color;
    int32_t components;
} png_info;

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_of(const uint8_t *p, size_t n) {
    pthread_once(&crc_once, crc_init);
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static bool png_letters(const uint8_t type[4]) {
    for (int k = 0; k < 4; k++)
        if (!((type[k] >= 'A' && type[k] <= 'Z') || (type[k] >= 'a' && type[k] <= 'z'))) return false;
    return true;
}

/* Walk the chunks (header_only: up to IHDR). Besides lengths and CRCs, the order the PNG specification requires of
 * the critical chunks: IHDR first and only once, at most one PLTE, before the image data, only for colour types
 * that have one (required for palette images), the IDAT chunks one after another, IEND (empty) at the end; an
 * unknown critical chunk (upper-case first letter) cannot be decoded. Bytes after IEND are not read. */
static aclError parse_png(const uint8_t *d, size_t n, bool header_only, png_info *info, const char *func) {
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    memset(info, 0, sizeof *info);
    if (n < 8 || memcmp(d, sig, 8) != 0) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the data is not a PNG (no PNG signature)");
    }
    size_t pos = 8;
    bool have_ihdr = false, have_plte = false;
    enum { NO_IDAT, IN_IDAT, AFTER_IDAT } idat = NO_IDAT;
    for (;;) {
        if (pos + 12 > n) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the PNG is truncated at byte %zu (no IEND chunk)", n);
        }
        uint32_t len = be32(d + pos);
        const uint8_t *type = d + pos + 4;
        char name[5]; /* the chunk type, printable */
        for (int k = 0; k < 4; k++) name[k] = (type[k] >= 'A' && type[k] <= 'z') ? (char)type[k] : '?';
        name[4] = '\0';
        if (len > 0x7FFFFFFFu || pos + 12 + (uint64_t)len > n) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the PNG is truncated: chunk %s at byte %zu claims %u "
                            "bytes", name, pos, len);
        }
        if (!header_only && crc32_of(type, (size_t)len + 4) != be32(type + 4 + len)) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the PNG is corrupt: chunk %s at byte %zu has a bad CRC",
                            name, pos);
        }
        if (!png_letters(type)) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the PNG is corrupt: chunk type %s at byte %zu is not four "
                            "letters", name, pos);
        }
        const uint8_t *c = type + 4;
        bool is_idat = memcmp(type, "IDAT", 4) == 0;
        if (!have_ihdr) {
            if (memcmp(type, "IHDR", 4) != 0 || len != 13) {
                return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the PNG is corrupt: it does not start with IHDR");
            }
            info->width = be32(c);
            info->height = be32(c + 4);
            info->depth = c[8];
            info->color = c[9];
            static const int32_t comps[7] = {1, 0, 3, 3, 2, 0, 4};
            /* bit depths each colour type allows (bit k: depth 2^k) */
            static const uint8_t depths[7] = {0x1F, 0, 0x18, 0x0F, 0x18, 0, 0x18};
            uint8_t dk = (uint8_t)(c[8] == 1 ? 0 : c[8] == 2 ? 1 : c[8] == 4 ? 2 : c[8] == 8 ? 3 : c[8] == 16 ? 4 : 7);
            if (info->color > 6 || !comps[info->color] || dk > 4 || !(depths[info->color] >> dk & 1) ||
                info->width == 0 || info->height == 0 || info->width > 0x7FFFFFFFu || info->height > 0x7FFFFFFFu ||
                c[10] || c[11] || c[12] > 1) {
                return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the PNG is corrupt: bad IHDR (%ux%u, colour type %u, "
                                "bit depth %u)", info->width, info->height, info->color, info->depth);
            }
            info->components = comps[info->color];
            have_ihdr = true;
            if (header_only) return ACL_SUCCESS;
        } else if (memcmp(type, "IHDR", 4) == 0) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the PNG is corrupt: a second IHDR chunk at byte %zu", pos);
        } else if (memcmp(type, "PLTE", 4) == 0) {
            const char *why = have_plte                               ? "a second PLTE chunk"
                              : idat != NO_IDAT                       ? "PLTE after the image data"
                              : info->color == 0 || info->color == 4  ? "PLTE in a grey image"
                              : len == 0 || len % 3 || len / 3 > 256u ? "PLTE of a length that is not 1 to 256 entries"
                              : info->color == 3 && len / 3 > (1u << info->depth) ? "more PLTE entries than the bit "
                                                                                    "depth can index"
                                                                                  : NULL;
            if (why) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the PNG is corrupt: %s (byte %zu)", why, pos);
            have_plte = true;
        } else if (is_idat) {
            if (idat == AFTER_IDAT) {
                return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the PNG is corrupt: IDAT chunks are not consecutive "
                                "(another one at byte %zu)", pos);
            }
            if (info->color == 3 && !have_plte) {
                return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the PNG is corrupt: a palette image without PLTE");
            }
        } else if (memcmp(type, "IEND", 4) == 0) {
            if (len != 0) {
                return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the PNG is corrupt: IEND holds %u bytes", len);
            }
            break;
        } else if (!(type[0] & 0x20)) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the PNG has an unknown critical chunk %s (byte %zu)", name,
                            pos);
        }
        if (is_idat) idat = IN_IDAT;
        else if (idat == IN_IDAT) idat = AFTER_IDAT;
        pos += 12 + (size_t)len;
    }
    if (idat == NO_IDAT) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the PNG has no image data (IDAT)");
    return ACL_SUCCESS;
}

static aclError png_supported(const png_info *p, const char *func) {
    if (p->depth != 8 || p->color == 3) {
        return emu_fail(ACL_ERROR_FEATURE_UNSUPPORTED, func,
                        "%s PNG: PNGD decodes 8-bit grey, grey+alpha, RGB and RGBA", p->color == 3 ? "palette"
                        : p->depth == 16 ? "16-bit" : "sub-byte");
    }
    if (p->width < 32 || p->height < 32 || p->width > 4096 || p->height > 4096) {
        return emu_fail(ACL_ERROR_FEATURE_UNSUPPORTED, func, "%ux%u: PNGD decodes 32x32 to 4096x4096", p->width,
                        p->height);
    }
    return ACL_SUCCESS;
}

static aclError plan_png(const png_info *p, acldvppPixelFormat want, out_plan *o, const char *func) {
    bool alpha = p->color == 4 || p->color == 6;
    acldvppPixelFormat a = want == PIXEL_FORMAT_UNKNOWN ? (alpha ? PIXEL_FORMAT_RGBA_8888 : PIXEL_FORMAT_RGB_888) : want;
    if (a != PIXEL_FORMAT_RGB_888 && !(a == PIXEL_FORMAT_RGBA_8888 && alpha)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "output format %s (%d): a PNG %s decodes to RGB888%s",
                        dvpp_format_name(want), (int)want, alpha ? "with alpha" : "without alpha",
                        alpha ? " or RGBA8888" : "");
    }
    uint32_t bpp = a == PIXEL_FORMAT_RGB_888 ? 3 : 4;
    o->format = a;
    o->src_w = o->width = p->width;
    o->src_h = o->height = p->height;
    o->wstride = (uint32_t)DVPP_ALIGN(p->width, 128) * bpp;
    o->hstride = (uint32_t)DVPP_ALIGN(p->height, 16);
    o->bytes = (uint64_t)o->wstride * o->hstride;
    return ACL_SUCCESS;
}

/* ------------------------------------------------------------------------------------ info and sizes */

static aclError info_args(const void *data, uint32_t size, const void *a, const void *b, const char *func) {
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!data) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "data is NULL");
    if (!size) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "size is 0");
    if (!a || !b) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "an output pointer is NULL");
    emu_mem_where w;
    return emu_mem_locate(data, size, &w, func, "data");
}

EMU_EXPORT aclError acldvppJpegGetImageInfoV2(const void *data, uint32_t size, uint32_t *width, uint32_t *height,
                                              int32_t *components, acldvppJpegFormat *format) {
    const char *func = format ? "acldvppJpegGetImageInfoV2" : "acldvppJpegGetImageInfo";
    aclError err = info_args(data, size, width, height, func);
    if (err) return err;
    jpeg_info j;
    if ((err = parse_jpeg(data, size, true, &j, func))) return err;
    *width = j.width;
    *height = j.height;
    if (components) *components = j.components;
    if (format) *format = j.sampling;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError acldvppJpegGetImageInfo(const void *data, uint32_t size, uint32_t *width, uint32_t *height,
                                            int32_t *components) {
    return acldvppJpegGetImageInfoV2(data, size, width, height, components, NULL);
}

EMU_EXPORT aclError acldvppJpegPredictDecSize(const void *data, uint32_t dataSize,
                                              acldvppPixelFormat outputPixelFormat, uint32_t *decSize) {
    const char *func = "acldvppJpegPredictDecSize";
    aclError err = info_args(data, dataSize, decSize, decSize, func);
    if (err) return err;
    jpeg_info j;
    out_plan p;
    if ((err = parse_jpeg(data, dataSize, false, &j, func)) || (err = jpeg_supported(&j, func)) ||
        (err = plan_jpeg(&j, outputPixelFormat, &p, func))) {
        return err;
    }
    *decSize = (uint32_t)p.bytes;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError acldvppPngGetImageInfo(const void *data, uint32_t dataSize, uint32_t *width, uint32_t *height,
                                           int32_t *components) {
    const char *func = "acldvppPngGetImageInfo";
    aclError err = info_args(data, dataSize, width, height, func);
    if (err) return err;
    png_info p;
    if ((err = parse_png(data, dataSize, true, &p, func))) return err;
    *width = p.width;
    *height = p.height;
    if (components) *components = p.components;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError acldvppPngPredictDecSize(const void *data, uint32_t dataSize, acldvppPixelFormat outputPixelFormat,
                                             uint32_t *decSize) {
    const char *func = "acldvppPngPredictDecSize";
    aclError err = info_args(data, dataSize, decSize, decSize, func);
    if (err) return err;
    png_info p;
    out_plan o;
    if ((err = parse_png(data, dataSize, false, &p, func)) || (err = png_supported(&p, func)) ||
        (err = plan_png(&p, outputPixelFormat, &o, func))) {
        return err;
    }
    *decSize = (uint32_t)o.bytes;
    return ACL_SUCCESS;
}

/* ---------------------------------------------------------------------------------------- the sinks */

struct acllite_emu_image_sink {
    uint32_t magic;
    bool png;
    bool gray;           /* JPEG without chroma: chroma is written 0x80 */
    uint32_t src_w, src_h;
    uint32_t out_w, out_h;
    uint8_t *y;          /* JPEG: Y plane; PNG: the RGB(A) rows */
    size_t ys;
    uint8_t *c;          /* JPEG: interleaved chroma */
    size_t cs;
    uint32_t sx, sy;     /* chroma subsampling shifts of the output */
    bool v_first;
    uint32_t bpp;        /* PNG output bytes per pixel */
    uint32_t next_row;
    uint8_t *out;        /* the whole output [out, out + out_bytes): located again before every write */
    size_t out_bytes;
    const char *func;    /* the decode's API function, for messages */
};

static pthread_mutex_t sinks_lock = PTHREAD_MUTEX_INITIALIZER;
static acllite_emu_image_sink *active_sinks[MAX_SINKS];

static bool sink_activate(acllite_emu_image_sink *s, bool on) {
    pthread_mutex_lock(&sinks_lock);
    bool done = false;
    for (int i = 0; i < MAX_SINKS && !done; i++) {
        if (on && !active_sinks[i]) {
            active_sinks[i] = s;
            done = true;
        } else if (!on && active_sinks[i] == s) {
            active_sinks[i] = NULL;
            done = true;
        }
    }
    pthread_mutex_unlock(&sinks_lock);
    return done;
}

static bool sink_active(const acllite_emu_image_sink *s) {
    pthread_mutex_lock(&sinks_lock);
    bool found = false;
    for (int i = 0; i < MAX_SINKS; i++) found |= active_sinks[i] == s;
    pthread_mutex_unlock(&sinks_lock);
    return found && s->magic == SINK_MAGIC;
}

/* Rows of YCbCr (or grey) pixels into the Y plane and the averaged chroma of the output. */
static void put_jpeg_rows(acllite_emu_image_sink *s, const uint8_t *px, size_t rs, uint32_t pb, uint32_t first,
                          uint32_t count, bool luma_only) {
    uint32_t end = first + count < s->out_h ? first + count : s->out_h;
    for (uint32_t r = first; r < end; r++) {
        const uint8_t *src = px + (size_t)(r - first) * rs;
        uint8_t *dst = s->y + (size_t)r * s->ys;
        if (pb == 1) memcpy(dst, src, s->out_w);
        else for (uint32_t x = 0; x < s->out_w; x++) dst[x] = src[(size_t)x * pb];
    }
    uint32_t bw = 1u << s->sx, bh = 1u << s->sy;
    uint32_t cw = s->out_w >> s->sx;
    uint32_t uo = s->v_first ? 1 : 0, vo = 1 - uo;
    for (uint32_t r = first; r < end; r += bh) {
        uint8_t *dst = s->c + (size_t)(r >> s->sy) * s->cs;
        if (luma_only || s->gray) {
            memset(dst, 0x80, (size_t)cw * 2);
            continue;
        }
        const uint8_t *r0 = px + (size_t)(r - first) * rs;
        const uint8_t *r1 = bh == 2 ? r0 + rs : r0;
        if (bw == 2 && bh == 2) { /* the common 4:2:0 output */
            for (uint32_t x = 0; x < cw; x++) {
                const uint8_t *a = r0 + (size_t)x * 2 * pb, *b = a + pb, *c = r1 + (size_t)x * 2 * pb, *d = c + pb;
                dst[2 * x + uo] = (uint8_t)((a[1] + b[1] + c[1] + d[1] + 2) >> 2);
                dst[2 * x + vo] = (uint8_t)((a[2] + b[2] + c[2] + d[2] + 2) >> 2);
            }
        } else {
            uint32_t n = bw * bh, half = n / 2, shift = s->sx + s->sy;
            for (uint32_t x = 0; x < cw; x++) {
                uint32_t su = 0, sv = 0;
                for (uint32_t k = 0; k < bh; k++) {
                    const uint8_t *p = (k ? r1 : r0) + (size_t)x * bw * pb;
                    for (uint32_t i = 0; i < bw; i++) {
                        su += p[(size_t)i * pb + 1];
                        sv += p[(size_t)i * pb + 2];
                    }
                }
                dst[2 * x + uo] = (uint8_t)((su + half) >> shift);
                dst[2 * x + vo] = (uint8_t)((sv + half) >> shift);
            }
        }
    }
}

static void put_png_rows(acllite_emu_image_sink *s, const uint8_t *px, size_t rs, uint32_t pb, int32_t layout,
                         uint32_t first, uint32_t count) {
    for (uint32_t r = first; r < first + count; r++) {
        const uint8_t *src = px + (size_t)(r - first) * rs;
        uint8_t *dst = s->y + (size_t)r * s->ys;
        for (uint32_t x = 0; x < s->out_w; x++, src += pb, dst += s->bpp) {
            dst[0] = src[0];
            dst[1] = src[1];
            dst[2] = src[2];
            if (s->bpp == 4) dst[3] = layout == ACLLITE_EMU_PIXELS_RGBA ? src[3] : 0xFF;
        }
    }
}

EMU_EXPORT aclError acllite_emu_image_put_rows(acllite_emu_image_sink *sink, const void *pixels, uint32_t width,
                                               size_t rowStride, int32_t layout, int32_t pixelBytes,
                                               uint32_t firstRow, uint32_t rowCount) {
    const char *func = "acllite_emu_image_put_rows";
    if (!sink || !sink_active(sink)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%p is not the sink of a decode in progress", (void *)sink);
    }
    acllite_emu_image_sink *s = sink;
    bool jpeg_ok = !s->png && ((layout == ACLLITE_EMU_PIXELS_YCBCR && (pixelBytes == 3 || pixelBytes == 4)) ||
                               (layout == ACLLITE_EMU_PIXELS_L && pixelBytes == 1));
    bool png_ok = s->png && ((layout == ACLLITE_EMU_PIXELS_RGB && (pixelBytes == 3 || pixelBytes == 4)) ||
                             (layout == ACLLITE_EMU_PIXELS_RGBA && pixelBytes == 4));
    if (!jpeg_ok && !png_ok) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "layout %d with %d bytes per pixel does not fit a %s decode",
                        layout, pixelBytes, s->png ? "PNG" : "JPEG");
    }
    if (!pixels || width != s->src_w || rowStride < (size_t)width * (uint32_t)pixelBytes) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "rows of width %u, stride %zu (pixels %p): the image is %u wide", width, rowStride, pixels,
                        s->src_w);
    }
    if (firstRow != s->next_row || rowCount == 0 || (uint64_t)firstRow + rowCount > s->src_h ||
        ((rowCount & 1) && s->sy && firstRow + rowCount != s->src_h)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "rows %u..+%u: expected row %u next of %u, in even counts except the last", firstRow, rowCount,
                        s->next_row, s->src_h);
    }
    /* The rows read: (rowCount - 1) strides and one row, which must not wrap around the address space. */
    size_t span = 0, row_bytes = (size_t)width * (uint32_t)pixelBytes;
    if (!emu_mul(rowStride, rowCount - 1, &span) || !emu_add(span, row_bytes, &span) ||
        (uintptr_t)pixels > UINTPTR_MAX - span) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%u rows of stride %zu at %p wrap around the address space",
                        rowCount, rowStride, pixels);
    }
    /* The decode runs Python, whose finalizers may have released the output meanwhile: never write into it then. */
    emu_mem_where w;
    aclError err = emu_mem_locate(s->out, s->out_bytes, &w, s->func, "output data");
    if (err) return err;
    if (s->png) put_png_rows(s, pixels, rowStride, (uint32_t)pixelBytes, layout, firstRow, rowCount);
    else put_jpeg_rows(s, pixels, rowStride, (uint32_t)pixelBytes, firstRow, rowCount, layout == ACLLITE_EMU_PIXELS_L);
    s->next_row = firstRow + rowCount;
    return ACL_SUCCESS;
}

/* ------------------------------------------------------------------------------------------ decoding */

typedef struct {
    const char *func;
    bool png;
    const uint8_t *data;
    uint32_t size;
    acldvppPicDesc *desc; /* referenced: decoded sizes are written back into it */
    dvpp_pic out;
} decode_task;

static void decode_drop(void *arg) {
    decode_task *t = arg;
    dvpp_pic_unref(t->desc);
    free(t);
}

static aclError decode_into(decode_task *t, dvpp_pic *result) {
    const char *func = t->func;
    emu_mem_where w;
    aclError err = emu_mem_locate(t->data, t->size, &w, func, "data");
    if (err) return err;
    jpeg_info j = {0};
    png_info p = {0};
    out_plan o = {0};
    if (t->png) {
        if ((err = parse_png(t->data, t->size, false, &p, func)) || (err = png_supported(&p, func)) ||
            (err = plan_png(&p, t->out.format, &o, func))) {
            return err;
        }
    } else if ((err = parse_jpeg(t->data, t->size, false, &j, func)) || (err = jpeg_supported(&j, func)) ||
               (err = plan_jpeg(&j, t->out.format, &o, func))) {
        return err;
    }
    if (t->out.size < o.bytes) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "outputDesc: size %u is too small: the %ux%u picture (%s, strides %ux%u) needs %llu bytes "
                        "(acldvpp%sPredictDecSize)", t->out.size, o.width, o.height, dvpp_format_name(o.format),
                        o.wstride, o.hstride, (unsigned long long)o.bytes, t->png ? "Png" : "Jpeg");
    }
    if ((err = emu_mem_locate(t->out.data, o.bytes, &w, func, "output data"))) return err;
    acllite_emu_image_codec c;
    if (!get_codec(&c) || !(t->png ? c.png_decode != NULL : c.jpeg_decode != NULL)) {
        return emu_fail(ACL_ERROR_API_NOT_SUPPORT, func, "no image codec is registered (acllite registers Pillow's)");
    }
    const dvpp_format *f = dvpp_format_of(o.format);
    acllite_emu_image_sink s = {.magic = SINK_MAGIC, .png = t->png, .src_w = o.src_w, .src_h = o.src_h,
                                .out_w = o.width, .out_h = o.height, .y = t->out.data, .ys = o.wstride,
                                .out = t->out.data, .out_bytes = (size_t)o.bytes, .func = func};
    if (t->png) {
        s.bpp = f->bpp;
    } else {
        s.gray = j.sampling == ACL_JPEG_CSS_GRAY;
        s.c = t->out.data + (size_t)o.wstride * o.hstride;
        s.cs = f->sx ? o.wstride : (size_t)o.wstride * 2;
        s.sx = f->sx;
        s.sy = f->sy;
        s.v_first = f->v_first;
    }
    if (!sink_activate(&s, true)) return emu_fail(ACL_ERROR_RT_RESOURCE_ALLOC_FAIL, func, "too many decodes at once");
    char message[MESSAGE_MAX] = "";
    emu_callback_frame frame;
    emu_callback_enter(&frame);
    aclError rc = t->png ? c.png_decode(&s, t->data, t->size, o.format == PIXEL_FORMAT_RGBA_8888, message, sizeof message)
                         : c.jpeg_decode(&s, t->data, t->size, j.orientation, message, sizeof message);
    emu_callback_leave(&frame);
    sink_activate(&s, false);
    s.magic = 0;
    message[sizeof message - 1] = '\0';
    if (rc) return emu_fail(rc, func, "the codec failed: %s", message[0] ? message : "no message");
    if (s.next_row != s.src_h) {
        /* Success with rows missing is truncated image data the codec did not notice: a failure, never a picture
         * with blank rows (the description keeps no decoded size, retCode gets the code). */
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the %s is truncated: its image data holds %u of %u rows",
                        t->png ? "PNG" : "JPEG", s.next_row, s.src_h);
    }
    *result = t->out;
    result->format = o.format;
    result->width = o.width;
    result->height = o.height;
    result->wstride = o.wstride;
    result->hstride = o.hstride;
    result->retcode = 0;
    return ACL_SUCCESS;
}

static aclError run_decode(void *arg) {
    decode_task *t = arg;
    dvpp_pic result = t->out;
    aclError err = decode_into(t, &result);
    if (err) result.retcode = (uint32_t)err;
    dvpp_pic_write_back(t->desc, &result);
    return err;
}

static aclError decode_async(acldvppChannelDesc *channel, const void *data, uint32_t size, acldvppPicDesc *outputDesc,
                             aclrtStream stream, bool png, const char *func) {
    aclError err = emu_require_init(func);
    if (err || (err = dvpp_channel_check(channel, png ? DVPP_CHNMODE_PNGD : DVPP_CHNMODE_JPEGD, func))) return err;
    if (png && !dvpp_soc()->pngd) {
        return emu_fail(ACL_ERROR_FEATURE_UNSUPPORTED, func, "%s has no PNG decoder (PNGD exists on Ascend310P and "
                        "newer)", emu_cfg.soc_name);
    }
    if (!data || !size) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s", data ? "size is 0" : "data is NULL");
    decode_task task = {.func = func, .png = png, .data = data, .size = size, .desc = outputDesc};
    if ((err = dvpp_pic_read(outputDesc, &task.out, func, "outputDesc"))) return err;
    acldvppPixelFormat fmt = task.out.format;
    bool fmt_ok = png ? fmt == PIXEL_FORMAT_RGB_888 || fmt == PIXEL_FORMAT_RGBA_8888 || fmt == PIXEL_FORMAT_UNKNOWN
                      : fmt == PIXEL_FORMAT_UNKNOWN || (dvpp_format_of(fmt) && dvpp_format_of(fmt)->family == DVPP_FAM_SP);
    if (!fmt_ok) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "outputDesc: format %s (%d) is not a %s output format",
                        dvpp_format_name(fmt), (int)fmt, png ? "PNGD" : "JPEGD");
    }
    if (!task.out.size) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "outputDesc: size is 0");
    if ((err = dvpp_check_memory(data, size, func, "data")) ||
        (err = dvpp_check_memory(task.out.data, task.out.size, func, "output data"))) {
        return err;
    }
    if ((err = dvpp_pic_ref(outputDesc, func, "outputDesc"))) return err;
    decode_task *t = malloc(sizeof *t);
    if (!t) {
        dvpp_pic_unref(outputDesc);
        return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    *t = task;
    return dvpp_submit(stream, run_decode, t, decode_drop, func);
}

EMU_EXPORT aclError acldvppJpegDecodeAsync(acldvppChannelDesc *channelDesc, const void *data, uint32_t size,
                                           acldvppPicDesc *outputDesc, aclrtStream stream) {
    return decode_async(channelDesc, data, size, outputDesc, stream, false, "acldvppJpegDecodeAsync");
}

EMU_EXPORT aclError acldvppPngDecodeAsync(acldvppChannelDesc *channelDesc, const void *data, uint32_t size,
                                          acldvppPicDesc *outputDesc, aclrtStream stream) {
    return decode_async(channelDesc, data, size, outputDesc, stream, true, "acldvppPngDecodeAsync");
}

/* ------------------------------------------------------------------------------------------ encoding */

/* The encoder's input rules: YUV420SP NV12/NV21 or packed 4:2:2, 32x32..8192x8192, even width (and height for
 * 4:2:0), width stride a multiple of 16 holding the row, height stride at least the height. */
static aclError check_encode_input(const dvpp_pic *p, const dvpp_format **fmt, uint64_t *bytes, const char *func) {
    const dvpp_format *f = dvpp_format_of(p->format);
    bool ok = f && ((f->family == DVPP_FAM_SP && f->sx && f->sy) || f->family == DVPP_FAM_PK422);
    if (!ok) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "inputDesc: JPEGE encodes YUV420SP NV12/NV21 or packed YUV 4:2:2, not %s (%d)",
                        dvpp_format_name(p->format), (int)p->format);
    }
    if (p->width < 32 || p->height < 32 || p->width > 8192 || p->height > 8192) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "inputDesc: %ux%u is outside 32x32..8192x8192", p->width,
                        p->height);
    }
    if ((p->width & 1) || (f->sy && (p->height & 1))) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "inputDesc: %ux%u: %s needs an even width%s", p->width,
                        p->height, f->name, f->sy ? " and height" : "");
    }
    uint64_t min_ws = DVPP_ALIGN((uint64_t)p->width * f->bpp, 16);
    if (p->wstride % 16 || p->wstride < min_ws || p->hstride < p->height || (p->hstride & 1)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                        "inputDesc: strides %ux%u: the width stride must be a multiple of 16 of at least %llu and "
                        "the height stride even and at least %u", p->wstride, p->hstride,
                        (unsigned long long)min_ws, p->height);
    }
    /* ws x hs fits in 64 bits, x 3 may not: wrapped, 4153135120 x 1480547710 strides "took" 86992 bytes and the
     * encoder read 64 rows 4 GB apart. */
    uint64_t need = (uint64_t)p->wstride * p->hstride;
    if (f->family == DVPP_FAM_SP && !emu_mul64(need, 3, &need)) need = UINT64_MAX;
    else if (f->family == DVPP_FAM_SP) need /= 2;
    if (p->size < need) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "inputDesc: size %u is too small: %s with strides %ux%u takes "
                        "%llu bytes", p->size, f->name, p->wstride, p->hstride, (unsigned long long)need);
    }
    *fmt = f;
    *bytes = need;
    return ACL_SUCCESS;
}

/* Worst-case JPEG size: libjpeg-turbo's bound for 4:2:0 (tj3JPEGBufSize: 16x16-padded area * 3 + 2048). */
static uint64_t encode_bound(uint32_t w, uint32_t h) { /* w, h <= 8192 (check_encode_input): no wrap */
    return DVPP_ALIGN(w, 16) * DVPP_ALIGN(h, 16) * 3 + 2048;
}

EMU_EXPORT aclError acldvppJpegPredictEncSize(const acldvppPicDesc *inputDesc, const acldvppJpegeConfig *config,
                                              uint32_t *size) {
    const char *func = "acldvppJpegPredictEncSize";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!size) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "size is NULL");
    dvpp_pic p;
    uint32_t level;
    const dvpp_format *f;
    uint64_t bytes;
    if ((err = dvpp_pic_read(inputDesc, &p, func, "inputDesc")) || (err = dvpp_jpege_read(config, &level, func)) ||
        (err = check_encode_input(&p, &f, &bytes, func))) {
        return err;
    }
    *size = (uint32_t)encode_bound(p.width, p.height);
    return ACL_SUCCESS;
}

typedef struct {
    const char *func;
    dvpp_pic in;
    const dvpp_format *f;
    uint64_t in_bytes;
    uint8_t *out;
    uint32_t capacity;
    uint32_t *size; /* the caller's in/out size, written when the task has run */
    int32_t quality;
} encode_task;

static aclError run_encode(void *arg) {
    encode_task *t = arg;
    const char *func = t->func;
    emu_mem_where w;
    aclError err = emu_mem_locate(t->in.data, t->in_bytes, &w, func, "input data");
    if (!err) err = emu_mem_locate(t->out, t->capacity, &w, func, "data");
    if (err) return err;
    acllite_emu_image_codec c;
    if (!get_codec(&c) || !c.jpeg_encode) {
        return emu_fail(ACL_ERROR_API_NOT_SUPPORT, func, "no image codec is registered (acllite registers Pillow's)");
    }
    size_t stride = 0, bytes = 0;
    uint8_t *ycc = emu_mul(t->in.width, 3, &stride) && emu_mul(stride, t->in.height, &bytes) ? malloc(bytes) : NULL;
    if (!ycc) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    dvpp_to_ycbcr(&t->in, t->f, ycc, stride);
    char message[MESSAGE_MAX] = "";
    size_t written = 0;
    emu_callback_frame frame;
    emu_callback_enter(&frame);
    aclError rc = c.jpeg_encode(ycc, t->in.width, t->in.height, stride, t->quality, t->out, t->capacity, &written,
                                message, sizeof message);
    emu_callback_leave(&frame);
    free(ycc);
    message[sizeof message - 1] = '\0';
    if (rc) return emu_fail(rc, func, "the codec failed: %s", message[0] ? message : "no message");
    if (written > t->capacity) {
        return emu_fail(ACL_ERROR_INTERNAL_ERROR, func, "the codec wrote %zu bytes into %u", written, t->capacity);
    }
    /* As for decoding: the codec ran Python, which may have released the output it wrote. */
    if ((err = emu_mem_locate(t->out, written, &w, func, "data"))) return err;
    *t->size = (uint32_t)written;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError acldvppJpegEncodeAsync(acldvppChannelDesc *channelDesc, acldvppPicDesc *inputDesc,
                                           const void *data, uint32_t *size, acldvppJpegeConfig *config,
                                           aclrtStream stream) {
    const char *func = "acldvppJpegEncodeAsync";
    aclError err = emu_require_init(func);
    if (err || (err = dvpp_channel_check(channelDesc, DVPP_CHNMODE_JPEGE, func))) return err;
    if (!data || !size) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", data ? "size" : "data");
    if (!*size) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "*size (the output capacity) is 0");
    encode_task task = {.func = func, .out = (uint8_t *)(uintptr_t)data, .capacity = *size, .size = size};
    uint32_t level;
    if ((err = dvpp_pic_read(inputDesc, &task.in, func, "inputDesc")) || (err = dvpp_jpege_read(config, &level, func)) ||
        (err = check_encode_input(&task.in, &task.f, &task.in_bytes, func)) ||
        (err = dvpp_check_memory(task.in.data, task.in_bytes, func, "input data")) ||
        (err = dvpp_check_memory(data, *size, func, "data"))) {
        return err;
    }
    task.quality = level == 0 ? 100 : (int32_t)level; /* documented: level 0 encodes like 100 */
    encode_task *t = malloc(sizeof *t);
    if (!t) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    *t = task;
    return dvpp_submit(stream, run_encode, t, free, func);
}
