/* Internal interfaces of the emulator. Everything here is private to libacllite_emu. */
#ifndef ACLLITE_EMU_INTERNAL_H
#define ACLLITE_EMU_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "acl_runtime.h"
#include "acllite_emu.h"

#define EMU_EXPORT __attribute__((visibility("default")))
#define EMU_MAX_DEVICES 64
#define EMU_ALIGN 128u /* start alignment of every allocation (DVPP needs 128) */

/* ---- checked arithmetic ----
 * Every size, stride and offset the emulator computes from values it was given goes through these: they return
 * false (and leave *out unspecified) when the exact result does not fit, so a product can never wrap around
 * 2^64 and pass a bounds check with a small value. */
static inline bool emu_mul(size_t a, size_t b, size_t *out) { return !__builtin_mul_overflow(a, b, out); }
static inline bool emu_add(size_t a, size_t b, size_t *out) { return !__builtin_add_overflow(a, b, out); }
static inline bool emu_mul64(uint64_t a, uint64_t b, uint64_t *out) { return !__builtin_mul_overflow(a, b, out); }
static inline bool emu_add64(uint64_t a, uint64_t b, uint64_t *out) { return !__builtin_add_overflow(a, b, out); }
/* The largest tensor or model size the emulator accepts: GE keeps sizes in int64_t. */
#define EMU_MAX_TENSOR_BYTES ((uint64_t)INT64_MAX)

/* float to IEEE half (base.c): nearest, ties to even; overflow gives infinity, as numpy and onnxruntime convert
 * (aclFloatToFloat16 saturates instead). */
uint16_t emu_float_to_half_ieee(float value);

/* ---- errors and logging (errors.c) ---- */
#define EMU_MSG_MAX 1024
/* Set the calling thread's recent error message to "func: <formatted>" and return code. */
aclError emu_fail(aclError code, const char *func, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same for a wait whose caller chose the timeout and which ran out (aclrtProcessReport polled in a loop,
 * aclrtSynchronizeStreamWithTimeout): an expected outcome, logged at WARNING rather than ERROR. */
aclError emu_fail_timeout(aclError code, const char *func, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void emu_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *emu_recent_message(void);
void emu_set_recent_message(const char *msg);
/* The calling thread's recent message and last error code (aclrtPeekAtLastError) at once: an error that reaches
 * this thread from elsewhere (a stream task's, at synchronize). */
void emu_set_recent_error(aclError code, const char *msg);
/* The calling thread's recent message state, saved and put back (callback frames). */
void emu_message_save(char *buf, size_t len, bool *set);
void emu_message_restore(const char *buf, bool set);

/* ---- files (files.c) ---- */
/* Read a whole file of at most max bytes: a regular file only (never a directory, FIFO or device: those have no
 * size, or an endless one). ACL_ERROR_INVALID_FILE / ACL_ERROR_INVALID_FILE_SIZE with a message naming what. The
 * caller frees *data. */
aclError emu_read_file(const char *path, size_t max, void **data, size_t *size, const char *func, const char *what);
/* "a directory", "a FIFO", ... */
const char *emu_file_kind(mode_t mode);

/* ---- configuration and process state (init.c) ---- */
typedef struct {
    int device_count;
    char soc_name[64];
    size_t device_memory; /* bytes per device */
    bool strict;
} emu_config;

extern emu_config emu_cfg;
/* Read the configuration now if it has not been read (device queries work before aclInit); the error otherwise. */
aclError emu_configure_early(const char *func);
/* device.c: apply ASCEND_VISIBLE_DEVICES / ASCEND_RT_VISIBLE_DEVICES to the physical devices (configuration time). */
aclError emu_visible_devices_configure(int physical, int *visible);
int32_t emu_physical_device(int32_t device); /* this process's device id -> physical id (-1 if none) */
/* ACL_SUCCESS when aclInit has run (and aclFinalize has not), else the error, with the message set. */
aclError emu_require_init(const char *func);
/* The global lock that guards devices, contexts, the handle registry and report subscriptions. */
void emu_lock(void);
void emu_unlock(void);
uint64_t emu_now_ns(void);

/* ---- handle registry (registry.c): which pointers are live objects of which kind ---- */
typedef enum {
    EMU_H_NONE = 0,
    EMU_H_CONTEXT,
    EMU_H_STREAM,
    EMU_H_EVENT,
    EMU_H_DATABUFFER,
    EMU_H_MODEL_DESC,
    EMU_H_DATASET,
    EMU_H_DVPP_CHANNEL, /* acldvppChannelDesc */
    EMU_H_DVPP_PIC,     /* acldvppPicDesc */
    EMU_H_DVPP_ROI,     /* acldvppRoiConfig */
    EMU_H_DVPP_RESIZE,  /* acldvppResizeConfig */
    EMU_H_DVPP_JPEGE,   /* acldvppJpegeConfig */
    EMU_H_DVPP_BATCH,       /* acldvppBatchPicDesc */
    EMU_H_TENSOR_DESC,      /* aclTensorDesc (the first of its array) */
    EMU_H_TENSOR_DESC_ITEM, /* a later element of an array of aclTensorDesc */
    EMU_H_OP_ATTR,          /* aclopAttr */
    EMU_H_OP_HANDLE,        /* aclopHandle */
    EMU_H_DEFAULT_STREAM,   /* a context's default stream (aclrtCtxGetCurrentDefaultStream hands it out) */
    EMU_H_DVPP_STREAM,      /* acldvppStreamDesc */
    EMU_H_VDEC_CHANNEL,     /* aclvdecChannelDesc */
    EMU_H_VDEC_FRAME,       /* aclvdecFrameConfig */
    EMU_H_VENC_CHANNEL,     /* aclvencChannelDesc */
    EMU_H_VENC_FRAME,       /* aclvencFrameConfig */
    EMU_H_DVPP_BORDER,      /* acldvppBorderConfig */
    EMU_H_DVPP_LUT,         /* acldvppLutMap */
    EMU_H_DVPP_HIST,        /* acldvppHist */
    EMU_H_MODEL_CONFIG,     /* aclmdlConfigHandle */
    EMU_H_MODEL_EXEC_CONFIG, /* aclmdlExecConfigHandle */
    EMU_H_AIPP,             /* aclmdlAIPP */
    EMU_H_KIND_COUNT
} emu_handle_kind;

/* All registry functions require emu_lock held. */
bool emu_reg_add(const void *p, emu_handle_kind kind, int32_t device);
bool emu_reg_remove(const void *p, emu_handle_kind kind);
bool emu_reg_has(const void *p, emu_handle_kind kind);
/* Collect up to max handles of kind on device (device < 0: any); returns how many exist. */
size_t emu_reg_collect(emu_handle_kind kind, int32_t device, void **out, size_t max);
size_t emu_reg_count(emu_handle_kind kind, int32_t device);
/* Unregister every handle of kind on device (device < 0: any) and pass each to release; returns how many. */
size_t emu_reg_release_all(emu_handle_kind kind, int32_t device, void (*release)(void *));
void emu_reg_clear(void);

/* ---- devices and contexts (device.c) ---- */
typedef struct emu_stream emu_stream;
#define EMU_SYS_PARAM_COUNT 3 /* aclSysParamOpt: ACL_OPT_DETERMINISTIC .. ACL_OPT_STRONG_CONSISTENCY */
typedef struct {
    bool set[EMU_SYS_PARAM_COUNT];
    int64_t value[EMU_SYS_PARAM_COUNT];
} emu_sys_params;
typedef struct emu_context {
    int32_t device;
    bool is_default;
    emu_stream *default_stream; /* created on first use */
    emu_sys_params params;      /* aclrtCtxSetSysParamOpt (guarded by emu_lock) */
} emu_context;

/* The calling thread's current context, or NULL with the message set (requires emu_lock). */
emu_context *emu_current_context_locked(const char *func, aclError *err);
/* Release everything on one device; counts what was still alive into leaks (requires emu_lock). */
void emu_device_teardown_locked(int32_t device, acllite_emu_counts *leaks);
void emu_devices_reset_all_locked(acllite_emu_counts *leaks);
void emu_record_leaks(const acllite_emu_counts *leaks, const char *what);
/* ACL_SUCCESS when id is one of this process's devices, else the error (no device / invalid id) with the message. */
aclError emu_check_device(int32_t id, const char *func);
/* The container-level ("logic") id of one of this process's devices (-1 if none). */
int32_t emu_logic_device(int32_t device);
/* Peer access (peer.c): may work on device src copy to or from memory of device dst? (aclrtDeviceEnablePeerAccess
 * on src for dst). Checked for every copy between memory of two devices. */
bool emu_peer_enabled(int32_t src, int32_t dst);
void emu_peer_reset_device(int32_t device); /* its last aclrtResetDevice: its peer settings go */
/* The current context's device, or the error (not initialized, no context) with the message set. */
aclError emu_current_device(const char *func, int32_t *device);

/* ---- memory (memory.c) ---- */
typedef enum { EMU_MEM_PAGEABLE = 0, EMU_MEM_DEVICE, EMU_MEM_HOST, EMU_MEM_DVPP, EMU_MEM_KIND_COUNT } emu_mem_kind;

typedef struct {
    emu_mem_kind kind; /* EMU_MEM_PAGEABLE when the pointer is outside every arena */
    int32_t device;
    void *base;        /* start of the live allocation holding the range */
    size_t size;       /* its requested size */
} emu_mem_where;

aclError emu_mem_init(void);
/* Locate [p, p+len): ACL_SUCCESS with *where filled, or an error naming what is wrong (arg names the pointer). */
aclError emu_mem_locate(const void *p, size_t len, emu_mem_where *where, const char *func, const char *arg);
aclError emu_mem_alloc(emu_mem_kind kind, int32_t device, size_t size, void **out, const char *func);
/* The same, occupying ALIGN_UP(size, 32) + 32 bytes when padded (aclrtMalloc's rule) or ALIGN_UP(size, 32) when not
 * (aclrtMallocAlign32, aclrtMallocWithCfg). */
aclError emu_mem_alloc_span(emu_mem_kind kind, int32_t device, size_t size, bool padded, void **out,
                            const char *func);
aclError emu_mem_free(emu_mem_kind kind, void *p, const char *func);
void emu_mem_release_device(int32_t device, acllite_emu_counts *leaks);
void emu_mem_count(int32_t device, acllite_emu_counts *counts);
size_t emu_mem_used(emu_mem_kind kind, int32_t device);
const char *emu_mem_kind_name(emu_mem_kind kind);

/* ---- streams, tasks and events (stream.c) ----
 * Each stream has a worker thread that runs its tasks in order. Tasks never take emu_lock, so a thread that
 * holds emu_lock may wait for a worker. */
typedef aclError (*emu_task_fn)(void *arg);
typedef void (*emu_task_drop)(void *arg);

/* Resolve a user stream handle (NULL = the current context's default stream) and take a reference on it,
 * or return NULL with *err set. Requires emu_lock. Release with emu_stream_unref. */
emu_stream *emu_stream_resolve_locked(aclrtStream stream, const char *func, aclError *err);
void emu_stream_unref(emu_stream *s);
/* Queue fn(arg) on the stream; drop(arg) runs after it, or instead of it when the stream is destroyed first. */
aclError emu_stream_enqueue(emu_stream *s, emu_task_fn fn, void *arg, emu_task_drop drop, const char *func);
/* The same, for a task that may run on a thread that synchronizes the stream (a plain host thread waiting
 * without a limit), when the worker has not started it: a task that does not care which thread runs it. */
aclError emu_stream_enqueue_any_thread(emu_stream *s, emu_task_fn fn, void *arg, emu_task_drop drop,
                                       const char *func);
/* Wait for the tasks queued so far (timeout_ms < 0: no limit); returns the first error a task reported. */
aclError emu_stream_sync(emu_stream *s, int32_t timeout_ms, const char *func);
/* Wait for every stream of a device (its contexts' default streams too); timeout_ms < 0: no limit. */
aclError emu_device_sync(int32_t device, int32_t timeout_ms, const char *func);
/* The current context's device's user streams may number at most this many (aclrtGetStreamAvailableNum). */
#define EMU_MAX_STREAMS 1024
/* Events that can synchronize streams (ACL_EVENT_SYNC) per device (aclrtGetEventAvailNum). */
#define EMU_MAX_SYNC_EVENTS 65536
emu_stream *emu_stream_create_locked(emu_context *ctx, const char *func, aclError *err);
/* Stop the stream's worker after its queue drains and drop the owner's reference. Requires emu_lock. */
void emu_stream_destroy_locked(emu_stream *s);
/* Mark the streams about to be released (user and default streams of a device, device < 0: all; or of one
 * context) as stopping before any is joined, so that none waits forever for another: a blocking callback gives
 * up when its stream stops, and an event wait then sees its record run. Queued tasks still run. */
void emu_streams_stop_locked(int32_t device, const emu_context *ctx);
/* Destroy the user streams of a device (and of one context, if ctx is not NULL); returns how many. */
uint64_t emu_streams_release_locked(int32_t device, const emu_context *ctx);
/* Release the events of a device (device < 0: all); returns how many there were. Requires emu_lock. */
uint64_t emu_events_release_locked(int32_t device);
void emu_reports_clear(void);

/* ---- threads that run user code ----
 * Stream workers run queued tasks, and tasks (and synchronous model executions) call back into the registered
 * engine and codec, i.e. into Python, where a finalizer may call AscendCL. A release that would join or free the
 * thread it runs on, or wait for the very work that called it, is refused (stream.c). */
/* The stream whose worker is the calling thread, or NULL. */
emu_stream *emu_worker_stream(void);
/* The device and context of the calling worker's stream (-1 / NULL on other threads). */
int32_t emu_worker_device(void);
const emu_context *emu_worker_context(void);
/* Around every call into the model engine or the image codec: inside, aclFinalize and tear-downs are refused, and
 * what the callback's own AscendCL calls (a finalizer's, say) leave as the recent error message is undone on the
 * way out, so that the caller's message survives. */
typedef struct {
    char message[EMU_MSG_MAX];
    bool set;
} emu_callback_frame;
void emu_callback_enter(emu_callback_frame *frame);
void emu_callback_leave(const emu_callback_frame *frame);
bool emu_in_callback(void);

/* ---- process and device settings (settings.c) ---- */
uint32_t emu_op_wait_timeout_s(void); /* aclrtSetOpWaitTimeout: seconds, 0 = no limit */
void emu_settings_reset_device(int32_t device); /* its last aclrtResetDevice: its saturation mode goes */

/* ---- exception callbacks (exception.c) ----
 * A failed asynchronous task is reported to the callback of aclrtSetExceptionInfoCallback, on the stream's worker,
 * with the task's id, its stream's id, the id of the thread that queued it, the device and the error. */
void emu_exception_report(uint32_t task_id, int32_t stream_id, uint32_t thread_id, int32_t device, aclError code);
uint32_t emu_thread_id(void); /* the calling thread's id as exception infos give it */

/* ---- data buffers (databuf.c) ---- */
uint64_t emu_databuffers_release_locked(void);
/* The (data, size) of a live data buffer, or false with the message set. Takes emu_lock. */
bool emu_databuffer_read(const aclDataBuffer *b, void **data, size_t *size, const char *func, const char *what);

/* ---- models (model.c, dataset.c) ---- */
/* Unload every model and release descriptions and datasets (aclFinalize); counts into leaks. */
void emu_models_release_all(acllite_emu_counts *leaks);
uint64_t emu_model_count(void);

/* ---- single operators (op.c) ---- */
/* Release attributes and handles (counted into leaks) and forget every operator model and compile option
 * (aclFinalize, after the streams have run their tasks). */
void emu_ops_release_all(acllite_emu_counts *leaks);
/* Add the live attributes and handles to counts. Requires emu_lock. */
void emu_ops_count_locked(acllite_emu_counts *counts);

/* ---- DVPP (dvpp_*.c) ---- */
/* Destroy the channels created on a device (its last aclrtResetDevice); counts them into leaks. Requires emu_lock. */
void emu_dvpp_release_device_locked(int32_t device, acllite_emu_counts *leaks);
/* Release every DVPP object (aclFinalize); counts into leaks. Requires emu_lock. */
void emu_dvpp_release_all_locked(acllite_emu_counts *leaks);
/* Add the live DVPP objects to counts. Requires emu_lock. */
void emu_dvpp_count_locked(acllite_emu_counts *counts);

#endif
