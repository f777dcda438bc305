/* What the emulated devices report about themselves: aclrtGetDeviceInfo, aclrtGetDeviceCapability,
 * aclGetDeviceCapability, aclrtGetDeviceUtilizationRate, and the software versions (aclsysGetVersionStr/Num,
 * aclsysGetCANNVersion).
 *
 * The emulator has no cores: the core counts and cache sizes are those of the emulated SoC where CANN's public
 * platform files give them (the SoCInfo section of data/platform_config/<SoC>.ini), and a nominal device of one
 * AI Core and one AI CPU otherwise. Device memory is the emulated device's (ACLLITE_EMU_DEVICE_MEMORY). Like
 * aclrtGetDeviceCount, the device queries work before aclInit. */
#include <stdio.h>
#include <string.h>

#include "emu.h"

/* The CANN release the emulator stands for when asked for package versions: the one whose AscendCL (1.17, as
 * aclrtGetVersion says) acllite's declaration follows. */
#define EMU_CANN_VERSION "8.5.0"
#define EMU_CANN_MAJOR 8
#define EMU_CANN_MINOR 5
#define EMU_CANN_PATCH 0

typedef struct {
    const char *soc;   /* SoC name, or prefix ending in '*' */
    int64_t ai_cores;  /* also the cube cores */
    int64_t vector_cores;
    int64_t ai_cpus;
    int64_t l2_bytes;
    int64_t npu_arch;  /* [version] NpuArch; 0: not given */
} soc_figures;

static const soc_figures SOCS[] = {
    {"Ascend910B2", 24, 48, 6, 201326592, 2201},
    {"Ascend910B4", 20, 40, 6, 0, 2201},
    {"Ascend910_93*", 24, 48, 6, 0, 0},
};
static const soc_figures NOMINAL = {"", 1, 0, 1, 0, 0};

static const soc_figures *figures(void) {
    for (size_t i = 0; i < sizeof SOCS / sizeof SOCS[0]; i++) {
        size_t n = strlen(SOCS[i].soc);
        bool prefix = SOCS[i].soc[n - 1] == '*';
        if (prefix ? strncmp(emu_cfg.soc_name, SOCS[i].soc, n - 1) == 0 : strcmp(emu_cfg.soc_name, SOCS[i].soc) == 0) {
            return &SOCS[i];
        }
    }
    return &NOMINAL;
}

static aclError unsupported(const char *func, const char *what) {
    return emu_fail(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, func, "%s is not available on the emulated %s", what,
                    emu_cfg.soc_name);
}

EMU_EXPORT aclError aclrtGetDeviceInfo(uint32_t deviceId, aclrtDevAttr attr, int64_t *value) {
    const char *func = "aclrtGetDeviceInfo";
    aclError err = emu_configure_early(func);
    if (err) return err;
    if (!value) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "value is NULL");
    if (deviceId > INT32_MAX) {
        return emu_fail(ACL_ERROR_RT_INVALID_DEVICEID, func, "device %u does not exist", deviceId);
    }
    if ((err = emu_check_device((int32_t)deviceId, func))) return err;
    const soc_figures *f = figures();
    switch (attr) {
    case ACL_DEV_ATTR_AICPU_CORE_NUM: *value = f->ai_cpus; break;
    case ACL_DEV_ATTR_AICORE_CORE_NUM:
    case ACL_DEV_ATTR_CUBE_CORE_NUM: *value = f->ai_cores; break;
    case ACL_DEV_ATTR_VECTOR_CORE_NUM: *value = f->vector_cores; break;
    case ACL_DEV_ATTR_TOTAL_GLOBAL_MEM_SIZE: *value = (int64_t)emu_cfg.device_memory; break;
    case ACL_DEV_ATTR_L2_CACHE_SIZE:
        if (!f->l2_bytes) return unsupported(func, "the L2 cache size");
        *value = f->l2_bytes;
        break;
    case ACL_DEV_ATTR_SMP_ID: *value = 0; break; /* every emulated device runs under the one host OS */
    case ACL_DEV_ATTR_PHY_CHIP_ID: *value = emu_physical_device((int32_t)deviceId); break;
    case ACL_DEV_ATTR_MAINBOARD_ID: *value = 0; break;
    case ACL_DEV_ATTR_CUST_OP_PRIVILEGE: *value = 0; break;
    case ACL_DEV_ATTR_IS_VIRTUAL: *value = 0; break;
    case ACL_DEV_ATTR_NPU_ARCH:
        if (!f->npu_arch) return unsupported(func, "the NPU architecture number");
        *value = f->npu_arch;
        break;
    case ACL_DEV_ATTR_SUPER_POD_DEVICE_ID:
    case ACL_DEV_ATTR_SUPER_POD_SERVER_ID:
    case ACL_DEV_ATTR_SUPER_POD_ID: return unsupported(func, "a SuperPoD id (the device is in no SuperPoD)");
    case ACL_DEV_ATTR_HD_CONNECT_TYPE: return unsupported(func, "the host-device connection type");
    case ACL_DEV_ATTR_WARP_SIZE:
    case ACL_DEV_ATTR_MAX_THREAD_PER_VECTOR_CORE:
    case ACL_DEV_ATTR_LOCAL_MEM_PER_VECTOR_CORE:
    case ACL_DEV_ATTR_MAX_GRID_DIM_X:
    case ACL_DEV_ATTR_MAX_GRID_DIM_Y:
    case ACL_DEV_ATTR_MAX_GRID_DIM_Z:
    case ACL_DEV_ATTR_MAX_BLOCK_PER_GRID:
    case ACL_DEV_ATTR_MAX_THREADS_PER_BLOCK:
    case ACL_DEV_ATTR_MAX_BLOCK_DIM_X:
    case ACL_DEV_ATTR_MAX_BLOCK_DIM_Y:
    case ACL_DEV_ATTR_MAX_BLOCK_DIM_Z: return unsupported(func, "SIMT programming (warps, grids, blocks)");
    default: return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, "unknown device attribute %d", (int)attr);
    }
    return ACL_SUCCESS;
}

/* The emulated devices have neither feature: 0 ("not supported"), as a device without them answers. */
EMU_EXPORT aclError aclrtGetDeviceCapability(int32_t deviceId, aclrtDevFeatureType devFeatureType, int32_t *value) {
    const char *func = "aclrtGetDeviceCapability";
    aclError err = emu_configure_early(func);
    if (err) return err;
    if (!value) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "value is NULL");
    if ((err = emu_check_device(deviceId, func))) return err;
    if (devFeatureType != ACL_FEATURE_TSCPU_TASK_UPDATE_SUPPORT_AIC_AIV &&
        devFeatureType != ACL_FEATURE_SYSTEM_MEMQ_EVENT_CROSS_DEV) {
        return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, "unknown device feature %d", (int)devFeatureType);
    }
    *value = 0;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclGetDeviceCapability(uint32_t deviceId, aclDeviceInfo deviceInfo, int64_t *value) {
    const char *func = "aclGetDeviceCapability";
    aclError err = emu_configure_early(func);
    if (err) return err;
    if (!value) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "value is NULL");
    if (emu_cfg.device_count == 0 || deviceId >= (uint32_t)emu_cfg.device_count) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "deviceId %u: %d device(s) visible", deviceId,
                        emu_cfg.device_count);
    }
    const soc_figures *f = figures();
    switch (deviceInfo) {
    case ACL_DEVICE_INFO_AI_CORE_NUM: *value = f->ai_cores; break;
    case ACL_DEVICE_INFO_VECTOR_CORE_NUM: *value = f->vector_cores; break;
    case ACL_DEVICE_INFO_L2_SIZE:
        if (!f->l2_bytes) return unsupported(func, "the L2 cache size");
        *value = f->l2_bytes;
        break;
    default:
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "deviceInfo %d: expected ACL_DEVICE_INFO_AI_CORE_NUM, "
                        "ACL_DEVICE_INFO_VECTOR_CORE_NUM or ACL_DEVICE_INFO_L2_SIZE", (int)deviceInfo);
    }
    return ACL_SUCCESS;
}

/* Cube, vector and AI CPU use in percent: 0, as nothing runs on cores; -1 for vector cores the SoC does not have
 * and for memory, which AscendCL does not measure either. */
EMU_EXPORT aclError aclrtGetDeviceUtilizationRate(int32_t deviceId, aclrtUtilizationInfo *utilizationInfo) {
    const char *func = "aclrtGetDeviceUtilizationRate";
    aclError err = emu_configure_early(func);
    if (err) return err;
    if (!utilizationInfo) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "utilizationInfo is NULL");
    if (utilizationInfo->utilizationExtend != NULL) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "utilizationInfo->utilizationExtend is a reserved parameter "
                        "and must be NULL");
    }
    if ((err = emu_check_device(deviceId, func))) return err;
    utilizationInfo->cubeUtilization = 0;
    utilizationInfo->vectorUtilization = figures()->vector_cores ? 0 : -1;
    utilizationInfo->aicpuUtilization = 0;
    utilizationInfo->memoryUtilization = -1;
    return ACL_SUCCESS;
}

/* ---- software versions ----
 * Packages are named as in a CANN install's share/info/<name>/version.info, '-' and '_' alike; the emulator
 * answers for those of a CANN 8 install and the new names AscendCL maps its package enum to. Others have no
 * version file: ACL_ERROR_INVALID_FILE, as on CANN. */
static const char *const PACKAGES[] = {"runtime", "compiler", "hccl", "toolkit", "opp", "opp_kernel", "driver",
                                       "firmware", "bisheng_compiler", "oam_tools", "ops_legacy", "cann", NULL};

static bool known_package(const char *name) {
    char canon[64];
    size_t n = strnlen(name, sizeof canon);
    if (n == sizeof canon) return false;
    for (size_t i = 0; i <= n; i++) canon[i] = name[i] == '-' ? '_' : name[i];
    for (const char *const *p = PACKAGES; *p; p++) {
        if (strcmp(canon, *p) == 0) return true;
    }
    return false;
}

static aclError package(const char *pkgName, const char *func) {
    if (!known_package(pkgName)) {
        return emu_fail(ACL_ERROR_INVALID_FILE, func, "package \"%.64s\" has no version information (known: "
                        "runtime, compiler, hccl, toolkit, opp, opp_kernel, driver, firmware, bisheng-compiler, "
                        "oam-tools, ops-legacy, cann)", pkgName);
    }
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclsysGetVersionStr(char *pkgName, char *versionStr) {
    const char *func = "aclsysGetVersionStr";
    if (!versionStr) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "versionStr is NULL");
    if (!pkgName) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "pkgName is NULL");
    aclError err = package(pkgName, func);
    if (err) return err;
    snprintf(versionStr, ACL_PKG_VERSION_MAX_SIZE, "%s", EMU_CANN_VERSION);
    return ACL_SUCCESS;
}

/* major * 10^7 + minor * 10^5 + patch * 10^3 (release candidates and alphas subtract; the emulator's is final). */
EMU_EXPORT aclError aclsysGetVersionNum(char *pkgName, int32_t *versionNum) {
    const char *func = "aclsysGetVersionNum";
    if (!versionNum) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "versionNum is NULL");
    if (!pkgName) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "pkgName is NULL");
    aclError err = package(pkgName, func);
    if (err) return err;
    *versionNum = EMU_CANN_MAJOR * 10000000 + EMU_CANN_MINOR * 100000 + EMU_CANN_PATCH * 1000;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclsysGetCANNVersion(aclCANNPackageName name, aclCANNPackageVersion *version) {
    const char *func = "aclsysGetCANNVersion";
    if (!version) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "version is NULL");
    if ((unsigned)name > ACL_PKG_NAME_DRIVER) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "package name %d is not an aclCANNPackageName", (int)name);
    }
    memset(version, 0, sizeof *version);
    snprintf(version->version, sizeof version->version, "%s", EMU_CANN_VERSION);
    snprintf(version->majorVersion, sizeof version->majorVersion, "%d", EMU_CANN_MAJOR);
    snprintf(version->minorVersion, sizeof version->minorVersion, "%d", EMU_CANN_MINOR);
    snprintf(version->releaseVersion, sizeof version->releaseVersion, "%d", EMU_CANN_PATCH);
    snprintf(version->patchVersion, sizeof version->patchVersion, "0");
    return ACL_SUCCESS;
}
