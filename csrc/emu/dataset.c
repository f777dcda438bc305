/* Model datasets: ordered lists of data buffers (they reference the buffers, they do not own them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "model.h"
#include "tensor_desc.h"

struct aclmdlDataset {
    size_t count, cap;
    aclDataBuffer **buffers;
    aclTensorDesc **descs; /* cap entries once one is set (aclmdlSetDatasetTensorDesc, or an execution's output
                              shapes); each a one-element array the dataset owns */
};

EMU_EXPORT aclmdlDataset *aclmdlCreateDataset(void) {
    aclmdlDataset *d = calloc(1, sizeof *d);
    if (!d) {
        emu_fail(ACL_ERROR_BAD_ALLOC, "aclmdlCreateDataset", "out of host memory");
        return NULL;
    }
    emu_lock();
    bool ok = emu_reg_add(d, EMU_H_DATASET, -1);
    emu_unlock();
    if (!ok) {
        free(d);
        emu_fail(ACL_ERROR_BAD_ALLOC, "aclmdlCreateDataset", "out of host memory");
        return NULL;
    }
    return d;
}

/* descs: free the descriptions too (not at aclFinalize, which has released every description already). */
static void dataset_free(aclmdlDataset *d, bool descs) {
    for (size_t i = 0; descs && d->descs && i < d->count; i++) tensor_desc_array_free(d->descs[i]);
    free(d->descs);
    free(d->buffers);
    free(d);
}

EMU_EXPORT aclError aclmdlDestroyDataset(const aclmdlDataset *dataset) {
    if (!dataset) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclmdlDestroyDataset", "dataset is NULL");
    emu_lock();
    bool ok = emu_reg_remove(dataset, EMU_H_DATASET);
    emu_unlock();
    if (!ok) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, "aclmdlDestroyDataset",
                        "dataset %p is not a live dataset (destroyed already?)", (const void *)dataset);
    }
    dataset_free((aclmdlDataset *)(uintptr_t)dataset, true);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclmdlAddDatasetBuffer(aclmdlDataset *dataset, aclDataBuffer *dataBuffer) {
    const char *func = "aclmdlAddDatasetBuffer";
    if (!dataset || !dataBuffer) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", dataset ? "dataBuffer" : "dataset");
    aclError err = ACL_SUCCESS;
    emu_lock();
    if (!emu_reg_has(dataset, EMU_H_DATASET)) {
        err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "dataset %p is not a live dataset", (void *)dataset);
    } else if (!emu_reg_has(dataBuffer, EMU_H_DATABUFFER)) {
        err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "dataBuffer %p is not a live data buffer", (void *)dataBuffer);
    } else {
        if (dataset->count == dataset->cap) {
            size_t cap = 0, bytes = 0;
            aclDataBuffer **grown = emu_mul(dataset->cap ? dataset->cap : 2, 2, &cap) &&
                                            emu_mul(cap, sizeof *grown, &bytes) ? realloc(dataset->buffers, bytes)
                                                                                : NULL;
            if (grown) dataset->buffers = grown;
            aclTensorDesc **descs = grown && dataset->descs ? realloc(dataset->descs, cap * sizeof *descs) : NULL;
            if (descs) {
                memset(descs + dataset->cap, 0, (cap - dataset->cap) * sizeof *descs);
                dataset->descs = descs;
            }
            if (!grown || (dataset->descs && !descs)) err = emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
            else dataset->cap = cap;
        }
        if (!err) dataset->buffers[dataset->count++] = dataBuffer;
    }
    emu_unlock();
    return err;
}

EMU_EXPORT size_t aclmdlGetDatasetNumBuffers(const aclmdlDataset *dataset) {
    emu_lock();
    bool ok = dataset && emu_reg_has(dataset, EMU_H_DATASET);
    size_t n = ok ? dataset->count : 0;
    emu_unlock();
    if (!ok) emu_fail(ACL_ERROR_INVALID_PARAM, "aclmdlGetDatasetNumBuffers", "dataset %p is not a live dataset", (const void *)dataset);
    return n;
}

EMU_EXPORT aclDataBuffer *aclmdlGetDatasetBuffer(const aclmdlDataset *dataset, size_t index) {
    aclDataBuffer *b = NULL;
    emu_lock();
    bool ok = dataset && emu_reg_has(dataset, EMU_H_DATASET);
    if (ok && index < dataset->count) b = dataset->buffers[index];
    size_t n = ok ? dataset->count : 0;
    emu_unlock();
    if (!ok) emu_fail(ACL_ERROR_INVALID_PARAM, "aclmdlGetDatasetBuffer", "dataset %p is not a live dataset", (const void *)dataset);
    else if (!b) emu_fail(ACL_ERROR_INVALID_PARAM, "aclmdlGetDatasetBuffer", "index %zu out of range: %zu buffer(s)", index, n);
    return b;
}

aclError emu_dataset_tensors(const aclmdlDataset *dataset, acllite_emu_tensor **out, size_t *count, const char *func,
                             const char *what) {
    aclDataBuffer **copy = NULL;
    size_t n = 0;
    emu_lock();
    bool ok = dataset && emu_reg_has(dataset, EMU_H_DATASET);
    if (ok) {
        n = dataset->count;
        copy = calloc(n ? n : 1, sizeof *copy); /* calloc checks the product */
        if (copy && n) memcpy(copy, dataset->buffers, n * sizeof *copy); /* buffers is NULL while n is 0 */
    }
    emu_unlock();
    if (!ok) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s dataset %p is not a live dataset", what, (const void *)dataset);
    acllite_emu_tensor *t = copy ? calloc(n ? n : 1, sizeof *t) : NULL;
    if (!t) {
        free(copy);
        return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    for (size_t i = 0; i < n; i++) {
        if (!emu_databuffer_read(copy[i], &t[i].data, &t[i].size, func, what)) {
            free(copy);
            free(t);
            return ACL_ERROR_INVALID_PARAM;
        }
    }
    free(copy);
    *out = t;
    *count = n;
    return ACL_SUCCESS;
}

static void dataset_release(void *d) { dataset_free(d, false); }

/* ------------------------------------------------------------------ tensor descriptions of a dataset's buffers */

/* A description the dataset owns: type, format and dims of src. */
static aclTensorDesc *desc_copy(aclDataType type, aclFormat format, size_t n, const int64_t *dims, const char *func) {
    if (n > ACLLITE_EMU_MAX_DIMS) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "the description has %zu dimensions (at most %d)", n,
                 ACLLITE_EMU_MAX_DIMS);
        return NULL;
    }
    aclTensorDesc *d = tensor_desc_array_new(1, func);
    if (!d) return NULL;
    if (tensor_desc_init(d, type, (int)n, dims, format, func)) {
        tensor_desc_array_free(d);
        return NULL;
    }
    d->dataset_owned = true;
    return d;
}

/* Put desc (owned from now on) at index; the one it replaces is freed. */
static aclError dataset_put_desc(aclmdlDataset *dataset, size_t index, aclTensorDesc *desc, const char *func) {
    aclTensorDesc *old = NULL;
    aclError err = ACL_SUCCESS;
    emu_lock();
    if (!emu_reg_has(dataset, EMU_H_DATASET)) {
        err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "dataset %p is not a live dataset", (void *)dataset);
    } else if (index >= dataset->count) {
        err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "index %zu out of range: the dataset has %zu buffer(s)", index,
                       dataset->count);
    } else {
        if (!dataset->descs) dataset->descs = calloc(dataset->cap, sizeof *dataset->descs); /* cap > count > 0 */
        if (!dataset->descs) {
            err = emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        } else {
            old = dataset->descs[index];
            dataset->descs[index] = desc;
        }
    }
    emu_unlock();
    tensor_desc_array_free(err ? desc : old);
    return err;
}

EMU_EXPORT aclError aclmdlSetDatasetTensorDesc(aclmdlDataset *dataset, aclTensorDesc *tensorDesc, size_t index) {
    const char *func = "aclmdlSetDatasetTensorDesc";
    if (!dataset) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dataset is NULL");
    if (!tensor_desc_live(tensorDesc, func)) return ACL_ERROR_INVALID_PARAM;
    /* the program may change or destroy its description afterwards: the dataset keeps what it holds now */
    emu_lock();
    aclDataType type = tensorDesc->type;
    aclFormat format = tensorDesc->format;
    size_t n = tensorDesc->shape.count;
    int64_t dims[ACLLITE_EMU_MAX_DIMS];
    bool fits = n <= ACLLITE_EMU_MAX_DIMS;
    if (fits && n) memcpy(dims, tensorDesc->shape.dims, n * sizeof *dims);
    emu_unlock();
    if (!fits) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the description has %zu dimensions (at most %d)", n,
                        ACLLITE_EMU_MAX_DIMS);
    }
    aclTensorDesc *copy = desc_copy(type, format, n, dims, func);
    return copy ? dataset_put_desc(dataset, index, copy, func) : ACL_ERROR_INVALID_PARAM;
}

EMU_EXPORT aclTensorDesc *aclmdlGetDatasetTensorDesc(const aclmdlDataset *dataset, size_t index) {
    const char *func = "aclmdlGetDatasetTensorDesc";
    aclTensorDesc *d = NULL;
    emu_lock();
    bool ok = dataset && emu_reg_has(dataset, EMU_H_DATASET);
    size_t n = ok ? dataset->count : 0;
    if (ok && index < n && dataset->descs) d = dataset->descs[index];
    emu_unlock();
    if (!ok) emu_fail(ACL_ERROR_INVALID_PARAM, func, "dataset %p is not a live dataset", (const void *)dataset);
    else if (index >= n) emu_fail(ACL_ERROR_INVALID_PARAM, func, "index %zu out of range: %zu buffer(s)", index, n);
    else if (!d) emu_fail(ACL_ERROR_INVALID_PARAM, func, "buffer %zu has no tensor description (set one with "
                          "aclmdlSetDatasetTensorDesc, or execute a model with dynamic shapes first)", index);
    return d;
}

bool emu_dataset_desc_dims(const aclmdlDataset *dataset, size_t index, size_t *count, int64_t *dims) {
    bool found = false;
    emu_lock();
    if (dataset && emu_reg_has(dataset, EMU_H_DATASET) && dataset->descs && index < dataset->count &&
        dataset->descs[index] && dataset->descs[index]->shape.count <= ACLLITE_EMU_MAX_DIMS) {
        const tensor_shape *s = &dataset->descs[index]->shape;
        *count = s->count;
        if (s->count) memcpy(dims, s->dims, s->count * sizeof *dims);
        found = true;
    }
    emu_unlock();
    return found;
}

void emu_dataset_set_output_desc(aclmdlDataset *dataset, size_t index, aclDataType type, aclFormat format,
                                 size_t count, const int64_t *dims, const char *func) {
    aclTensorDesc *d = desc_copy(type, format, count, dims, func);
    if (d) dataset_put_desc(dataset, index, d, func); /* a dataset destroyed meanwhile: nothing to describe */
}

uint64_t emu_datasets_release_locked(void) { return emu_reg_release_all(EMU_H_DATASET, -1, dataset_release); }
