/*
 * acllite's declaration of the AscendCL runtime (acl_rt.h, acl_rt_allocator.h, acl_rt_memory_soma.h): this file
 * includes the runtime's parts (acl_runtime_*.h) and declares the process-wide functions: initialization, versions,
 * errors, dump set-up, snapshots. Facts from the CANN headers; checked against them by tests/test_conformance.py.
 */
/* acllite-library: ascendcl */
#ifndef ACLLITE_API_ACL_RUNTIME_H
#define ACLLITE_API_ACL_RUNTIME_H

#include "acl_runtime_types.h"
#include "acl_runtime_device.h"
#include "acl_runtime_stream.h"
#include "acl_runtime_memory.h"
#include "acl_runtime_kernel.h"
#include "acl_runtime_graph.h"
#include "acl_runtime_allocator.h"
#include "acl_runtime_mempool.h"

/* ---- set-up ---- */
aclError aclInit(const char *configPath);
aclError aclFinalize(void);
aclError aclFinalizeReference(uint64_t *refCount);
aclError aclInitCallbackRegister(aclRegisterCallbackType type, aclInitCallbackFunc cbFunc, void *userData);
aclError aclInitCallbackUnRegister(aclRegisterCallbackType type, aclInitCallbackFunc cbFunc);
aclError aclFinalizeCallbackRegister(aclRegisterCallbackType type, aclFinalizeCallbackFunc cbFunc, void *userData);
aclError aclFinalizeCallbackUnRegister(aclRegisterCallbackType type, aclFinalizeCallbackFunc cbFunc);

/* ---- versions ---- */
aclError aclrtGetVersion(int32_t *majorVersion, int32_t *minorVersion, int32_t *patchVersion);
/* deprecated by CANN, still exported: use aclsysGetVersionStr/aclsysGetVersionNum */
aclError aclsysGetCANNVersion(aclCANNPackageName name, aclCANNPackageVersion *version);
aclError aclsysGetVersionStr(char *pkgName, char *versionStr);
aclError aclsysGetVersionNum(char *pkgName, int32_t *versionNum);
aclError aclrtCheckArchCompatibility(const char *socVersion, int32_t *canCompatible);

/* ---- errors ---- */
const char *aclGetRecentErrMsg(void);
aclError aclrtPeekAtLastError(aclrtLastErrLevel level);
aclError aclrtGetLastError(aclrtLastErrLevel level);
aclError aclrtGetErrorVerbose(int32_t deviceId, aclrtErrorInfo *errorInfo);
aclError aclrtRepairError(int32_t deviceId, const aclrtErrorInfo *errorInfo);

/* ---- model dump (set-up of the data dump of models and operators) ---- */
aclError aclmdlInitDump(void);
aclError aclmdlSetDump(const char *dumpCfgPath);
aclError aclmdlFinalizeDump(void);

/* ---- snapshots of the process (backup and restore of device state) ---- */
aclError aclrtSnapShotProcessLock(int pid, void *reserve);
aclError aclrtSnapShotProcessUnlock(int pid, void *reserve);
aclError aclrtSnapShotProcessBackup(int pid, aclrtSnapShotBackupArgs *args);
aclError aclrtSnapShotProcessRestore(int pid, aclrtSnapShotRestoreArgs *args);
aclError aclrtSnapShotCallbackRegister(aclrtSnapShotStage stage, aclrtSnapShotCallBack callback, void *args);
aclError aclrtSnapShotCallbackUnregister(aclrtSnapShotStage stage, aclrtSnapShotCallBack callback);

/* ---- profiling marks ---- */
aclError aclrtProfTrace(void *userdata, int32_t length, aclrtStream stream);

#endif
