/* Streams (ordered asynchronous task queues, one worker thread each), events and host callbacks. */
#include <errno.h>
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
} emu_task;

struct emu_stream {
    emu_context *ctx;
    int32_t device;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* new task, task done, stopping */
    emu_task *head, *tail;
    uint64_t enqueued, completed;
    aclError error; /* first error of an asynchronous task since the last synchronize */
    char error_message[1024];
    bool stopping;
    bool has_worker;
    pthread_t worker;
    atomic_int refs;
    /* report subscription, guarded by report_lock */
    bool subscribed;
    uint64_t report_thread;
};

typedef struct {
    int32_t device;
    uint64_t recorded;  /* records issued */
    uint64_t completed; /* records that ran */
    uint64_t stamp_ns;  /* time of the last record that ran */
    atomic_int refs;
} emu_event;

static pthread_mutex_t event_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t event_cond = PTHREAD_COND_INITIALIZER;

static _Thread_local emu_stream *worker_of; /* set on a stream's worker thread: its stream */
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

static void *stream_worker(void *arg) {
    emu_stream *s = arg;
    worker_of = s;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->head && !s->stopping) pthread_cond_wait(&s->cond, &s->lock);
        if (!s->head) break;
        emu_task *t = s->head;
        s->head = t->next;
        if (!s->head) s->tail = NULL;
        pthread_mutex_unlock(&s->lock);
        aclError err = t->fn(t->arg);
        const char *msg = err ? emu_recent_message() : NULL;
        if (t->drop) t->drop(t->arg);
        free(t);
        pthread_mutex_lock(&s->lock);
        if (err && !s->error) {
            s->error = err;
            snprintf(s->error_message, sizeof s->error_message, "%s", msg ? msg : "asynchronous task failed");
        }
        s->completed++;
        pthread_cond_broadcast(&s->cond);
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
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    atomic_init(&s->refs, 1);
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
        if (!ctx->default_stream) ctx->default_stream = emu_stream_create_locked(ctx, func, err);
        s = ctx->default_stream;
        if (!s) return NULL;
    } else if (emu_reg_has(stream, EMU_H_STREAM)) {
        s = stream;
    } else {
        *err = emu_fail(ACL_ERROR_RT_INVALID_HANDLE, func, "stream %p is not a live stream", stream);
        return NULL;
    }
    atomic_fetch_add(&s->refs, 1);
    return s;
}

aclError emu_stream_enqueue(emu_stream *s, emu_task_fn fn, void *arg, emu_task_drop drop, const char *func) {
    emu_task *t = malloc(sizeof *t);
    if (!t) {
        if (drop) drop(arg);
        return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    *t = (emu_task){NULL, fn, arg, drop};
    pthread_mutex_lock(&s->lock);
    if (s->stopping) {
        pthread_mutex_unlock(&s->lock);
        if (drop) drop(arg);
        free(t);
        return emu_fail(ACL_ERROR_RT_INVALID_HANDLE, func, "the stream is being destroyed");
    }
    if (s->tail) s->tail->next = t;
    else s->head = t;
    s->tail = t;
    s->enqueued++;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    return ACL_SUCCESS;
}

aclError emu_stream_sync(emu_stream *s, int32_t timeout_ms, const char *func) {
    struct timespec deadline;
    if (timeout_ms > 0) deadline_after(&deadline, timeout_ms);
    pthread_mutex_lock(&s->lock);
    uint64_t target = s->enqueued;
    while (s->completed < target) {
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
    if (err) emu_set_recent_message(message);
    return err;
}

EMU_EXPORT aclError aclrtCreateStream(aclrtStream *stream) {
    aclError err = emu_require_init("aclrtCreateStream");
    if (err) return err;
    if (!stream) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtCreateStream", "stream is NULL");
    emu_lock();
    emu_context *ctx = emu_current_context_locked("aclrtCreateStream", &err);
    emu_stream *s = ctx ? emu_stream_create_locked(ctx, "aclrtCreateStream", &err) : NULL;
    if (s && !emu_reg_add(s, EMU_H_STREAM, ctx->device)) {
        emu_stream_destroy_locked(s);
        s = NULL;
        err = emu_fail(ACL_ERROR_BAD_ALLOC, "aclrtCreateStream", "out of host memory");
    }
    emu_unlock();
    if (s) *stream = s;
    return err;
}

static void unsubscribe_stream(emu_stream *s);

EMU_EXPORT aclError aclrtDestroyStream(aclrtStream stream) {
    aclError err = emu_require_init("aclrtDestroyStream");
    if (err) return err;
    if (!stream) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtDestroyStream", "stream is NULL");
    if (stream == (aclrtStream)worker_of) return refuse_own_stream(worker_of, "aclrtDestroyStream", "destroy");
    emu_lock();
    if (!emu_reg_remove(stream, EMU_H_STREAM)) {
        emu_unlock();
        return emu_fail(ACL_ERROR_RT_INVALID_HANDLE, "aclrtDestroyStream",
                        "stream %p is not a live stream (destroyed already?)", stream);
    }
    unsubscribe_stream(stream);
    emu_stream_destroy_locked(stream);
    emu_unlock();
    return ACL_SUCCESS;
}

static aclError sync_stream(aclrtStream stream, int32_t timeout, const char *func) {
    aclError err = emu_require_init(func);
    if (err) return err;
    if (timeout < -1) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "timeout %d ms (use -1 for no limit)", timeout);
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

EMU_EXPORT aclError aclrtSynchronizeDevice(void) {
    const char *func = "aclrtSynchronizeDevice";
    aclError err = emu_require_init(func);
    if (err) return err;
    emu_lock();
    emu_context *ctx = emu_current_context_locked(func, &err);
    if (!ctx) {
        emu_unlock();
        return err;
    }
    int32_t device = ctx->device;
    if (worker_of && worker_of->device == device) {
        emu_unlock();
        return refuse_own_stream(worker_of, func, "wait for the device's streams, which include");
    }
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
    aclError first = ACL_SUCCESS;
    for (size_t i = 0; i < count; i++) {
        aclError e = emu_stream_sync(list[i], -1, func);
        if (e && !first) first = e;
        emu_stream_unref(list[i]);
    }
    free(list);
    free(contexts);
    return first;
}

/* ------------------------------------------------------------------------------------------- events */

static void event_unref(emu_event *e) {
    if (atomic_fetch_sub(&e->refs, 1) == 1) free(e);
}

typedef struct {
    emu_event *event;
    uint64_t generation;
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
    pthread_cond_broadcast(&event_cond);
    pthread_mutex_unlock(&event_lock);
    return ACL_SUCCESS;
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

static aclError run_wait(void *arg) {
    event_task *t = arg;
    pthread_mutex_lock(&event_lock);
    while (t->event->completed < t->generation && t->event->recorded >= t->generation) {
        pthread_cond_wait(&event_cond, &event_lock);
    }
    pthread_mutex_unlock(&event_lock);
    return ACL_SUCCESS;
}

static aclError lookup_event(aclrtEvent event, const char *func, const char *arg) {
    if (!event) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", arg);
    if (!emu_reg_has(event, EMU_H_EVENT)) {
        return emu_fail(ACL_ERROR_RT_INVALID_HANDLE, func, "%s %p is not a live event", arg, event);
    }
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtCreateEvent(aclrtEvent *event) {
    const char *func = "aclrtCreateEvent";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!event) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "event is NULL");
    emu_lock();
    emu_context *ctx = emu_current_context_locked(func, &err);
    emu_event *e = ctx ? calloc(1, sizeof *e) : NULL;
    if (ctx && !e) err = emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    if (e) {
        e->device = ctx->device;
        atomic_init(&e->refs, 1);
        if (!emu_reg_add(e, EMU_H_EVENT, e->device)) {
            free(e);
            e = NULL;
            err = emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        }
    }
    emu_unlock();
    if (e) *event = e;
    return err;
}

EMU_EXPORT aclError aclrtDestroyEvent(aclrtEvent event) {
    const char *func = "aclrtDestroyEvent";
    aclError err = emu_require_init(func);
    if (err) return err;
    emu_lock();
    err = lookup_event(event, func, "event");
    if (!err) emu_reg_remove(event, EMU_H_EVENT);
    emu_unlock();
    if (!err) event_unref(event); /* queued records keep their own reference */
    return err;
}

static void event_release(void *e) { event_unref(e); }

uint64_t emu_events_release_locked(int32_t device) { return emu_reg_release_all(EMU_H_EVENT, device, event_release); }

static aclError event_op(aclrtEvent event, aclrtStream stream, emu_task_fn fn, const char *func) {
    aclError err = emu_require_init(func);
    if (err) return err;
    emu_lock();
    err = lookup_event(event, func, "event");
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
    t->generation = fn == run_record ? ++e->recorded : e->recorded;
    pthread_mutex_unlock(&event_lock);
    atomic_fetch_add(&e->refs, 1);
    err = emu_stream_enqueue(s, fn, t, event_drop, func);
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

/* Look the event up and take a reference, so a concurrent destroy cannot free it under us. */
static emu_event *event_ref(aclrtEvent event, const char *func, const char *arg, aclError *err) {
    *err = emu_require_init(func);
    if (*err) return NULL;
    emu_lock();
    *err = lookup_event(event, func, arg);
    if (!*err) atomic_fetch_add(&((emu_event *)event)->refs, 1);
    emu_unlock();
    return *err ? NULL : event;
}

EMU_EXPORT aclError aclrtSynchronizeEvent(aclrtEvent event) {
    aclError err;
    emu_event *e = event_ref(event, "aclrtSynchronizeEvent", "event", &err);
    if (!e) return err;
    pthread_mutex_lock(&event_lock);
    uint64_t target = e->recorded;
    while (e->completed < target && e->recorded >= target) pthread_cond_wait(&event_cond, &event_lock);
    pthread_mutex_unlock(&event_lock);
    event_unref(e);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtQueryEventStatus(aclrtEvent event, aclrtEventRecordedStatus *status) {
    aclError err;
    if (!status) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtQueryEventStatus", "status is NULL");
    emu_event *e = event_ref(event, "aclrtQueryEventStatus", "event", &err);
    if (!e) return err;
    pthread_mutex_lock(&event_lock);
    bool done = e->recorded > 0 && e->completed >= e->recorded;
    pthread_mutex_unlock(&event_lock);
    event_unref(e);
    *status = done ? ACL_EVENT_RECORDED_STATUS_COMPLETE : ACL_EVENT_RECORDED_STATUS_NOT_READY;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtEventElapsedTime(float *ms, aclrtEvent startEvent, aclrtEvent endEvent) {
    const char *func = "aclrtEventElapsedTime";
    aclError err;
    if (!ms) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "ms is NULL");
    emu_event *a = event_ref(startEvent, func, "startEvent", &err);
    if (!a) return err;
    emu_event *b = event_ref(endEvent, func, "endEvent", &err);
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
    if (timeout < -1) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "timeout %d ms (use -1 for no limit)", timeout);
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
