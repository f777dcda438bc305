/* The base functions of acl_base.h the other files do not own: aclAppLog, the deprecated aclGetDataBufferSize, and
 * the half-precision conversions. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "emu.h"

/* An application's log line, through the emulator's log (Python's logging when acllite is loaded): "<thread id>
 * func:file:line: "text"", as CANN writes it. Nothing is written when func, file or fmt is NULL or the level is
 * not one of ACL_DEBUG .. ACL_ERROR, as on CANN. */
EMU_EXPORT void aclAppLog(aclLogLevel logLevel, const char *func, const char *file, uint32_t line, const char *fmt,
                          ...) {
    if (!func || !file || !fmt || (unsigned)logLevel > ACL_ERROR) return;
    char text[EMU_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    emu_log((int)logLevel, "%u %s:%s:%u: \"%s\"", emu_thread_id(), func, file, line, text);
}

/* Deprecated for aclGetDataBufferSizeV2: a size above 4 GiB - 1 does not fit the result, and is refused (0, with a
 * message) rather than cut to its low 32 bits. */
EMU_EXPORT uint32_t aclGetDataBufferSize(const aclDataBuffer *dataBuffer) {
    const char *func = "aclGetDataBufferSize";
    void *data = NULL;
    size_t size = 0;
    if (!emu_databuffer_read(dataBuffer, &data, &size, func, "dataBuffer")) return 0;
    if (size > UINT32_MAX) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "the buffer holds %zu bytes, more than a uint32_t can say: use "
                 "aclGetDataBufferSizeV2", size);
        return 0;
    }
    return (uint32_t)size;
}

/* ---- float16 ----
 * AscendCL's conversions (its documentation and implementation): half to float is exact and gives the exponent 31
 * no special meaning (+Inf is 65536.0, a NaN 98304.0 or more); float to half rounds to nearest, ties to even, and
 * saturates: a magnitude above the largest half, an infinity or a NaN becomes +-65504 (0x7BFF). */
EMU_EXPORT float aclFloat16ToFloat(aclFloat16 value) {
    int exponent = (value >> 10) & 0x1f;
    unsigned mantissa = value & 0x3ffu;
    float magnitude = exponent ? ldexpf((float)(mantissa | 0x400u), exponent - 25) : ldexpf((float)mantissa, -24);
    return (value & 0x8000u) ? -magnitude : magnitude;
}

/* q rounded at its `shift` low bits removed, to nearest, ties to even. */
static uint32_t round_shift(uint32_t q, unsigned shift) {
    uint32_t kept = q >> shift, rest = q & ((1u << shift) - 1u), half = 1u << (shift - 1);
    return kept + (rest > half || (rest == half && (kept & 1u)));
}

/* float to half, rounded to nearest, ties to even; out of range: saturated to +-65504 (AscendCL) or, IEEE's way,
 * infinities and NaNs kept and overflow to infinity. */
static uint16_t float_to_half(float value, bool saturate) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    uint16_t sign = (uint16_t)((bits >> 16) & 0x8000u);
    int exponent = (int)((bits >> 23) & 0xffu);
    uint32_t mantissa = bits & 0x7fffffu;
    if (exponent == 0xff) {
        if (saturate) return sign | 0x7bffu; /* infinities and NaNs saturate */
        return sign | (mantissa ? 0x7e00u : 0x7c00u);
    }
    int e = exponent - 127 + 15;                 /* the half's biased exponent */
    uint32_t half;
    if (e >= 31) {
        half = 0x7c00u;
    } else if (e >= 1) { /* a normal half: exponent and 10 mantissa bits, rounded at the 13 dropped */
        half = round_shift(((uint32_t)e << 23) | mantissa, 13);
    } else { /* a subnormal half (or zero): the significand in units of 2^-24 */
        unsigned shift = (unsigned)(14 - e);
        half = (exponent == 0 || shift > 24) ? 0 : round_shift(mantissa | 0x800000u, shift);
    }
    if (half >= 0x7c00u) half = saturate ? 0x7bffu : 0x7c00u; /* rounded past the largest half */
    return (uint16_t)(sign | half);
}

EMU_EXPORT aclFloat16 aclFloatToFloat16(float value) { return (aclFloat16)float_to_half(value, true); }

uint16_t emu_float_to_half_ieee(float value) { return float_to_half(value, false); }
