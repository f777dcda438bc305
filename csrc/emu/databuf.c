/* Data buffers and data-type sizes. */
#include <stdlib.h>

#include "emu.h"

struct aclDataBuffer {
    void *data;
    size_t size;
};

static bool live(const aclDataBuffer *b, const char *func) {
    if (!b) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "dataBuffer is NULL");
        return false;
    }
    emu_lock();
    bool ok = emu_reg_has(b, EMU_H_DATABUFFER);
    emu_unlock();
    if (!ok) emu_fail(ACL_ERROR_INVALID_PARAM, func, "dataBuffer %p is not a live data buffer", (const void *)b);
    return ok;
}

EMU_EXPORT aclDataBuffer *aclCreateDataBuffer(void *data, size_t size) {
    if (!data && size) {
        emu_fail(ACL_ERROR_INVALID_PARAM, "aclCreateDataBuffer", "data is NULL but size is %zu", size);
        return NULL;
    }
    aclDataBuffer *b = malloc(sizeof *b);
    if (!b) {
        emu_fail(ACL_ERROR_BAD_ALLOC, "aclCreateDataBuffer", "out of host memory");
        return NULL;
    }
    b->data = data;
    b->size = size;
    emu_lock();
    bool ok = emu_reg_add(b, EMU_H_DATABUFFER, -1);
    emu_unlock();
    if (!ok) {
        free(b);
        emu_fail(ACL_ERROR_BAD_ALLOC, "aclCreateDataBuffer", "out of host memory");
        return NULL;
    }
    return b;
}

EMU_EXPORT aclError aclDestroyDataBuffer(const aclDataBuffer *dataBuffer) {
    if (!dataBuffer) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclDestroyDataBuffer", "dataBuffer is NULL");
    emu_lock();
    bool ok = emu_reg_remove(dataBuffer, EMU_H_DATABUFFER);
    emu_unlock();
    if (!ok) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, "aclDestroyDataBuffer",
                        "dataBuffer %p is not a live data buffer (destroyed already?)", (const void *)dataBuffer);
    }
    free((void *)(uintptr_t)dataBuffer);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclUpdateDataBuffer(aclDataBuffer *dataBuffer, void *data, size_t size) {
    if (!live(dataBuffer, "aclUpdateDataBuffer")) return ACL_ERROR_INVALID_PARAM;
    if (!data && size) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, "aclUpdateDataBuffer", "data is NULL but size is %zu", size);
    }
    dataBuffer->data = data;
    dataBuffer->size = size;
    return ACL_SUCCESS;
}

EMU_EXPORT void *aclGetDataBufferAddr(const aclDataBuffer *dataBuffer) {
    return live(dataBuffer, "aclGetDataBufferAddr") ? dataBuffer->data : NULL;
}

EMU_EXPORT size_t aclGetDataBufferSizeV2(const aclDataBuffer *dataBuffer) {
    return live(dataBuffer, "aclGetDataBufferSizeV2") ? dataBuffer->size : 0;
}

bool emu_databuffer_read(const aclDataBuffer *b, void **data, size_t *size, const char *func, const char *what) {
    if (!b) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s: the data buffer is NULL", what);
        return false;
    }
    emu_lock();
    bool ok = emu_reg_has(b, EMU_H_DATABUFFER);
    if (ok) {
        *data = b->data;
        *size = b->size;
    }
    emu_unlock();
    if (!ok) emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s: %p is not a live data buffer", what, (const void *)b);
    return ok;
}

uint64_t emu_databuffers_release_locked(void) { return emu_reg_release_all(EMU_H_DATABUFFER, -1, free); }

EMU_EXPORT size_t aclDataTypeSize(aclDataType dataType) {
    switch (dataType) {
    case ACL_INT8: case ACL_UINT8: case ACL_BOOL: return 1;
    case ACL_FLOAT16: case ACL_INT16: case ACL_UINT16: case ACL_BF16: return 2;
    case ACL_FLOAT: case ACL_INT32: case ACL_UINT32: case ACL_COMPLEX32: return 4;
    case ACL_INT64: case ACL_UINT64: case ACL_DOUBLE: case ACL_COMPLEX64: return 8;
    case ACL_COMPLEX128: return 16;
    default: return 0; /* undefined, strings and sub-byte types have no element size */
    }
}
