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
    uint64_t models;
    uint64_t modelDescs;
    uint64_t datasets;
    uint64_t reserved[5];
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

/* ---- model engine ----
 * The emulator owns model ids, descriptions, datasets and every check; running the graph is delegated to an
 * engine registered here (acllite registers one on onnxruntime). Tensors cross as pointers: no copies. */
#define ACLLITE_EMU_MAX_DIMS 32

typedef struct {
    char name[128];
    aclDataType dataType;
    aclFormat format;
    size_t dimCount;
    int64_t dims[32]; /* -1: dynamic */
} acllite_emu_tensor_desc;

typedef struct {
    void *data;
    size_t size;      /* bytes of the buffer */
    size_t dimCount;  /* inputs: the shape to run at; outputs: written by the engine */
    int64_t dims[32];
} acllite_emu_tensor;

typedef struct {
    /* Parse a model; describeOnly: only describe (aclmdlQuerySize), no session. Fills *engineModel, the
     * counts and the bytes of its weights; on failure returns a status code and writes a message. */
    aclError (*load)(const void *data, size_t size, int32_t describeOnly, uint64_t *engineModel, size_t *numInputs,
                     size_t *numOutputs, size_t *weightBytes, char *message, size_t messageLen);
    aclError (*describe)(uint64_t engineModel, int32_t isOutput, size_t index, acllite_emu_tensor_desc *desc);
    /* Run with the inputs' shapes; write the outputs into their buffers and their shapes into dims. */
    aclError (*execute)(uint64_t engineModel, const acllite_emu_tensor *inputs, size_t numInputs,
                        acllite_emu_tensor *outputs, size_t numOutputs, char *message, size_t messageLen);
    void (*unload)(uint64_t engineModel);
} acllite_emu_model_engine;

/* Register the engine (copied). NULL unregisters: model loading then fails with ACL_ERROR_API_NOT_SUPPORT. */
void acllite_emu_set_model_engine(const acllite_emu_model_engine *engine);

/* ---- DVPP and image codecs ---- */

#endif
