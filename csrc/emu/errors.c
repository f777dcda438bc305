/* The calling thread's recent error message, and the emulator's log output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"

static _Thread_local char recent_message[EMU_MSG_MAX];
static _Thread_local bool recent_set;
static _Thread_local aclError last_error; /* aclrtPeekAtLastError / aclrtGetLastError */
static _Atomic(acllite_emu_log_fn) log_handler;

static aclError fail_v(int level, aclError code, const char *func, const char *fmt, va_list ap) {
    int n = snprintf(recent_message, sizeof recent_message, "%s: ", func);
    if (n < 0 || (size_t)n >= sizeof recent_message) n = 0;
    vsnprintf(recent_message + n, sizeof recent_message - (size_t)n, fmt, ap);
    recent_set = true;
    last_error = code;
    emu_log(level, "%s (error %d)", recent_message, code);
    return code;
}

aclError emu_fail(aclError code, const char *func, const char *fmt, ...) {
    /* Every failing call is logged at ERROR, the level CANN's default log records (ASCEND_GLOBAL_LOG_LEVEL=3), so
     * a program that only prints the return code still shows why. */
    va_list ap;
    va_start(ap, fmt);
    aclError err = fail_v(ACLLITE_EMU_LOG_ERROR, code, func, fmt, ap);
    va_end(ap);
    return err;
}

aclError emu_fail_timeout(aclError code, const char *func, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    aclError err = fail_v(ACLLITE_EMU_LOG_WARNING, code, func, fmt, ap);
    va_end(ap);
    return err;
}

void emu_set_recent_message(const char *msg) {
    snprintf(recent_message, sizeof recent_message, "%s", msg);
    recent_set = msg[0] != '\0';
}

void emu_set_recent_error(aclError code, const char *msg) {
    emu_set_recent_message(msg);
    last_error = code;
}

const char *emu_recent_message(void) { return recent_set ? recent_message : NULL; }

void emu_message_save(char *buf, size_t len, bool *set) {
    *set = recent_set;
    if (recent_set) snprintf(buf, len, "%s", recent_message);
}

void emu_message_restore(const char *buf, bool set) {
    if (set) snprintf(recent_message, sizeof recent_message, "%s", buf);
    recent_set = set;
}

/* CANN's log settings, as its documentation defines them: ASCEND_GLOBAL_LOG_LEVEL 0 (debug), 1 (info), 2 (warning),
 * 3 (error, the default) or 4 (null: nothing); unset, empty or any other value means the default.
 * ASCEND_SLOG_PRINT_TO_STDOUT 1 prints log lines on stdout; 0 (the default) keeps CANN's default output, which for
 * CANN is its log files and for the emulator, which has none, stderr. Read at every line, so they can change. */
static int log_threshold(void) {
    const char *v = getenv("ASCEND_GLOBAL_LOG_LEVEL");
    if (v && v[0] >= '0' && v[0] <= '4' && v[1] == '\0') return v[0] - '0';
    return ACLLITE_EMU_LOG_ERROR;
}

static FILE *log_stream(void) {
    const char *v = getenv("ASCEND_SLOG_PRINT_TO_STDOUT");
    return v && strcmp(v, "1") == 0 ? stdout : stderr;
}

void emu_log(int level, const char *fmt, ...) {
    acllite_emu_log_fn handler = atomic_load(&log_handler);
    if (handler == NULL && level < log_threshold()) return;
    char line[EMU_MSG_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (handler) {
        handler(level, line);
    } else {
        static const char *const names[] = {"DEBUG", "INFO", "WARNING", "ERROR"};
        FILE *out = log_stream();
        flockfile(out); /* one line at a time from concurrent threads */
        fprintf(out, "[acllite-emu] %s: %s\n", names[level < 0 ? 0 : level > 3 ? 3 : level], line);
        fflush(out);
        funlockfile(out);
    }
}

EMU_EXPORT void acllite_emu_set_log_handler(acllite_emu_log_fn fn) { atomic_store(&log_handler, fn); }

EMU_EXPORT const char *aclGetRecentErrMsg(void) { return emu_recent_message(); }

/* The calling thread's last error: the code of the last call of this thread that failed (every failing call of
 * the emulator sets it, as every failing call sets the recent message), or of a stream task whose error a
 * synchronize of this thread returned. Peek leaves it, Get clears it; only the thread level exists. Their own
 * refusals do not replace it. */
static aclError last_error_call(aclrtLastErrLevel level, bool clear, const char *func) {
    if (level != ACL_RT_THREAD_LEVEL) {
        aclError keep = last_error;
        aclError err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "level %d: only ACL_RT_THREAD_LEVEL (0) exists",
                                (int)level);
        last_error = keep;
        return err;
    }
    aclError code = last_error;
    if (clear) last_error = ACL_SUCCESS;
    return code;
}

EMU_EXPORT aclError aclrtPeekAtLastError(aclrtLastErrLevel level) {
    return last_error_call(level, false, "aclrtPeekAtLastError");
}

EMU_EXPORT aclError aclrtGetLastError(aclrtLastErrLevel level) {
    return last_error_call(level, true, "aclrtGetLastError");
}
