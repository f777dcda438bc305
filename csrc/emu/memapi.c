/* aclrtMalloc (+Cached, Align32, WithCfg), aclrtMallocHost (+WithCfg), the frees, aclrtMemFlush/Invalidate,
 * aclrtMemcpy(Async), aclrtMemcpy2d(Async), aclrtMemset(Async), aclrtGetMemInfo. */
#include <stdio.h>
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

static aclError check_policy(aclrtMemMallocPolicy policy, const char *func) {
    unsigned base = (unsigned)policy & 0xffu;
    unsigned flags = (unsigned)policy & ~0xffu;
    unsigned known = ACL_MEM_TYPE_LOW_BAND_WIDTH | ACL_MEM_TYPE_HIGH_BAND_WIDTH | ACL_MEM_ACCESS_USER_SPACE_READONLY;
    if (base > ACL_MEM_MALLOC_HUGE1G_ONLY_P2P || (flags & ~known)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "unknown memory policy 0x%x", (unsigned)policy);
    }
    return ACL_SUCCESS;
}

static aclError malloc_kind(emu_mem_kind kind, void **ptr, size_t size, bool padded, const char *func) {
    if (ptr == NULL) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the output pointer is NULL");
    int32_t device = 0;
    aclError err = emu_current_device(func, &device);
    if (err) return err;
    return emu_mem_alloc_span(kind, device, size, padded, ptr, func);
}

static aclError malloc_device(void **devPtr, size_t size, aclrtMemMallocPolicy policy, bool padded,
                              const char *func) {
    aclError err = check_policy(policy, func);
    return err ? err : malloc_kind(EMU_MEM_DEVICE, devPtr, size, padded, func);
}

EMU_EXPORT aclError aclrtMalloc(void **devPtr, size_t size, aclrtMemMallocPolicy policy) {
    return malloc_device(devPtr, size, policy, true, "aclrtMalloc");
}

/* Device memory the host side caches: the emulator's device memory is host memory, so flushing and invalidating
 * only check their range (aclrtMemFlush, aclrtMemInvalidate). */
EMU_EXPORT aclError aclrtMallocCached(void **devPtr, size_t size, aclrtMemMallocPolicy policy) {
    return malloc_device(devPtr, size, policy, true, "aclrtMallocCached");
}

/* Aligned to 32 bytes without aclrtMalloc's 32 bytes of padding (the footprint is ALIGN_UP(size, 32)). */
EMU_EXPORT aclError aclrtMallocAlign32(void **devPtr, size_t size, aclrtMemMallocPolicy policy) {
    return malloc_device(devPtr, size, policy, false, "aclrtMallocAlign32");
}

EMU_EXPORT aclError aclrtMallocHost(void **hostPtr, size_t size) {
    return malloc_kind(EMU_MEM_HOST, hostPtr, size, true, "aclrtMallocHost");
}

/* The attributes of aclrtMallocWithCfg / aclrtMallocHostWithCfg: cfg may be NULL (no attributes); a device id
 * attribute names the device to allocate on (else the current context's). */
static aclError read_cfg(const aclrtMallocConfig *cfg, int32_t *device, bool *has_device, const char *func) {
    *has_device = false;
    if (cfg == NULL || cfg->numAttrs == 0) return ACL_SUCCESS;
    if (cfg->attrs == NULL) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "cfg->attrs is NULL while cfg->numAttrs is %zu",
                        cfg->numAttrs);
    }
    for (size_t i = 0; i < cfg->numAttrs; i++) {
        const aclrtMallocAttribute *a = &cfg->attrs[i];
        switch (a->attr) {
        case ACL_RT_MEM_ATTR_RSV:
        case ACL_RT_MEM_ATTR_MODULE_ID:
            break;
        case ACL_RT_MEM_ATTR_DEVICE_ID: {
            if (a->value.deviceId > INT32_MAX) {
                return emu_fail(ACL_ERROR_RT_INVALID_DEVICEID, func, "cfg->attrs[%zu]: device %u does not exist", i,
                                a->value.deviceId);
            }
            aclError err = emu_check_device((int32_t)a->value.deviceId, func);
            if (err) return err;
            *device = (int32_t)a->value.deviceId;
            *has_device = true;
            break;
        }
        case ACL_RT_MEM_ATTR_VA_FLAG:
            if (a->value.vaFlag > 1) {
                return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, "cfg->attrs[%zu]: vaFlag %u is not 0 or 1", i,
                                a->value.vaFlag);
            }
            break;
        default:
            return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, "cfg->attrs[%zu]: unknown attribute %d", i,
                            (int)a->attr);
        }
    }
    return ACL_SUCCESS;
}

static aclError malloc_with_cfg(emu_mem_kind kind, void **ptr, uint64_t size, aclrtMallocConfig *cfg,
                                const char *func) {
    aclError err = emu_require_init(func);
    if (err) return err;
    if (ptr == NULL) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the output pointer is NULL");
    int32_t device = 0;
    bool has_device = false;
    if ((err = read_cfg(cfg, &device, &has_device, func))) return err;
    if (size == 0) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "size is 0");
    if (size > SIZE_MAX) return emu_fail(ACL_ERROR_RT_MEMORY_ALLOCATION, func, "size %llu does not fit the address "
                                         "space", (unsigned long long)size);
    if (!has_device && (err = emu_current_device(func, &device))) return err;
    return emu_mem_alloc_span(kind, device, (size_t)size, false, ptr, func);
}

EMU_EXPORT aclError aclrtMallocWithCfg(void **devPtr, size_t size, aclrtMemMallocPolicy policy,
                                       aclrtMallocConfig *cfg) {
    aclError err = check_policy(policy, "aclrtMallocWithCfg");
    return err ? err : malloc_with_cfg(EMU_MEM_DEVICE, devPtr, size, cfg, "aclrtMallocWithCfg");
}

EMU_EXPORT aclError aclrtMallocHostWithCfg(void **ptr, uint64_t size, aclrtMallocConfig *cfg) {
    return malloc_with_cfg(EMU_MEM_HOST, ptr, size, cfg, "aclrtMallocHostWithCfg");
}

EMU_EXPORT aclError aclrtFree(void *devPtr) {
    aclError err = emu_require_init("aclrtFree");
    return err ? err : emu_mem_free(EMU_MEM_DEVICE, devPtr, "aclrtFree");
}

EMU_EXPORT aclError aclrtFreeHost(void *hostPtr) {
    aclError err = emu_require_init("aclrtFreeHost");
    return err ? err : emu_mem_free(EMU_MEM_HOST, hostPtr, "aclrtFreeHost");
}

/* Wait for the current device's streams, then free: the memory is released even when a task failed, and that
 * task's error is returned. */
static aclError free_with_sync(emu_mem_kind kind, void *p, const char *func) {
    aclError err = emu_require_init(func);
    if (err) return err;
    if (p == NULL) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "pointer is NULL");
    int32_t device = 0;
    if ((err = emu_current_device(func, &device))) return err;
    if (emu_worker_stream() || emu_in_callback()) {
        return emu_fail(ACL_ERROR_RT_STREAM_NOT_COMPLETE, func, "called from a callback of AscendCL work: it would "
                        "wait for the device's streams, which include the calling one");
    }
    aclError sync = emu_device_sync(device, -1, func);
    char message[EMU_MSG_MAX] = "";
    if (sync && emu_recent_message()) snprintf(message, sizeof message, "%s", emu_recent_message());
    if ((err = emu_mem_free(kind, p, func))) return err;
    if (sync) emu_set_recent_error(sync, message);
    return sync;
}

EMU_EXPORT aclError aclrtFreeWithDevSync(void *devPtr) {
    return free_with_sync(EMU_MEM_DEVICE, devPtr, "aclrtFreeWithDevSync");
}

EMU_EXPORT aclError aclrtFreeHostWithDevSync(void *hostPtr) {
    return free_with_sync(EMU_MEM_HOST, hostPtr, "aclrtFreeHostWithDevSync");
}

/* The range must be emulated device-side memory, within one live allocation. */
static aclError cache_op(void *devPtr, size_t size, const char *func) {
    aclError err = emu_require_init(func);
    if (err) return err;
    if (devPtr == NULL) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "devPtr is NULL");
    if (size == 0) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "size is 0");
    emu_mem_where w;
    if ((err = emu_mem_locate(devPtr, size, &w, func, "devPtr"))) return err;
    if (!device_side(w.kind)) {
        return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, "devPtr %p is %s, not device memory", devPtr,
                        emu_mem_kind_name(w.kind));
    }
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtMemFlush(void *devPtr, size_t size) { return cache_op(devPtr, size, "aclrtMemFlush"); }

EMU_EXPORT aclError aclrtMemInvalidate(void *devPtr, size_t size) {
    return cache_op(devPtr, size, "aclrtMemInvalidate");
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

/* A copy between the memory of two devices needs peer access from the source's device to the destination's. */
static aclError check_peer(const emu_mem_where *d, const emu_mem_where *s, const char *func) {
    if (!device_side(d->kind) || !device_side(s->kind) || d->device == s->device) return ACL_SUCCESS;
    if (emu_peer_enabled(s->device, d->device)) return ACL_SUCCESS;
    return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func,
                    "src is memory of device %d and dst of device %d, and device %d has not enabled peer access to "
                    "device %d (aclrtDeviceEnablePeerAccess(%d, 0) with device %d current)", s->device, d->device,
                    s->device, d->device, d->device, s->device);
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
    if ((err = check_kind(kind, &d, &s, dst, src, func))) return err;
    return check_peer(&d, &s, func);
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

/* ------------------------------------------------------------------------------------- 2-D copies
 * aclrtMemcpy2d(Async) copy `height` rows of `width` bytes, row i from src + i * spitch to dst + i * dpitch. The
 * checks and codes are CANN's (its ACL layer, then its runtime): NULL pointers, a zero width or height, a width
 * above either pitch and a kind other than H2D, D2H, D2D and DEFAULT are ACL_ERROR_INVALID_PARAM; a height above
 * 5*1024*1024 or a width above 5000000 (the runtime's limits) ACL_ERROR_RT_PARAM_INVALID; the synchronous copy
 * does only H2D and D2H (D2D asked: ACL_ERROR_RT_FEATURE_NOT_SUPPORT; D2D or H2H found by ACL_MEMCPY_DEFAULT:
 * ACL_ERROR_RT_PARAM_INVALID), the asynchronous one H2D, D2H and D2D. Each side's whole extent, (height - 1) *
 * pitch + width bytes, must lie in one allocation, as for aclrtMemcpy; an asynchronous copy involving host memory
 * not from aclrtMallocHost is done before the call returns (after the stream's earlier tasks), as CANN does. */
#define MEMCPY2D_MAX_HEIGHT 5242880u
#define MEMCPY2D_MAX_WIDTH 5000000u

typedef struct {
    void *dst;
    size_t dpitch;
    const void *src;
    size_t spitch;
    size_t width, height;
    size_t dext, sext; /* the bytes each side spans */
    const char *func;
} copy2d;

static aclError locate2d(copy2d *c, emu_mem_where *d, emu_mem_where *s) {
    size_t rows;
    if (!emu_mul(c->height - 1, c->dpitch, &rows) || !emu_add(rows, c->width, &c->dext)) {
        return emu_fail(ACL_ERROR_RT_PARAM_INVALID, c->func, "the destination spans (height - 1) * dpitch + width = "
                        "(%zu - 1) * %zu + %zu bytes, more than the address space", c->height, c->dpitch, c->width);
    }
    if (!emu_mul(c->height - 1, c->spitch, &rows) || !emu_add(rows, c->width, &c->sext)) {
        return emu_fail(ACL_ERROR_RT_PARAM_INVALID, c->func, "the source spans (height - 1) * spitch + width = "
                        "(%zu - 1) * %zu + %zu bytes, more than the address space", c->height, c->spitch, c->width);
    }
    aclError err = emu_mem_locate(c->dst, c->dext, d, c->func, "dst");
    return err ? err : emu_mem_locate(c->src, c->sext, s, c->func, "src");
}

/* Both extents were located: neither wraps, and width * height <= each extent. */
static void copy2d_rows(const copy2d *c) {
    uint8_t *d = c->dst;
    const uint8_t *s = c->src;
    if (c->dpitch == c->width && c->spitch == c->width) { /* both packed: one copy */
        copy_bytes(d, s, c->width * c->height);
        return;
    }
    uintptr_t da = (uintptr_t)d, sa = (uintptr_t)s;
    if (da < sa + c->sext && sa < da + c->dext) { /* overlapping extents: row by row, each as memmove does */
        for (size_t i = 0; i < c->height; i++, d += c->dpitch, s += c->spitch) memmove(d, s, c->width);
        return;
    }
    for (size_t i = 0; i < c->height; i++, d += c->dpitch, s += c->spitch) memcpy(d, s, c->width);
}

static const char *direction_name(bool dst_dev, bool src_dev) {
    return dst_dev ? (src_dev ? "device to device" : "host to device") : (src_dev ? "device to host" : "host to host");
}

/* Everything but the copy itself; *pageable says whether a host side is pageable memory. */
static aclError validate_copy2d(copy2d *c, aclrtMemcpyKind kind, bool async, bool *pageable) {
    const char *func = c->func;
    aclError err = emu_require_init(func);
    if (err) return err;
    if (c->dst == NULL || c->src == NULL) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", c->dst == NULL ? "dst" : "src");
    }
    if (c->height == 0) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "height is 0");
    if (c->width == 0) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "width is 0");
    if (c->width > c->spitch || c->width > c->dpitch) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "width %zu is larger than %s %zu: it must not exceed spitch "
                        "(%zu) or dpitch (%zu)", c->width, c->width > c->spitch ? "spitch" : "dpitch",
                        c->width > c->spitch ? c->spitch : c->dpitch, c->spitch, c->dpitch);
    }
    if (kind != ACL_MEMCPY_HOST_TO_DEVICE && kind != ACL_MEMCPY_DEVICE_TO_HOST && kind != ACL_MEMCPY_DEVICE_TO_DEVICE &&
        kind != ACL_MEMCPY_DEFAULT) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "kind %d (%s): expected ACL_MEMCPY_HOST_TO_DEVICE, "
                        "ACL_MEMCPY_DEVICE_TO_HOST, ACL_MEMCPY_DEVICE_TO_DEVICE or ACL_MEMCPY_DEFAULT", (int)kind,
                        kind_name(kind));
    }
    if (c->height > MEMCPY2D_MAX_HEIGHT) {
        return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, "height %zu is larger than %u", c->height,
                        MEMCPY2D_MAX_HEIGHT);
    }
    if (c->width > MEMCPY2D_MAX_WIDTH) {
        return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, "width %zu is larger than %u", c->width, MEMCPY2D_MAX_WIDTH);
    }
    if (!async && kind == ACL_MEMCPY_DEVICE_TO_DEVICE) {
        return emu_fail(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, func, "the synchronous 2-D copy does only host to device "
                        "and device to host (device to device: aclrtMemcpy2dAsync)");
    }
    emu_mem_where d, s;
    if ((err = locate2d(c, &d, &s))) return err;
    bool dst_dev = device_side(d.kind), src_dev = device_side(s.kind);
    if (kind == ACL_MEMCPY_DEFAULT && (dst_dev == src_dev) && (!async || !dst_dev)) {
        return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, "kind ACL_MEMCPY_DEFAULT, and the addresses make it a %s "
                        "copy: %s supports %s", direction_name(dst_dev, src_dev), func,
                        async ? "host to device, device to host and device to device" : "host to device and device "
                        "to host");
    }
    if ((err = check_kind(kind, &d, &s, c->dst, c->src, func)) || (err = check_peer(&d, &s, func))) return err;
    *pageable = d.kind == EMU_MEM_PAGEABLE || s.kind == EMU_MEM_PAGEABLE;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtMemcpy2d(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width,
                                  size_t height, aclrtMemcpyKind kind) {
    copy2d c = {dst, dpitch, src, spitch, width, height, 0, 0, "aclrtMemcpy2d"};
    bool pageable;
    aclError err = validate_copy2d(&c, kind, false, &pageable);
    if (err) return err;
    copy2d_rows(&c);
    return ACL_SUCCESS;
}

/* Queued 2-D copies check both extents again when they run: the memory may have been released in between. */
static aclError run_copy2d(void *arg) {
    copy2d *c = arg;
    emu_mem_where d, s;
    aclError err = locate2d(c, &d, &s);
    if (!err) copy2d_rows(c);
    return err;
}

EMU_EXPORT aclError aclrtMemcpy2dAsync(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width,
                                       size_t height, aclrtMemcpyKind kind, aclrtStream stream) {
    const char *func = "aclrtMemcpy2dAsync";
    copy2d c = {dst, dpitch, src, spitch, width, height, 0, 0, func};
    bool pageable = false;
    aclError err = validate_copy2d(&c, kind, true, &pageable);
    if (err) return err;
    emu_lock();
    emu_stream *s = emu_stream_resolve_locked(stream, func, &err);
    emu_unlock();
    if (!s) return err;
    if (pageable) {
        /* Pageable host memory may be gone once the call returns: wait for the stream's earlier work, copy now. */
        err = s == emu_worker_stream()
                  ? emu_fail(ACL_ERROR_RT_STREAM_NOT_COMPLETE, func, "called from a task of the stream itself, with "
                             "pageable host memory: the copy would wait for the calling task")
                  : emu_stream_sync(s, -1, func);
        emu_stream_unref(s);
        if (!err) copy2d_rows(&c);
        return err;
    }
    copy2d *t = malloc(sizeof *t);
    if (!t) {
        emu_stream_unref(s);
        return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    *t = c;
    err = emu_stream_enqueue(s, run_copy2d, t, free, func);
    emu_stream_unref(s);
    return err;
}

/* ------------------------------------------------------------------------------------- memory figures */

/* Every attribute (DDR, HBM, each page size, P2P, and the ACL_MEM_* ones) reports the device's one pool: the
 * emulator does not tell those memories apart, and which of DDR and HBM a SoC answers for is not documented. */
EMU_EXPORT aclError aclrtGetMemInfo(aclrtMemAttr attr, size_t *free_bytes, size_t *total) {
    if (free_bytes == NULL || total == NULL) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtGetMemInfo", "%s is NULL", free_bytes ? "total" : "free");
    }
    if ((unsigned)attr > ACL_MEM_P2P_HUGE1G) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtGetMemInfo", "unknown memory attribute %d", (int)attr);
    }
    int32_t device = 0;
    aclError err = emu_current_device("aclrtGetMemInfo", &device);
    if (err) return err;
    size_t used = emu_mem_used(EMU_MEM_DEVICE, device);
    *total = emu_cfg.device_memory;
    *free_bytes = used > *total ? 0 : *total - used;
    return ACL_SUCCESS;
}
