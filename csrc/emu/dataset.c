/* Model datasets: ordered lists of data buffers (they reference the buffers, they do not own them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "model.h"

struct aclmdlDataset {
    size_t count, cap;
    aclDataBuffer **buffers;
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

static void dataset_free(aclmdlDataset *d) {
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
    dataset_free((aclmdlDataset *)(uintptr_t)dataset);
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
            if (!grown) err = emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
            else {
                dataset->buffers = grown;
                dataset->cap = cap;
            }
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

static void dataset_release(void *d) { dataset_free(d); }

uint64_t emu_datasets_release_locked(void) { return emu_reg_release_all(EMU_H_DATASET, -1, dataset_release); }
