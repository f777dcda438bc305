/* aclrtMalloc/Free, aclrtMallocHost/FreeHost, aclrtMemcpy(Async), aclrtMemset(Async), aclrtGetMemInfo. */
#include <stdlib.h>
#include <string.h>

#include "emu.h"

static bool device_side(emu_mem_kind k) { return k == EMU_MEM_DEVICE || k == EMU_MEM_DVPP; }

static const char *kind_name(aclrtMemcpyKind kind) {
    static const char *const names[] = {"ACL_MEMCPY_HOST_TO_HOST", "ACL_MEMCPY_HOST_TO_DEVICE",
                                        "ACL_MEMCPY_DEVICE_TO_HOST", "ACL_MEMCPY_DEVICE_TO_DEVICE",
                                        "ACL_MEMCPY_DEFAULT", "ACL_MEMCPY_HOST_TO_BUF_TO_DEVICE",
                                        "ACL_MEMCPY_INNER_DEVICE_TO_DEVICE", "ACL_MEMCPY_INTER_DEVICE_TO_DEVICE"};
    return (unsigned)kind < 8 ? names[kind] : "?";
}

static aclError current_device(const char *func, int32_t *device) {
    aclError err = emu_require_init(func);
    if (err) return err;
    emu_lock();
    emu_context *ctx = emu_current_context_locked(func, &err);
    if (ctx) *device = ctx->device;
    emu_unlock();
    return err;
}

static aclError malloc_kind(emu_mem_kind kind, void **ptr, size_t size, const char *func) {
    if (ptr == NULL) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the output pointer is NULL");
    int32_t device = 0;
    aclError err = current_device(func, &device);
    if (err) return err;
    return emu_mem_alloc(kind, device, size, ptr, func);
}

EMU_EXPORT aclError aclrtMalloc(void **devPtr, size_t size, aclrtMemMallocPolicy policy) {
    unsigned base = (unsigned)policy & 0xffu;
    unsigned flags = (unsigned)policy & ~0xffu;
    unsigned known = ACL_MEM_TYPE_LOW_BAND_WIDTH | ACL_MEM_TYPE_HIGH_BAND_WIDTH | ACL_MEM_ACCESS_USER_SPACE_READONLY;
    if (base > ACL_MEM_MALLOC_HUGE1G_ONLY_P2P || (flags & ~known)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtMalloc", "unknown memory policy 0x%x", (unsigned)policy);
    }
    return malloc_kind(EMU_MEM_DEVICE, devPtr, size, "aclrtMalloc");
}

EMU_EXPORT aclError aclrtMallocHost(void **hostPtr, size_t size) {
    return malloc_kind(EMU_MEM_HOST, hostPtr, size, "aclrtMallocHost");
}

EMU_EXPORT aclError aclrtFree(void *devPtr) {
    aclError err = emu_require_init("aclrtFree");
    return err ? err : emu_mem_free(EMU_MEM_DEVICE, devPtr, "aclrtFree");
}

EMU_EXPORT aclError aclrtFreeHost(void *hostPtr) {
    aclError err = emu_require_init("aclrtFreeHost");
    return err ? err : emu_mem_free(EMU_MEM_HOST, hostPtr, "aclrtFreeHost");
}

/* Check that the memory kinds of dst and src fit the copy kind. Kind mismatches between two device-side
 * buffers are accepted with a warning (real devices run them); other mismatches are errors in strict mode. */
static aclError check_kind(aclrtMemcpyKind kind, const emu_mem_where *d, const emu_mem_where *s, const void *dst,
                           const void *src, const char *func) {
    bool want_dst_dev, want_src_dev;
    switch (kind) {
    case ACL_MEMCPY_HOST_TO_HOST: want_dst_dev = false; want_src_dev = false; break;
    case ACL_MEMCPY_HOST_TO_DEVICE:
    case ACL_MEMCPY_HOST_TO_BUF_TO_DEVICE: want_dst_dev = true; want_src_dev = false; break;
    case ACL_MEMCPY_DEVICE_TO_HOST: want_dst_dev = false; want_src_dev = true; break;
    case ACL_MEMCPY_DEVICE_TO_DEVICE:
    case ACL_MEMCPY_INNER_DEVICE_TO_DEVICE:
    case ACL_MEMCPY_INTER_DEVICE_TO_DEVICE: want_dst_dev = true; want_src_dev = true; break;
    case ACL_MEMCPY_DEFAULT: return ACL_SUCCESS; /* the runtime works the direction out from the addresses */
    default: return emu_fail(ACL_ERROR_INVALID_PARAM, func, "unknown memcpy kind %d", (int)kind);
    }
    bool dst_ok = device_side(d->kind) == want_dst_dev, src_ok = device_side(s->kind) == want_src_dev;
    if (dst_ok && src_ok) return ACL_SUCCESS;
    const char *which = !dst_ok ? "dst" : "src";
    const void *ptr = !dst_ok ? dst : src;
    emu_mem_kind actual = !dst_ok ? d->kind : s->kind;
    if ((device_side(d->kind) && device_side(s->kind)) || !emu_cfg.strict) {
        emu_log(ACLLITE_EMU_LOG_WARNING, "%s: kind %s, but %s %p is %s; copied anyway", func, kind_name(kind), which,
                ptr, emu_mem_kind_name(actual));
        return ACL_SUCCESS;
    }
    return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func,
                    "kind %s does not match the memory: %s %p is %s (set ACLLITE_EMU_STRICT=0 to allow)",
                    kind_name(kind), which, ptr, emu_mem_kind_name(actual));
}

static aclError validate_copy(void *dst, size_t destMax, const void *src, size_t count, aclrtMemcpyKind kind,
                              const char *func) {
    aclError err = emu_require_init(func);
    if (err) return err;
    if (dst == NULL || src == NULL) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", dst == NULL ? "dst" : "src");
    }
    if (count > destMax) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "count %zu is larger than destMax %zu", count, destMax);
    }
    if ((unsigned)kind > ACL_MEMCPY_INTER_DEVICE_TO_DEVICE) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "unknown memcpy kind %d", (int)kind);
    }
    emu_mem_where d, s;
    if ((err = emu_mem_locate(dst, count, &d, func, "dst")) || (err = emu_mem_locate(src, count, &s, func, "src"))) {
        return err;
    }
    return check_kind(kind, &d, &s, dst, src, func);
}

/* Both ranges were located (emu_mem_locate): neither wraps around the address space. */
static void copy_bytes(void *dst, const void *src, size_t count) {
    uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;
    if (d - s < count || s - d < count) memmove(dst, src, count); /* overlapping ranges */
    else memcpy(dst, src, count);
}

EMU_EXPORT aclError aclrtMemcpy(void *dst, size_t destMax, const void *src, size_t count, aclrtMemcpyKind kind) {
    aclError err = validate_copy(dst, destMax, src, count, kind, "aclrtMemcpy");
    if (err) return err;
    copy_bytes(dst, src, count);
    return ACL_SUCCESS;
}

typedef struct {
    void *dst;
    const void *src;
    size_t count;
    int32_t value;
    const char *func;
} copy_task;

/* Queued copies check the memory again when they run: it may have been released in between. */
static aclError run_copy(void *arg) {
    copy_task *t = arg;
    emu_mem_where w;
    aclError err = emu_mem_locate(t->dst, t->count, &w, t->func, "dst");
    if (!err) err = emu_mem_locate(t->src, t->count, &w, t->func, "src");
    if (!err) copy_bytes(t->dst, t->src, t->count);
    return err;
}

static aclError run_set(void *arg) {
    copy_task *t = arg;
    emu_mem_where w;
    aclError err = emu_mem_locate(t->dst, t->count, &w, t->func, "devPtr");
    if (!err) memset(t->dst, t->value, t->count);
    return err;
}

static aclError enqueue(aclrtStream stream, emu_task_fn fn, const copy_task *proto, const char *func) {
    aclError err = ACL_SUCCESS;
    emu_lock();
    emu_stream *s = emu_stream_resolve_locked(stream, func, &err);
    emu_unlock();
    if (!s) return err;
    copy_task *t = malloc(sizeof *t);
    if (!t) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    *t = *proto;
    return emu_stream_enqueue(s, fn, t, free, func);
}

EMU_EXPORT aclError aclrtMemcpyAsync(void *dst, size_t destMax, const void *src, size_t count, aclrtMemcpyKind kind,
                                     aclrtStream stream) {
    aclError err = validate_copy(dst, destMax, src, count, kind, "aclrtMemcpyAsync");
    if (err) return err;
    copy_task t = {dst, src, count, 0, "aclrtMemcpyAsync"};
    return enqueue(stream, run_copy, &t, "aclrtMemcpyAsync");
}

static aclError validate_set(void *devPtr, size_t maxCount, size_t count, const char *func) {
    aclError err = emu_require_init(func);
    if (err) return err;
    if (devPtr == NULL) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "devPtr is NULL");
    if (count > maxCount) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "count %zu is larger than maxCount %zu", count, maxCount);
    }
    emu_mem_where w;
    if ((err = emu_mem_locate(devPtr, count, &w, func, "devPtr"))) return err;
    if (w.kind == EMU_MEM_PAGEABLE) {
        if (emu_cfg.strict) {
            return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func,
                            "devPtr %p is host memory not allocated through ACL (set ACLLITE_EMU_STRICT=0 to allow)",
                            devPtr);
        }
        emu_log(ACLLITE_EMU_LOG_WARNING, "%s: devPtr %p is host memory not allocated through ACL", func, devPtr);
    }
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtMemset(void *devPtr, size_t maxCount, int32_t value, size_t count) {
    aclError err = validate_set(devPtr, maxCount, count, "aclrtMemset");
    if (err) return err;
    memset(devPtr, value, count);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtMemsetAsync(void *devPtr, size_t maxCount, int32_t value, size_t count, aclrtStream stream) {
    aclError err = validate_set(devPtr, maxCount, count, "aclrtMemsetAsync");
    if (err) return err;
    copy_task t = {devPtr, NULL, count, value, "aclrtMemsetAsync"};
    return enqueue(stream, run_set, &t, "aclrtMemsetAsync");
}

EMU_EXPORT aclError aclrtGetMemInfo(aclrtMemAttr attr, size_t *free_bytes, size_t *total) {
    if (free_bytes == NULL || total == NULL) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtGetMemInfo", "%s is NULL", free_bytes ? "total" : "free");
    }
    if ((unsigned)attr > ACL_MEM_P2P_HUGE1G) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtGetMemInfo", "unknown memory attribute %d", (int)attr);
    }
    int32_t device = 0;
    aclError err = current_device("aclrtGetMemInfo", &device);
    if (err) return err;
    size_t used = emu_mem_used(EMU_MEM_DEVICE, device);
    *total = emu_cfg.device_memory;
    *free_bytes = used > *total ? 0 : *total - used;
    return ACL_SUCCESS;
}
