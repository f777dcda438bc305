/* Devices, contexts and the calling thread's current context. */
#include <stdlib.h>

#include "emu.h"

typedef struct {
    int refcount; /* aclrtSetDevice calls not yet matched by aclrtResetDevice */
    emu_context *default_ctx;
} emu_device;

static emu_device devices[EMU_MAX_DEVICES];
static _Thread_local emu_context *current_ctx;

emu_context *emu_current_context_locked(const char *func, aclError *err) {
    if (current_ctx && emu_reg_has(current_ctx, EMU_H_CONTEXT)) return current_ctx;
    current_ctx = NULL;
    *err = emu_fail(ACL_ERROR_RT_CONTEXT_NULL, func,
                    "this thread has no current context: call aclrtSetDevice or aclrtSetCurrentContext first");
    return NULL;
}

static aclError check_device(int32_t id, const char *func) {
    if (id < 0 || id >= emu_cfg.device_count) {
        return emu_fail(ACL_ERROR_RT_INVALID_DEVICEID, func,
                        "device %d does not exist: %d emulated device(s) (ACLLITE_EMU_DEVICES)", id,
                        emu_cfg.device_count);
    }
    return ACL_SUCCESS;
}

static emu_context *context_new_locked(int32_t device, bool is_default, const char *func, aclError *err) {
    emu_context *c = calloc(1, sizeof *c);
    if (c && !emu_reg_add(c, EMU_H_CONTEXT, device)) {
        free(c);
        c = NULL;
    }
    if (!c) {
        *err = emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        return NULL;
    }
    c->device = device;
    c->is_default = is_default;
    return c;
}

static void context_free_locked(emu_context *c) {
    emu_streams_stop_locked(c->device, c);
    emu_streams_release_locked(c->device, c);
    if (c->default_stream) emu_stream_destroy_locked(c->default_stream);
    emu_reg_remove(c, EMU_H_CONTEXT);
    if (current_ctx == c) current_ctx = NULL;
    free(c);
}

void emu_device_teardown_locked(int32_t device, acllite_emu_counts *leaks) {
    /* Streams first (their queued work runs to the end), then contexts, events and memory. */
    emu_streams_stop_locked(device, NULL);
    leaks->streams += emu_streams_release_locked(device, NULL);
    size_t n = emu_reg_count(EMU_H_CONTEXT, device);
    void **list = calloc(n + 1, sizeof *list);
    if (list) {
        emu_reg_collect(EMU_H_CONTEXT, device, list, n);
        for (size_t i = 0; i < n; i++) {
            emu_context *c = list[i];
            if (!c->is_default) leaks->contexts++;
            context_free_locked(c);
        }
        free(list);
    }
    devices[device].default_ctx = NULL;
    devices[device].refcount = 0;
    leaks->events += emu_events_release_locked(device);
    emu_dvpp_release_device_locked(device, leaks); /* its DVPP channels */
    emu_mem_release_device(device, leaks);
}

void emu_devices_reset_all_locked(acllite_emu_counts *leaks) {
    emu_streams_stop_locked(-1, NULL); /* a stream of one device may wait for an event of another */
    for (int32_t d = 0; d < emu_cfg.device_count; d++) emu_device_teardown_locked(d, leaks);
    current_ctx = NULL;
}

EMU_EXPORT aclError aclrtSetDevice(int32_t deviceId) {
    const char *func = "aclrtSetDevice";
    aclError err = emu_require_init(func);
    if (err || (err = check_device(deviceId, func))) return err;
    emu_lock();
    emu_device *d = &devices[deviceId];
    if (!d->default_ctx) d->default_ctx = context_new_locked(deviceId, true, func, &err);
    if (d->default_ctx) {
        d->refcount++;
        current_ctx = d->default_ctx;
    }
    emu_unlock();
    return err;
}

EMU_EXPORT aclError aclrtResetDevice(int32_t deviceId) {
    const char *func = "aclrtResetDevice";
    aclError err = emu_require_init(func);
    if (err || (err = check_device(deviceId, func))) return err;
    emu_lock();
    emu_device *d = &devices[deviceId];
    if (d->refcount == 1 && (emu_worker_device() == deviceId || emu_in_callback())) {
        /* The last reset tears the device down: its streams' workers are joined and its memory released. From a
         * callback, that is the calling thread's own stream, or the buffers the running work uses. */
        emu_unlock();
        return emu_fail(ACL_ERROR_RT_CONTEXT_RELEASE_ERROR, func,
                        "the last aclrtResetDevice(%d) would release the device while the calling thread runs a "
                        "callback of its work (%s): reset it after the callback has returned", deviceId,
                        emu_worker_device() == deviceId ? "a task of one of its streams" : "a model or codec callback");
    }
    if (d->refcount > 0 && --d->refcount == 0) {
        acllite_emu_counts leaks = {0};
        emu_device_teardown_locked(deviceId, &leaks);
        emu_unlock();
        emu_record_leaks(&leaks, "aclrtResetDevice");
        return ACL_SUCCESS;
    }
    emu_unlock();
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtGetDevice(int32_t *deviceId) {
    const char *func = "aclrtGetDevice";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!deviceId) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "deviceId is NULL");
    emu_lock();
    emu_context *c = emu_current_context_locked(func, &err);
    if (c) *deviceId = c->device;
    emu_unlock();
    return err;
}

EMU_EXPORT aclError aclrtGetDeviceCount(uint32_t *count) {
    aclError err = emu_require_init("aclrtGetDeviceCount");
    if (err) return err;
    if (!count) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtGetDeviceCount", "count is NULL");
    *count = (uint32_t)emu_cfg.device_count;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtGetRunMode(aclrtRunMode *runMode) {
    /* Works before aclInit: programs (the samples' acllite among them) ask first. */
    if (!runMode) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtGetRunMode", "runMode is NULL");
    *runMode = ACL_HOST;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtCreateContext(aclrtContext *context, int32_t deviceId) {
    const char *func = "aclrtCreateContext";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!context) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "context is NULL");
    if ((err = check_device(deviceId, func))) return err;
    emu_lock();
    emu_context *c = context_new_locked(deviceId, false, func, &err);
    if (c) current_ctx = c; /* a new context becomes the thread's current one */
    emu_unlock();
    if (c) *context = c;
    return err;
}

static aclError lookup_context(aclrtContext context, const char *func) {
    if (!context) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "context is NULL");
    if (!emu_reg_has(context, EMU_H_CONTEXT)) {
        return emu_fail(ACL_ERROR_RT_INVALID_HANDLE, func, "context %p is not a live context", context);
    }
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtDestroyContext(aclrtContext context) {
    const char *func = "aclrtDestroyContext";
    aclError err = emu_require_init(func);
    if (err) return err;
    emu_lock();
    err = lookup_context(context, func);
    emu_context *c = context;
    if (!err && emu_worker_context() == c) {
        err = emu_fail(ACL_ERROR_RT_CONTEXT_RELEASE_ERROR, func,
                       "the calling thread runs a task of a stream of context %p (a callback of that stream): the "
                       "context cannot be destroyed until that task has returned", context);
    }
    if (!err && c->is_default) {
        err = emu_fail(ACL_ERROR_INVALID_PARAM, func,
                       "%p is the default context of device %d; aclrtResetDevice releases it", context, c->device);
    }
    if (!err) context_free_locked(c);
    emu_unlock();
    return err;
}

EMU_EXPORT aclError aclrtSetCurrentContext(aclrtContext context) {
    const char *func = "aclrtSetCurrentContext";
    aclError err = emu_require_init(func);
    if (err) return err;
    emu_lock();
    err = lookup_context(context, func);
    if (!err) current_ctx = context;
    emu_unlock();
    return err;
}

EMU_EXPORT aclError aclrtGetCurrentContext(aclrtContext *context) {
    const char *func = "aclrtGetCurrentContext";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!context) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "context is NULL");
    emu_lock();
    emu_context *c = emu_current_context_locked(func, &err);
    if (c) *context = c;
    emu_unlock();
    return err;
}
