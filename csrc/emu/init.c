/* aclInit/aclFinalize, the emulator's configuration, versions and resource accounting. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emu.h"
#include "tensor_desc.h"
#include "json_check.h"

#define CONFIG_MAX_BYTES (1u << 20)

emu_config emu_cfg;
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int initialized; /* 1 between aclInit and aclFinalize */
static bool ever_initialized, configured;
static acllite_emu_counts last_leaks;
static pid_t forked_from; /* in a child forked while AscendCL was initialized: the parent's pid (0 otherwise) */

#define FORK_MESSAGE "AscendCL was initialized in process %d, which forked this one: a forked child cannot use " \
                     "it (CANN does not support fork after aclInit); start workers with the 'spawn' method"

#ifdef __GLIBC__
/* Registered in such a child, this runs before the exit handlers registered before the fork, and ends the process
 * with its status without them: they belong to the parent's threads (onnxruntime's thread pools, which the model
 * engine loaded, wait forever in pthread_cond_destroy for workers the child does not have). */
static void exit_forked_child(int status, void *arg) {
    (void)arg;
    fflush(NULL);
    _exit(status);
}
#endif

/* The child of fork() has only the forking thread: stream workers and report threads did not come along, and a
 * lock another thread held stays held. The inherited state is unusable, so a child forked while AscendCL was
 * initialized refuses every call (with FORK_MESSAGE) instead of hanging on a stream no worker serves. */
static void after_fork_in_child(void) {
    pthread_mutex_init(&state_lock, NULL);
    if (atomic_load(&initialized)) {
        atomic_store(&initialized, 0);
        forked_from = getppid();
#ifdef __GLIBC__
        on_exit(exit_forked_child, NULL);
#endif
    }
}

__attribute__((constructor)) static void register_fork_handler(void) {
    pthread_atfork(NULL, NULL, after_fork_in_child);
}

void emu_lock(void) { pthread_mutex_lock(&state_lock); }
void emu_unlock(void) { pthread_mutex_unlock(&state_lock); }

uint64_t emu_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

aclError emu_require_init(const char *func) {
    if (atomic_load_explicit(&initialized, memory_order_acquire)) return ACL_SUCCESS;
    if (forked_from) return emu_fail(ACL_ERROR_UNINITIALIZE, func, FORK_MESSAGE, (int)forked_from);
    return emu_fail(ACL_ERROR_UNINITIALIZE, func, "AscendCL is not initialized: call aclInit first");
}

static aclError parse_size(const char *name, const char *text, size_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    unsigned long long scale = 1;
    if (*end == 'K' || *end == 'k') scale = 1ull << 10;
    else if (*end == 'M' || *end == 'm') scale = 1ull << 20;
    else if (*end == 'G' || *end == 'g') scale = 1ull << 30;
    if (scale != 1) end++;
    if (errno || end == text || *end != '\0' || v == 0 || v > (1ull << 46) / scale) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, "aclInit", "%s=%s is not a size (bytes, or a number with K, M or G)",
                        name, text);
    }
    *out = (size_t)(v * scale);
    return ACL_SUCCESS;
}

/* Read ACLLITE_EMU_* and the visible-device settings once, at the first aclInit of the process or the first device
 * query before it (the memory layout depends on them). Messages name aclInit: that is where a program sees them. */
static aclError configure(void) {
    emu_config c = {1, "Ascend310", (size_t)8 << 30, true};
    const char *v;
    if ((v = getenv("ACLLITE_EMU_DEVICES")) && *v) {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < 1 || n > EMU_MAX_DEVICES) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, "aclInit", "ACLLITE_EMU_DEVICES=%s: expected 1 to %d", v,
                            EMU_MAX_DEVICES);
        }
        c.device_count = (int)n;
    }
    if ((v = getenv("ACLLITE_EMU_SOC")) && *v) {
        if (strncmp(v, "Ascend", 6) != 0 || strlen(v) >= sizeof c.soc_name) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, "aclInit",
                            "ACLLITE_EMU_SOC=%s: expected a SoC name such as Ascend310 or Ascend310P3", v);
        }
        snprintf(c.soc_name, sizeof c.soc_name, "%s", v);
    }
    aclError err;
    if ((v = getenv("ACLLITE_EMU_DEVICE_MEMORY")) && *v && (err = parse_size("ACLLITE_EMU_DEVICE_MEMORY", v, &c.device_memory))) {
        return err;
    }
    if ((v = getenv("ACLLITE_EMU_STRICT")) && *v) {
        if (strcmp(v, "0") && strcmp(v, "1")) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, "aclInit", "ACLLITE_EMU_STRICT=%s: expected 0 or 1", v);
        }
        c.strict = v[0] == '1';
    }
    int physical = c.device_count;
    if ((err = emu_visible_devices_configure(physical, &c.device_count))) return err;
    emu_cfg = c;
    char map[EMU_MAX_DEVICES * 12] = "none";
    for (int d = 0, at = 0; d < c.device_count && at < (int)sizeof map; d++) {
        at += snprintf(map + at, sizeof map - (size_t)at, "%s%d->%d", d ? ", " : "", d, emu_physical_device(d));
    }
    emu_log(ACLLITE_EMU_LOG_INFO, "%d of %d emulated device(s) visible (device -> physical): %s", c.device_count,
            physical, map);
    return c.device_count ? emu_mem_init() : ACL_SUCCESS; /* no device: nothing to allocate from */
}

aclError emu_configure_early(const char *func) {
    emu_lock();
    aclError err = ACL_SUCCESS;
    if (forked_from) {
        err = emu_fail(ACL_ERROR_UNINITIALIZE, func, FORK_MESSAGE, (int)forked_from);
    } else if (!configured && !(err = configure())) {
        configured = true;
    }
    emu_unlock();
    return err;
}

static aclError check_config_file(const char *path) {
    void *text = NULL;
    size_t len = 0;
    aclError err = emu_read_file(path, CONFIG_MAX_BYTES, &text, &len, "aclInit", "config file");
    if (err) return err;
    size_t at;
    const char *why;
    if (!json_check(text, len, &at, &why)) {
        err = emu_fail(ACL_ERROR_PARSE_FILE, "aclInit", "config file %s is not valid JSON: %s at byte %zu", path, why, at);
    }
    free(text);
    return err;
}

EMU_EXPORT aclError aclInit(const char *configPath) {
    emu_lock();
    aclError err = ACL_SUCCESS;
    if (forked_from) {
        err = emu_fail(ACL_ERROR_FEATURE_UNSUPPORTED, "aclInit", FORK_MESSAGE, (int)forked_from);
    } else if (atomic_load(&initialized)) {
        err = emu_fail(ACL_ERROR_REPEAT_INITIALIZE, "aclInit", "AscendCL is already initialized");
    } else if (configPath && configPath[0] && (err = check_config_file(configPath))) {
        /* message set */
    } else if (!configured && (err = configure())) {
        /* message set */
    } else {
        configured = true;
        ever_initialized = true;
        memset(&last_leaks, 0, sizeof last_leaks);
        atomic_store_explicit(&initialized, 1, memory_order_release);
        emu_log(ACLLITE_EMU_LOG_INFO, "initialized: %d device(s), SoC %s, %zu bytes of device memory, %s mode",
                emu_cfg.device_count, emu_cfg.soc_name, emu_cfg.device_memory, emu_cfg.strict ? "strict" : "lenient");
    }
    emu_unlock();
    return err;
}

EMU_EXPORT aclError aclFinalize(void) {
    if (emu_worker_stream() || emu_in_callback()) {
        /* Finalizing joins every stream worker and waits for every model execution: from a callback of that work
         * it would join itself or wait for itself. */
        return emu_fail(ACL_ERROR_RT_CONTEXT_RELEASE_ERROR, "aclFinalize",
                        "called from a callback of AscendCL work (%s): AscendCL cannot be finalized until that "
                        "callback has returned", emu_worker_stream() ? "a stream task" : "a model or codec callback");
    }
    emu_lock();
    if (!atomic_load(&initialized)) {
        emu_unlock();
        if (forked_from) return emu_fail(ACL_ERROR_UNINITIALIZE, "aclFinalize", FORK_MESSAGE, (int)forked_from);
        return ever_initialized
                   ? emu_fail(ACL_ERROR_REPEAT_FINALIZE, "aclFinalize", "AscendCL is already finalized")
                   : emu_fail(ACL_ERROR_UNINITIALIZE, "aclFinalize", "AscendCL is not initialized");
    }
    acllite_emu_counts leaks = {0};
    emu_devices_reset_all_locked(&leaks);
    leaks.dvppChannels = 0; /* counted once below, by their descriptions: a created channel is not a second object */
    leaks.dataBuffers += emu_databuffers_release_locked();
    leaks.tensorDescs += emu_tensor_descs_release_locked();
    emu_dvpp_release_all_locked(&leaks); /* after the streams: queued DVPP tasks have run */
    atomic_store(&initialized, 0);
    emu_unlock();
    emu_models_release_all(&leaks); /* after the streams: queued executions have run */
    emu_ops_release_all(&leaks);
    emu_reports_clear();
    emu_record_leaks(&leaks, "aclFinalize");
    return ACL_SUCCESS;
}

void emu_record_leaks(const acllite_emu_counts *leaks, const char *what) {
    emu_lock();
    last_leaks = *leaks;
    emu_unlock();
    const acllite_emu_counts *l = leaks;
    if (!(l->deviceAllocations || l->hostAllocations || l->dvppAllocations || l->contexts || l->streams ||
          l->events || l->dataBuffers || l->models || l->modelDescs || l->datasets || l->dvppChannels ||
          l->dvppDescs || l->tensorDescs || l->opAttrs || l->opHandles || l->modelConfigs)) {
        return;
    }
    emu_log(ACLLITE_EMU_LOG_WARNING,
            "%s released resources the program had not: %llu device allocation(s) (%llu bytes), %llu pinned host "
            "allocation(s) (%llu bytes), %llu DVPP allocation(s) (%llu bytes), %llu context(s), %llu stream(s), "
            "%llu event(s), %llu data buffer(s), %llu model(s), %llu model description(s), %llu dataset(s), "
            "%llu DVPP channel(s), %llu DVPP description(s)/configuration(s), %llu tensor description(s), "
            "%llu operator attribute set(s), %llu operator handle(s), %llu model configuration(s)",
            what, (unsigned long long)l->deviceAllocations, (unsigned long long)l->deviceBytes,
            (unsigned long long)l->hostAllocations, (unsigned long long)l->hostBytes,
            (unsigned long long)l->dvppAllocations, (unsigned long long)l->dvppBytes, (unsigned long long)l->contexts,
            (unsigned long long)l->streams, (unsigned long long)l->events, (unsigned long long)l->dataBuffers,
            (unsigned long long)l->models, (unsigned long long)l->modelDescs, (unsigned long long)l->datasets,
            (unsigned long long)l->dvppChannels, (unsigned long long)l->dvppDescs, (unsigned long long)l->tensorDescs,
            (unsigned long long)l->opAttrs, (unsigned long long)l->opHandles, (unsigned long long)l->modelConfigs);
}

EMU_EXPORT aclError acllite_emu_last_leak_report(acllite_emu_counts *counts) {
    if (!counts) return emu_fail(ACL_ERROR_INVALID_PARAM, "acllite_emu_last_leak_report", "counts is NULL");
    emu_lock();
    *counts = last_leaks;
    emu_unlock();
    return ACL_SUCCESS;
}

EMU_EXPORT aclError acllite_emu_live_counts(acllite_emu_counts *counts) {
    if (!counts) return emu_fail(ACL_ERROR_INVALID_PARAM, "acllite_emu_live_counts", "counts is NULL");
    memset(counts, 0, sizeof *counts);
    emu_lock();
    if (configured) emu_mem_count(-1, counts);
    counts->contexts = emu_reg_count(EMU_H_CONTEXT, -1);
    counts->streams = emu_reg_count(EMU_H_STREAM, -1);
    counts->events = emu_reg_count(EMU_H_EVENT, -1);
    counts->dataBuffers = emu_reg_count(EMU_H_DATABUFFER, -1);
    counts->modelDescs = emu_reg_count(EMU_H_MODEL_DESC, -1);
    counts->datasets = emu_reg_count(EMU_H_DATASET, -1);
    counts->tensorDescs = emu_reg_count(EMU_H_TENSOR_DESC, -1);
    counts->modelConfigs = emu_reg_count(EMU_H_MODEL_CONFIG, -1) + emu_reg_count(EMU_H_MODEL_EXEC_CONFIG, -1);
    emu_dvpp_count_locked(counts);
    emu_ops_count_locked(counts);
    emu_unlock();
    counts->models = emu_model_count();
    return ACL_SUCCESS;
}

EMU_EXPORT int32_t acllite_emu_strict_mode(void) { return configured ? emu_cfg.strict : 1; }

EMU_EXPORT const char *acllite_emu_version(void) { return ACLLITE_EMU_VERSION; }

EMU_EXPORT aclError aclrtGetVersion(int32_t *majorVersion, int32_t *minorVersion, int32_t *patchVersion) {
    if (!majorVersion || !minorVersion || !patchVersion) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtGetVersion", "an output pointer is NULL");
    }
    /* The AscendCL version whose headers the declarations are checked against. */
    *majorVersion = 1;
    *minorVersion = 17;
    *patchVersion = 0;
    return ACL_SUCCESS;
}

EMU_EXPORT const char *aclrtGetSocName(void) {
    /* Works before aclInit, as on CANN (Ray asks for it to label a node's NPUs without initializing AscendCL). */
    if (emu_configure_early("aclrtGetSocName")) return NULL;
    return emu_cfg.soc_name;
}
