/* Dynamic AIPP: the parameter sets of aclmdlCreateAIPP and its setters, and their copy into a model's AippData
 * input (aclmdlSetInputAIPP, aclmdlSetAIPPByInputIndex). A set is kept as the bytes the device reads from that
 * input (docs/MODELS.md, "Dynamic AIPP"): a 64-byte common part, then 96 bytes per batch element, little-endian,
 * DTC minimum and variance reciprocal as float16. The engine decodes the same bytes at execution. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define AIPP_HEADER_BYTES 64
#define AIPP_BATCH_BYTES 96
#define AIPP_MAX_BATCH 127 /* batchNum is an int8_t in the parameter block */

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
    size_t attached;
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
    size_t attached;
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
