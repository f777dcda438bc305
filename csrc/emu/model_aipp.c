/* Dynamic AIPP: the parameter sets of aclmdlCreateAIPP and its setters, and their copy into a model's AippData
 * input (aclmdlSetInputAIPP, aclmdlSetAIPPByInputIndex). A set is kept as the bytes the device reads from that
 * input (docs/MODELS.md, "Dynamic AIPP"): a 64-byte common part, then 96 bytes per batch element, little-endian,
 * DTC minimum and variance reciprocal as float16. Each execution reads those bytes, checks them and applies them to
 * the source images in C (emu_aipp_apply); the engine runs the model on the result. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define AIPP_HEADER_BYTES 64
#define AIPP_BATCH_BYTES 96
#define AIPP_MAX_BATCH 127 /* batchNum is an int8_t in the parameter block */
#define AIPP_MAX_PADDED_W 1080 /* the width after padding, at most */

/* Offsets in the common part. */
enum {
    H_INPUT_FORMAT = 0, H_CSC_SWITCH = 1, H_RBUV_SWAP = 2, H_AX_SWAP = 3, H_BATCH_NUM = 4,
    H_SRC_W = 8, H_SRC_H = 12, H_MATRIX = 16 /* 9 x int16 */, H_OUTPUT_BIAS = 40 /* 3 x uint8 */,
    H_INPUT_BIAS = 43 /* 3 x uint8 */
};
/* Offsets in a batch element. */
enum {
    B_CROP_SWITCH = 0, B_SCF_SWITCH = 1, B_PADDING_SWITCH = 2, B_CROP_START_W = 8, B_CROP_START_H = 12,
    B_CROP_W = 16, B_CROP_H = 20, B_SCF_IN_W = 24, B_SCF_IN_H = 28, B_SCF_OUT_W = 32, B_SCF_OUT_H = 36,
    B_PAD_TOP = 40, B_PAD_BOTTOM = 44, B_PAD_LEFT = 48, B_PAD_RIGHT = 52, B_MEAN = 56 /* 4 x int16 */,
    B_MIN = 64 /* 4 x float16 */, B_VAR_RECI = 72 /* 4 x float16 */
};

struct aclmdlAIPP {
    uint64_t batch;
    size_t bytes; /* AIPP_HEADER_BYTES + batch x AIPP_BATCH_BYTES */
    uint8_t data[];
};

static void put_i32(uint8_t *p, int32_t v) { memcpy(p, &v, sizeof v); }
static void put_i16(uint8_t *p, int16_t v) { memcpy(p, &v, sizeof v); }
static int32_t get_i32(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void aipp_free(void *p) { free(p); }

uint64_t emu_aipp_release_locked(void) { return emu_reg_release_all(EMU_H_AIPP, -1, aipp_free); }

EMU_EXPORT aclError aclmdlGetAippDataSize(uint64_t batchSize, size_t *size) {
    const char *func = "aclmdlGetAippDataSize";
    if (!size) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "size is NULL");
    if (batchSize == 0 || batchSize > AIPP_MAX_BATCH) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "batchSize %llu is outside 1 to %d",
                        (unsigned long long)batchSize, AIPP_MAX_BATCH);
    }
    *size = AIPP_HEADER_BYTES + (size_t)batchSize * AIPP_BATCH_BYTES;
    return ACL_SUCCESS;
}

EMU_EXPORT aclmdlAIPP *aclmdlCreateAIPP(uint64_t batchSize) {
    const char *func = "aclmdlCreateAIPP";
    if (batchSize == 0 || batchSize > AIPP_MAX_BATCH) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "batchSize %llu is outside 1 to %d", (unsigned long long)batchSize,
                 AIPP_MAX_BATCH);
        return NULL;
    }
    size_t bytes = AIPP_HEADER_BYTES + (size_t)batchSize * AIPP_BATCH_BYTES;
    aclmdlAIPP *a = calloc(1, sizeof *a + bytes);
    if (!a) {
        emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        return NULL;
    }
    a->batch = batchSize;
    a->bytes = bytes;
    a->data[H_BATCH_NUM] = (uint8_t)batchSize;
    for (uint64_t b = 0; b < batchSize; b++) { /* variance reciprocal 1.0: data type conversion is a no-op */
        uint8_t *e = a->data + AIPP_HEADER_BYTES + b * AIPP_BATCH_BYTES;
        for (int c = 0; c < 4; c++) put_i16(e + B_VAR_RECI + 2 * c, (int16_t)aclFloatToFloat16(1.0f));
    }
    emu_lock();
    bool ok = emu_reg_add(a, EMU_H_AIPP, -1);
    emu_unlock();
    if (!ok) {
        free(a);
        emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        return NULL;
    }
    return a;
}

EMU_EXPORT aclError aclmdlDestroyAIPP(const aclmdlAIPP *aippParmsSet) {
    const char *func = "aclmdlDestroyAIPP";
    if (!aippParmsSet) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "aippParmsSet is NULL");
    emu_lock();
    bool ok = emu_reg_remove(aippParmsSet, EMU_H_AIPP);
    emu_unlock();
    if (!ok) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "aippParmsSet %p is not a live aclmdlAIPP (destroyed already?)",
                        (const void *)aippParmsSet);
    }
    free((void *)(uintptr_t)aippParmsSet);
    return ACL_SUCCESS;
}

/* The setters write into a live set; the registry lock is held while they do, so a concurrent destroy waits. */
static aclmdlAIPP *aipp_lock(const aclmdlAIPP *a, const char *func) {
    if (!a) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "aippParmsSet is NULL");
        return NULL;
    }
    emu_lock();
    if (!emu_reg_has(a, EMU_H_AIPP)) {
        emu_unlock();
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "aippParmsSet %p is not a live aclmdlAIPP (destroyed already?)",
                 (const void *)a);
        return NULL;
    }
    return (aclmdlAIPP *)(uintptr_t)a;
}

static aclError check_switch(int8_t value, const char *what, const char *func) {
    if (value != 0 && value != 1) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is %d; it takes 0 or 1", what, value);
    return ACL_SUCCESS;
}

static aclError check_range(int32_t value, int32_t lo, int32_t hi, const char *what, const char *func) {
    if (value < lo || value > hi) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s %d is outside %d to %d", what, value, lo, hi);
    }
    return ACL_SUCCESS;
}

/* The batch element batchIndex of a locked set, or NULL (unlocked, message set). */
static uint8_t *batch_element(aclmdlAIPP *a, uint64_t batchIndex, const char *func) {
    if (batchIndex >= a->batch) {
        emu_unlock();
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "batchIndex %llu is not below the set's batchSize %llu",
                 (unsigned long long)batchIndex, (unsigned long long)a->batch);
        return NULL;
    }
    return a->data + AIPP_HEADER_BYTES + batchIndex * AIPP_BATCH_BYTES;
}

EMU_EXPORT aclError aclmdlSetAIPPInputFormat(aclmdlAIPP *aippParmsSet, aclAippInputFormat inputFormat) {
    const char *func = "aclmdlSetAIPPInputFormat";
    if (inputFormat < ACL_YUV420SP_U8 || inputFormat > ACL_RAW24 || inputFormat == ACL_NC1HWC0DI_FP16 ||
        inputFormat == ACL_NC1HWC0DI_S8) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "inputFormat %d is not an AIPP image format (aclAippInputFormat)",
                        (int)inputFormat);
    }
    aclmdlAIPP *a = aipp_lock(aippParmsSet, func);
    if (!a) return ACL_ERROR_INVALID_PARAM;
    a->data[H_INPUT_FORMAT] = (uint8_t)inputFormat;
    emu_unlock();
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclmdlSetAIPPCscParams(aclmdlAIPP *aippParmsSet, int8_t cscSwitch, int16_t cscMatrixR0C0,
                                           int16_t cscMatrixR0C1, int16_t cscMatrixR0C2, int16_t cscMatrixR1C0,
                                           int16_t cscMatrixR1C1, int16_t cscMatrixR1C2, int16_t cscMatrixR2C0,
                                           int16_t cscMatrixR2C1, int16_t cscMatrixR2C2, uint8_t cscOutputBiasR0,
                                           uint8_t cscOutputBiasR1, uint8_t cscOutputBiasR2, uint8_t cscInputBiasR0,
                                           uint8_t cscInputBiasR1, uint8_t cscInputBiasR2) {
    const char *func = "aclmdlSetAIPPCscParams";
    aclError err = check_switch(cscSwitch, "cscSwitch", func);
    if (err) return err;
    aclmdlAIPP *a = aipp_lock(aippParmsSet, func);
    if (!a) return ACL_ERROR_INVALID_PARAM;
    const int16_t m[9] = {cscMatrixR0C0, cscMatrixR0C1, cscMatrixR0C2, cscMatrixR1C0, cscMatrixR1C1,
                          cscMatrixR1C2, cscMatrixR2C0, cscMatrixR2C1, cscMatrixR2C2};
    const uint8_t bias[6] = {cscOutputBiasR0, cscOutputBiasR1, cscOutputBiasR2,
                             cscInputBiasR0, cscInputBiasR1, cscInputBiasR2};
    a->data[H_CSC_SWITCH] = (uint8_t)cscSwitch;
    for (int k = 0; k < 9; k++) put_i16(a->data + H_MATRIX + 2 * k, m[k]);
    memcpy(a->data + H_OUTPUT_BIAS, bias, sizeof bias); /* output biases, then input biases */
    emu_unlock();
    return ACL_SUCCESS;
}

static aclError set_header_switch(aclmdlAIPP *set, int8_t value, size_t offset, const char *what, const char *func) {
    aclError err = check_switch(value, what, func);
    if (err) return err;
    aclmdlAIPP *a = aipp_lock(set, func);
    if (!a) return ACL_ERROR_INVALID_PARAM;
    a->data[offset] = (uint8_t)value;
    emu_unlock();
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclmdlSetAIPPRbuvSwapSwitch(aclmdlAIPP *aippParmsSet, int8_t rbuvSwapSwitch) {
    return set_header_switch(aippParmsSet, rbuvSwapSwitch, H_RBUV_SWAP, "rbuvSwapSwitch", "aclmdlSetAIPPRbuvSwapSwitch");
}

EMU_EXPORT aclError aclmdlSetAIPPAxSwapSwitch(aclmdlAIPP *aippParmsSet, int8_t axSwapSwitch) {
    return set_header_switch(aippParmsSet, axSwapSwitch, H_AX_SWAP, "axSwapSwitch", "aclmdlSetAIPPAxSwapSwitch");
}

EMU_EXPORT aclError aclmdlSetAIPPSrcImageSize(aclmdlAIPP *aippParmsSet, int32_t srcImageSizeW, int32_t srcImageSizeH) {
    const char *func = "aclmdlSetAIPPSrcImageSize";
    aclError err;
    if ((err = check_range(srcImageSizeW, 1, 4096, "srcImageSizeW", func)) ||
        (err = check_range(srcImageSizeH, 1, 4096, "srcImageSizeH", func))) {
        return err;
    }
    aclmdlAIPP *a = aipp_lock(aippParmsSet, func);
    if (!a) return ACL_ERROR_INVALID_PARAM;
    put_i32(a->data + H_SRC_W, srcImageSizeW);
    put_i32(a->data + H_SRC_H, srcImageSizeH);
    emu_unlock();
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclmdlSetAIPPScfParams(aclmdlAIPP *aippParmsSet, int8_t scfSwitch, int32_t scfInputSizeW,
                                           int32_t scfInputSizeH, int32_t scfOutputSizeW, int32_t scfOutputSizeH,
                                           uint64_t batchIndex) {
    const char *func = "aclmdlSetAIPPScfParams";
    aclError err = check_switch(scfSwitch, "scfSwitch", func);
    if (err) return err;
    if (scfSwitch && ((err = check_range(scfInputSizeW, 16, 4096, "scfInputSizeW", func)) ||
                      (err = check_range(scfInputSizeH, 16, 4096, "scfInputSizeH", func)) ||
                      (err = check_range(scfOutputSizeW, 16, 1920, "scfOutputSizeW", func)) ||
                      (err = check_range(scfOutputSizeH, 16, 4096, "scfOutputSizeH", func)))) {
        return err;
    }
    aclmdlAIPP *a = aipp_lock(aippParmsSet, func);
    if (!a) return ACL_ERROR_INVALID_PARAM;
    uint8_t *e = batch_element(a, batchIndex, func);
    if (!e) return ACL_ERROR_INVALID_PARAM;
    e[B_SCF_SWITCH] = (uint8_t)scfSwitch;
    put_i32(e + B_SCF_IN_W, scfInputSizeW);
    put_i32(e + B_SCF_IN_H, scfInputSizeH);
    put_i32(e + B_SCF_OUT_W, scfOutputSizeW);
    put_i32(e + B_SCF_OUT_H, scfOutputSizeH);
    emu_unlock();
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclmdlSetAIPPCropParams(aclmdlAIPP *aippParmsSet, int8_t cropSwitch, int32_t cropStartPosW,
                                            int32_t cropStartPosH, int32_t cropSizeW, int32_t cropSizeH,
                                            uint64_t batchIndex) {
    const char *func = "aclmdlSetAIPPCropParams";
    aclError err = check_switch(cropSwitch, "cropSwitch", func);
    if (err) return err;
    if (cropSwitch && ((err = check_range(cropStartPosW, 0, 4095, "cropStartPosW", func)) ||
                       (err = check_range(cropStartPosH, 0, 4095, "cropStartPosH", func)) ||
                       (err = check_range(cropSizeW, 1, 4096, "cropSizeW", func)) ||
                       (err = check_range(cropSizeH, 1, 4096, "cropSizeH", func)))) {
        return err;
    }
    aclmdlAIPP *a = aipp_lock(aippParmsSet, func);
    if (!a) return ACL_ERROR_INVALID_PARAM;
    uint8_t *e = batch_element(a, batchIndex, func);
    if (!e) return ACL_ERROR_INVALID_PARAM;
    e[B_CROP_SWITCH] = (uint8_t)cropSwitch;
    put_i32(e + B_CROP_START_W, cropStartPosW);
    put_i32(e + B_CROP_START_H, cropStartPosH);
    put_i32(e + B_CROP_W, cropSizeW);
    put_i32(e + B_CROP_H, cropSizeH);
    emu_unlock();
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclmdlSetAIPPPaddingParams(aclmdlAIPP *aippParmsSet, int8_t paddingSwitch, int32_t paddingSizeTop,
                                               int32_t paddingSizeBottom, int32_t paddingSizeLeft,
                                               int32_t paddingSizeRight, uint64_t batchIndex) {
    const char *func = "aclmdlSetAIPPPaddingParams";
    aclError err = check_switch(paddingSwitch, "paddingSwitch", func);
    if (err) return err;
    if (paddingSwitch && ((err = check_range(paddingSizeTop, 0, 32, "paddingSizeTop", func)) ||
                          (err = check_range(paddingSizeBottom, 0, 32, "paddingSizeBottom", func)) ||
                          (err = check_range(paddingSizeLeft, 0, 32, "paddingSizeLeft", func)) ||
                          (err = check_range(paddingSizeRight, 0, 32, "paddingSizeRight", func)))) {
        return err;
    }
    aclmdlAIPP *a = aipp_lock(aippParmsSet, func);
    if (!a) return ACL_ERROR_INVALID_PARAM;
    uint8_t *e = batch_element(a, batchIndex, func);
    if (!e) return ACL_ERROR_INVALID_PARAM;
    e[B_PADDING_SWITCH] = (uint8_t)paddingSwitch;
    put_i32(e + B_PAD_TOP, paddingSizeTop);
    put_i32(e + B_PAD_BOTTOM, paddingSizeBottom);
    put_i32(e + B_PAD_LEFT, paddingSizeLeft);
    put_i32(e + B_PAD_RIGHT, paddingSizeRight);
    emu_unlock();
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclmdlSetAIPPDtcPixelMean(aclmdlAIPP *aippParmsSet, int16_t dtcPixelMeanChn0,
                                              int16_t dtcPixelMeanChn1, int16_t dtcPixelMeanChn2,
                                              int16_t dtcPixelMeanChn3, uint64_t batchIndex) {
    const char *func = "aclmdlSetAIPPDtcPixelMean";
    aclmdlAIPP *a = aipp_lock(aippParmsSet, func);
    if (!a) return ACL_ERROR_INVALID_PARAM;
    uint8_t *e = batch_element(a, batchIndex, func);
    if (!e) return ACL_ERROR_INVALID_PARAM;
    const int16_t mean[4] = {dtcPixelMeanChn0, dtcPixelMeanChn1, dtcPixelMeanChn2, dtcPixelMeanChn3};
    for (int c = 0; c < 4; c++) put_i16(e + B_MEAN + 2 * c, mean[c]);
    emu_unlock();
    return ACL_SUCCESS;
}

/* Four float16 values (the DTC minimum or variance reciprocal): each finite and within float16's range. */
static aclError set_halves(aclmdlAIPP *set, const float v[4], size_t offset, const char *what, uint64_t batchIndex,
                           const char *func) {
    for (int c = 0; c < 4; c++) {
        if (!isfinite(v[c]) || fabsf(v[c]) > 65504.0f) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s%d %g is outside float16's range (-65504 to 65504)",
                            what, c, (double)v[c]);
        }
    }
    aclmdlAIPP *a = aipp_lock(set, func);
    if (!a) return ACL_ERROR_INVALID_PARAM;
    uint8_t *e = batch_element(a, batchIndex, func);
    if (!e) return ACL_ERROR_INVALID_PARAM;
    for (int c = 0; c < 4; c++) put_i16(e + offset + 2 * c, (int16_t)aclFloatToFloat16(v[c]));
    emu_unlock();
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclmdlSetAIPPDtcPixelMin(aclmdlAIPP *aippParmsSet, float dtcPixelMinChn0, float dtcPixelMinChn1,
                                             float dtcPixelMinChn2, float dtcPixelMinChn3, uint64_t batchIndex) {
    const float v[4] = {dtcPixelMinChn0, dtcPixelMinChn1, dtcPixelMinChn2, dtcPixelMinChn3};
    return set_halves(aippParmsSet, v, B_MIN, "dtcPixelMinChn", batchIndex, "aclmdlSetAIPPDtcPixelMin");
}

EMU_EXPORT aclError aclmdlSetAIPPPixelVarReci(aclmdlAIPP *aippParmsSet, float dtcPixelVarReciChn0,
                                              float dtcPixelVarReciChn1, float dtcPixelVarReciChn2,
                                              float dtcPixelVarReciChn3, uint64_t batchIndex) {
    const float v[4] = {dtcPixelVarReciChn0, dtcPixelVarReciChn1, dtcPixelVarReciChn2, dtcPixelVarReciChn3};
    return set_halves(aippParmsSet, v, B_VAR_RECI, "dtcPixelVarReciChn", batchIndex, "aclmdlSetAIPPPixelVarReci");
}

/* ------------------------------------------------------------------ writing a set into the AippData input */

/* The width and height one batch element's AIPP produces (aclmdlSetInputAIPP's table: crop, then padding). */
static void element_output(const uint8_t *head, const uint8_t *e, int64_t *w, int64_t *h) {
    *w = e[B_CROP_SWITCH] ? get_i32(e + B_CROP_W) : get_i32(head + H_SRC_W);
    *h = e[B_CROP_SWITCH] ? get_i32(e + B_CROP_H) : get_i32(head + H_SRC_H);
    if (e[B_PADDING_SWITCH]) {
        *w += (int64_t)get_i32(e + B_PAD_LEFT) + get_i32(e + B_PAD_RIGHT);
        *h += (int64_t)get_i32(e + B_PAD_TOP) + get_i32(e + B_PAD_BOTTOM);
    }
}

/* The documented combinations, checked on a snapshot of the set (bytes) before it is written. */
static aclError check_set(const uint8_t *d, uint64_t batch, const char *func) {
    uint8_t fmt = d[H_INPUT_FORMAT];
    if (fmt == 0) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the AIPP set has no input format: call "
                                  "aclmdlSetAIPPInputFormat first");
    int32_t src_w = get_i32(d + H_SRC_W), src_h = get_i32(d + H_SRC_H);
    if (src_w == 0 || src_h == 0) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the AIPP set has no source image size: call "
                        "aclmdlSetAIPPSrcImageSize first");
    }
    bool yuv420 = fmt == ACL_YUV420SP_U8;
    if (yuv420 && (src_w % 2 || src_h % 2)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "a YUV420SP source image needs an even width and height, not "
                        "%dx%d", src_w, src_h);
    }
    int64_t w0 = 0, h0 = 0;
    for (uint64_t b = 0; b < batch; b++) {
        const uint8_t *e = d + AIPP_HEADER_BYTES + b * AIPP_BATCH_BYTES;
        if (e[B_SCF_SWITCH]) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "batch %llu: resizing (scfSwitch 1) is not supported by "
                            "dynamic AIPP (the documentation: crop -> CSC -> resize (not supported) -> DTC -> padding)",
                            (unsigned long long)b);
        }
        if (e[B_CROP_SWITCH]) {
            int32_t x = get_i32(e + B_CROP_START_W), y = get_i32(e + B_CROP_START_H);
            int32_t cw = get_i32(e + B_CROP_W), ch = get_i32(e + B_CROP_H);
            if ((int64_t)x + cw > src_w || (int64_t)y + ch > src_h) {
                return emu_fail(ACL_ERROR_INVALID_PARAM, func, "batch %llu: the crop [%d, %lld) x [%d, %lld) leaves "
                                "the %dx%d source image", (unsigned long long)b, x, (long long)x + cw, y,
                                (long long)y + ch, src_w, src_h);
            }
            if (yuv420 && (x % 2 || y % 2)) {
                return emu_fail(ACL_ERROR_INVALID_PARAM, func, "batch %llu: a YUV420SP crop needs an even start, not "
                                "(%d, %d)", (unsigned long long)b, x, y);
            }
        }
        int64_t w, h;
        element_output(d, e, &w, &h);
        if (e[B_PADDING_SWITCH] && w > AIPP_MAX_PADDED_W) { /* aclmdlSetAIPPPaddingParams' restriction */
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "batch %llu: the padded width %lld is more than %d",
                            (unsigned long long)b, (long long)w, AIPP_MAX_PADDED_W);
        }
        if (b == 0) {
            w0 = w;
            h0 = h;
        } else if (w != w0 || h != h0) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "batch %llu's AIPP output is %lldx%lld, batch 0's "
                            "%lldx%lld: every batch must give the same size", (unsigned long long)b, (long long)w,
                            (long long)h, (long long)w0, (long long)h0);
        }
    }
    return ACL_SUCCESS;
}

/* Copy the set into the dataset's buffer data_index (the AippData input described by desc). */
static aclError write_set(const aclmdlAIPP *set, aclmdlDataset *dataset, size_t data_index,
                          const acllite_emu_tensor_desc *desc, const char *func) {
    if (!dataset) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dataset is NULL");
    aclmdlAIPP *a = aipp_lock(set, func);
    if (!a) return ACL_ERROR_INVALID_PARAM;
    uint64_t batch = a->batch;
    size_t bytes = a->bytes;
    uint8_t *snapshot = malloc(bytes);
    if (snapshot) memcpy(snapshot, a->data, bytes);
    emu_unlock();
    if (!snapshot) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    size_t model_bytes = desc->size;
    if (!model_bytes && desc->dimCount == 1 && desc->dims[0] > 0) model_bytes = (size_t)desc->dims[0];
    aclError err = check_set(snapshot, batch, func);
    if (!err && model_bytes && model_bytes != bytes) {
        err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "the AIPP set holds %llu batch(es) (%zu bytes); the model's "
                       "AippData input '%s' takes %zu bytes (%zu batch(es)): create it with that batchSize",
                       (unsigned long long)batch, bytes, desc->name, model_bytes,
                       model_bytes > AIPP_HEADER_BYTES ? (model_bytes - AIPP_HEADER_BYTES) / AIPP_BATCH_BYTES : 0);
    }
    acllite_emu_tensor *t = NULL;
    size_t n = 0;
    if (!err) err = emu_dataset_tensors(dataset, &t, &n, func, "input");
    emu_mem_where w;
    if (err) {
        /* reported */
    } else if (data_index >= n) {
        err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "the dataset has %zu buffer(s); the AippData input is %zu", n,
                       data_index);
    } else if (t[data_index].size < bytes) {
        err = emu_fail(ACL_ERROR_GE_DYNAMIC_INPUT_LENGTH_INVALID, func, "buffer %zu holds %zu bytes; the AIPP "
                       "parameters need %zu (aclmdlGetAippDataSize)", data_index, t[data_index].size, bytes);
    } else if (!(err = emu_mem_locate(t[data_index].data, bytes, &w, func, "the AippData buffer"))) {
        memcpy(t[data_index].data, snapshot, bytes);
    }
    free(t);
    free(snapshot);
    return err;
}

EMU_EXPORT aclError aclmdlSetInputAIPP(uint32_t modelId, aclmdlDataset *dataset, size_t index,
                                       const aclmdlAIPP *aippParmsSet) {
    const char *func = "aclmdlSetInputAIPP";
    acllite_emu_tensor_desc desc;
    size_t attached = SIZE_MAX;
    aclError err = emu_model_aipp_input(modelId, index, &desc, &attached, func);
    if (err) return err;
    if (!emu_is_aipp_data_name(desc.name)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "input %zu '%s' of model %u is not a dynamic AIPP input ('%s'; "
                        "aclmdlGetAippType tells which input is)", index, desc.name, modelId, ACL_DYNAMIC_AIPP_NAME);
    }
    return write_set(aippParmsSet, dataset, index, &desc, func);
}

EMU_EXPORT aclError aclmdlSetAIPPByInputIndex(uint32_t modelId, aclmdlDataset *dataset, size_t index,
                                              const aclmdlAIPP *aippParmsSet) {
    const char *func = "aclmdlSetAIPPByInputIndex";
    acllite_emu_tensor_desc desc;
    size_t attached = SIZE_MAX;
    aclError err = emu_model_aipp_input(modelId, index, &desc, &attached, func);
    if (err) return err;
    if (attached == SIZE_MAX) {
        return emu_fail(ACL_ERROR_GE_AIPP_NOT_EXIST, func, "input %zu '%s' of model %u has no dynamic AIPP input "
                        "attached (aclmdlGetAippType)", index, desc.name, modelId);
    }
    size_t unused;
    if ((err = emu_model_aipp_input(modelId, attached, &desc, &unused, func))) return err;
    return write_set(aippParmsSet, dataset, attached, &desc, func);
}

/* ------------------------------------------------------------------ execution: applying the AippData input */

static int16_t get_i16(const uint8_t *p) {
    int16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static float get_half(const uint8_t *p) {
    aclFloat16 v;
    memcpy(&v, p, sizeof v);
    return aclFloat16ToFloat(v);
}

/* The bytes one pixel of a source image takes in an aclAippInputFormat (YUV420SP: 1.5, as 3 per 2 pixels). */
static uint64_t source_bytes_of(int32_t format, uint64_t pixels) {
    switch (format) {
    case ACL_YUV420SP_U8: return pixels / 2 * 3;
    case ACL_XRGB8888_U8: return pixels * 4;
    case ACL_RGB888_U8: return pixels * 3;
    default: return pixels;
    }
}

aclError emu_aipp_plan_check(emu_aipp_plan *plan, size_t index, const emu_io *in, size_t n_in, const char *func) {
    const acllite_emu_aipp_input *a = &plan->info;
    const char *name = in[index].desc.name;
    bool dynamic = a->kind == ACLLITE_EMU_AIPP_DYNAMIC;
    if (!dynamic && a->kind != ACLLITE_EMU_AIPP_STATIC_GEARED) {
        return emu_fail(ACL_ERROR_PARSE_MODEL, func, "input %zu '%s': AIPP of kind %d is not one the emulator runs",
                        index, name, (int)a->kind);
    }
    if (dynamic && (a->dataIndex >= n_in || a->dataIndex == index ||
                    !emu_is_aipp_data_name(in[a->dataIndex].desc.name))) {
        return emu_fail(ACL_ERROR_PARSE_MODEL, func, "input %zu '%s': its dynamic AIPP names input %zu as its "
                        "AippData input, which the model does not have", index, name, a->dataIndex);
    }
    size_t elem = a->dataType == ACL_FLOAT ? 4 : a->dataType == ACL_FLOAT16 ? 2 : 0;
    size_t count = elem, channels = (size_t)a->dims[1];
    bool fits = elem != 0 && (channels == 1 || channels == 3) && (a->channelsLast == 0 || a->channelsLast == 1) &&
                (dynamic ? a->maxSrcImageSize > 0 : a->dims[2] == 0 && a->dims[3] == 0);
    for (int k = 0; fits && k < (dynamic ? 4 : 2); k++) fits = a->dims[k] > 0 && emu_mul(count, (size_t)a->dims[k], &count);
    if (!fits || count > EMU_MAX_TENSOR_BYTES) {
        return emu_fail(ACL_ERROR_PARSE_MODEL, func, "input %zu '%s': the AIPP description (kind %d, dims [%lld, %lld, "
                        "%lld, %lld], data type %d, max_src_image_size %zu) is not one the emulator runs", index, name,
                        (int)a->kind, (long long)a->dims[0], (long long)a->dims[1], (long long)a->dims[2],
                        (long long)a->dims[3], (int)a->dataType, a->maxSrcImageSize);
    }
    plan->input = index;
    plan->out_bytes = dynamic ? count : 0; /* a geared one's: emu_aipp_gear_sizes */
    return ACL_SUCCESS;
}

aclError emu_aipp_gear_sizes(emu_aipp_plan *plan, emu_shape_gears *g, emu_io *io, const char *func) {
    size_t i = plan->input, cells = g->n_in + g->n_out;
    const acllite_emu_aipp_input *a = &plan->info;
    uint64_t most_in = 0, most_out = 0;
    int32_t format = plan->fixed.inputFormat;
    for (size_t gear = 0; gear < g->count; gear++) {
        const int64_t *d = g->dims[gear * cells + i]; /* [N, H, W, C] of the source images */
        uint64_t pixels, in_bytes, out_bytes;
        bool ok = g->ranks[i] == 4 && d[0] == a->dims[0] && emu_mul64((uint64_t)d[1], (uint64_t)d[2], &pixels) &&
                  emu_mul64(source_bytes_of(format, pixels), (uint64_t)d[0], &in_bytes) &&
                  emu_mul64(pixels, (uint64_t)(a->dims[0] * a->dims[1]), &out_bytes) &&
                  emu_mul64(out_bytes, a->dataType == ACL_FLOAT16 ? 2 : 4, &out_bytes) &&
                  in_bytes <= EMU_MAX_TENSOR_BYTES && out_bytes <= EMU_MAX_TENSOR_BYTES;
        if (!ok || (format == ACL_YUV420SP_U8 && (d[1] % 2 || d[2] % 2))) {
            return emu_fail(ACL_ERROR_PARSE_MODEL, func, "input %zu '%s': gear %zu's source images [%lld, %lld, %lld, "
                            "%lld] do not fit AIPP input format %d", i, io->desc.name, gear, (long long)d[0],
                            (long long)d[1], (long long)d[2], (long long)d[3], (int)format);
        }
        g->bytes[gear * cells + i] = (size_t)in_bytes;
        most_in = in_bytes > most_in ? in_bytes : most_in;
        most_out = out_bytes > most_out ? out_bytes : most_out;
    }
    io->size = (size_t)most_in;
    plan->out_bytes = (size_t)most_out;
    return ACL_SUCCESS;
}

/* One image's parameters, read from its batch element of the block and checked. */
typedef struct {
    int32_t x, y, cw, ch; /* the crop (the whole source image without one) */
    int32_t top, bottom, left, right;
    double mean[4], min[4], var[4];
} aipp_element;

typedef struct {
    uint8_t format;
    int32_t src_w, src_h, channels; /* channels: 3, or 1 for YUV400 */
    bool csc, rbuv_swap, ax_swap;
    int32_t matrix[9], output_bias[3], input_bias[3];
} aipp_common;

static aclError read_common(const uint8_t *d, const emu_aipp_plan *plan, const char *where, aipp_common *c,
                            const char *func) {
    int64_t n = plan->info.dims[0];
    c->format = d[H_INPUT_FORMAT];
    int8_t batch = (int8_t)d[H_BATCH_NUM];
    if (c->format == 0 || batch == 0) {
        return emu_fail(ACL_ERROR_GE_AIPP_BATCH_EMPTY, func, "%s holds no AIPP parameters: call aclmdlSetInputAIPP (or "
                        "aclmdlSetAIPPByInputIndex) on the input dataset first", where);
    }
    if (batch != n) {
        return emu_fail(ACL_ERROR_GE_PARAM_INVALID, func, "%s: the AIPP parameters are for %d image(s); the model "
                        "input takes %lld", where, batch, (long long)n);
    }
    if (c->format < ACL_YUV420SP_U8 || c->format > ACL_YUV400_U8) {
        return emu_fail(ACL_ERROR_GE_PARAM_INVALID, func, "%s: input format %d is not emulated (emulated: 1 "
                        "YUV420SP_U8, 2 XRGB8888_U8, 3 RGB888_U8, 4 YUV400_U8)", where, c->format);
    }
    c->channels = c->format == ACL_YUV400_U8 ? 1 : 3;
    if (c->channels != plan->info.dims[1]) {
        return emu_fail(ACL_ERROR_GE_PARAM_INVALID, func, "%s: input format %d gives %d channel(s); the model input "
                        "has %lld", where, c->format, c->channels, (long long)plan->info.dims[1]);
    }
    c->src_w = get_i32(d + H_SRC_W);
    c->src_h = get_i32(d + H_SRC_H);
    bool yuv420 = c->format == ACL_YUV420SP_U8;
    if (c->src_w < 1 || c->src_h < 1 || (yuv420 && (c->src_w % 2 || c->src_h % 2))) {
        return emu_fail(ACL_ERROR_GE_PARAM_INVALID, func, "%s: a source image of %dx%d%s", where, c->src_w, c->src_h,
                        yuv420 ? " (YUV420SP needs a positive, even width and height)" : " is empty");
    }
    c->csc = d[H_CSC_SWITCH] != 0;
    c->rbuv_swap = d[H_RBUV_SWAP] != 0;
    c->ax_swap = d[H_AX_SWAP] != 0;
    if (c->csc && c->channels != 3) {
        return emu_fail(ACL_ERROR_GE_PARAM_INVALID, func, "%s: colour space conversion needs 3 channels; YUV400_U8 has "
                        "1", where);
    }
    for (int k = 0; k < 9; k++) c->matrix[k] = get_i16(d + H_MATRIX + 2 * k);
    for (int k = 0; k < 3; k++) {
        c->output_bias[k] = d[H_OUTPUT_BIAS + k];
        c->input_bias[k] = d[H_INPUT_BIAS + k];
    }
    return ACL_SUCCESS;
}

static aclError read_element(const uint8_t *e, const aipp_common *c, const emu_aipp_plan *plan, int64_t b,
                             const char *where, aipp_element *out, const char *func) { /* (dynamic) */
    if (e[B_SCF_SWITCH]) {
        return emu_fail(ACL_ERROR_GE_PARAM_INVALID, func, "%s: image %lld: resizing (scf) is not emulated", where,
                        (long long)b);
    }
    *out = (aipp_element){0, 0, c->src_w, c->src_h, 0, 0, 0, 0, {0}, {0}, {0}};
    if (e[B_CROP_SWITCH]) {
        out->x = get_i32(e + B_CROP_START_W);
        out->y = get_i32(e + B_CROP_START_H);
        out->cw = get_i32(e + B_CROP_W);
        out->ch = get_i32(e + B_CROP_H);
        if (out->x < 0 || out->y < 0 || out->cw < 1 || out->ch < 1 || (int64_t)out->x + out->cw > c->src_w ||
            (int64_t)out->y + out->ch > c->src_h) {
            return emu_fail(ACL_ERROR_GE_PARAM_INVALID, func, "%s: image %lld: the crop %dx%d at (%d, %d) is not inside "
                            "the %dx%d source image", where, (long long)b, out->cw, out->ch, out->x, out->y, c->src_w,
                            c->src_h);
        }
        if (c->format == ACL_YUV420SP_U8 && (out->x % 2 || out->y % 2)) {
            return emu_fail(ACL_ERROR_GE_PARAM_INVALID, func, "%s: image %lld: a YUV420SP crop needs an even start, not "
                            "(%d, %d)", where, (long long)b, out->x, out->y);
        }
    }
    if (e[B_PADDING_SWITCH]) {
        out->top = get_i32(e + B_PAD_TOP);
        out->bottom = get_i32(e + B_PAD_BOTTOM);
        out->left = get_i32(e + B_PAD_LEFT);
        out->right = get_i32(e + B_PAD_RIGHT);
        if (out->top < 0 || out->bottom < 0 || out->left < 0 || out->right < 0) {
            return emu_fail(ACL_ERROR_GE_PARAM_INVALID, func, "%s: image %lld: negative padding (top %d, bottom %d, "
                            "left %d, right %d)", where, (long long)b, out->top, out->bottom, out->left, out->right);
        }
    }
    int64_t w = (int64_t)out->cw + out->left + out->right, h = (int64_t)out->ch + out->top + out->bottom;
    int64_t want_h = plan->info.dims[2], want_w = plan->info.dims[3];
    if (w != want_w || h != want_h) {
        return emu_fail(ACL_ERROR_GE_PARAM_INVALID, func, "%s: image %lld: the AIPP output is %lldx%lld; the model "
                        "input needs %lldx%lld (crop + padding, or the source image size)", where, (long long)b, (long long)w,
                        (long long)h, (long long)want_w, (long long)want_h);
    }
    for (int k = 0; k < 4; k++) {
        out->mean[k] = get_i16(e + B_MEAN + 2 * k);
        out->min[k] = get_half(e + B_MIN + 2 * k);
        out->var[k] = get_half(e + B_VAR_RECI + 2 * k);
    }
    return ACL_SUCCESS;
}

/* Bytes of one source image in the input format; the sizes are at most INT32_MAX each. */
static uint64_t source_bytes(const aipp_common *c) {
    return source_bytes_of(c->format, (uint64_t)c->src_w * (uint64_t)c->src_h);
}

/* The source pixel (x, y) as channels in input order: the format's own, after the AX and R/B (U/V) swaps. */
static void source_pixel(const aipp_common *c, const uint8_t *src, int64_t x, int64_t y, double px[3]) {
    int64_t w = c->src_w;
    switch (c->format) {
    case ACL_YUV420SP_U8: {
        const uint8_t *uv = src + w * c->src_h + (y / 2) * w + (x / 2) * 2;
        px[0] = src[y * w + x], px[1] = uv[0], px[2] = uv[1];
        break;
    }
    case ACL_XRGB8888_U8: { /* stored A,R,G,B; with the AX swap R,G,B,A */
        const uint8_t *p = src + (y * w + x) * 4 + (c->ax_swap ? 0 : 1);
        px[0] = p[0], px[1] = p[1], px[2] = p[2];
        break;
    }
    case ACL_RGB888_U8: {
        const uint8_t *p = src + (y * w + x) * 3;
        px[0] = p[0], px[1] = p[1], px[2] = p[2];
        break;
    }
    default: px[0] = src[y * w + x]; return;
    }
    if (c->rbuv_swap) { /* YUV: U and V; RGB: R and B */
        int a = c->format == ACL_YUV420SP_U8 ? 1 : 0, b = 2;
        double t = px[a];
        px[a] = px[b], px[b] = t;
    }
}

/* The documented AIPP arithmetic (docs/MODELS.md; acllite.formats.aipp.reference_aipp is the same in numpy):
 * crop, swaps, CSC rounded to integers and clipped to 0..255, then DTC ((x - mean - min) x var), then padding
 * with 0. Doubles hold every intermediate exactly as the reference does; the result is rounded to the model's type
 * once. */
static void apply_image(const aipp_common *c, const aipp_element *e, const uint8_t *src, const emu_aipp_plan *plan,
                        int64_t h, int64_t w, uint8_t *out, int64_t b) {
    const acllite_emu_aipp_input *a = &plan->info;
    int64_t ch_n = a->dims[1];
    bool half = a->dataType == ACL_FLOAT16;
    size_t elem = half ? 2 : 4;
    for (int64_t oy = 0; oy < h; oy++) {
        for (int64_t ox = 0; ox < w; ox++) {
            double px[3] = {0, 0, 0}, v[3] = {0, 0, 0};
            int64_t sx = ox - e->left, sy = oy - e->top;
            bool inside = sx >= 0 && sy >= 0 && sx < e->cw && sy < e->ch;
            if (inside) {
                source_pixel(c, src, e->x + sx, e->y + sy, px);
                if (c->csc) {
                    bool yuv = c->format == ACL_YUV420SP_U8;
                    for (int r = 0; r < 3; r++) {
                        int64_t sum = 0;
                        for (int k = 0; k < 3; k++) {
                            sum += (int64_t)c->matrix[3 * r + k] * ((int64_t)px[k] - (yuv ? c->input_bias[k] : 0));
                        }
                        double y = floor((double)sum / 256.0 + 0.5) + (yuv ? 0 : c->output_bias[r]);
                        v[r] = y < 0 ? 0 : y > 255 ? 255 : y;
                    }
                    memcpy(px, v, sizeof px);
                }
                for (int k = 0; k < ch_n; k++) v[k] = ((px[k] - e->mean[k]) - e->min[k]) * e->var[k];
            }
            for (int64_t k = 0; k < ch_n; k++) {
                int64_t at = a->channelsLast ? ((b * h + oy) * w + ox) * ch_n + k : ((b * ch_n + k) * h + oy) * w + ox;
                float f = (float)v[k];
                if (half) {
                    uint16_t hv = emu_float_to_half_ieee(f);
                    memcpy(out + (size_t)at * elem, &hv, sizeof hv);
                } else {
                    memcpy(out + (size_t)at * elem, &f, sizeof f);
                }
            }
        }
    }
}

/* A geared model's static AIPP at the gear's source size: the configuration (aclAippInfo, checked by acllite atc
 * against the model: no crop, no padding, channels that fit). */
static void from_config(const aclAippInfo *info, int32_t src_w, int32_t src_h, int32_t channels, aipp_common *c,
                        aipp_element *e) {
    *c = (aipp_common){(uint8_t)info->inputFormat, src_w, src_h, channels, info->cscSwitch != 0,
                       info->rbuvSwapSwitch != 0, info->axSwapSwitch != 0,
                       {info->matrixR0C0, info->matrixR0C1, info->matrixR0C2, info->matrixR1C0, info->matrixR1C1,
                        info->matrixR1C2, info->matrixR2C0, info->matrixR2C1, info->matrixR2C2},
                       {info->outputBias0, info->outputBias1, info->outputBias2},
                       {info->inputBias0, info->inputBias1, info->inputBias2}};
    *e = (aipp_element){0, 0, src_w, src_h, 0, 0, 0, 0,
                        {info->meanChn0, info->meanChn1, info->meanChn2, info->meanChn3},
                        {info->minChn0, info->minChn1, info->minChn2, info->minChn3},
                        {info->varReciChn0, info->varReciChn1, info->varReciChn2, info->varReciChn3}};
}

static void output_dims(const emu_aipp_plan *plan, int64_t n, int64_t h, int64_t w, int64_t dims[4], size_t *size) {
    const acllite_emu_aipp_input *a = &plan->info;
    int64_t c = a->dims[1];
    int64_t nchw[4] = {n, c, h, w}, nhwc[4] = {n, h, w, c};
    memcpy(dims, a->channelsLast ? nhwc : nchw, sizeof nchw);
    *size = (size_t)(n * c * h * w) * (a->dataType == ACL_FLOAT16 ? 2 : 4); /* at most out_bytes (checked at load) */
}

aclError emu_aipp_apply(const emu_aipp_plan *plan, const emu_io *io, const acllite_emu_tensor *in, void *out,
                        int64_t out_dims[4], size_t *out_size, const char *func) {
    const acllite_emu_aipp_input *a = &plan->info;
    size_t ii = plan->input;
    int64_t n = a->dims[0];
    aipp_common c = {0};
    if (a->kind == ACLLITE_EMU_AIPP_STATIC_GEARED) { /* the source images are the gear's [N, H, W, C] */
        int64_t h = in[ii].dims[1], w = in[ii].dims[2];
        aipp_element e = {0};
        from_config(&plan->fixed, (int32_t)w, (int32_t)h, (int32_t)a->dims[1], &c, &e);
        uint64_t per_image = source_bytes(&c);
        if (in[ii].dimCount != 4 || in[ii].size < per_image * (uint64_t)n) { /* emu_gears_fit checked both */
            return emu_fail(ACL_ERROR_MODEL_INPUT_NOT_MATCH, func, "input %zu '%s': %lld image(s) of %llu bytes; its "
                            "buffer holds %zu", ii, io[ii].desc.name, (long long)n, (unsigned long long)per_image,
                            in[ii].size);
        }
        for (int64_t b = 0; b < n; b++) {
            apply_image(&c, &e, (const uint8_t *)in[ii].data + (size_t)(per_image * (uint64_t)b), plan, h, w, out, b);
        }
        output_dims(plan, n, h, w, out_dims, out_size);
        return ACL_SUCCESS;
    }
    /* The block holds the parameters of the largest batch (batch gears: aclmdlCreateAIPP with the largest gear);
     * the first `run` images, the chosen gear's, are applied. */
    int64_t run = in[ii].dimCount ? in[ii].dims[0] : n;
    if (run < 1 || run > n) {
        return emu_fail(ACL_ERROR_MODEL_INPUT_NOT_MATCH, func, "input %zu '%s': a batch of %lld; the AIPP parameters "
                        "hold %lld image(s)", ii, io[ii].desc.name, (long long)run, (long long)n);
    }
    size_t di = a->dataIndex;
    char where[192];
    snprintf(where, sizeof where, "input %zu '%s'", di, io[di].desc.name);
    size_t need = AIPP_HEADER_BYTES + (size_t)n * AIPP_BATCH_BYTES; /* n is the AippData input's batch: small */
    if (n > AIPP_MAX_BATCH || in[di].size < need) {
        return emu_fail(ACL_ERROR_GE_PARAM_INVALID, func, "%s holds %zu bytes; %lld image(s) need %zu", where,
                        in[di].size, (long long)n, need);
    }
    const uint8_t *d = in[di].data;
    aclError err = read_common(d, plan, where, &c, func);
    if (err) return err;
    uint64_t per_image = source_bytes(&c), total;
    if (per_image > a->maxSrcImageSize) {
        return emu_fail(ACL_ERROR_GE_PARAM_INVALID, func, "input %zu '%s': a format %d image of %dx%d is %llu bytes, "
                        "more than the model's max_src_image_size %zu", ii, io[ii].desc.name, c.format, c.src_w,
                        c.src_h, (unsigned long long)per_image, a->maxSrcImageSize);
    }
    if (!emu_mul64(per_image, (uint64_t)run, &total) || in[ii].size < total) {
        return emu_fail(ACL_ERROR_MODEL_INPUT_NOT_MATCH, func, "input %zu '%s': %lld image(s) of %llu bytes; its "
                        "buffer holds %zu", ii, io[ii].desc.name, (long long)run, (unsigned long long)per_image,
                        in[ii].size);
    }
    for (int64_t b = 0; b < run; b++) {
        aipp_element e = {0};
        err = read_element(d + AIPP_HEADER_BYTES + b * AIPP_BATCH_BYTES, &c, plan, b, where, &e, func);
        if (err) return err;
        apply_image(&c, &e, (const uint8_t *)in[ii].data + (size_t)(per_image * (uint64_t)b), plan, a->dims[2],
                    a->dims[3], out, b);
    }
    output_dims(plan, run, a->dims[2], a->dims[3], out_dims, out_size);
    return ACL_SUCCESS;
}
