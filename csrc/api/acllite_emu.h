/*
 * The emulator's own extension API: not part of AscendCL. The binding reaches these through the same
 * dispatch table as the AscendCL functions; on the CANN backend they are simply absent.
 */
/* acllite-library: emulator */
#ifndef ACLLITE_API_ACLLITE_EMU_H
#define ACLLITE_API_ACLLITE_EMU_H

#include "acl_base.h"

#define ACLLITE_EMU_LOG_DEBUG 0
#define ACLLITE_EMU_LOG_INFO 1
#define ACLLITE_EMU_LOG_WARNING 2
#define ACLLITE_EMU_LOG_ERROR 3

/* Live (or reclaimed) resources of the emulator, by kind. */
typedef struct {
    uint64_t deviceAllocations;
    uint64_t deviceBytes;
    uint64_t hostAllocations;
    uint64_t hostBytes;
    uint64_t dvppAllocations;
    uint64_t dvppBytes;
    uint64_t contexts;
    uint64_t streams;
    uint64_t events;
    uint64_t dataBuffers;
    uint64_t reserved[8];
} acllite_emu_counts;

typedef void (*acllite_emu_log_fn)(int32_t level, const char *message);

/* Route the emulator's log lines to fn (NULL: back to stderr, filtered by ASCEND_GLOBAL_LOG_LEVEL). */
void acllite_emu_set_log_handler(acllite_emu_log_fn fn);
/* Everything alive now, over all devices. */
aclError acllite_emu_live_counts(acllite_emu_counts *counts);
/* What the most recent aclrtResetDevice/aclFinalize found alive and released (all zero: nothing leaked). */
aclError acllite_emu_last_leak_report(acllite_emu_counts *counts);
/* 1 when kind mismatches are errors (ACLLITE_EMU_STRICT unset or 1), 0 when they are warnings. */
int32_t acllite_emu_strict_mode(void);
const char *acllite_emu_version(void);

#endif
