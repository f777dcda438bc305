/* Exception callbacks: aclrtSetExceptionInfoCallback and the aclrtGet*FromExceptionInfo getters.
 *
 * When an asynchronous task fails (a copy into freed memory, a model execution that fails, ...), the stream's
 * worker hands the registered callback an exception info: the task's id (as aclrtGetThreadLastTaskId gave it to
 * the thread that queued it), the stream's id (aclrtStreamGetId), that thread's id, the device and the error. It
 * is valid during the call only. One callback per process; the last one set wins; NULL clears it. The callback
 * runs as a callback of the stream (it cannot destroy or synchronize it, nor finalize AscendCL), and what it leaves
 * as the recent error message is undone. A NULL info makes the getters return 0xFFFFFFFF, as AscendCL's do; so
 * does any other pointer than the info of the callback running on this thread (on a device a stale or made-up
 * pointer is read as memory: here it is refused, never dereferenced). */
#include <unistd.h>
#include <sys/syscall.h>

#include "emu.h"

#define INVALID_EXCEPTION_INFO 0xFFFFFFFFu

struct rtExceptionInfo {
    uint32_t task_id;
    uint32_t stream_id;
    uint32_t thread_id;
    uint32_t device_id;
    uint32_t error_code;
};

static _Atomic(aclrtExceptionInfoCallback) exception_callback;
/* The info handed to the callback running on this thread, the only one the getters read. */
static _Thread_local const aclrtExceptionInfo *delivered_info;

uint32_t emu_thread_id(void) { return (uint32_t)syscall(SYS_gettid); }

EMU_EXPORT aclError aclrtSetExceptionInfoCallback(aclrtExceptionInfoCallback callback) {
    atomic_store(&exception_callback, callback); /* any time, as on CANN: it registers with the runtime */
    return ACL_SUCCESS;
}

void emu_exception_report(uint32_t task_id, int32_t stream_id, uint32_t thread_id, int32_t device, aclError code) {
    aclrtExceptionInfoCallback cb = atomic_load(&exception_callback);
    if (!cb) return;
    aclrtExceptionInfo info = {task_id, (uint32_t)stream_id, thread_id, (uint32_t)device, (uint32_t)code};
    emu_callback_frame frame;
    const aclrtExceptionInfo *outer = delivered_info;
    delivered_info = &info;
    emu_callback_enter(&frame);
    cb(&info);
    emu_callback_leave(&frame);
    delivered_info = outer;
}

static bool info_ok(const aclrtExceptionInfo *info, const char *func) {
    if (info && info == delivered_info) return true;
    if (!info) emu_fail(ACL_ERROR_INVALID_PARAM, func, "info is NULL");
    else emu_fail(ACL_ERROR_INVALID_PARAM, func, "info %p is not the exception info of the callback running on this "
                  "thread (an info is valid during its callback only)", (const void *)info);
    return false;
}

EMU_EXPORT uint32_t aclrtGetTaskIdFromExceptionInfo(const aclrtExceptionInfo *info) {
    return info_ok(info, "aclrtGetTaskIdFromExceptionInfo") ? info->task_id : INVALID_EXCEPTION_INFO;
}

EMU_EXPORT uint32_t aclrtGetStreamIdFromExceptionInfo(const aclrtExceptionInfo *info) {
    return info_ok(info, "aclrtGetStreamIdFromExceptionInfo") ? info->stream_id : INVALID_EXCEPTION_INFO;
}

EMU_EXPORT uint32_t aclrtGetThreadIdFromExceptionInfo(const aclrtExceptionInfo *info) {
    return info_ok(info, "aclrtGetThreadIdFromExceptionInfo") ? info->thread_id : INVALID_EXCEPTION_INFO;
}

EMU_EXPORT uint32_t aclrtGetDeviceIdFromExceptionInfo(const aclrtExceptionInfo *info) {
    return info_ok(info, "aclrtGetDeviceIdFromExceptionInfo") ? info->device_id : INVALID_EXCEPTION_INFO;
}

EMU_EXPORT uint32_t aclrtGetErrorCodeFromExceptionInfo(const aclrtExceptionInfo *info) {
    return info_ok(info, "aclrtGetErrorCodeFromExceptionInfo") ? info->error_code : INVALID_EXCEPTION_INFO;
}

/* Kernel arguments and function handles exist for AI Core and AI CPU kernel tasks; the emulator runs none, so no
 * exception info it gives has them (AscendCL refuses other tasks' infos the same way). */
EMU_EXPORT aclError aclrtGetArgsFromExceptionInfo(const aclrtExceptionInfo *info, void **devArgsPtr,
                                                  uint32_t *devArgsLen) {
    const char *func = "aclrtGetArgsFromExceptionInfo";
    if (!info || !devArgsPtr || !devArgsLen) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL",
                        !info ? "info" : !devArgsPtr ? "devArgsPtr" : "devArgsLen");
    }
    if (!info_ok(info, func)) return ACL_ERROR_INVALID_PARAM;
    return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the failed task (task %u) is not a kernel: it has no arguments",
                    info->task_id);
}

EMU_EXPORT aclError aclrtGetFuncHandleFromExceptionInfo(const aclrtExceptionInfo *info, aclrtFuncHandle *func_out) {
    const char *func = "aclrtGetFuncHandleFromExceptionInfo";
    if (!info || !func_out) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", !info ? "info" : "func");
    if (!info_ok(info, func)) return ACL_ERROR_INVALID_PARAM;
    return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the failed task (task %u) is not a kernel: it has no function",
                    info->task_id);
}
