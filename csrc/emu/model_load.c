/* Models, the other entry points: loading with a configuration handle (aclmdlCreateConfigHandle,
 * aclmdlSetConfigOpt, aclmdlLoadWithConfig), the queue loaders answered as a device without queues, execution with
 * an execution configuration (aclmdlExecuteV2, aclmdlExecuteAsyncV2), descriptions without loading
 * (aclmdlGetDescFromFile/FromMem), aclmdlQueryExeOMDesc and aclmdlGetTensorRealName. Loading and executing go
 * through model.c's entry points (model.h), with the same checks and messages. */
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* The longest path a configuration keeps (PATH_MAX). */
#define MAX_CONFIG_PATH 4096

struct aclmdlConfigHandle {
    uint64_t set;          /* bit i: option i was set */
    int32_t priority;
    size_t load_type;
    char *path;            /* copied */
    const void *mem_addr;
    size_t mem_size;
    void *weight_addr;
    size_t weight_size;
    void *work_addr;
    size_t work_size;
    size_t inputq_num, outputq_num;
    const uint32_t *inputq, *outputq;
    size_t mem_optimize;
    char *weight_path;     /* copied */
};

struct aclmdlExecConfigHandle {
    uint64_t set;
    int32_t stream_timeout, event_timeout; /* -1: wait forever */
};

#define HAS(h, attr) (((h)->set >> (attr)) & 1u)

static void config_free(void *p) {
    aclmdlConfigHandle *h = p;
    free(h->path);
    free(h->weight_path);
    free(h);
}

static void exec_config_free(void *p) { free(p); }

uint64_t emu_model_configs_release_locked(void) {
    return emu_reg_release_all(EMU_H_MODEL_CONFIG, -1, config_free) +
           emu_reg_release_all(EMU_H_MODEL_EXEC_CONFIG, -1, exec_config_free);
}

static void *handle_new(size_t size, emu_handle_kind kind, const char *func) {
    void *h = calloc(1, size);
    if (!h) {
        emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        return NULL;
    }
    emu_lock();
    bool ok = emu_reg_add(h, kind, -1);
    emu_unlock();
    if (!ok) {
        free(h);
        emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        return NULL;
    }
    return h;
}

static bool handle_live(const void *h, emu_handle_kind kind, const char *what, const char *func) {
    if (!h) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", what);
        return false;
    }
    emu_lock();
    bool ok = emu_reg_has(h, kind);
    emu_unlock();
    if (!ok) emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s %p is not a live handle (destroyed already?)", what, h);
    return ok;
}

static aclError handle_destroy(void *h, emu_handle_kind kind, void (*release)(void *), const char *what,
                               const char *func) {
    if (!h) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", what);
    emu_lock();
    bool ok = emu_reg_remove(h, kind);
    emu_unlock();
    if (!ok) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s %p is not a live handle (destroyed already?)", what, h);
    release(h);
    return ACL_SUCCESS;
}

EMU_EXPORT aclmdlConfigHandle *aclmdlCreateConfigHandle(void) {
    return handle_new(sizeof(aclmdlConfigHandle), EMU_H_MODEL_CONFIG, "aclmdlCreateConfigHandle");
}

EMU_EXPORT aclError aclmdlDestroyConfigHandle(aclmdlConfigHandle *handle) {
    return handle_destroy(handle, EMU_H_MODEL_CONFIG, config_free, "handle", "aclmdlDestroyConfigHandle");
}

EMU_EXPORT aclmdlExecConfigHandle *aclmdlCreateExecConfigHandle(void) {
    aclmdlExecConfigHandle *h =
        handle_new(sizeof(aclmdlExecConfigHandle), EMU_H_MODEL_EXEC_CONFIG, "aclmdlCreateExecConfigHandle");
    if (h) h->stream_timeout = h->event_timeout = -1;
    return h;
}

EMU_EXPORT aclError aclmdlDestroyExecConfigHandle(const aclmdlExecConfigHandle *handle) {
    return handle_destroy((void *)(uintptr_t)handle, EMU_H_MODEL_EXEC_CONFIG, exec_config_free, "handle",
                          "aclmdlDestroyExecConfigHandle");
}

/* ------------------------------------------------------------------------------------ load options */

typedef enum { V_INT32, V_SIZE, V_PTR } value_kind;

static const char *const config_names[] = {
    "ACL_MDL_PRIORITY_INT32", "ACL_MDL_LOAD_TYPE_SIZET", "ACL_MDL_PATH_PTR", "ACL_MDL_MEM_ADDR_PTR",
    "ACL_MDL_MEM_SIZET", "ACL_MDL_WEIGHT_ADDR_PTR", "ACL_MDL_WEIGHT_SIZET", "ACL_MDL_WORKSPACE_ADDR_PTR",
    "ACL_MDL_WORKSPACE_SIZET", "ACL_MDL_INPUTQ_NUM_SIZET", "ACL_MDL_INPUTQ_ADDR_PTR", "ACL_MDL_OUTPUTQ_NUM_SIZET",
    "ACL_MDL_OUTPUTQ_ADDR_PTR", "ACL_MDL_WORKSPACE_MEM_OPTIMIZE", "ACL_MDL_WEIGHT_PATH_PTR",
    "ACL_MDL_MODEL_DESC_PTR", "ACL_MDL_MODEL_DESC_SIZET", "ACL_MDL_KERNEL_PTR", "ACL_MDL_KERNEL_SIZET",
    "ACL_MDL_KERNEL_ARGS_PTR", "ACL_MDL_KERNEL_ARGS_SIZET", "ACL_MDL_STATIC_TASK_PTR", "ACL_MDL_STATIC_TASK_SIZET",
    "ACL_MDL_DYNAMIC_TASK_PTR", "ACL_MDL_DYNAMIC_TASK_SIZET", "ACL_MDL_MEM_MALLOC_POLICY_SIZET", "ACL_MDL_FIFO_PTR",
    "ACL_MDL_FIFO_SIZET", "ACL_MDL_WITHOUT_GRAPH_INT32",
};
#define CONFIG_ATTR_COUNT (sizeof config_names / sizeof config_names[0])

static value_kind config_kind(aclmdlConfigAttr attr) {
    switch (attr) {
    case ACL_MDL_PRIORITY_INT32:
    case ACL_MDL_WITHOUT_GRAPH_INT32:
        return V_INT32;
    case ACL_MDL_PATH_PTR:
    case ACL_MDL_MEM_ADDR_PTR:
    case ACL_MDL_WEIGHT_ADDR_PTR:
    case ACL_MDL_WORKSPACE_ADDR_PTR:
    case ACL_MDL_INPUTQ_ADDR_PTR:
    case ACL_MDL_OUTPUTQ_ADDR_PTR:
    case ACL_MDL_WEIGHT_PATH_PTR:
    case ACL_MDL_MODEL_DESC_PTR:
    case ACL_MDL_KERNEL_PTR:
    case ACL_MDL_KERNEL_ARGS_PTR:
    case ACL_MDL_STATIC_TASK_PTR:
    case ACL_MDL_DYNAMIC_TASK_PTR:
    case ACL_MDL_FIFO_PTR:
        return V_PTR;
    default:
        return V_SIZE;
    }
}

/* A copy of the NUL-terminated path at p (shorter than MAX_CONFIG_PATH bytes) into *out. */
static aclError copy_path(const char *p, char **out, const char *option, const char *func) {
    if (!p) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s: the path is NULL", option);
    size_t n = strnlen(p, MAX_CONFIG_PATH);
    if (n == 0 || n == MAX_CONFIG_PATH) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s: the path is %s", option,
                        n ? "longer than 4095 bytes" : "empty");
    }
    *out = malloc(n + 1);
    if (!*out) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    memcpy(*out, p, n + 1);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclmdlSetConfigOpt(aclmdlConfigHandle *handle, aclmdlConfigAttr attr, const void *attrValue,
                                       size_t valueSize) {
    const char *func = "aclmdlSetConfigOpt";
    if (!handle_live(handle, EMU_H_MODEL_CONFIG, "handle", func)) return ACL_ERROR_INVALID_PARAM;
    if ((int)attr < 0 || (size_t)attr >= CONFIG_ATTR_COUNT) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "attr %d is no aclmdlConfigAttr (0 to %zu)", (int)attr,
                        CONFIG_ATTR_COUNT - 1);
    }
    const char *name = config_names[attr];
    if (!attrValue) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s: attrValue is NULL", name);
    value_kind kind = config_kind(attr);
    size_t want = kind == V_INT32 ? sizeof(int32_t) : kind == V_SIZE ? sizeof(size_t) : sizeof(void *);
    if (valueSize != want) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s: valueSize is %zu; the value is %s (%zu bytes)", name,
                        valueSize, kind == V_INT32 ? "an int32_t" : kind == V_SIZE ? "a size_t" : "a pointer", want);
    }
    int32_t i32 = 0;
    size_t sz = 0;
    void *ptr = NULL;
    if (kind == V_INT32) memcpy(&i32, attrValue, sizeof i32);
    else if (kind == V_SIZE) memcpy(&sz, attrValue, sizeof sz);
    else memcpy(&ptr, attrValue, sizeof ptr); /* "if the value is a pointer, pass the pointer's address" */
    /* checked and copied first; stored under the lock, so that a load reading the handle sees whole values */
    char *copy = NULL;
    switch (attr) {
    case ACL_MDL_PRIORITY_INT32:
        if (i32 < 0 || i32 > 7) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s: %d is not 0 to 7", name, i32);
        break;
    case ACL_MDL_LOAD_TYPE_SIZET:
        if (sz < ACL_MDL_LOAD_FROM_FILE || sz > ACL_MDL_LOAD_FROM_MEM_WITH_Q) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s: %zu is no load type (ACL_MDL_LOAD_FROM_FILE 1 to "
                            "ACL_MDL_LOAD_FROM_MEM_WITH_Q 6)", name, sz);
        }
        break;
    case ACL_MDL_PATH_PTR:
    case ACL_MDL_WEIGHT_PATH_PTR: {
        aclError err = copy_path(ptr, &copy, name, func);
        if (err) return err;
        break;
    }
    case ACL_MDL_WORKSPACE_MEM_OPTIMIZE:
        if (sz > 1) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s: %zu is not 0 (off) or 1 (on)", name, sz);
        break;
    case ACL_MDL_MODEL_DESC_PTR:
    case ACL_MDL_MODEL_DESC_SIZET:
    case ACL_MDL_KERNEL_PTR:
    case ACL_MDL_KERNEL_SIZET:
    case ACL_MDL_KERNEL_ARGS_PTR:
    case ACL_MDL_KERNEL_ARGS_SIZET:
    case ACL_MDL_STATIC_TASK_PTR:
    case ACL_MDL_STATIC_TASK_SIZET:
    case ACL_MDL_DYNAMIC_TASK_PTR:
    case ACL_MDL_DYNAMIC_TASK_SIZET:
    case ACL_MDL_FIFO_PTR:
    case ACL_MDL_FIFO_SIZET:
    case ACL_MDL_WITHOUT_GRAPH_INT32:
        /* models given as precompiled kernels, task descriptions or FIFOs (and without their graph) */
        return emu_fail(ACL_ERROR_API_NOT_SUPPORT, func, "%s: loading a model from its precompiled kernels and task "
                        "descriptions is not emulated (the emulator runs models from their graph: OM or ONNX files)",
                        name);
    default:
        break;
    }
    emu_lock();
    if (!emu_reg_has(handle, EMU_H_MODEL_CONFIG)) { /* destroyed meanwhile */
        emu_unlock();
        free(copy);
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "handle %p is not a live handle (destroyed already?)",
                        (void *)handle);
    }
    switch (attr) {
    case ACL_MDL_PRIORITY_INT32: handle->priority = i32; break;
    case ACL_MDL_LOAD_TYPE_SIZET: handle->load_type = sz; break;
    case ACL_MDL_PATH_PTR: free(handle->path); handle->path = copy; break;
    case ACL_MDL_WEIGHT_PATH_PTR: free(handle->weight_path); handle->weight_path = copy; break;
    case ACL_MDL_MEM_ADDR_PTR: handle->mem_addr = ptr; break;
    case ACL_MDL_MEM_SIZET: handle->mem_size = sz; break;
    case ACL_MDL_WEIGHT_ADDR_PTR: handle->weight_addr = ptr; break;
    case ACL_MDL_WEIGHT_SIZET: handle->weight_size = sz; break;
    case ACL_MDL_WORKSPACE_ADDR_PTR: handle->work_addr = ptr; break;
    case ACL_MDL_WORKSPACE_SIZET: handle->work_size = sz; break;
    case ACL_MDL_INPUTQ_NUM_SIZET: handle->inputq_num = sz; break;
    case ACL_MDL_INPUTQ_ADDR_PTR: handle->inputq = ptr; break;
    case ACL_MDL_OUTPUTQ_NUM_SIZET: handle->outputq_num = sz; break;
    case ACL_MDL_OUTPUTQ_ADDR_PTR: handle->outputq = ptr; break;
    case ACL_MDL_WORKSPACE_MEM_OPTIMIZE: handle->mem_optimize = sz; break;
    default: break; /* ACL_MDL_MEM_MALLOC_POLICY_SIZET: the emulator's memory is host memory */
    }
    handle->set |= (uint64_t)1 << attr;
    emu_unlock();
    return ACL_SUCCESS;
}

static aclError require(const aclmdlConfigHandle *h, aclmdlConfigAttr attr, const char *why, const char *func) {
    if (HAS(h, attr)) return ACL_SUCCESS;
    return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is not set; %s needs it", config_names[attr], why);
}

static aclError queues_unavailable(size_t in_num, const uint32_t *in, size_t out_num, const uint32_t *out,
                                   const char *func) {
    if ((in_num && !in) || (out_num && !out)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL but its count is %zu", (in_num && !in) ?
                        "inputQ" : "outputQ", (in_num && !in) ? in_num : out_num);
    }
    /* The queues are the device's (acltdtCreateQueue, on a device that runs the model's AI CPU scheduler); the
     * emulator has none, so no id names one. */
    return emu_fail(ACL_ERROR_API_NOT_SUPPORT, func, "loading a model bound to queues needs the device's queue "
                    "service (acltdtCreateQueue), which the emulator does not provide: load it without queues "
                    "(aclmdlLoadFromFile/FromMem) and pass its data with aclmdlExecute");
}

EMU_EXPORT aclError aclmdlLoadWithConfig(const aclmdlConfigHandle *handle, uint32_t *modelId) {
    const char *func = "aclmdlLoadWithConfig";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!handle) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "handle is NULL");
    if (!modelId) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "modelId is NULL");
    emu_lock(); /* checked and copied at once: the handle may be destroyed by another thread after */
    if (!emu_reg_has(handle, EMU_H_MODEL_CONFIG)) {
        emu_unlock();
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "handle %p is not a live handle (destroyed already?)",
                        (const void *)handle);
    }
    aclmdlConfigHandle h = *handle;
    char *path = NULL;
    err = h.path ? copy_path(h.path, &path, "ACL_MDL_PATH_PTR", func) : ACL_SUCCESS;
    emu_unlock();
    if (err) return err;
    h.path = path;
    h.weight_path = NULL; /* not kept past the lock */
    if ((err = require(&h, ACL_MDL_LOAD_TYPE_SIZET, "every load", func))) goto done;
    bool from_file = h.load_type == ACL_MDL_LOAD_FROM_FILE || h.load_type == ACL_MDL_LOAD_FROM_FILE_WITH_MEM ||
                     h.load_type == ACL_MDL_LOAD_FROM_FILE_WITH_Q;
    if (from_file) {
        err = require(&h, ACL_MDL_PATH_PTR, "loading from a file", func);
    } else if (!(err = require(&h, ACL_MDL_MEM_ADDR_PTR, "loading from memory", func))) {
        err = require(&h, ACL_MDL_MEM_SIZET, "loading from memory", func);
    }
    if (err) goto done;
    if (h.load_type == ACL_MDL_LOAD_FROM_FILE_WITH_MEM || h.load_type == ACL_MDL_LOAD_FROM_MEM_WITH_MEM) {
        /* user-managed memory: each pointer comes with its size */
        if (HAS(&h, ACL_MDL_WORKSPACE_ADDR_PTR) != HAS(&h, ACL_MDL_WORKSPACE_SIZET) ||
            HAS(&h, ACL_MDL_WEIGHT_ADDR_PTR) != HAS(&h, ACL_MDL_WEIGHT_SIZET)) {
            err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "ACL_MDL_%s_ADDR_PTR and ACL_MDL_%s_SIZET go together",
                           HAS(&h, ACL_MDL_WORKSPACE_ADDR_PTR) != HAS(&h, ACL_MDL_WORKSPACE_SIZET) ? "WORKSPACE" :
                           "WEIGHT", HAS(&h, ACL_MDL_WORKSPACE_ADDR_PTR) != HAS(&h, ACL_MDL_WORKSPACE_SIZET) ?
                           "WORKSPACE" : "WEIGHT");
            goto done;
        }
    }
    if (HAS(&h, ACL_MDL_WEIGHT_PATH_PTR)) {
        /* an external weight directory: acllite's models carry their weights, so there is nothing to read there */
        emu_log(ACLLITE_EMU_LOG_INFO, "%s: ACL_MDL_WEIGHT_PATH_PTR is set: the model carries its weights", func);
    }
    switch (h.load_type) {
    case ACL_MDL_LOAD_FROM_FILE:
        err = emu_model_load_file(h.path, modelId, func);
        break;
    case ACL_MDL_LOAD_FROM_MEM:
        err = emu_model_load_mem(h.mem_addr, h.mem_size, modelId, func);
        break;
    case ACL_MDL_LOAD_FROM_FILE_WITH_MEM:
        err = emu_model_load_file_with_mem(h.path, modelId, h.work_addr, h.work_size, h.weight_addr, h.weight_size,
                                           func);
        break;
    case ACL_MDL_LOAD_FROM_MEM_WITH_MEM:
        err = emu_model_load_mem_with_mem(h.mem_addr, h.mem_size, modelId, h.work_addr, h.work_size, h.weight_addr,
                                          h.weight_size, func);
        break;
    default: /* the queue types */
        err = queues_unavailable(h.inputq_num, h.inputq, h.outputq_num, h.outputq, func);
        break;
    }
done:
    free(path);
    return err;
}

EMU_EXPORT aclError aclmdlLoadFromFileWithQ(const char *modelPath, uint32_t *modelId, const uint32_t *inputQ,
                                            size_t inputQNum, const uint32_t *outputQ, size_t outputQNum) {
    const char *func = "aclmdlLoadFromFileWithQ";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!modelPath) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "modelPath is NULL");
    if (!modelId) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "modelId is NULL");
    return queues_unavailable(inputQNum, inputQ, outputQNum, outputQ, func);
}

EMU_EXPORT aclError aclmdlLoadFromMemWithQ(const void *model, size_t modelSize, uint32_t *modelId,
                                           const uint32_t *inputQ, size_t inputQNum, const uint32_t *outputQ,
                                           size_t outputQNum) {
    const char *func = "aclmdlLoadFromMemWithQ";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!model || modelSize == 0) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s", model ? "modelSize is 0" : "model is NULL");
    }
    if (!modelId) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "modelId is NULL");
    return queues_unavailable(inputQNum, inputQ, outputQNum, outputQ, func);
}

/* ------------------------------------------------------------------------------- execution options */

EMU_EXPORT aclError aclmdlSetExecConfigOpt(aclmdlExecConfigHandle *handle, aclmdlExecConfigAttr attr,
                                           const void *attrValue, size_t valueSize) {
    const char *func = "aclmdlSetExecConfigOpt";
    static const char *const names[] = {"ACL_MDL_STREAM_SYNC_TIMEOUT", "ACL_MDL_EVENT_SYNC_TIMEOUT",
                                        "ACL_MDL_WORK_ADDR_PTR", "ACL_MDL_WORK_SIZET", "ACL_MDL_MPAIMID_SIZET",
                                        "ACL_MDL_AICQOS_SIZET", "ACL_MDL_AICOST_SIZET", "ACL_MDL_MEC_TIMETHR_SIZET"};
    if (!handle_live(handle, EMU_H_MODEL_EXEC_CONFIG, "handle", func)) return ACL_ERROR_INVALID_PARAM;
    if ((int)attr < 0 || (size_t)attr >= sizeof names / sizeof names[0]) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "attr %d is no aclmdlExecConfigAttr (0 to 7)", (int)attr);
    }
    const char *name = names[attr];
    if (!attrValue) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s: attrValue is NULL", name);
    size_t want = attr <= ACL_MDL_EVENT_SYNC_TIMEOUT ? sizeof(int32_t)
                  : attr == ACL_MDL_WORK_ADDR_PTR    ? sizeof(void *)
                                                     : sizeof(size_t);
    if (valueSize != want) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s: valueSize is %zu; the value takes %zu bytes", name,
                        valueSize, want);
    }
    if (attr == ACL_MDL_STREAM_SYNC_TIMEOUT || attr == ACL_MDL_EVENT_SYNC_TIMEOUT) {
        int32_t ms;
        memcpy(&ms, attrValue, sizeof ms);
        if (ms != -1 && ms <= 0) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s: %d ms: a timeout is -1 (wait forever) or positive",
                            name, ms);
        }
        emu_lock();
        bool live = emu_reg_has(handle, EMU_H_MODEL_EXEC_CONFIG);
        if (live && attr == ACL_MDL_STREAM_SYNC_TIMEOUT) handle->stream_timeout = ms;
        else if (live) handle->event_timeout = ms;
        if (live) handle->set |= (uint64_t)1 << attr;
        emu_unlock();
        if (!live) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "handle %p is not a live handle", (void *)handle);
    } else if (attr == ACL_MDL_WORK_ADDR_PTR || attr == ACL_MDL_WORK_SIZET) {
        /* documented as not supported by the current version */
        return emu_fail(ACL_ERROR_API_NOT_SUPPORT, func, "%s: per-execution work memory is not supported (as on "
                        "the device's current version); the model keeps the memory it was loaded with", name);
    } /* the others are reserved: accepted, without effect */
    return ACL_SUCCESS;
}

static aclError exec_config_check(const aclmdlExecConfigHandle *handle, const char *func) {
    if (!handle) return ACL_SUCCESS; /* defaults */
    return handle_live(handle, EMU_H_MODEL_EXEC_CONFIG, "handle", func) ? ACL_SUCCESS : ACL_ERROR_INVALID_PARAM;
}

EMU_EXPORT aclError aclmdlExecuteV2(uint32_t modelId, const aclmdlDataset *input, aclmdlDataset *output,
                                    aclrtStream stream, const aclmdlExecConfigHandle *handle) {
    const char *func = "aclmdlExecuteV2";
    aclError err = emu_require_init(func);
    if (err || (err = exec_config_check(handle, func))) return err;
    (void)stream; /* synchronous: the model runs on the calling thread, as aclmdlExecute */
    return emu_model_execute(modelId, input, output, func);
}

EMU_EXPORT aclError aclmdlExecuteAsyncV2(uint32_t modelId, const aclmdlDataset *input, aclmdlDataset *output,
                                         aclrtStream stream, const aclmdlExecConfigHandle *handle) {
    const char *func = "aclmdlExecuteAsyncV2";
    aclError err = emu_require_init(func);
    if (err || (err = exec_config_check(handle, func))) return err;
    return emu_model_execute_async(modelId, input, output, stream, func);
}

/* ------------------------------------------------------------------------- descriptions and sizes */

EMU_EXPORT aclError aclmdlGetDescFromFile(aclmdlDesc *modelDesc, const char *modelPath) {
    const char *func = "aclmdlGetDescFromFile";
    aclError err = emu_require_init(func);
    return err ? err : emu_model_describe_file(modelDesc, modelPath, func);
}

EMU_EXPORT aclError aclmdlGetDescFromMem(aclmdlDesc *modelDesc, const void *model, size_t modelSize) {
    const char *func = "aclmdlGetDescFromMem";
    aclError err = emu_require_init(func);
    return err ? err : emu_model_describe_mem(modelDesc, model, modelSize, func);
}

EMU_EXPORT aclError aclmdlQueryExeOMDesc(const char *fileName, aclmdlExeOMDesc *mdlPartitionSize) {
    const char *func = "aclmdlQueryExeOMDesc";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!mdlPartitionSize) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "mdlPartitionSize is NULL");
    size_t work = 0, weight = 0;
    if ((err = emu_model_query_file(fileName, &work, &weight, func))) return err;
    /* the model runs from its graph: no kernels, task descriptions or FIFOs to place */
    memset(mdlPartitionSize, 0, sizeof *mdlPartitionSize);
    mdlPartitionSize->workSize = work;
    mdlPartitionSize->weightSize = weight;
    return ACL_SUCCESS;
}

EMU_EXPORT const char *aclmdlGetTensorRealName(const aclmdlDesc *modelDesc, const char *name) {
    return emu_model_tensor_real_name(modelDesc, name, "aclmdlGetTensorRealName");
}
