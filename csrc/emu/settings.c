/* Settings a program makes and reads back: the saturation mode of float results (per device), the operator
 * timeouts and the system parameters (per process). The emulator keeps and reports them; the event-wait timeout
 * also bounds aclrtStreamWaitEvent tasks (stream.c). Operator execution itself is not timed.
 *
 * Operator execution timeouts are counted in the hardware's interval (aclrtGetOpTimeOutInterval), at most 254 of
 * them; the emulator's interval is 4294967 us (2^32 ns), so that the limit, which is also the default, is the
 * 1091 s CANN documents as the AI Core operators' default on current devices. */
#include <string.h>

#include "emu.h"

#define OP_TIMEOUT_INTERVAL_US 4294967u
#define OP_TIMEOUT_MAX_INTERVALS 254u
#define OP_TIMEOUT_MAX_US ((uint64_t)OP_TIMEOUT_INTERVAL_US * OP_TIMEOUT_MAX_INTERVALS)

static _Atomic uint32_t op_wait_timeout_s;                  /* 0: no limit */
static _Atomic uint64_t op_execute_timeout_us = OP_TIMEOUT_MAX_US;
static int sat_mode[EMU_MAX_DEVICES];                       /* 0: not set (the SoC's default) */
static emu_sys_params process_params;                       /* guarded by emu_lock */

uint32_t emu_op_wait_timeout_s(void) { return atomic_load(&op_wait_timeout_s); }

void emu_settings_reset_device(int32_t device) {
    if (device >= 0 && device < EMU_MAX_DEVICES) sat_mode[device] = 0;
}

/* ---- saturation mode ----
 * ACL_RT_OVERFLOW_MODE_SATURATION or ACL_RT_OVERFLOW_MODE_INFNAN, per device (the current one), until its last
 * aclrtResetDevice. The default is INF/NaN on the Ascend910B/910_93 SoCs and later, saturation on the others. */
static aclrtFloatOverflowMode default_sat_mode(void) {
    const char *soc = emu_cfg.soc_name;
    bool infnan = (strncmp(soc, "Ascend910", 9) == 0 && soc[9] != '\0' && soc[9] != 'A' && soc[9] != 'P') ||
                  strncmp(soc, "Ascend950", 9) == 0;
    return infnan ? ACL_RT_OVERFLOW_MODE_INFNAN : ACL_RT_OVERFLOW_MODE_SATURATION;
}

EMU_EXPORT aclError aclrtSetDeviceSatMode(aclrtFloatOverflowMode mode) {
    const char *func = "aclrtSetDeviceSatMode";
    if (mode != ACL_RT_OVERFLOW_MODE_SATURATION && mode != ACL_RT_OVERFLOW_MODE_INFNAN) {
        aclError err = emu_require_init(func);
        return err ? err : emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, "mode %d: expected "
                                    "ACL_RT_OVERFLOW_MODE_SATURATION (0) or ACL_RT_OVERFLOW_MODE_INFNAN (1)",
                                    (int)mode);
    }
    int32_t device = 0;
    aclError err = emu_current_device(func, &device);
    if (err) return err;
    emu_lock();
    sat_mode[device] = (int)mode + 1;
    emu_unlock();
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtGetDeviceSatMode(aclrtFloatOverflowMode *mode) {
    const char *func = "aclrtGetDeviceSatMode";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!mode) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "mode is NULL");
    int32_t device = 0;
    if ((err = emu_current_device(func, &device))) return err;
    emu_lock();
    int set = sat_mode[device];
    emu_unlock();
    *mode = set ? (aclrtFloatOverflowMode)(set - 1) : default_sat_mode();
    return ACL_SUCCESS;
}

/* ---- timeouts ---- */

EMU_EXPORT aclError aclrtSetOpWaitTimeout(uint32_t timeout) {
    aclError err = emu_require_init("aclrtSetOpWaitTimeout");
    if (err) return err;
    atomic_store(&op_wait_timeout_s, timeout);
    return ACL_SUCCESS;
}

/* The timeout that takes effect for a request in microseconds: 0 is the limit, others are rounded up to whole
 * intervals, and capped at the limit. */
static uint64_t effective_us(uint64_t us) {
    if (us == 0 || us >= OP_TIMEOUT_MAX_US) return OP_TIMEOUT_MAX_US;
    return (us + OP_TIMEOUT_INTERVAL_US - 1) / OP_TIMEOUT_INTERVAL_US * OP_TIMEOUT_INTERVAL_US;
}

static aclError set_execute_timeout(uint64_t us, uint64_t *actual, const char *func) {
    aclError err = emu_require_init(func);
    if (err) return err;
    uint64_t e = effective_us(us);
    atomic_store(&op_execute_timeout_us, e);
    if (actual) *actual = e;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtSetOpExecuteTimeOut(uint32_t timeout) {
    return set_execute_timeout((uint64_t)timeout * 1000000u, NULL, "aclrtSetOpExecuteTimeOut");
}

EMU_EXPORT aclError aclrtSetOpExecuteTimeOutWithMs(uint32_t timeout) {
    return set_execute_timeout((uint64_t)timeout * 1000u, NULL, "aclrtSetOpExecuteTimeOutWithMs");
}

EMU_EXPORT aclError aclrtSetOpExecuteTimeOutV2(uint64_t timeout, uint64_t *actualTimeout) {
    const char *func = "aclrtSetOpExecuteTimeOutV2";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!actualTimeout) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "actualTimeout is NULL");
    return set_execute_timeout(timeout, actualTimeout, func);
}

EMU_EXPORT aclError aclrtGetOpExecuteTimeout(uint32_t *const timeoutMs) {
    const char *func = "aclrtGetOpExecuteTimeout";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!timeoutMs) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "timeoutMs is NULL");
    *timeoutMs = (uint32_t)(atomic_load(&op_execute_timeout_us) / 1000u); /* at most 1090921 ms */
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtGetOpTimeOutInterval(uint64_t *interval) {
    const char *func = "aclrtGetOpTimeOutInterval";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!interval) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "interval is NULL");
    *interval = OP_TIMEOUT_INTERVAL_US;
    return ACL_SUCCESS;
}

/* ---- process-wide system parameters (aclrtSetSysParamOpt); device.c keeps the per-context ones ---- */

static aclError sys_param_opt(aclSysParamOpt opt, const char *func) {
    if ((unsigned)opt >= EMU_SYS_PARAM_COUNT) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "opt %d is not ACL_OPT_DETERMINISTIC (0), "
                        "ACL_OPT_ENABLE_DEBUG_KERNEL (1) or ACL_OPT_STRONG_CONSISTENCY (2)", (int)opt);
    }
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtSetSysParamOpt(aclSysParamOpt opt, int64_t value) {
    const char *func = "aclrtSetSysParamOpt";
    aclError err = emu_require_init(func);
    if (err || (err = sys_param_opt(opt, func))) return err;
    emu_lock();
    process_params.set[opt] = true;
    process_params.value[opt] = value;
    emu_unlock();
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtGetSysParamOpt(aclSysParamOpt opt, int64_t *value) {
    const char *func = "aclrtGetSysParamOpt";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!value) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "value is NULL");
    if ((err = sys_param_opt(opt, func))) return err;
    emu_lock();
    bool set = process_params.set[opt];
    int64_t v = process_params.value[opt];
    emu_unlock();
    if (!set) {
        return emu_fail(ACL_ERROR_RT_SYSPARAMOPT_NOT_SET, func, "option %d was not set (aclrtSetSysParamOpt)",
                        (int)opt);
    }
    *value = v;
    return ACL_SUCCESS;
}
