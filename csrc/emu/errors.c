/* The calling thread's recent error message, and the emulator's log output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"

#define EMU_MSG_MAX 1024

static _Thread_local char recent_message[EMU_MSG_MAX];
static _Thread_local bool recent_set;
static _Atomic(acllite_emu_log_fn) log_handler;

aclError emu_fail(aclError code, const char *func, const char *fmt, ...) {
    int n = snprintf(recent_message, sizeof recent_message, "%s: ", func);
    if (n < 0 || (size_t)n >= sizeof recent_message) n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(recent_message + n, sizeof recent_message - (size_t)n, fmt, ap);
    va_end(ap);
    recent_set = true;
    emu_log(ACLLITE_EMU_LOG_DEBUG, "error %d: %s", code, recent_message);
    return code;
}

void emu_set_recent_message(const char *msg) {
    snprintf(recent_message, sizeof recent_message, "%s", msg);
    recent_set = msg[0] != '\0';
}

const char *emu_recent_message(void) { return recent_set ? recent_message : NULL; }

static int stderr_threshold(void) {
    /* The same variable CANN's logging reads: 0 debug .. 3 error (default), 4 nothing. */
    const char *v = getenv("ASCEND_GLOBAL_LOG_LEVEL");
    if (v && v[0] >= '0' && v[0] <= '4' && v[1] == '\0') return v[0] - '0';
    return ACLLITE_EMU_LOG_ERROR;
}

void emu_log(int level, const char *fmt, ...) {
    acllite_emu_log_fn handler = atomic_load(&log_handler);
    if (handler == NULL && level < stderr_threshold()) return;
    char line[EMU_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (handler) {
        handler(level, line);
    } else {
        static const char *const names[] = {"DEBUG", "INFO", "WARNING", "ERROR"};
        fprintf(stderr, "[acllite-emu] %s: %s\n", names[level < 0 ? 0 : level > 3 ? 3 : level], line);
    }
}

EMU_EXPORT void acllite_emu_set_log_handler(acllite_emu_log_fn fn) { atomic_store(&log_handler, fn); }

EMU_EXPORT const char *aclGetRecentErrMsg(void) { return emu_recent_message(); }
