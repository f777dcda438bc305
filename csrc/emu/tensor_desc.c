/* Tensor descriptions (aclTensorDesc): the element type, format, shape, ranges, name, constant data and placement
 * of an operator's or a model's tensor. Plain host objects: created by the program (or as arrays by the model and
 * operator code, through tensor_desc.h), checked through the handle registry before every use. */
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "tensor_desc.h"

#define UNKNOWN_RANK_DIM (-2) /* the single dim of a tensor whose rank is unknown */

/* The enums are sparse: a value is known when it is one of the declared members. */
static bool known_type(aclDataType t) {
    switch (t) {
    case ACL_DT_UNDEFINED: case ACL_FLOAT: case ACL_FLOAT16: case ACL_INT8: case ACL_INT32: case ACL_UINT8:
    case ACL_INT16: case ACL_UINT16: case ACL_UINT32: case ACL_INT64: case ACL_UINT64: case ACL_DOUBLE: case ACL_BOOL:
    case ACL_STRING: case ACL_COMPLEX64: case ACL_COMPLEX128: case ACL_BF16: case ACL_INT4: case ACL_UINT1:
    case ACL_COMPLEX32: case ACL_HIFLOAT8: case ACL_FLOAT8_E5M2: case ACL_FLOAT8_E4M3FN: case ACL_FLOAT8_E8M0:
    case ACL_FLOAT6_E3M2: case ACL_FLOAT6_E2M3: case ACL_FLOAT4_E2M1: case ACL_FLOAT4_E1M2:
        return true;
    }
    return false;
}

static bool known_format(aclFormat f) {
    switch (f) {
    case ACL_FORMAT_UNDEFINED: case ACL_FORMAT_NCHW: case ACL_FORMAT_NHWC: case ACL_FORMAT_ND: case ACL_FORMAT_NC1HWC0:
    case ACL_FORMAT_FRACTAL_Z: case ACL_FORMAT_NC1HWC0_C04: case ACL_FORMAT_HWCN: case ACL_FORMAT_NDHWC:
    case ACL_FORMAT_FRACTAL_NZ: case ACL_FORMAT_NCDHW: case ACL_FORMAT_NDC1HWC0: case ACL_FRACTAL_Z_3D:
    case ACL_FORMAT_NC: case ACL_FORMAT_NCL: case ACL_FORMAT_FRACTAL_NZ_C0_16: case ACL_FORMAT_FRACTAL_NZ_C0_32:
    case ACL_FORMAT_FRACTAL_NZ_C0_2: case ACL_FORMAT_FRACTAL_NZ_C0_4: case ACL_FORMAT_FRACTAL_NZ_C0_8:
        return true;
    }
    return false;
}

/* A shape as the API passes it: numDims entries of dims; -1 is a dynamic dim, a single -2 an unknown rank. */
static aclError check_shape(int numDims, const int64_t *dims, const char *func) {
    if (numDims < 0 || numDims > ACL_MAX_DIM_CNT) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "numDims is %d (expected 0 to %d)", numDims, ACL_MAX_DIM_CNT);
    }
    if (numDims > 0 && !dims) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dims is NULL but numDims is %d", numDims);
    for (int i = 0; i < numDims; i++) {
        if (dims[i] == UNKNOWN_RANK_DIM && numDims == 1) continue;
        if (dims[i] < -1) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                            "dims[%d] is %lld (a dim is >= 0, -1 when dynamic; -2 alone means an unknown rank)", i,
                            (long long)dims[i]);
        }
    }
    return ACL_SUCCESS;
}

static bool set_dims(tensor_shape *s, int numDims, const int64_t *dims) {
    int64_t *copy = NULL;
    if (numDims > 0) {
        copy = malloc(sizeof *copy * (size_t)numDims);
        if (!copy) return false;
        memcpy(copy, dims, sizeof *copy * (size_t)numDims);
    }
    free(s->dims);
    s->dims = copy;
    s->count = (size_t)numDims;
    return true;
}

static void clear(aclTensorDesc *d) {
    free(d->shape.dims);
    free(d->origin.dims);
    free(d->storage.dims);
    free(d->ranges);
    free(d->value_ranges);
    free(d->name);
    free(d->dynamic_input);
    free(d->const_data);
}

aclError tensor_desc_init(aclTensorDesc *d, aclDataType dataType, int numDims, const int64_t *dims, aclFormat format,
                          const char *func) {
    memset(d, 0, sizeof *d);
    if (!known_type(dataType)) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dataType %d is not an aclDataType", dataType);
    if (!known_format(format)) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "format %d is not an aclFormat", format);
    aclError err = check_shape(numDims, dims, func);
    if (err) return err;
    d->type = dataType;
    d->format = d->origin_format = d->storage_format = format;
    d->memtype = ACL_MEMTYPE_DEVICE;
    d->array_len = 1;
    if (!set_dims(&d->shape, numDims, dims)) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    return ACL_SUCCESS;
}

aclTensorDesc *tensor_desc_array_new(size_t count, const char *func) {
    aclTensorDesc *arr = calloc(count ? count : 1, sizeof *arr);
    if (!arr) {
        emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        return NULL;
    }
    for (size_t i = 0; i < count; i++) arr[i].array_len = count - i;
    emu_lock();
    bool ok = emu_reg_add(arr, EMU_H_TENSOR_DESC, -1);
    /* the later elements are registered too: aclGetTensorDescByIndex and the getters take them */
    size_t added = ok ? 1 : 0;
    while (ok && added < count) {
        ok = emu_reg_add(&arr[added], EMU_H_TENSOR_DESC_ITEM, -1);
        if (ok) added++;
    }
    if (!ok && added > 0) { /* undo what was registered */
        for (size_t i = 1; i < added; i++) emu_reg_remove(&arr[i], EMU_H_TENSOR_DESC_ITEM);
        emu_reg_remove(arr, EMU_H_TENSOR_DESC);
    }
    emu_unlock();
    if (!ok) {
        free(arr);
        emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        return NULL;
    }
    return arr;
}

/* The description if desc is one (the first element of a registered array, or an element inside one). */
const aclTensorDesc *tensor_desc_live(const aclTensorDesc *desc, const char *func) {
    if (!desc) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "desc is NULL");
        return NULL;
    }
    emu_lock();
    bool ok = emu_reg_has(desc, EMU_H_TENSOR_DESC) || emu_reg_has(desc, EMU_H_TENSOR_DESC_ITEM);
    emu_unlock();
    if (!ok) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "desc %p is not a live tensor description (destroyed already?)",
                 (const void *)desc);
        return NULL;
    }
    return desc;
}

static void release_array(void *p) {
    aclTensorDesc *arr = p;
    size_t n = arr->array_len;
    for (size_t i = 0; i < n; i++) {
        clear(&arr[i]);
        if (i) emu_reg_remove(&arr[i], EMU_H_TENSOR_DESC_ITEM);
    }
    free(arr);
}

void tensor_desc_array_free(aclTensorDesc *arr) {
    if (!arr) return;
    emu_lock();
    bool ok = emu_reg_remove(arr, EMU_H_TENSOR_DESC);
    if (ok) release_array(arr);
    emu_unlock();
}

uint64_t emu_tensor_descs_release_locked(void) {
    return emu_reg_release_all(EMU_H_TENSOR_DESC, -1, release_array);
}

int64_t tensor_shape_elements(const tensor_shape *s, bool *known) {
    int64_t n = 1;
    *known = true;
    for (size_t i = 0; i < s->count; i++) {
        if (s->dims[i] < 0) {
            *known = false;
            return 0;
        }
        if (__builtin_mul_overflow(n, s->dims[i], &n)) {
            *known = false;
            return 0;
        }
    }
    return n;
}

/* ------------------------------------------------------------------------------------------ the public API */

EMU_EXPORT aclTensorDesc *aclCreateTensorDesc(aclDataType dataType, int numDims, const int64_t *dims,
                                              aclFormat format) {
    static const char func[] = "aclCreateTensorDesc";
    aclTensorDesc probe;
    if (tensor_desc_init(&probe, dataType, numDims, dims, format, func)) {
        clear(&probe);
        return NULL;
    }
    aclTensorDesc *d = tensor_desc_array_new(1, func);
    if (!d) {
        clear(&probe);
        return NULL;
    }
    *d = probe; /* array_len is 1 in probe too */
    return d;
}

EMU_EXPORT void aclDestroyTensorDesc(const aclTensorDesc *desc) {
    static const char func[] = "aclDestroyTensorDesc";
    if (!desc) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "desc is NULL");
        return;
    }
    emu_lock();
    /* a dataset's own description stays until the dataset goes: the dataset reads it at every execution */
    bool owned = emu_reg_has(desc, EMU_H_TENSOR_DESC) && desc->dataset_owned;
    bool ok = !owned && emu_reg_remove(desc, EMU_H_TENSOR_DESC);
    if (ok) release_array((void *)(uintptr_t)desc);
    emu_unlock();
    if (owned) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "desc %p belongs to a dataset (aclmdlGetDatasetTensorDesc): it is "
                 "freed with the dataset (aclmdlDestroyDataset)", (const void *)desc);
    } else if (!ok) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "desc %p is not a tensor description this program created, or it "
                 "was destroyed already", (const void *)desc);
    }
}

EMU_EXPORT aclDataType aclGetTensorDescType(const aclTensorDesc *desc) {
    const aclTensorDesc *d = tensor_desc_live(desc, "aclGetTensorDescType");
    return d ? d->type : ACL_DT_UNDEFINED;
}

EMU_EXPORT aclFormat aclGetTensorDescFormat(const aclTensorDesc *desc) {
    const aclTensorDesc *d = tensor_desc_live(desc, "aclGetTensorDescFormat");
    return d ? d->format : ACL_FORMAT_UNDEFINED;
}

EMU_EXPORT size_t aclGetTensorDescElementCount(const aclTensorDesc *desc) {
    static const char func[] = "aclGetTensorDescElementCount";
    const aclTensorDesc *d = tensor_desc_live(desc, func);
    if (!d) return 0;
    bool known;
    int64_t n = tensor_shape_elements(&d->shape, &known);
    if (!known) emu_fail(ACL_ERROR_INVALID_PARAM, func, "the shape has dynamic dims or more than 2^63 elements");
    return known ? (size_t)n : 0;
}

EMU_EXPORT size_t aclGetTensorDescSize(const aclTensorDesc *desc) {
    static const char func[] = "aclGetTensorDescSize";
    const aclTensorDesc *d = tensor_desc_live(desc, func);
    if (!d) return 0;
    bool known;
    int64_t n = tensor_shape_elements(&d->shape, &known);
    size_t bytes = 0;
    if (!known || __builtin_mul_overflow((size_t)n, aclDataTypeSize(d->type), &bytes)) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "the size is unknown (dynamic dims) or past 2^64 bytes");
        return 0;
    }
    return bytes;
}

EMU_EXPORT size_t aclGetTensorDescNumDims(const aclTensorDesc *desc) {
    const aclTensorDesc *d = tensor_desc_live(desc, "aclGetTensorDescNumDims");
    if (!d) return 0;
    if (d->shape.count == 1 && d->shape.dims[0] == UNKNOWN_RANK_DIM) return (size_t)ACL_UNKNOWN_RANK;
    return d->shape.count;
}

EMU_EXPORT aclError aclGetTensorDescDimV2(const aclTensorDesc *desc, size_t index, int64_t *dimSize) {
    static const char func[] = "aclGetTensorDescDimV2";
    const aclTensorDesc *d = tensor_desc_live(desc, func);
    if (!d) return ACL_ERROR_INVALID_PARAM;
    if (!dimSize) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dimSize is NULL");
    if (index >= d->shape.count) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "index %zu is out of range: the tensor has %zu dims", index,
                        d->shape.count);
    }
    *dimSize = d->shape.dims[index];
    return ACL_SUCCESS;
}

EMU_EXPORT int64_t aclGetTensorDescDim(const aclTensorDesc *desc, size_t index) {
    int64_t dim;
    return aclGetTensorDescDimV2(desc, index, &dim) == ACL_SUCCESS ? dim : -1;
}

EMU_EXPORT aclError aclGetTensorDescDimRange(const aclTensorDesc *desc, size_t index, size_t dimRangeNum,
                                             int64_t *dimRange) {
    static const char func[] = "aclGetTensorDescDimRange";
    const aclTensorDesc *d = tensor_desc_live(desc, func);
    if (!d) return ACL_ERROR_INVALID_PARAM;
    if (!dimRange) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dimRange is NULL");
    if (dimRangeNum < ACL_TENSOR_SHAPE_RANGE_NUM) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dimRangeNum is %zu; a range needs %d values", dimRangeNum,
                        ACL_TENSOR_SHAPE_RANGE_NUM);
    }
    if (index >= d->shape.count) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "index %zu is out of range: the tensor has %zu dims", index,
                        d->shape.count);
    }
    if (index < d->range_count) {
        dimRange[0] = d->ranges[index][0];
        dimRange[1] = d->ranges[index][1];
    } else { /* no range set: a static dim is its own range; a dynamic one is unbounded */
        int64_t dim = d->shape.dims[index];
        dimRange[0] = dim < 0 ? 1 : dim;
        dimRange[1] = dim;
    }
    return ACL_SUCCESS;
}

EMU_EXPORT const char *aclGetTensorDescName(aclTensorDesc *desc) {
    const aclTensorDesc *d = tensor_desc_live(desc, "aclGetTensorDescName");
    return d && d->name ? d->name : "";
}

EMU_EXPORT aclTensorDesc *aclGetTensorDescByIndex(aclTensorDesc *desc, size_t index) {
    static const char func[] = "aclGetTensorDescByIndex";
    const aclTensorDesc *d = tensor_desc_live(desc, func);
    if (!d) return NULL;
    if (index >= d->array_len) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "index %zu is out of range: the array holds %zu description(s)",
                 index, d->array_len);
        return NULL;
    }
    return desc + index;
}

EMU_EXPORT void *aclGetTensorDescAddress(const aclTensorDesc *desc) {
    const aclTensorDesc *d = tensor_desc_live(desc, "aclGetTensorDescAddress");
    return d ? d->address : NULL;
}

static aclTensorDesc *writable(aclTensorDesc *desc, const char *func) {
    return (aclTensorDesc *)(uintptr_t)tensor_desc_live(desc, func);
}

EMU_EXPORT aclError aclSetTensorShapeRange(aclTensorDesc *desc, size_t dimsCount, int64_t dimsRange[][2]) {
    static const char func[] = "aclSetTensorShapeRange";
    aclTensorDesc *d = writable(desc, func);
    if (!d) return ACL_ERROR_INVALID_PARAM;
    if (dimsCount > ACL_MAX_DIM_CNT) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dimsCount is %zu (at most %d)", dimsCount, ACL_MAX_DIM_CNT);
    }
    if (dimsCount && !dimsRange) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dimsRange is NULL");
    if (d->shape.count && dimsCount != d->shape.count) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dimsCount is %zu but the tensor has %zu dims", dimsCount,
                        d->shape.count);
    }
    for (size_t i = 0; i < dimsCount; i++) {
        int64_t lo = dimsRange[i][0], hi = dimsRange[i][1];
        if (lo < 0 || (hi != -1 && hi < lo)) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func,
                            "range %zu is [%lld, %lld] (expected 0 <= min <= max, or max -1 for no bound)", i,
                            (long long)lo, (long long)hi);
        }
    }
    int64_t (*copy)[2] = NULL;
    if (dimsCount) {
        copy = malloc(sizeof *copy * dimsCount);
        if (!copy) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        memcpy(copy, dimsRange, sizeof *copy * dimsCount);
    }
    free(d->ranges);
    d->ranges = copy;
    d->range_count = dimsCount;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclSetTensorValueRange(aclTensorDesc *desc, size_t valueCount, int64_t valueRange[][2]) {
    static const char func[] = "aclSetTensorValueRange";
    aclTensorDesc *d = writable(desc, func);
    if (!d) return ACL_ERROR_INVALID_PARAM;
    if (valueCount > ((size_t)1 << 20)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "valueCount is %zu (at most 2^20)", valueCount);
    }
    if (valueCount && !valueRange) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "valueRange is NULL");
    int64_t (*copy)[2] = NULL;
    if (valueCount) {
        copy = malloc(sizeof *copy * valueCount);
        if (!copy) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        memcpy(copy, valueRange, sizeof *copy * valueCount);
    }
    free(d->value_ranges);
    d->value_ranges = copy;
    d->value_range_count = valueCount;
    return ACL_SUCCESS;
}

static char *dup_text(const char *s) {
    size_t n = strnlen(s, ACL_MAX_TENSOR_NAME_LEN * 8);
    char *out = malloc(n + 1);
    if (out) {
        memcpy(out, s, n);
        out[n] = '\0';
    }
    return out;
}

EMU_EXPORT void aclSetTensorDescName(aclTensorDesc *desc, const char *name) {
    static const char func[] = "aclSetTensorDescName";
    aclTensorDesc *d = writable(desc, func);
    if (!d) return;
    if (!name) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "name is NULL");
        return;
    }
    char *copy = dup_text(name);
    if (!copy) {
        emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        return;
    }
    free(d->name);
    d->name = copy;
}

EMU_EXPORT aclError aclTransTensorDescFormat(const aclTensorDesc *srcDesc, aclFormat dstFormat,
                                             aclTensorDesc **dstDesc) {
    static const char func[] = "aclTransTensorDescFormat";
    const aclTensorDesc *s = tensor_desc_live(srcDesc, func);
    if (!s) return ACL_ERROR_INVALID_PARAM;
    if (!dstDesc) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dstDesc is NULL");
    if (!known_format(dstFormat)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dstFormat %d is not an aclFormat", dstFormat);
    }
    /* Only layouts whose shape is the same dims in another order are converted; the device's private layouts
     * (NC1HWC0, FRACTAL_*) depend on its cube sizes, which the emulator does not model. */
    int64_t out[4];
    bool four = s->shape.count == 4;
    const aclFormat from = s->format;
    if (from == dstFormat || dstFormat == ACL_FORMAT_ND) {
        /* the same dims */
    } else if (four && (from == ACL_FORMAT_NCHW || from == ACL_FORMAT_NHWC) &&
               (dstFormat == ACL_FORMAT_NCHW || dstFormat == ACL_FORMAT_NHWC)) {
        const int64_t *d = s->shape.dims;
        int64_t n = d[0], c = from == ACL_FORMAT_NCHW ? d[1] : d[3], h = from == ACL_FORMAT_NCHW ? d[2] : d[1],
                w = from == ACL_FORMAT_NCHW ? d[3] : d[2];
        if (dstFormat == ACL_FORMAT_NCHW) {
            out[0] = n, out[1] = c, out[2] = h, out[3] = w;
        } else {
            out[0] = n, out[1] = h, out[2] = w, out[3] = c;
        }
    } else {
        return emu_fail(ACL_ERROR_API_NOT_SUPPORT, func,
                        "from %d to %d: the emulator converts only between NCHW, NHWC and ND (the device's fractal "
                        "layouts depend on its hardware)", from, dstFormat);
    }
    aclTensorDesc *d = aclCreateTensorDesc(s->type, (int)s->shape.count,
                                           four && from != dstFormat && dstFormat != ACL_FORMAT_ND ? out : s->shape.dims,
                                           dstFormat);
    if (!d) return ACL_ERROR_BAD_ALLOC;
    if (s->name) aclSetTensorDescName(d, s->name);
    *dstDesc = d;
    return ACL_SUCCESS;
}

/* which: 0 the format, 1 the origin format, 2 the storage format (and likewise for shapes) */
static aclError set_format(aclTensorDesc *desc, aclFormat format, int which, const char *func) {
    aclTensorDesc *d = writable(desc, func);
    if (!d) return ACL_ERROR_INVALID_PARAM;
    if (!known_format(format)) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "format %d is not an aclFormat", format);
    *(which == 0 ? &d->format : which == 1 ? &d->origin_format : &d->storage_format) = format;
    return ACL_SUCCESS;
}

static aclError set_shape(aclTensorDesc *desc, int numDims, const int64_t *dims, int which, const char *func) {
    aclTensorDesc *d = writable(desc, func);
    if (!d) return ACL_ERROR_INVALID_PARAM;
    aclError err = check_shape(numDims, dims, func);
    if (err) return err;
    tensor_shape *s = which == 0 ? &d->shape : which == 1 ? &d->origin : &d->storage;
    if (!set_dims(s, numDims, dims)) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    s->set = true;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclSetTensorFormat(aclTensorDesc *desc, aclFormat format) {
    return set_format(desc, format, 0, "aclSetTensorFormat");
}

EMU_EXPORT aclError aclSetTensorOriginFormat(aclTensorDesc *desc, aclFormat format) {
    return set_format(desc, format, 1, "aclSetTensorOriginFormat");
}

EMU_EXPORT aclError aclSetTensorStorageFormat(aclTensorDesc *desc, aclFormat format) {
    return set_format(desc, format, 2, "aclSetTensorStorageFormat");
}

EMU_EXPORT aclError aclSetTensorShape(aclTensorDesc *desc, int numDims, const int64_t *dims) {
    return set_shape(desc, numDims, dims, 0, "aclSetTensorShape");
}

EMU_EXPORT aclError aclSetTensorOriginShape(aclTensorDesc *desc, int numDims, const int64_t *dims) {
    return set_shape(desc, numDims, dims, 1, "aclSetTensorOriginShape");
}

EMU_EXPORT aclError aclSetTensorStorageShape(aclTensorDesc *desc, int numDims, const int64_t *dims) {
    return set_shape(desc, numDims, dims, 2, "aclSetTensorStorageShape");
}

EMU_EXPORT aclError aclSetTensorDynamicInput(aclTensorDesc *desc, const char *dynamicInputName) {
    static const char func[] = "aclSetTensorDynamicInput";
    aclTensorDesc *d = writable(desc, func);
    if (!d) return ACL_ERROR_INVALID_PARAM;
    if (!dynamicInputName) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dynamicInputName is NULL");
    char *copy = dup_text(dynamicInputName);
    if (!copy) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    free(d->dynamic_input);
    d->dynamic_input = copy;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclSetTensorConst(aclTensorDesc *desc, void *dataBuffer, size_t length) {
    static const char func[] = "aclSetTensorConst";
    aclTensorDesc *d = writable(desc, func);
    if (!d) return ACL_ERROR_INVALID_PARAM;
    if (!dataBuffer || length == 0) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dataBuffer %p and length %zu: a constant needs its data",
                        dataBuffer, length);
    }
    /* The data is host memory the program may free afterwards: keep a copy, as the runtime does. */
    emu_mem_where where;
    if (emu_mem_locate(dataBuffer, length, &where, func, "dataBuffer")) return ACL_ERROR_INVALID_PARAM;
    if (where.kind == EMU_MEM_DEVICE || where.kind == EMU_MEM_DVPP) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dataBuffer %p is device memory; a constant is host data",
                        dataBuffer);
    }
    void *copy = malloc(length);
    if (!copy) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory for %zu bytes", length);
    memcpy(copy, dataBuffer, length);
    free(d->const_data);
    d->const_data = copy;
    d->const_len = length;
    d->address = copy;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclSetTensorPlaceMent(aclTensorDesc *desc, aclMemType memType) {
    static const char func[] = "aclSetTensorPlaceMent";
    aclTensorDesc *d = writable(desc, func);
    if (!d) return ACL_ERROR_INVALID_PARAM;
    if (memType != ACL_MEMTYPE_DEVICE && memType != ACL_MEMTYPE_HOST &&
        memType != ACL_MEMTYPE_HOST_COMPILE_INDEPENDENT) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "memType %d is not an aclMemType", memType);
    }
    d->memtype = memType;
    return ACL_SUCCESS;
}
