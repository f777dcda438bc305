/* Devices, contexts and the calling thread's current context; which devices the process sees. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- visible devices ----
 * The emulated host has ACLLITE_EMU_DEVICES physical devices. ASCEND_VISIBLE_DEVICES (set for a container by Ascend
 * Docker Runtime) says which of them the container has, numbered 0..m-1 in ascending physical order; within those,
 * ASCEND_RT_VISIBLE_DEVICES (CANN's runtime) says which this process uses, renumbered 0..k-1 in the order given.
 * CANN's rules for ASCEND_RT_VISIBLE_DEVICES: ids separated by commas; only the ids before the first other character
 * or invalid id are read ("1, 2,3" is 1; "1,3,8" with 8 devices is 1,3); the ids must ascend, else no device is
 * usable; none read (empty, garbage) means no device. "No device" is ACL_ERROR_RT_NO_DEVICE from the device calls,
 * as CANN returns it. docs/SERVING.md cites the sources. */

#define VISIBLE_TEXT_MAX 4096 /* longer settings are refused rather than parsed */

static int32_t physical_ids[EMU_MAX_DEVICES]; /* this process's device id -> physical id */
static int32_t logic_ids[EMU_MAX_DEVICES];    /* this process's device id -> the container's (logic) id */
static char no_device_reason[384];            /* why no device is usable ("" when some are) */

int32_t emu_physical_device(int32_t device) {
    return device >= 0 && device < emu_cfg.device_count ? physical_ids[device] : -1;
}

int32_t emu_logic_device(int32_t device) {
    return device >= 0 && device < emu_cfg.device_count ? logic_ids[device] : -1;
}

/* ASCEND_VISIBLE_DEVICES: "0", "1,3", "0-2,4" (ids and inclusive ranges, any order); "" or "void": none. */
static aclError parse_container_devices(const char *text, int physical, bool mounted[EMU_MAX_DEVICES]) {
    if (strlen(text) > VISIBLE_TEXT_MAX) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, "aclInit", "ASCEND_VISIBLE_DEVICES is longer than %d characters",
                        VISIBLE_TEXT_MAX);
    }
    if (!text[0] || !strcmp(text, "void")) return ACL_SUCCESS;
    const char *p = text;
    for (;;) {
        long first = -1, last;
        char *end;
        if (*p >= '0' && *p <= '9') first = strtol(p, &end, 10);
        if (first < 0 || first >= physical) goto bad;
        last = first;
        if (*end == '-') {
            p = end + 1;
            if (*p < '0' || *p > '9') goto bad;
            last = strtol(p, &end, 10);
            if (last < first || last >= physical) goto bad;
        }
        for (long d = first; d <= last; d++) {
            if (mounted[d]) goto bad;
            mounted[d] = true;
        }
        if (*end == '\0') return ACL_SUCCESS;
        if (*end != ',') goto bad;
        p = end + 1;
    }
bad:
    return emu_fail(ACL_ERROR_INVALID_PARAM, "aclInit",
                    "ASCEND_VISIBLE_DEVICES=%.200s: expected device ids and ranges such as 0,2-3 (each once) of the "
                    "%d emulated device(s) (ACLLITE_EMU_DEVICES): Ascend Docker Runtime would not start a container "
                    "with it", text, physical);
}

/* ASCEND_RT_VISIBLE_DEVICES over the m devices the container has: fills ids, returns how many (0: see reason). */
static int parse_process_devices(const char *text, int m, int32_t ids[EMU_MAX_DEVICES]) {
    if (strlen(text) > VISIBLE_TEXT_MAX) {
        snprintf(no_device_reason, sizeof no_device_reason, "ASCEND_RT_VISIBLE_DEVICES is longer than %d characters",
                 VISIBLE_TEXT_MAX);
        return 0;
    }
    int k = 0;
    const char *p = text, *stop = NULL;
    while (*p >= '0' && *p <= '9') {
        const char *start = p;
        long id = 0;
        while (*p >= '0' && *p <= '9') {
            if (id <= EMU_MAX_DEVICES) id = id * 10 + (*p - '0'); /* saturates: anything this big is invalid */
            p++;
        }
        if (id >= m) { /* an invalid id: only the ids before it are read */
            stop = start;
            break;
        }
        if (k > 0 && id <= ids[k - 1]) {
            snprintf(no_device_reason, sizeof no_device_reason,
                     "ASCEND_RT_VISIBLE_DEVICES=%.200s: the device ids must be in ascending order", text);
            return 0;
        }
        ids[k++] = (int32_t)id;
        if (*p != ',') break;
        p++;
    }
    if (!stop && *p) stop = p;
    if (k == 0) {
        snprintf(no_device_reason, sizeof no_device_reason,
                 "ASCEND_RT_VISIBLE_DEVICES=%.200s names no usable device (ids 0 to %d, separated by commas)", text,
                 m - 1);
    } else if (stop) {
        emu_log(ACLLITE_EMU_LOG_WARNING,
                "ASCEND_RT_VISIBLE_DEVICES=%.200s: only the %d id(s) before \"%.40s\" are read (an invalid id or "
                "another character ends the list)", text, k, stop);
    }
    return k;
}

aclError emu_visible_devices_configure(int physical, int *visible) {
    bool mounted[EMU_MAX_DEVICES] = {false};
    int32_t container[EMU_MAX_DEVICES], ids[EMU_MAX_DEVICES];
    const char *v = getenv("ASCEND_VISIBLE_DEVICES");
    aclError err;
    no_device_reason[0] = '\0';
    if (v) {
        if ((err = parse_container_devices(v, physical, mounted))) return err;
    } else {
        for (int d = 0; d < physical; d++) mounted[d] = true;
    }
    int m = 0;
    for (int d = 0; d < physical; d++) {
        if (mounted[d]) container[m++] = d;
    }
    int k = m;
    for (int i = 0; i < m; i++) ids[i] = i;
    if (m == 0) {
        snprintf(no_device_reason, sizeof no_device_reason,
                 "no device is mounted in this container (ASCEND_VISIBLE_DEVICES=%.200s)", v ? v : "");
    } else if ((v = getenv("ASCEND_RT_VISIBLE_DEVICES"))) {
        k = parse_process_devices(v, m, ids);
    }
    for (int i = 0; i < k; i++) {
        physical_ids[i] = container[ids[i]];
        logic_ids[i] = ids[i];
    }
    *visible = k;
    return ACL_SUCCESS;
}

static aclError no_device(const char *func) {
    return emu_fail(ACL_ERROR_RT_NO_DEVICE, func, "no device: %s", no_device_reason);
}

aclError emu_check_device(int32_t id, const char *func) {
    if (emu_cfg.device_count == 0) return no_device(func);
    if (id < 0 || id >= emu_cfg.device_count) {
        return emu_fail(ACL_ERROR_RT_INVALID_DEVICEID, func,
                        "device %d does not exist: %d device(s) visible (ACLLITE_EMU_DEVICES, "
                        "ASCEND_RT_VISIBLE_DEVICES)", id, emu_cfg.device_count);
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
    emu_peer_reset_device(device);
    emu_settings_reset_device(device);
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
    if (err || (err = emu_check_device(deviceId, func))) return err;
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

/* aclrtResetDevice drops one reference (the last tears the device down); aclrtResetDeviceForce tears it down
 * whatever the count. */
static aclError reset_device(int32_t deviceId, bool force, const char *func) {
    aclError err = emu_require_init(func);
    if (err || (err = emu_check_device(deviceId, func))) return err;
    emu_lock();
    emu_device *d = &devices[deviceId];
    if (force && d->refcount > 1) d->refcount = 1;
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
        emu_record_leaks(&leaks, func);
        return ACL_SUCCESS;
    }
    emu_unlock();
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtResetDevice(int32_t deviceId) { return reset_device(deviceId, false, "aclrtResetDevice"); }

EMU_EXPORT aclError aclrtResetDeviceForce(int32_t deviceId) {
    return reset_device(deviceId, true, "aclrtResetDeviceForce");
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
    /* Works before aclInit, as on CANN (Ray and torch_npu count devices before initializing anything). */
    aclError err = emu_configure_early("aclrtGetDeviceCount");
    if (err) return err;
    if (!count) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtGetDeviceCount", "count is NULL");
    if (emu_cfg.device_count == 0) return no_device("aclrtGetDeviceCount");
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
    if ((err = emu_check_device(deviceId, func))) return err;
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

aclError emu_current_device(const char *func, int32_t *device) {
    aclError err = emu_require_init(func);
    if (err) return err;
    emu_lock();
    emu_context *ctx = emu_current_context_locked(func, &err);
    if (ctx) *device = ctx->device;
    emu_unlock();
    return err;
}

/* ---- device numberings ----
 * "user" ids are this process's (after ASCEND_RT_VISIBLE_DEVICES), "logic" ids the container's (after
 * ASCEND_VISIBLE_DEVICES), "physical" ids the host's: see emu_visible_devices_configure. */

static aclError id_out(const void *out, const char *func, const char *what) {
    aclError err = emu_require_init(func);
    if (!err && !out) err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", what);
    return err;
}

EMU_EXPORT aclError aclrtGetPhyDevIdByLogicDevId(const int32_t logicDevId, int32_t *const phyDevId) {
    const char *func = "aclrtGetPhyDevIdByLogicDevId";
    aclError err = id_out(phyDevId, func, "phyDevId");
    if (err) return err;
    for (int32_t d = 0; d < emu_cfg.device_count; d++) {
        if (logic_ids[d] == logicDevId) {
            *phyDevId = physical_ids[d];
            return ACL_SUCCESS;
        }
    }
    return emu_fail(ACL_ERROR_RT_INVALID_DEVICEID, func, "logic device %d is not one of this process's devices",
                    logicDevId);
}

EMU_EXPORT aclError aclrtGetLogicDevIdByPhyDevId(const int32_t phyDevId, int32_t *const logicDevId) {
    const char *func = "aclrtGetLogicDevIdByPhyDevId";
    aclError err = id_out(logicDevId, func, "logicDevId");
    if (err) return err;
    for (int32_t d = 0; d < emu_cfg.device_count; d++) {
        if (physical_ids[d] == phyDevId) {
            *logicDevId = logic_ids[d];
            return ACL_SUCCESS;
        }
    }
    return emu_fail(ACL_ERROR_RT_INVALID_DEVICEID, func, "physical device %d is not one of this process's devices",
                    phyDevId);
}

EMU_EXPORT aclError aclrtGetLogicDevIdByUserDevId(const int32_t userDevid, int32_t *const logicDevId) {
    const char *func = "aclrtGetLogicDevIdByUserDevId";
    aclError err = id_out(logicDevId, func, "logicDevId");
    if (err || (err = emu_check_device(userDevid, func))) return err;
    *logicDevId = logic_ids[userDevid];
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtGetUserDevIdByLogicDevId(const int32_t logicDevId, int32_t *const userDevid) {
    const char *func = "aclrtGetUserDevIdByLogicDevId";
    aclError err = id_out(userDevid, func, "userDevid");
    if (err) return err;
    for (int32_t d = 0; d < emu_cfg.device_count; d++) {
        if (logic_ids[d] == logicDevId) {
            *userDevid = d;
            return ACL_SUCCESS;
        }
    }
    return emu_fail(ACL_ERROR_RT_INVALID_DEVICEID, func, "logic device %d is not one of this process's devices",
                    logicDevId);
}

EMU_EXPORT aclError aclrtQueryDeviceStatus(int32_t deviceId, aclrtDeviceStatus *deviceStatus) {
    const char *func = "aclrtQueryDeviceStatus";
    aclError err = id_out(deviceStatus, func, "deviceStatus");
    if (err || (err = emu_check_device(deviceId, func))) return err;
    *deviceStatus = ACL_RT_DEVICE_STATUS_NORMAL; /* an emulated device never fails */
    return ACL_SUCCESS;
}

/* ---- per-context system parameters (aclrtCtxSetSysParamOpt); settings.c keeps the process-wide ones ---- */

static aclError sys_param_opt(aclSysParamOpt opt, const char *func) {
    if ((unsigned)opt >= EMU_SYS_PARAM_COUNT) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "opt %d is not ACL_OPT_DETERMINISTIC (0), "
                        "ACL_OPT_ENABLE_DEBUG_KERNEL (1) or ACL_OPT_STRONG_CONSISTENCY (2)", (int)opt);
    }
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtCtxSetSysParamOpt(aclSysParamOpt opt, int64_t value) {
    const char *func = "aclrtCtxSetSysParamOpt";
    aclError err = emu_require_init(func);
    if (err || (err = sys_param_opt(opt, func))) return err;
    emu_lock();
    emu_context *ctx = emu_current_context_locked(func, &err);
    if (ctx) {
        ctx->params.set[opt] = true;
        ctx->params.value[opt] = value;
    }
    emu_unlock();
    return err;
}

EMU_EXPORT aclError aclrtCtxGetSysParamOpt(aclSysParamOpt opt, int64_t *value) {
    const char *func = "aclrtCtxGetSysParamOpt";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!value) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "value is NULL");
    if ((err = sys_param_opt(opt, func))) return err;
    emu_lock();
    emu_context *ctx = emu_current_context_locked(func, &err);
    if (ctx && !ctx->params.set[opt]) {
        err = emu_fail(ACL_ERROR_RT_SYSPARAMOPT_NOT_SET, func, "option %d was not set in this context "
                       "(aclrtCtxSetSysParamOpt)", (int)opt);
    } else if (ctx) {
        *value = ctx->params.value[opt];
    }
    emu_unlock();
    return err;
}
