/* Streams (ordered asynchronous task queues, one worker thread each), events and host callbacks. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu.h"

typedef struct emu_task {
    struct emu_task *next;
    emu_task_fn fn;
    void *arg;
    emu_task_drop drop;
    uint32_t id;     /* the stream's task number (aclrtGetThreadLastTaskId, exception infos) */
    uint32_t thread; /* the thread that queued it */
    bool any_thread; /* a thread waiting for it in emu_stream_sync may run it itself (emu_stream_enqueue_any_thread) */
    uint64_t queued_ns; /* when it was queued (any_thread tasks only) */
} emu_task;

struct emu_stream {
    emu_context *ctx;
    int32_t device;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* new task, task done, stopping */
    emu_task *head, *tail;
    uint64_t enqueued;
    _Atomic uint64_t completed; /* read without the lock while a synchronize spins */
    aclError error; /* first error of an asynchronous task since the last synchronize */
    char error_message[1024];
    bool stopping;
    bool discard;        /* aclrtDestroyStreamForce: queued tasks are dropped, not run */
    bool stop_on_failure; /* aclrtSetStreamFailureMode(ACL_STOP_ON_FAILURE) */
    bool failed;         /* a task failed in that mode: later tasks are dropped, new ones refused */
    bool running;        /* a task is running (on the worker or on a synchronizing thread): the next one waits */
    atomic_uint taken;   /* tasks taken to run so far (read without the lock while the worker leaves one a moment) */
    uint32_t task_seq;
    int32_t id;          /* aclrtStreamGetId */
    uint32_t priority;   /* aclrtCreateStreamWithConfig */
    uint32_t flags;
    bool has_worker;
    pthread_t worker;
    atomic_int refs;
    /* report subscription, guarded by report_lock */
    bool subscribed;
    uint64_t report_thread;
};

typedef struct {
    int32_t device;
    uint32_t flags;     /* ACL_EVENT_*; aclrtCreateEvent: ACL_EVENT_SYNC | ACL_EVENT_TIME_LINE */
    bool ex;            /* made by aclrtCreateEventExWithFlag */
    uint32_t id;        /* aclrtGetEventId */
    uint64_t recorded;  /* records issued */
    uint64_t completed; /* records that ran */
    uint64_t stamp_ns;  /* time of the last record that ran */
    uint64_t waits_queued, waits_done; /* aclrtStreamWaitEvent tasks (aclrtQueryEventWaitStatus) */
    atomic_int refs;
} emu_event;

static pthread_mutex_t event_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t event_cond = PTHREAD_COND_INITIALIZER;

static _Thread_local emu_stream *worker_of; /* set on a stream's worker thread: its stream */
static _Thread_local uint32_t last_task_id;  /* the last task this thread queued on a user stream */
static atomic_int next_stream_id = 1;        /* stream ids, never reused in a process */
static atomic_uint next_event_id = 1;
static atomic_int sync_events[EMU_MAX_DEVICES]; /* live events with ACL_EVENT_SYNC, per device */
static _Thread_local int callback_depth;    /* > 0 inside a call into the model engine or the image codec */

/* ------------------------------------------------------------------------------- threads running user code */

emu_stream *emu_worker_stream(void) { return worker_of; }
int32_t emu_worker_device(void) { return worker_of ? worker_of->device : -1; }
const emu_context *emu_worker_context(void) { return worker_of ? worker_of->ctx : NULL; }
void emu_callback_enter(emu_callback_frame *frame) {
    emu_message_save(frame->message, sizeof frame->message, &frame->set);
    callback_depth++;
}
void emu_callback_leave(const emu_callback_frame *frame) {
    callback_depth--;
    emu_message_restore(frame->message, frame->set);
}
bool emu_in_callback(void) { return callback_depth > 0; }

/* A thread running a task of s (a codec or engine callback, hence Python and its finalizers) cannot destroy s or
 * wait for it: the worker would join itself, or wait for the task that is waiting. A device refuses such calls
 * from its callbacks too (CANN: callbacks must not release resources or synchronize streams). */
static aclError refuse_own_stream(const emu_stream *s, const char *func, const char *what) {
    return emu_fail(ACL_ERROR_RT_STREAM_NOT_COMPLETE, func,
                    "the calling thread is running a task of stream %p (a callback of that stream): it cannot %s "
                    "it until that task has returned", (const void *)s, what);
}

/* ------------------------------------------------------------------------------------------ streams */

static void deadline_after(struct timespec *ts, int32_t ms) {
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Take the head task to run it (s->lock held, a task queued, none running): the next one waits for it. */
static emu_task *task_take(emu_stream *s, bool *skip) {
    emu_task *t = s->head;
    s->head = t->next;
    if (!s->head) s->tail = NULL;
    *skip = s->discard || s->failed; /* forced destroy, or stopped by an earlier failure */
    s->running = true;
    atomic_fetch_add(&s->taken, 1);
    return t;
}

/* Run a task taken by task_take (s->lock not held), then account for it; returns with s->lock held. */
static void task_run(emu_stream *s, emu_task *t, bool skip) {
    aclError err = skip ? ACL_SUCCESS : t->fn(t->arg);
    const char *msg = err ? emu_recent_message() : NULL;
    if (t->drop) t->drop(t->arg);
    if (err) {
        char copy[sizeof s->error_message];
        snprintf(copy, sizeof copy, "%s", msg ? msg : "asynchronous task failed");
        emu_exception_report(t->id, s->id, t->thread, s->device, err); /* may replace the recent message */
        pthread_mutex_lock(&s->lock);
        if (!s->error) {
            s->error = err;
            memcpy(s->error_message, copy, sizeof copy);
        }
        if (s->stop_on_failure) s->failed = true;
    } else {
        pthread_mutex_lock(&s->lock);
    }
    free(t);
    s->running = false;
    s->completed++;
    pthread_cond_broadcast(&s->cond);
}

/* How long the worker leaves a task that any thread may run (an operator: a Python callback, which holds the
 * interpreter's lock while onnxruntime computes) to a thread that synchronizes the stream right after queueing it,
 * as a program that launches an operator and waits for it does. Run by the worker, the task would keep that thread
 * from even returning from the launch (it needs the interpreter's lock back), then hand the lock and the result
 * over: two more thread wake-ups. Starting the task this much later on the worker is within what launching a
 * kernel on a device costs; the worker yields its CPU meanwhile. */
#define HANDOVER_GRACE_NS 20000u

static void *stream_worker(void *arg) {
    emu_stream *s = arg;
    worker_of = s;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        /* a task a synchronizing thread runs is waited for, even when stopping (destroy runs every task first) */
        while (s->running || (!s->head && !s->stopping)) pthread_cond_wait(&s->cond, &s->lock);
        if (!s->head) break;
        if (s->head->any_thread && !s->stopping) {
            uint64_t until = s->head->queued_ns + HANDOVER_GRACE_NS;
            if (emu_now_ns() < until) {
                unsigned seen = atomic_load(&s->taken);
                pthread_mutex_unlock(&s->lock);
                while (atomic_load(&s->taken) == seen && emu_now_ns() < until) sched_yield();
                pthread_mutex_lock(&s->lock);
                continue;
            }
        }
        bool skip;
        emu_task *t = task_take(s, &skip);
        pthread_mutex_unlock(&s->lock);
        task_run(s, t, skip);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

emu_stream *emu_stream_create_locked(emu_context *ctx, const char *func, aclError *err) {
    emu_stream *s = calloc(1, sizeof *s);
    if (!s) {
        *err = emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        return NULL;
    }
    s->ctx = ctx;
    s->device = ctx->device;
    s->id = atomic_fetch_add(&next_stream_id, 1);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    atomic_init(&s->refs, 1);
    atomic_init(&s->taken, 0);
    atomic_init(&s->completed, 0);
    if (pthread_create(&s->worker, NULL, stream_worker, s) != 0) {
        free(s);
        *err = emu_fail(ACL_ERROR_RT_NO_STREAM_RESOURCE, func, "cannot start the stream's worker thread");
        return NULL;
    }
    s->has_worker = true;
    return s;
}

void emu_stream_unref(emu_stream *s) {
    if (atomic_fetch_sub(&s->refs, 1) != 1) return;
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}

static void stream_stop(emu_stream *s) {
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

void emu_stream_destroy_locked(emu_stream *s) {
    emu_reg_remove(s, EMU_H_DEFAULT_STREAM); /* a no-op for user streams */
    stream_stop(s);
    if (s->has_worker) pthread_join(s->worker, NULL); /* runs the queued tasks first */
    s->has_worker = false;
    emu_stream_unref(s);
}

emu_stream *emu_stream_resolve_locked(aclrtStream stream, const char *func, aclError *err) {
    emu_stream *s;
    if (stream == NULL) {
        emu_context *ctx = emu_current_context_locked(func, err);
        if (!ctx) return NULL;
        if (!ctx->default_stream) {
            ctx->default_stream = emu_stream_create_locked(ctx, func, err);
            if (ctx->default_stream && !emu_reg_add(ctx->default_stream, EMU_H_DEFAULT_STREAM, ctx->device)) {
                emu_stream_destroy_locked(ctx->default_stream);
                ctx->default_stream = NULL;
                *err = emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
            }
        }
        s = ctx->default_stream;
        if (!s) return NULL;
    } else if (emu_reg_has(stream, EMU_H_STREAM) || emu_reg_has(stream, EMU_H_DEFAULT_STREAM)) {
        s = stream;
    } else {
        *err = emu_fail(ACL_ERROR_RT_INVALID_HANDLE, func, "stream %p is not a live stream", stream);
        return NULL;
    }
    atomic_fetch_add(&s->refs, 1);
    return s;
}

static aclError enqueue(emu_stream *s, emu_task_fn fn, void *arg, emu_task_drop drop, bool any_thread,
                       const char *func) {
    emu_task *t = malloc(sizeof *t);
    if (!t) {
        if (drop) drop(arg);
        return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    *t = (emu_task){NULL, fn, arg, drop, 0, emu_thread_id(), any_thread, any_thread ? emu_now_ns() : 0};
    pthread_mutex_lock(&s->lock);
    if (s->stopping || s->failed) {
        bool failed = !s->stopping;
        pthread_mutex_unlock(&s->lock);
        if (drop) drop(arg);
        free(t);
        return failed ? emu_fail(ACL_ERROR_RT_STREAM_ABORT, func, "a task of the stream failed and its failure "
                                 "mode is ACL_STOP_ON_FAILURE: it takes no more tasks")
                      : emu_fail(ACL_ERROR_RT_INVALID_HANDLE, func, "the stream is being destroyed");
    }
    t->id = s->task_seq = (s->task_seq + 1) & 0xffffu; /* task ids are 16-bit on devices; they wrap */
    if (s != s->ctx->default_stream) last_task_id = t->id;
    if (s->tail) s->tail->next = t;
    else s->head = t;
    s->tail = t;
    s->enqueued++;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    return ACL_SUCCESS;
}

aclError emu_stream_enqueue(emu_stream *s, emu_task_fn fn, void *arg, emu_task_drop drop, const char *func) {
    return enqueue(s, fn, arg, drop, false, func);
}

aclError emu_stream_enqueue_any_thread(emu_stream *s, emu_task_fn fn, void *arg, emu_task_drop drop,
                                       const char *func) {
    return enqueue(s, fn, arg, drop, true, func);
}

/* Run the stream's next task on the calling thread, which waits for it anyway (s->lock held; returns with it
 * held). Handing a task to the worker and back costs two thread wake-ups, tens of microseconds each when the CPUs
 * idle (a halted virtual CPU); a thread that synchronizes runs the task itself when the worker has not started
 * it yet. That is not observable: the launch returned at once, the tasks still run one at a time in order, and
 * the caller was going to block until this one had run. The task runs as on its worker: it sees the stream as
 * the one it runs on (no waiting for or destroying it from inside) and leaves the caller's recent error message
 * as it was; a failure is reported by this synchronize, as the worker would have. */
static void run_here(emu_stream *s) {
    bool skip;
    emu_task *t = task_take(s, &skip);
    pthread_mutex_unlock(&s->lock);
    char message[EMU_MSG_MAX];
    bool message_set;
    emu_message_save(message, sizeof message, &message_set);
    worker_of = s;
    task_run(s, t, skip);
    worker_of = NULL;
    emu_message_restore(message, message_set);
}

/* How long a synchronize polls for the stream's progress before it sleeps: about what being woken costs on an
 * idle virtual machine (a halted virtual CPU: tens of microseconds), so that waiting for a short task costs at
 * most twice what sleeping would; the polling thread yields its CPU to any other runnable thread. */
#define SYNC_SPIN_NS 50000u

aclError emu_stream_sync(emu_stream *s, int32_t timeout_ms, const char *func) {
    struct timespec deadline;
    if (timeout_ms > 0) deadline_after(&deadline, timeout_ms);
    pthread_mutex_lock(&s->lock);
    uint64_t target = s->enqueued;
    /* only a plain host thread that waits without a limit runs tasks itself (a limit could not be kept while it
     * runs one; a thread running a task or an engine callback is in the middle of something else) */
    bool may_run = timeout_ms < 0 && !worker_of && !emu_in_callback();
    uint64_t spin_end = 0;
    while (s->completed < target) {
        if (may_run && !s->running && s->head && s->head->any_thread) {
            run_here(s);
            continue;
        }
        if (timeout_ms != 0) {
            uint64_t now = emu_now_ns();
            if (!spin_end) spin_end = now + SYNC_SPIN_NS;
            if (now < spin_end) {
                uint64_t seen = s->completed;
                pthread_mutex_unlock(&s->lock);
                while (s->completed == seen && emu_now_ns() < spin_end) sched_yield();
                pthread_mutex_lock(&s->lock);
                continue;
            }
        }
        if (timeout_ms == 0 ||
            (timeout_ms > 0 && pthread_cond_timedwait(&s->cond, &s->lock, &deadline) == ETIMEDOUT)) {
            uint64_t left = target - s->completed;
            pthread_mutex_unlock(&s->lock);
            return emu_fail_timeout(ACL_ERROR_RT_STREAM_SYNC_TIMEOUT, func, "%llu task(s) still running after %d ms",
                            (unsigned long long)left, timeout_ms);
        }
        if (timeout_ms < 0) pthread_cond_wait(&s->cond, &s->lock);
    }
    aclError err = s->error;
    char message[sizeof s->error_message];
    if (err) memcpy(message, s->error_message, sizeof message);
    s->error = ACL_SUCCESS;
    pthread_mutex_unlock(&s->lock);
    if (err) emu_set_recent_error(err, message);
    return err;
}

/* A user stream of the current context (at most EMU_MAX_STREAMS per device). */
static aclError create_user_stream(aclrtStream *stream, uint32_t priority, uint32_t flags, const char *func) {
    aclError err = ACL_SUCCESS;
    emu_lock();
    emu_context *ctx = emu_current_context_locked(func, &err);
    emu_stream *s = NULL;
    if (ctx && emu_reg_count(EMU_H_STREAM, ctx->device) >= EMU_MAX_STREAMS) {
        err = emu_fail(ACL_ERROR_RT_NO_STREAM_RESOURCE, func, "device %d already has %d streams, the most it can "
                       "have", ctx->device, EMU_MAX_STREAMS);
    } else if (ctx) {
        s = emu_stream_create_locked(ctx, func, &err);
    }
    if (s) {
        s->priority = priority;
        s->flags = flags;
    }
    if (s && !emu_reg_add(s, EMU_H_STREAM, ctx->device)) {
        emu_stream_destroy_locked(s);
        s = NULL;
        err = emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    emu_unlock();
    if (s) *stream = s;
    return err;
}

EMU_EXPORT aclError aclrtCreateStream(aclrtStream *stream) {
    aclError err = emu_require_init("aclrtCreateStream");
    if (err) return err;
    if (!stream) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtCreateStream", "stream is NULL");
    return create_user_stream(stream, 0, 0, "aclrtCreateStream");
}

/* Priorities run from 0 (greatest) to 7 (least), as on devices; a priority outside is taken as the nearest (CANN
 * does the same). The emulator runs every stream on its own thread: priorities are kept and reported. Of the flags,
 * ACL_STREAM_FAST_LAUNCH, ACL_STREAM_FAST_SYNC and ACL_STREAM_HUGE only tune a device's queues and are kept;
 * ACL_STREAM_PERSISTENT (tasks kept for model capture), ACL_STREAM_CPU_SCHEDULE and ACL_STREAM_DEVICE_USE_ONLY
 * change what the stream does with its tasks, which the emulator does not emulate: refused. Other bits are ignored,
 * as AscendCL ignores them. */
#define STREAM_LEAST_PRIORITY 7
#define STREAM_GREATEST_PRIORITY 0
#define STREAM_KEPT_FLAGS (ACL_STREAM_FAST_LAUNCH | ACL_STREAM_FAST_SYNC | ACL_STREAM_HUGE)

EMU_EXPORT aclError aclrtCreateStreamWithConfig(aclrtStream *stream, uint32_t priority, uint32_t flag) {
    const char *func = "aclrtCreateStreamWithConfig";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!stream) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "stream is NULL");
    uint32_t refused = flag & (ACL_STREAM_PERSISTENT | ACL_STREAM_CPU_SCHEDULE | ACL_STREAM_DEVICE_USE_ONLY);
    if (refused) {
        return emu_fail(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, func, "flag 0x%x: %s streams are not emulated", flag,
                        refused & ACL_STREAM_PERSISTENT ? "persistent (ACL_STREAM_PERSISTENT)"
                        : refused & ACL_STREAM_CPU_SCHEDULE ? "CPU-scheduled (ACL_STREAM_CPU_SCHEDULE)"
                                                            : "device-only (ACL_STREAM_DEVICE_USE_ONLY)");
    }
    if (priority > STREAM_LEAST_PRIORITY) {
        emu_log(ACLLITE_EMU_LOG_INFO, "%s: priority %u is outside [%d, %d]: %d is used", func, priority,
                STREAM_GREATEST_PRIORITY, STREAM_LEAST_PRIORITY, STREAM_LEAST_PRIORITY);
        priority = STREAM_LEAST_PRIORITY;
    }
    return create_user_stream(stream, priority, flag & STREAM_KEPT_FLAGS, func);
}

EMU_EXPORT aclError aclrtDeviceGetStreamPriorityRange(int32_t *leastPriority, int32_t *greatestPriority) {
    aclError err = emu_require_init("aclrtDeviceGetStreamPriorityRange");
    if (err) return err;
    if (leastPriority) *leastPriority = STREAM_LEAST_PRIORITY; /* either may be NULL, as on CANN */
    if (greatestPriority) *greatestPriority = STREAM_GREATEST_PRIORITY;
    return ACL_SUCCESS;
}

static void unsubscribe_stream(emu_stream *s);

/* aclrtDestroyStream runs the queued tasks first; aclrtDestroyStreamForce drops them (the task under way ends). */
static aclError destroy_stream(aclrtStream stream, bool force, const char *func) {
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!stream) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "stream is NULL");
    if (stream == (aclrtStream)worker_of) return refuse_own_stream(worker_of, func, "destroy");
    emu_lock();
    if (!emu_reg_remove(stream, EMU_H_STREAM)) {
        emu_unlock();
        return emu_fail(ACL_ERROR_RT_INVALID_HANDLE, func, "stream %p is not a live stream (destroyed already?)",
                        stream);
    }
    emu_stream *s = stream;
    if (force) {
        pthread_mutex_lock(&s->lock);
        s->discard = true;
        pthread_mutex_unlock(&s->lock);
    }
    unsubscribe_stream(s);
    emu_stream_destroy_locked(s);
    emu_unlock();
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtDestroyStream(aclrtStream stream) {
    return destroy_stream(stream, false, "aclrtDestroyStream");
}

EMU_EXPORT aclError aclrtDestroyStreamForce(aclrtStream stream) {
    return destroy_stream(stream, true, "aclrtDestroyStreamForce");
}

/* Timeouts in ms: -1 waits without limit; 0 and values below -1 are refused (CANN's runtime:
 * ACL_ERROR_RT_PARAM_INVALID). */
static aclError check_timeout(int32_t timeout, const char *func) {
    if (timeout < -1 || timeout == 0) {
        return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, "timeout %d ms: expected -1 (no limit) or a positive "
                        "number of ms", timeout);
    }
    return ACL_SUCCESS;
}

static aclError sync_stream(aclrtStream stream, int32_t timeout, const char *func) {
    aclError err = emu_require_init(func);
    if (err || (err = check_timeout(timeout, func))) return err;
    emu_lock();
    emu_stream *s = emu_stream_resolve_locked(stream, func, &err);
    emu_unlock();
    if (!s) return err;
    err = s == worker_of ? refuse_own_stream(s, func, "wait for") : emu_stream_sync(s, timeout, func);
    emu_stream_unref(s);
    return err;
}

EMU_EXPORT aclError aclrtSynchronizeStream(aclrtStream stream) {
    return sync_stream(stream, -1, "aclrtSynchronizeStream");
}

EMU_EXPORT aclError aclrtSynchronizeStreamWithTimeout(aclrtStream stream, int32_t timeout) {
    return sync_stream(stream, timeout, "aclrtSynchronizeStreamWithTimeout");
}

aclError emu_device_sync(int32_t device, int32_t timeout_ms, const char *func) {
    if (worker_of && worker_of->device == device) {
        return refuse_own_stream(worker_of, func, "wait for the device's streams, which include");
    }
    emu_lock();
    size_t n = emu_reg_count(EMU_H_STREAM, device);
    size_t nctx = emu_reg_count(EMU_H_CONTEXT, device);
    emu_stream **list = calloc(n + nctx + 1, sizeof *list);
    void **contexts = calloc(nctx + 1, sizeof *contexts);
    if (!list || !contexts) {
        free(list);
        free(contexts);
        emu_unlock();
        return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    size_t count = emu_reg_collect(EMU_H_STREAM, device, (void **)list, n);
    emu_reg_collect(EMU_H_CONTEXT, device, contexts, nctx);
    for (size_t i = 0; i < nctx; i++) {
        emu_context *c = contexts[i];
        if (c->default_stream) list[count++] = c->default_stream;
    }
    for (size_t i = 0; i < count; i++) atomic_fetch_add(&list[i]->refs, 1);
    emu_unlock();
    /* One deadline for all of them. */
    uint64_t deadline = timeout_ms > 0 ? emu_now_ns() + (uint64_t)timeout_ms * 1000000u : 0;
    aclError first = ACL_SUCCESS;
    char message[EMU_MSG_MAX] = "";
    for (size_t i = 0; i < count; i++) {
        int32_t left = -1;
        if (timeout_ms > 0) {
            uint64_t now = emu_now_ns();
            left = now >= deadline ? 1 : (int32_t)((deadline - now + 999999u) / 1000000u);
        }
        aclError e = first == ACL_ERROR_RT_STREAM_SYNC_TIMEOUT ? ACL_SUCCESS : emu_stream_sync(list[i], left, func);
        if (e && !first) {
            first = e;
            if (emu_recent_message()) snprintf(message, sizeof message, "%s", emu_recent_message());
        }
        emu_stream_unref(list[i]);
    }
    free(list);
    free(contexts);
    if (first == ACL_ERROR_RT_STREAM_SYNC_TIMEOUT) {
        return emu_fail_timeout(first, func, "the device's streams still had tasks after %d ms", timeout_ms);
    }
    if (first) emu_set_recent_error(first, message);
    return first;
}

static aclError sync_device(int32_t timeout, const char *func) {
    int32_t device = 0;
    aclError err = emu_current_device(func, &device);
    return err ? err : emu_device_sync(device, timeout, func);
}

EMU_EXPORT aclError aclrtSynchronizeDevice(void) { return sync_device(-1, "aclrtSynchronizeDevice"); }

EMU_EXPORT aclError aclrtSynchronizeDeviceWithTimeout(int32_t timeout) {
    aclError err = emu_require_init("aclrtSynchronizeDeviceWithTimeout");
    if (err || (err = check_timeout(timeout, "aclrtSynchronizeDeviceWithTimeout"))) return err;
    return sync_device(timeout, "aclrtSynchronizeDeviceWithTimeout");
}

/* ---------------------------------------------------------------------------------- stream queries */

/* The stream (NULL: the current context's default stream) with a reference, or NULL with *err set. */
static emu_stream *stream_ref(aclrtStream stream, const char *func, aclError *err) {
    *err = emu_require_init(func);
    if (*err) return NULL;
    emu_lock();
    emu_stream *s = emu_stream_resolve_locked(stream, func, err);
    emu_unlock();
    return s;
}

EMU_EXPORT aclError aclrtStreamQuery(aclrtStream stream, aclrtStreamStatus *status) {
    const char *func = "aclrtStreamQuery";
    if (!status) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "status is NULL");
    aclError err;
    emu_stream *s = stream_ref(stream, func, &err);
    if (!s) return err;
    pthread_mutex_lock(&s->lock);
    bool done = s->completed == s->enqueued;
    pthread_mutex_unlock(&s->lock);
    emu_stream_unref(s);
    *status = done ? ACL_STREAM_STATUS_COMPLETE : ACL_STREAM_STATUS_NOT_READY;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtStreamGetId(aclrtStream stream, int32_t *streamId) {
    const char *func = "aclrtStreamGetId";
    if (!streamId) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "streamId is NULL");
    aclError err;
    emu_stream *s = stream_ref(stream, func, &err);
    if (!s) return err;
    *streamId = s->id;
    emu_stream_unref(s);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtStreamGetPriority(aclrtStream stream, uint32_t *priority) {
    const char *func = "aclrtStreamGetPriority";
    if (!priority) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "priority is NULL");
    aclError err;
    emu_stream *s = stream_ref(stream, func, &err);
    if (!s) return err;
    *priority = s->priority;
    emu_stream_unref(s);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtStreamGetFlags(aclrtStream stream, uint32_t *flags) {
    const char *func = "aclrtStreamGetFlags";
    if (!flags) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "flags is NULL");
    aclError err;
    emu_stream *s = stream_ref(stream, func, &err);
    if (!s) return err;
    *flags = s->flags;
    emu_stream_unref(s);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtGetStreamAvailableNum(uint32_t *streamCount) {
    const char *func = "aclrtGetStreamAvailableNum";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!streamCount) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "streamCount is NULL");
    emu_lock();
    emu_context *ctx = emu_current_context_locked(func, &err);
    if (ctx) {
        size_t used = emu_reg_count(EMU_H_STREAM, ctx->device);
        *streamCount = used >= EMU_MAX_STREAMS ? 0 : (uint32_t)(EMU_MAX_STREAMS - used);
    }
    emu_unlock();
    return err;
}

/* ACL_CONTINUE_ON_FAILURE (the default) runs the tasks after a failed one; ACL_STOP_ON_FAILURE drops them and
 * refuses new tasks (ACL_ERROR_RT_STREAM_ABORT): the stream is then only good for destroying. The mode is chosen
 * once per stream: choosing the one in force again succeeds, going back from stop to continue is refused, as on
 * CANN. Other bits of mode than the lowest are ignored, as CANN ignores them. */
EMU_EXPORT aclError aclrtSetStreamFailureMode(aclrtStream stream, uint64_t mode) {
    const char *func = "aclrtSetStreamFailureMode";
    aclError err;
    emu_stream *s = stream_ref(stream, func, &err);
    if (!s) return err;
    bool stop = (mode & 1u) == ACL_STOP_ON_FAILURE;
    pthread_mutex_lock(&s->lock);
    if (s->stop_on_failure && !stop) {
        err = emu_fail(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, func, "the stream's mode is ACL_STOP_ON_FAILURE: it cannot "
                       "go back to ACL_CONTINUE_ON_FAILURE");
    } else {
        s->stop_on_failure = stop;
    }
    pthread_mutex_unlock(&s->lock);
    emu_stream_unref(s);
    return err;
}

EMU_EXPORT aclError aclrtCtxGetCurrentDefaultStream(aclrtStream *stream) {
    const char *func = "aclrtCtxGetCurrentDefaultStream";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!stream) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "stream is NULL");
    /* The handle works wherever a stream does, as NULL does (it is never NULL: programs test handles for truth). */
    emu_stream *s = stream_ref(NULL, func, &err);
    if (!s) return err;
    *stream = s;
    emu_stream_unref(s);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtGetThreadLastTaskId(uint32_t *taskId) {
    const char *func = "aclrtGetThreadLastTaskId";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!taskId) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "taskId is NULL");
    *taskId = last_task_id;
    return ACL_SUCCESS;
}

/* ------------------------------------------------------------------------------------------- events
 * An event's flags say what it can do, as AscendCL documents them: ACL_EVENT_SYNC events can be waited for by
 * streams (aclrtStreamWaitEvent) and reset; ACL_EVENT_TIME_LINE events keep the time of their records
 * (aclrtEventElapsedTime, aclrtEventGetTimestamp); ACL_EVENT_EXTERNAL ones (task update in model capture) are
 * only recorded and waited for on streams. aclrtCreateEvent's events have SYNC and TIME_LINE. Events made by
 * aclrtCreateEventExWithFlag cannot be reset nor queried with aclrtQueryEvent / aclrtQueryEventWaitStatus. A use
 * the flags rule out is ACL_ERROR_RT_FEATURE_NOT_SUPPORT, as on CANN. At most EMU_MAX_SYNC_EVENTS SYNC events
 * live per device. */

#define EVENT_DEFAULT_FLAGS (ACL_EVENT_SYNC | ACL_EVENT_TIME_LINE)

static void event_unref(emu_event *e) {
    if (atomic_fetch_sub(&e->refs, 1) == 1) free(e);
}

/* The registry dropped the event: its SYNC slot is free again. */
static void event_forget(emu_event *e) {
    if ((e->flags & ACL_EVENT_SYNC) && e->device >= 0 && e->device < EMU_MAX_DEVICES) {
        atomic_fetch_sub(&sync_events[e->device], 1);
    }
}

typedef struct {
    emu_event *event;
    uint64_t generation;
    bool ran; /* a wait that ran counted itself done */
} event_task;

static void event_drop(void *arg) {
    event_task *t = arg;
    event_unref(t->event);
    free(t);
}

static aclError run_record(void *arg) {
    event_task *t = arg;
    pthread_mutex_lock(&event_lock);
    if (t->event->completed < t->generation) t->event->completed = t->generation;
    t->event->stamp_ns = emu_now_ns();
    t->ran = true;
    pthread_cond_broadcast(&event_cond);
    pthread_mutex_unlock(&event_lock);
    return ACL_SUCCESS;
}

/* A record its stream dropped (a forced destroy, a stream stopped by a failure) completes the event, without a new
 * time: otherwise whatever waits for the event (a host synchronize, another stream) would wait for ever. */
static void record_drop(void *arg) {
    event_task *t = arg;
    if (!t->ran) {
        pthread_mutex_lock(&event_lock);
        if (t->event->completed < t->generation) t->event->completed = t->generation;
        pthread_cond_broadcast(&event_cond);
        pthread_mutex_unlock(&event_lock);
    }
    event_drop(arg);
}

static aclError run_reset(void *arg) {
    event_task *t = arg;
    pthread_mutex_lock(&event_lock);
    t->event->recorded = t->event->completed = 0;
    t->event->stamp_ns = 0;
    pthread_cond_broadcast(&event_cond);
    pthread_mutex_unlock(&event_lock);
    return ACL_SUCCESS;
}

/* A wait gives up after aclrtSetOpWaitTimeout's limit (0: none): ACL_ERROR_RT_TASK_TIMEOUT at the next
 * synchronize, the code of a device task that ran out of time. */
static aclError run_wait(void *arg) {
    event_task *t = arg;
    uint32_t limit_s = emu_op_wait_timeout_s();
    struct timespec deadline;
    if (limit_s) {
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += (time_t)limit_s;
    }
    aclError err = ACL_SUCCESS;
    pthread_mutex_lock(&event_lock);
    while (t->event->completed < t->generation && t->event->recorded >= t->generation) {
        if (!limit_s) {
            pthread_cond_wait(&event_cond, &event_lock);
        } else if (pthread_cond_timedwait(&event_cond, &event_lock, &deadline) == ETIMEDOUT) {
            err = ACL_ERROR_RT_TASK_TIMEOUT;
            break;
        }
    }
    t->event->waits_done++;
    t->ran = true;
    pthread_cond_broadcast(&event_cond);
    pthread_mutex_unlock(&event_lock);
    if (err) {
        return emu_fail(err, "aclrtStreamWaitEvent", "the event's record did not run within %u s "
                        "(aclrtSetOpWaitTimeout)", limit_s);
    }
    return ACL_SUCCESS;
}

/* A queued wait that never ran still counts as done for aclrtQueryEventWaitStatus. */
static void wait_drop(void *arg) {
    event_task *t = arg;
    if (!t->ran) {
        pthread_mutex_lock(&event_lock);
        t->event->waits_done++;
        pthread_mutex_unlock(&event_lock);
    }
    event_drop(arg);
}

static aclError lookup_event(aclrtEvent event, const char *func, const char *arg) {
    if (!event) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", arg);
    if (!emu_reg_has(event, EMU_H_EVENT)) {
        return emu_fail(ACL_ERROR_RT_INVALID_HANDLE, func, "%s %p is not a live event", arg, event);
    }
    return ACL_SUCCESS;
}

static aclError create_event(aclrtEvent *event, uint32_t flags, bool ex, const char *func) {
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!event) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "event is NULL");
    emu_lock();
    emu_context *ctx = emu_current_context_locked(func, &err);
    bool sync = flags & ACL_EVENT_SYNC;
    if (ctx && sync && atomic_fetch_add(&sync_events[ctx->device], 1) >= EMU_MAX_SYNC_EVENTS) {
        atomic_fetch_sub(&sync_events[ctx->device], 1);
        err = emu_fail(ACL_ERROR_RT_NO_EVENT_RESOURCE, func, "device %d already has %d events with ACL_EVENT_SYNC, "
                       "the most it can have", ctx->device, EMU_MAX_SYNC_EVENTS);
        ctx = NULL;
    }
    emu_event *e = ctx ? calloc(1, sizeof *e) : NULL;
    if (ctx && !e) err = emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    if (e) {
        e->device = ctx->device;
        e->flags = flags;
        e->ex = ex;
        e->id = atomic_fetch_add(&next_event_id, 1);
        atomic_init(&e->refs, 1);
        if (!emu_reg_add(e, EMU_H_EVENT, e->device)) {
            free(e);
            e = NULL;
            err = emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        }
    }
    if (!e && ctx && sync) atomic_fetch_sub(&sync_events[ctx->device], 1);
    emu_unlock();
    if (e) *event = e;
    return err;
}

EMU_EXPORT aclError aclrtCreateEvent(aclrtEvent *event) {
    return create_event(event, EVENT_DEFAULT_FLAGS, false, "aclrtCreateEvent");
}

/* flag: ACL_EVENT_SYNC, ACL_EVENT_CAPTURE_STREAM_PROGRESS, ACL_EVENT_TIME_LINE, ACL_EVENT_DEVICE_USE_ONLY or'ed,
 * or ACL_EVENT_EXTERNAL alone; anything else (0 included) is ACL_ERROR_RT_PARAM_INVALID, as CANN's runtime has
 * it. */
EMU_EXPORT aclError aclrtCreateEventWithFlag(aclrtEvent *event, uint32_t flag) {
    const char *func = "aclrtCreateEventWithFlag";
    const uint32_t known = ACL_EVENT_SYNC | ACL_EVENT_CAPTURE_STREAM_PROGRESS | ACL_EVENT_TIME_LINE |
                           ACL_EVENT_DEVICE_USE_ONLY | ACL_EVENT_EXTERNAL;
    if (event && (flag == 0 || (flag & ~known))) {
        return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, "flag 0x%x: expected ACL_EVENT_SYNC, "
                        "ACL_EVENT_CAPTURE_STREAM_PROGRESS, ACL_EVENT_TIME_LINE and ACL_EVENT_DEVICE_USE_ONLY or'ed, "
                        "or ACL_EVENT_EXTERNAL alone", flag);
    }
    if (event && (flag & ACL_EVENT_EXTERNAL) && flag != ACL_EVENT_EXTERNAL) {
        return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, "flag 0x%x: ACL_EVENT_EXTERNAL cannot be or'ed with "
                        "other flags", flag);
    }
    return create_event(event, flag, false, func);
}

/* flag: ACL_EVENT_SYNC, ACL_EVENT_CAPTURE_STREAM_PROGRESS, ACL_EVENT_TIME_LINE or'ed, or ACL_EVENT_IPC alone
 * (inter-process events are not emulated: ACL_ERROR_RT_FEATURE_NOT_SUPPORT, as on SoCs without them). */
EMU_EXPORT aclError aclrtCreateEventExWithFlag(aclrtEvent *event, uint32_t flag) {
    const char *func = "aclrtCreateEventExWithFlag";
    const uint32_t known = ACL_EVENT_SYNC | ACL_EVENT_CAPTURE_STREAM_PROGRESS | ACL_EVENT_TIME_LINE | ACL_EVENT_IPC;
    if (event && (flag & ACL_EVENT_IPC) && flag != ACL_EVENT_IPC) {
        return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, "flag 0x%x: ACL_EVENT_IPC cannot be or'ed with other "
                        "flags", flag);
    }
    if (event && flag == ACL_EVENT_IPC) {
        return emu_fail(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, func, "inter-process events (ACL_EVENT_IPC) are not "
                        "emulated");
    }
    if (event && (flag == 0 || (flag & ~known))) {
        return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, "flag 0x%x: expected ACL_EVENT_SYNC, "
                        "ACL_EVENT_CAPTURE_STREAM_PROGRESS and ACL_EVENT_TIME_LINE or'ed, or ACL_EVENT_IPC alone",
                        flag);
    }
    return create_event(event, flag, true, func);
}

EMU_EXPORT aclError aclrtDestroyEvent(aclrtEvent event) {
    const char *func = "aclrtDestroyEvent";
    aclError err = emu_require_init(func);
    if (err) return err;
    emu_lock();
    err = lookup_event(event, func, "event");
    if (!err) {
        emu_reg_remove(event, EMU_H_EVENT);
        event_forget(event);
    }
    emu_unlock();
    if (!err) event_unref(event); /* queued records keep their own reference */
    return err;
}

static void event_release(void *e) {
    event_forget(e);
    event_unref(e);
}

uint64_t emu_events_release_locked(int32_t device) { return emu_reg_release_all(EMU_H_EVENT, device, event_release); }

/* What an event's flags rule out (checked under emu_lock, the event live). */
static aclError event_allows(const emu_event *e, const char *func, const char *use, bool need_sync, bool need_time,
                             bool not_ex, bool not_external) {
    const char *why = NULL;
    if (not_external && e->flags == ACL_EVENT_EXTERNAL) why = "it was made with ACL_EVENT_EXTERNAL";
    else if (not_ex && e->ex) why = "it was made by aclrtCreateEventExWithFlag";
    else if (need_sync && !(e->flags & ACL_EVENT_SYNC)) why = "it was made without ACL_EVENT_SYNC";
    else if (need_time && !(e->flags & ACL_EVENT_TIME_LINE)) why = "it was made without ACL_EVENT_TIME_LINE";
    if (!why) return ACL_SUCCESS;
    return emu_fail(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, func, "event %p cannot be %s: %s", (const void *)e, use, why);
}

static aclError event_op(aclrtEvent event, aclrtStream stream, emu_task_fn fn, const char *func) {
    aclError err = emu_require_init(func);
    if (err) return err;
    emu_lock();
    err = lookup_event(event, func, "event");
    if (!err && fn == run_reset) err = event_allows(event, func, "reset", true, false, true, true);
    if (!err && fn == run_wait) err = event_allows(event, func, "waited for by a stream", true, false, false, false);
    emu_stream *s = err ? NULL : emu_stream_resolve_locked(stream, func, &err);
    emu_unlock();
    if (!s) return err;
    emu_event *e = event;
    event_task *t = malloc(sizeof *t);
    if (!t) {
        emu_stream_unref(s);
        return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    pthread_mutex_lock(&event_lock);
    t->event = e;
    t->ran = false;
    t->generation = fn == run_record ? ++e->recorded : e->recorded;
    if (fn == run_wait) e->waits_queued++;
    pthread_mutex_unlock(&event_lock);
    atomic_fetch_add(&e->refs, 1);
    err = emu_stream_enqueue(s, fn, t, fn == run_wait ? wait_drop : fn == run_record ? record_drop : event_drop, func);
    emu_stream_unref(s);
    return err;
}

EMU_EXPORT aclError aclrtRecordEvent(aclrtEvent event, aclrtStream stream) {
    return event_op(event, stream, run_record, "aclrtRecordEvent");
}

EMU_EXPORT aclError aclrtResetEvent(aclrtEvent event, aclrtStream stream) {
    return event_op(event, stream, run_reset, "aclrtResetEvent");
}

EMU_EXPORT aclError aclrtStreamWaitEvent(aclrtStream stream, aclrtEvent event) {
    return event_op(event, stream, run_wait, "aclrtStreamWaitEvent");
}

/* Look the event up and take a reference, so a concurrent destroy cannot free it under us; then check what its
 * flags allow (use == NULL: anything). */
static emu_event *event_ref_for(aclrtEvent event, const char *func, const char *arg, const char *use, bool need_time,
                                bool not_ex, aclError *err) {
    *err = emu_require_init(func);
    if (*err) return NULL;
    emu_lock();
    *err = lookup_event(event, func, arg);
    if (!*err && use) *err = event_allows(event, func, use, false, need_time, not_ex, true);
    if (!*err) atomic_fetch_add(&((emu_event *)event)->refs, 1);
    emu_unlock();
    return *err ? NULL : event;
}

static emu_event *event_ref(aclrtEvent event, const char *func, const char *arg, aclError *err) {
    return event_ref_for(event, func, arg, NULL, false, false, err);
}

/* Wait for the record issued last (timeout_ms < 0: no limit). */
static aclError event_wait(emu_event *e, int32_t timeout_ms, const char *func) {
    struct timespec deadline;
    if (timeout_ms > 0) deadline_after(&deadline, timeout_ms);
    aclError err = ACL_SUCCESS;
    pthread_mutex_lock(&event_lock);
    uint64_t target = e->recorded;
    while (e->completed < target && e->recorded >= target) {
        if (timeout_ms < 0) {
            pthread_cond_wait(&event_cond, &event_lock);
        } else if (pthread_cond_timedwait(&event_cond, &event_lock, &deadline) == ETIMEDOUT) {
            err = ACL_ERROR_RT_EVENT_SYNC_TIMEOUT;
            break;
        }
    }
    pthread_mutex_unlock(&event_lock);
    if (err) return emu_fail_timeout(err, func, "the event's record had not run after %d ms", timeout_ms);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtSynchronizeEvent(aclrtEvent event) {
    aclError err;
    emu_event *e = event_ref_for(event, "aclrtSynchronizeEvent", "event", "synchronized", false, false, &err);
    if (!e) return err;
    err = event_wait(e, -1, "aclrtSynchronizeEvent");
    event_unref(e);
    return err;
}

EMU_EXPORT aclError aclrtSynchronizeEventWithTimeout(aclrtEvent event, int32_t timeout) {
    const char *func = "aclrtSynchronizeEventWithTimeout";
    aclError err = emu_require_init(func);
    if (err || (err = check_timeout(timeout, func))) return err;
    emu_event *e = event_ref_for(event, func, "event", "synchronized", false, false, &err);
    if (!e) return err;
    err = event_wait(e, timeout, func);
    event_unref(e);
    return err;
}

static bool event_done(emu_event *e) {
    pthread_mutex_lock(&event_lock);
    bool done = e->recorded > 0 && e->completed >= e->recorded;
    pthread_mutex_unlock(&event_lock);
    return done;
}

EMU_EXPORT aclError aclrtQueryEventStatus(aclrtEvent event, aclrtEventRecordedStatus *status) {
    aclError err;
    if (!status) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtQueryEventStatus", "status is NULL");
    emu_event *e = event_ref_for(event, "aclrtQueryEventStatus", "event", "queried", false, false, &err);
    if (!e) return err;
    bool done = event_done(e);
    event_unref(e);
    *status = done ? ACL_EVENT_RECORDED_STATUS_COMPLETE : ACL_EVENT_RECORDED_STATUS_NOT_READY;
    return ACL_SUCCESS;
}

/* Deprecated (aclrtQueryEventStatus replaces it); an event never recorded is complete, as CANN reports it. */
EMU_EXPORT aclError aclrtQueryEvent(aclrtEvent event, aclrtEventStatus *status) {
    const char *func = "aclrtQueryEvent";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!event) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "event is NULL");
    if (!status) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "status is NULL");
    emu_event *e = event_ref_for(event, func, "event", "queried with aclrtQueryEvent", false, true, &err);
    if (!e) return err;
    pthread_mutex_lock(&event_lock);
    bool done = e->completed >= e->recorded;
    pthread_mutex_unlock(&event_lock);
    event_unref(e);
    *status = done ? ACL_EVENT_STATUS_COMPLETE : ACL_EVENT_STATUS_NOT_READY;
    return ACL_SUCCESS;
}

/* Whether every aclrtStreamWaitEvent task queued on the event so far has run. */
EMU_EXPORT aclError aclrtQueryEventWaitStatus(aclrtEvent event, aclrtEventWaitStatus *status) {
    const char *func = "aclrtQueryEventWaitStatus";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!event) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "event is NULL");
    if (!status) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "status is NULL");
    emu_lock();
    err = lookup_event(event, func, "event");
    if (!err) err = event_allows(event, func, "queried with aclrtQueryEventWaitStatus", true, false, true, true);
    emu_event *e = err ? NULL : event;
    if (e) atomic_fetch_add(&e->refs, 1);
    emu_unlock();
    if (!e) return err;
    pthread_mutex_lock(&event_lock);
    bool done = e->waits_done >= e->waits_queued;
    pthread_mutex_unlock(&event_lock);
    event_unref(e);
    *status = done ? ACL_EVENT_WAIT_STATUS_COMPLETE : ACL_EVENT_WAIT_STATUS_NOT_READY;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtEventElapsedTime(float *ms, aclrtEvent startEvent, aclrtEvent endEvent) {
    const char *func = "aclrtEventElapsedTime";
    aclError err;
    if (!ms) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "ms is NULL");
    emu_event *a = event_ref_for(startEvent, func, "startEvent", "timed", true, false, &err);
    if (!a) return err;
    emu_event *b = event_ref_for(endEvent, func, "endEvent", "timed", true, false, &err);
    if (!b) {
        event_unref(a);
        return err;
    }
    pthread_mutex_lock(&event_lock);
    bool recorded = a->recorded > 0 && b->recorded > 0;
    bool done = a->completed >= a->recorded && b->completed >= b->recorded;
    const char *unrecorded = a->recorded == 0 ? "startEvent" : "endEvent";
    uint64_t t0 = a->stamp_ns, t1 = b->stamp_ns;
    pthread_mutex_unlock(&event_lock);
    event_unref(a);
    event_unref(b);
    if (!recorded) return emu_fail(ACL_ERROR_RT_EVENT_TIMESTAMP_INVALID, func, "%s has not been recorded", unrecorded);
    if (!done) return emu_fail(ACL_ERROR_RT_EVENT_NOT_COMPLETE, func, "an event's record has not run yet");
    if (t1 < t0) {
        return emu_fail(ACL_ERROR_RT_EVENT_TIMESTAMP_REVERSAL, func, "endEvent ran before startEvent");
    }
    *ms = (float)((double)(t1 - t0) / 1e6);
    return ACL_SUCCESS;
}

/* When the last record ran, in microseconds of the monotonic clock (a device counts from its start). */
EMU_EXPORT aclError aclrtEventGetTimestamp(aclrtEvent event, uint64_t *timestamp) {
    const char *func = "aclrtEventGetTimestamp";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!timestamp) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "timestamp is NULL");
    emu_event *e = event_ref_for(event, func, "event", "timed", true, false, &err);
    if (!e) return err;
    pthread_mutex_lock(&event_lock);
    bool recorded = e->recorded > 0, done = e->completed >= e->recorded;
    uint64_t stamp = e->stamp_ns;
    pthread_mutex_unlock(&event_lock);
    event_unref(e);
    if (!recorded) return emu_fail(ACL_ERROR_RT_INTERNAL_ERROR, func, "the event has not been recorded");
    if (!done) return emu_fail(ACL_ERROR_RT_EVENT_NOT_COMPLETE, func, "the event's record has not run yet");
    *timestamp = stamp / 1000u;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtGetEventId(aclrtEvent event, uint32_t *eventId) {
    const char *func = "aclrtGetEventId";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!event) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "event is NULL");
    if (!eventId) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "eventId is NULL");
    emu_event *e = event_ref(event, func, "event", &err);
    if (!e) return err;
    *eventId = e->id;
    event_unref(e);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtGetEventAvailNum(uint32_t *eventCount) {
    const char *func = "aclrtGetEventAvailNum";
    if (!eventCount) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "eventCount is NULL");
    int32_t device = 0;
    aclError err = emu_current_device(func, &device);
    if (err) return err;
    int used = atomic_load(&sync_events[device]);
    *eventCount = used >= EMU_MAX_SYNC_EVENTS ? 0 : (uint32_t)(EMU_MAX_SYNC_EVENTS - used);
    return ACL_SUCCESS;
}

/* ---------------------------------------------------------------------------------- host callbacks */

typedef struct report_item {
    struct report_item *next;
    aclrtCallback fn;
    void *user_data;
    bool waiter; /* a blocking callback task waits for it and frees it */
    bool done;
} report_item;

typedef struct report_sub {
    struct report_sub *next;
    uint64_t thread;
    int streams;
    report_item *head, *tail;
} report_sub;

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t report_cond = PTHREAD_COND_INITIALIZER;
static report_sub *subscriptions;

static report_sub *find_sub(uint64_t thread) {
    for (report_sub *r = subscriptions; r; r = r->next)
        if (r->thread == thread) return r;
    return NULL;
}

static void remove_item(report_sub *r, report_item *it) {
    report_item **pp = &r->head;
    while (*pp && *pp != it) pp = &(*pp)->next;
    if (!*pp) return;
    *pp = it->next;
    if (r->tail == it) {
        r->tail = NULL;
        for (report_item *x = r->head; x; x = x->next) r->tail = x;
    }
}

static void drop_sub_if_idle(report_sub *r) {
    if (r->streams > 0 || r->head) return;
    report_sub **pp = &subscriptions;
    while (*pp != r) pp = &(*pp)->next;
    *pp = r->next;
    free(r);
}

static void unsubscribe_stream(emu_stream *s) {
    pthread_mutex_lock(&report_lock);
    if (s->subscribed) {
        report_sub *r = find_sub(s->report_thread);
        s->subscribed = false;
        if (r) {
            r->streams--;
            drop_sub_if_idle(r);
        }
    }
    pthread_mutex_unlock(&report_lock);
}

void emu_reports_clear(void) {
    pthread_mutex_lock(&report_lock);
    while (subscriptions) {
        report_sub *r = subscriptions;
        subscriptions = r->next;
        while (r->head) {
            report_item *it = r->head;
            r->head = it->next;
            if (it->waiter) it->done = true; /* the waiting task frees it */
            else free(it);
        }
        free(r);
    }
    pthread_cond_broadcast(&report_cond);
    pthread_mutex_unlock(&report_lock);
}

typedef struct {
    emu_stream *stream;
    aclrtCallback fn;
    void *user_data;
    bool block;
} callback_task;

static aclError run_callback(void *arg) {
    callback_task *t = arg;
    emu_stream *s = t->stream;
    pthread_mutex_lock(&report_lock);
    report_sub *r = s->subscribed ? find_sub(s->report_thread) : NULL;
    if (!r) {
        pthread_mutex_unlock(&report_lock);
        return emu_fail(ACL_ERROR_STREAM_NOT_SUBSCRIBE, "aclrtLaunchCallback",
                        "the stream was unsubscribed before its callback could run");
    }
    report_item *it = calloc(1, sizeof *it);
    if (!it) {
        pthread_mutex_unlock(&report_lock);
        return emu_fail(ACL_ERROR_BAD_ALLOC, "aclrtLaunchCallback", "out of host memory");
    }
    it->fn = t->fn;
    it->user_data = t->user_data;
    it->waiter = t->block;
    if (r->tail) r->tail->next = it;
    else r->head = it;
    r->tail = it;
    pthread_cond_broadcast(&report_cond);
    if (t->block) {
        /* The stream waits until the report thread has run the callback, or until it is destroyed. */
        while (!it->done) {
            pthread_mutex_lock(&s->lock);
            bool stopping = s->stopping;
            pthread_mutex_unlock(&s->lock);
            if (stopping) break;
            struct timespec ts;
            deadline_after(&ts, 50);
            pthread_cond_timedwait(&report_cond, &report_lock, &ts);
        }
        if (it->done) {
            free(it);
        } else {
            report_sub *now = find_sub(s->report_thread);
            bool queued = false;
            for (report_item *x = now ? now->head : NULL; x; x = x->next) queued |= x == it;
            if (queued) {
                remove_item(now, it);
                free(it);
            } else {
                it->waiter = false; /* being run right now: the report thread frees it */
            }
        }
    }
    pthread_mutex_unlock(&report_lock);
    return ACL_SUCCESS;
}

static void callback_drop(void *arg) {
    callback_task *t = arg;
    emu_stream_unref(t->stream);
    free(t);
}

EMU_EXPORT aclError aclrtSubscribeReport(uint64_t threadId, aclrtStream stream) {
    const char *func = "aclrtSubscribeReport";
    aclError err = emu_require_init(func);
    if (err) return err;
    emu_lock();
    emu_stream *s = emu_stream_resolve_locked(stream, func, &err);
    emu_unlock();
    if (!s) return err;
    pthread_mutex_lock(&report_lock);
    if (s->subscribed) {
        err = emu_fail(ACL_ERROR_REPEAT_SUBSCRIBE, func, "the stream is already subscribed by thread %llu",
                       (unsigned long long)s->report_thread);
    } else {
        report_sub *r = find_sub(threadId);
        if (!r && (r = calloc(1, sizeof *r)) != NULL) {
            r->thread = threadId;
            r->next = subscriptions;
            subscriptions = r;
        }
        if (!r) {
            err = emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        } else {
            r->streams++;
            s->subscribed = true;
            s->report_thread = threadId;
        }
    }
    pthread_mutex_unlock(&report_lock);
    emu_stream_unref(s);
    return err;
}

EMU_EXPORT aclError aclrtUnSubscribeReport(uint64_t threadId, aclrtStream stream) {
    const char *func = "aclrtUnSubscribeReport";
    aclError err = emu_require_init(func);
    if (err) return err;
    emu_lock();
    emu_stream *s = emu_stream_resolve_locked(stream, func, &err);
    emu_unlock();
    if (!s) return err;
    pthread_mutex_lock(&report_lock);
    bool match = s->subscribed && s->report_thread == threadId;
    pthread_mutex_unlock(&report_lock);
    if (match) unsubscribe_stream(s);
    else err = emu_fail(ACL_ERROR_STREAM_NOT_SUBSCRIBE, func, "the stream is not subscribed by thread %llu",
                        (unsigned long long)threadId);
    emu_stream_unref(s);
    return err;
}

EMU_EXPORT aclError aclrtLaunchCallback(aclrtCallback fn, void *userData, aclrtCallbackBlockType blockType,
                                        aclrtStream stream) {
    const char *func = "aclrtLaunchCallback";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!fn) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "fn is NULL");
    if (blockType != ACL_CALLBACK_NO_BLOCK && blockType != ACL_CALLBACK_BLOCK) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "unknown block type %d", (int)blockType);
    }
    emu_lock();
    emu_stream *s = emu_stream_resolve_locked(stream, func, &err);
    emu_unlock();
    if (!s) return err;
    pthread_mutex_lock(&report_lock);
    bool subscribed = s->subscribed;
    pthread_mutex_unlock(&report_lock);
    if (!subscribed) {
        emu_stream_unref(s);
        return emu_fail(ACL_ERROR_STREAM_NOT_SUBSCRIBE, func,
                        "the stream has no report thread: call aclrtSubscribeReport first");
    }
    callback_task *t = malloc(sizeof *t);
    if (!t) {
        emu_stream_unref(s);
        return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    *t = (callback_task){s, fn, userData, blockType == ACL_CALLBACK_BLOCK};
    return emu_stream_enqueue(s, run_callback, t, callback_drop, func); /* the task owns the reference */
}

EMU_EXPORT aclError aclrtProcessReport(int32_t timeout) {
    const char *func = "aclrtProcessReport";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (timeout < -1 || timeout == 0) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "timeout %d ms: expected -1 (no limit) or a positive number "
                        "of ms", timeout);
    }
    uint64_t me = (uint64_t)pthread_self();
    struct timespec deadline;
    if (timeout > 0) deadline_after(&deadline, timeout);
    pthread_mutex_lock(&report_lock);
    report_sub *r = find_sub(me);
    if (!r) {
        pthread_mutex_unlock(&report_lock);
        return emu_fail(ACL_ERROR_THREAD_NOT_SUBSCRIBE, func, "thread %llu has no subscribed stream",
                        (unsigned long long)me);
    }
    while (!(r = find_sub(me)) || !r->head) {
        if (!r || timeout == 0 ||
            (timeout > 0 && pthread_cond_timedwait(&report_cond, &report_lock, &deadline) == ETIMEDOUT)) {
            pthread_mutex_unlock(&report_lock);
            return r ? emu_fail_timeout(ACL_ERROR_WAIT_CALLBACK_TIMEOUT, func, "no callback within %d ms", timeout)
                     : emu_fail(ACL_ERROR_THREAD_NOT_SUBSCRIBE, func, "the thread's streams were unsubscribed");
        }
        if (timeout < 0) pthread_cond_wait(&report_cond, &report_lock);
    }
    while (r && r->head) {
        report_item *it = r->head;
        r->head = it->next;
        if (!r->head) r->tail = NULL;
        pthread_mutex_unlock(&report_lock);
        it->fn(it->user_data);
        pthread_mutex_lock(&report_lock);
        if (it->waiter) it->done = true;
        else free(it);
        pthread_cond_broadcast(&report_cond);
        r = find_sub(me);
    }
    if (r) drop_sub_if_idle(r);
    pthread_mutex_unlock(&report_lock);
    return ACL_SUCCESS;
}

void emu_streams_stop_locked(int32_t device, const emu_context *ctx) {
    size_t n = emu_reg_count(EMU_H_STREAM, device), nctx = ctx ? 0 : emu_reg_count(EMU_H_CONTEXT, device);
    void **list = calloc(n + nctx + 1, sizeof *list);
    if (!list) return;
    emu_reg_collect(EMU_H_STREAM, device, list, n);
    for (size_t i = 0; i < n; i++) {
        emu_stream *s = list[i];
        if (!ctx || s->ctx == ctx) stream_stop(s);
    }
    if (ctx) {
        if (ctx->default_stream) stream_stop(ctx->default_stream);
    } else {
        emu_reg_collect(EMU_H_CONTEXT, device, list, nctx);
        for (size_t i = 0; i < nctx; i++) {
            emu_context *c = list[i];
            if (c->default_stream) stream_stop(c->default_stream);
        }
    }
    free(list);
}

uint64_t emu_streams_release_locked(int32_t device, const emu_context *ctx) {
    size_t n = emu_reg_count(EMU_H_STREAM, device);
    void **list = calloc(n + 1, sizeof *list);
    if (!list) return 0;
    emu_reg_collect(EMU_H_STREAM, device, list, n);
    uint64_t released = 0;
    for (size_t i = 0; i < n; i++) {
        emu_stream *s = list[i];
        if (ctx && s->ctx != ctx) continue;
        emu_reg_remove(s, EMU_H_STREAM);
        unsubscribe_stream(s);
        emu_stream_destroy_locked(s);
        released++;
    }
    free(list);
    return released;
}
