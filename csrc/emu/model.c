/* Models: loading (through the registered engine), descriptions, execution (sync and on a stream), unloading.
 * The emulator does every check a device does; the engine only runs the graph on the buffers it is given. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model.h"

/* The largest model file read into memory: an ONNX model is one protobuf message, which cannot exceed 2 GiB. */
#define MAX_MODEL_FILE_BYTES ((size_t)INT32_MAX)

typedef struct emu_model {
    struct emu_model *next;
    uint32_t id;
    uint64_t engine_model;
    size_t n_in, n_out;
    emu_io *in, *out;
    acllite_emu_tensor_desc *cur_out; /* output shapes of the last execution */
    size_t weight_bytes, work_bytes;
    aclmdlBatch gears;  /* dynamic batch gears (ATC --dynamic_batch_size); batchCount 0: none */
    size_t dyn_index;   /* the input carrying the chosen batch (ACL_DYNAMIC_TENSOR_NAME) */
    emu_shape_gears *shape_gears; /* ATC --dynamic_image_size / --dynamic_dims; NULL: none */
    bool ranged;        /* inputs with shape ranges (ATC --input_shape_range): shapes set per execution */
    emu_aipp_plan aipp; /* dynamic AIPP (aipp.input SIZE_MAX: none) */
    void *aipp_scratch; /* the AIPP output of one execution at a time (aipp_busy), kept for the next: the engine
                           sees the same buffer each time and reuses its binding */
    bool aipp_busy;
    int inflight;
    bool unloading;
} emu_model;

struct aclmdlDesc {
    uint32_t model_id;
    size_t n_in, n_out;
    emu_io *in, *out;
    aclmdlBatch gears;
    emu_shape_gears *shape_gears;
};

static pthread_mutex_t model_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t model_cond = PTHREAD_COND_INITIALIZER;
static emu_model *models;
static uint32_t next_model_id = 1;
static acllite_emu_model_engine engine;
static bool have_engine;
/* The executions this thread is running, innermost first (an engine callback may execute another model). */
typedef struct exec_frame {
    const struct emu_model *model;
    const struct exec_frame *outer;
} exec_frame;
static _Thread_local const exec_frame *executing;

static bool executing_here(const struct emu_model *m) {
    for (const exec_frame *f = executing; f; f = f->outer)
        if (f->model == m) return true;
    return false;
}

EMU_EXPORT void acllite_emu_set_model_engine(const acllite_emu_model_engine *e) {
    pthread_mutex_lock(&model_lock);
    have_engine = e != NULL;
    if (e) engine = *e;
    pthread_mutex_unlock(&model_lock);
}

static bool engine_copy(acllite_emu_model_engine *out) {
    pthread_mutex_lock(&model_lock);
    bool ok = have_engine;
    if (ok) *out = engine;
    pthread_mutex_unlock(&model_lock);
    return ok;
}

/* ------------------------------------------------------------------------------------------ loading */

/* Every call into the engine runs Python (and its finalizers): marked as a callback (emu_callback_enter). */
static void engine_unload(const acllite_emu_model_engine *e, uint64_t handle) {
    emu_callback_frame frame;
    emu_callback_enter(&frame);
    e->unload(handle);
    emu_callback_leave(&frame);
}

static void io_free(emu_io *in, emu_io *out) {
    free(in);
    free(out);
}

/* "[d0, d1, ...]" of a tensor description, for messages. */
static const char *dims_text(const acllite_emu_tensor_desc *d, char *buf, size_t len) {
    size_t used = (size_t)snprintf(buf, len, "[");
    for (size_t k = 0; k < d->dimCount && used < len; k++) {
        used += (size_t)snprintf(buf + used, len - used, "%s%lld", k ? ", " : "", (long long)d->dims[k]);
    }
    if (used < len) snprintf(buf + used, len - used, "]");
    return buf;
}

/* The bytes of one tensor: its static dims x element size (per batch item when dim 0 is dynamic), or the size the
 * engine gives (AIPP inputs). A product that does not fit, or exceeds what GE can hold (int64), refuses the model:
 * wrapped around 2^64 it would describe a huge tensor as a small one, pass the buffer checks and be read far past
 * the buffer's end. */
static aclError tensor_bytes(const acllite_emu_tensor_desc *d, const char *role, size_t i, size_t elem,
                             uint64_t *bytes_out, uint64_t *span_out, size_t *rest_dynamic, const char *func) {
    char dims[800];
    bool zero = false;
    for (size_t k = 0; k < d->dimCount; k++) {
        if (d->dims[k] < -1) {
            return emu_fail(ACL_ERROR_PARSE_MODEL, func, "%s %zu '%s': dimension %zu of %s is %lld; only -1 (dynamic) "
                            "may be negative", role, i, d->name, k, dims_text(d, dims, sizeof dims),
                            (long long)d->dims[k]);
        }
        zero |= d->dims[k] == 0;
    }
    /* The product of the dims other than 0 must fit as well: a 0 dimension does not make [2^40, 2^40, 0] a
     * sensible shape (onnxruntime multiplies in order and fails on it too). */
    uint64_t bytes = elem;
    bool fits = true;
    *rest_dynamic = 0;
    for (size_t k = 0; k < d->dimCount; k++) {
        if (d->dims[k] < 0) (*rest_dynamic) += k > 0;
        else if (d->dims[k] > 0) fits &= emu_mul64(bytes, (uint64_t)d->dims[k], &bytes);
    }
    if (!fits || bytes > EMU_MAX_TENSOR_BYTES) {
        return emu_fail(ACL_ERROR_PARSE_MODEL, func, "%s %zu '%s': %s elements of %zu bytes are more than %llu bytes "
                        "(the size must fit in int64)", role, i, d->name, dims_text(d, dims, sizeof dims), elem,
                        (unsigned long long)EMU_MAX_TENSOR_BYTES);
    }
    *span_out = bytes;
    if (zero) bytes = 0; /* no elements */
    if (d->size) { /* the engine knows better (AIPP inputs) */
        if (d->size > EMU_MAX_TENSOR_BYTES) {
            return emu_fail(ACL_ERROR_PARSE_MODEL, func, "%s %zu '%s': a described size of %zu bytes is more than %llu",
                            role, i, d->name, d->size, (unsigned long long)EMU_MAX_TENSOR_BYTES);
        }
        bytes = d->size;
    }
    *bytes_out = bytes;
    return ACL_SUCCESS;
}

static aclError describe_all(const acllite_emu_model_engine *e, uint64_t handle, size_t n, int is_output,
                             bool shape_gears, emu_io **out, const char *func) {
    emu_io *io = calloc(n ? n : 1, sizeof *io);
    if (!io) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    const char *role = is_output ? "output" : "input";
    for (size_t i = 0; i < n; i++) {
        acllite_emu_tensor_desc *d = &io[i].desc;
        emu_callback_frame frame;
        emu_callback_enter(&frame);
        aclError err = e->describe(handle, is_output, i, d);
        emu_callback_leave(&frame);
        if (err) {
            free(io);
            return emu_fail(err, func, "the engine cannot describe %s %zu", role, i);
        }
        d->name[sizeof d->name - 1] = '\0';
        size_t elem = aclDataTypeSize(d->dataType);
        uint64_t bytes = 0, span = 0;
        size_t rest_dynamic = 0;
        if (elem == 0 || d->dimCount > ACLLITE_EMU_MAX_DIMS) {
            err = emu_fail(elem == 0 ? ACL_ERROR_UNSUPPORTED_DATA_TYPE : ACL_ERROR_PARSE_MODEL, func,
                           "%s %zu '%s': %s", role, i, d->name,
                           elem == 0 ? "its data type has no fixed element size" : "too many dimensions");
        } else if (!(err = tensor_bytes(d, role, i, elem, &bytes, &span, &rest_dynamic, func)) && !is_output &&
                   rest_dynamic && !shape_gears && !d->rangeCount) {
            err = emu_fail(ACL_ERROR_PARSE_MODEL, func,
                           "input %zu '%s' has dynamic dimensions other than the batch (dim 0); the emulator runs "
                           "static shapes and a symbolic batch", i, d->name);
        }
        if (err) {
            free(io); /* after the message: d points into io */
            return err;
        }
        io[i].batch_dynamic = d->dimCount > 0 && d->dims[0] < 0 && !rest_dynamic;
        io[i].size = rest_dynamic ? 0 : (size_t)bytes;
        io[i].sample_bytes = io[i].batch_dynamic ? (size_t)bytes : 0;
        io[i].span_bytes = (size_t)span;
        if (!is_output && d->rangeCount && (err = emu_ranges_describe(&io[i], i, func))) {
            free(io);
            return err;
        }
        if (is_output) d->rangeCount = d->dimCountV2 = 0;
        if (d->dimCountV2 > ACLLITE_EMU_MAX_DIMS) d->dimCountV2 = 0;
    }
    *out = io;
    return ACL_SUCCESS;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Parse with the engine; on success *handle is an engine model (describeOnly: for sizes only). */
static void model_free(struct emu_model *m, const acllite_emu_model_engine *e);

static aclError engine_load(const void *data, size_t size, int describe_only, acllite_emu_model_engine *e,
                            uint64_t *handle, size_t *n_in, size_t *n_out, size_t *weights, const char *func) {
    if (!engine_copy(e)) {
        return emu_fail(ACL_ERROR_API_NOT_SUPPORT, func,
                        "no model engine is registered: the emulator runs models through acllite's onnxruntime "
                        "engine (import acllite before loading)");
    }
    char message[512] = "";
    emu_callback_frame frame;
    emu_callback_enter(&frame);
    aclError err = e->load(data, size, describe_only, handle, n_in, n_out, weights, message, sizeof message);
    emu_callback_leave(&frame);
    if (err) return emu_fail(err, func, "%s", message[0] ? message : "the engine rejected the model");
    return ACL_SUCCESS;
}

/* Register a model the engine has loaded: describe it, give it an id. */
static aclError register_model(acllite_emu_model_engine *e, uint64_t handle, size_t n_in, size_t n_out,
                               size_t weights, uint32_t *model_id, const char *func);

/* The model bytes [data, data + size) the engine will copy: at most what an ONNX model can be, and a range that is
 * inside one allocation when it is emulated memory (never past it, never wrapping the address space). */
static aclError check_model_bytes(const void *data, size_t size, const char *func) {
    if (size > MAX_MODEL_FILE_BYTES) {
        return emu_fail(ACL_ERROR_MODEL_SIZE_INVALID, func, "modelSize %zu is more than the %zu bytes an ONNX model "
                        "(one protobuf message) can have", size, MAX_MODEL_FILE_BYTES);
    }
    emu_mem_where w;
    return emu_mem_locate(data, size, &w, func, "model");
}

static aclError load_mem(const void *data, size_t size, uint32_t *model_id, const char *func) {
    if (!data || size == 0) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s", data ? "modelSize is 0" : "model is NULL");
    if (!model_id) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "modelId is NULL");
    aclError err = check_model_bytes(data, size, func);
    if (err) return err;
    acllite_emu_model_engine e;
    uint64_t handle = 0;
    size_t n_in = 0, n_out = 0, weights = 0;
    if ((err = engine_load(data, size, 0, &e, &handle, &n_in, &n_out, &weights, func))) return err;
    return register_model(&e, handle, n_in, n_out, weights, model_id, func);
}

/* The gears (ATC --dynamic_batch_size) must be distinct batches of 1 .. INT64_MAX on an existing input; buffers are
 * then sized for the largest gear, as on a device, and that size must fit too. */
static aclError check_gears(emu_model *m, const char *func) {
    const aclmdlBatch *g = &m->gears;
    if (!g->batchCount) return ACL_SUCCESS;
    if (g->batchCount > ACL_MAX_BATCH_NUM || m->dyn_index >= m->n_in) {
        return emu_fail(ACL_ERROR_PARSE_MODEL, func, "the model's dynamic batch description is inconsistent (%zu gears, "
                        "batch input %zu of %zu)", g->batchCount, m->dyn_index, m->n_in);
    }
    uint64_t max_gear = 0;
    for (size_t i = 0; i < g->batchCount; i++) {
        uint64_t b = g->batch[i];
        if (b == 0 || b > (uint64_t)INT64_MAX) {
            return emu_fail(ACL_ERROR_PARSE_MODEL, func, "dynamic batch gear %zu is %llu: a batch is 1 to %lld", i,
                            (unsigned long long)b, (long long)INT64_MAX);
        }
        for (size_t k = 0; k < i; k++) {
            if (g->batch[k] == b) {
                return emu_fail(ACL_ERROR_PARSE_MODEL, func, "dynamic batch gear %llu is listed twice",
                                (unsigned long long)b);
            }
        }
        max_gear = b > max_gear ? b : max_gear;
    }
    for (size_t i = 0; i < m->n_in + m->n_out; i++) {
        bool is_out = i >= m->n_in;
        emu_io *io = is_out ? &m->out[i - m->n_in] : &m->in[i];
        if (!io->batch_dynamic) continue;
        uint64_t size, span;
        if (!emu_mul64(io->sample_bytes, max_gear, &size) || size > EMU_MAX_TENSOR_BYTES ||
            !emu_mul64(io->span_bytes, max_gear, &span) || span > EMU_MAX_TENSOR_BYTES) {
            return emu_fail(ACL_ERROR_PARSE_MODEL, func, "%s %zu '%s': %zu bytes per batch item x the largest gear "
                            "%llu are more than %llu bytes", is_out ? "output" : "input", is_out ? i - m->n_in : i,
                            io->desc.name, io->span_bytes, (unsigned long long)max_gear,
                            (unsigned long long)EMU_MAX_TENSOR_BYTES);
        }
        io->size = (size_t)size;
    }
    return ACL_SUCCESS;
}

/* The input whose AIPP the emulator applies, if any (the engine describes one at most). */
static aclError describe_aipp(const acllite_emu_model_engine *e, uint64_t handle, emu_model *m, const char *func) {
    m->aipp.input = SIZE_MAX;
    for (size_t i = 0; e->aippInput && i < m->n_in; i++) {
        emu_aipp_plan plan;
        memset(&plan, 0, sizeof plan);
        emu_callback_frame frame;
        emu_callback_enter(&frame);
        aclError err = e->aippInput(handle, i, &plan.info);
        if (!err && plan.info.kind == ACLLITE_EMU_AIPP_STATIC_GEARED) {
            err = e->aippInfo ? e->aippInfo(handle, i, &plan.fixed) : ACL_ERROR_GE_AIPP_NOT_EXIST;
            if (err == ACL_ERROR_GE_AIPP_NOT_EXIST) err = ACL_ERROR_PARSE_MODEL; /* a configuration is needed */
        }
        emu_callback_leave(&frame);
        if (err == ACL_ERROR_GE_AIPP_NOT_EXIST) continue;
        if (err) return emu_fail(err, func, "the engine cannot describe input %zu's AIPP", i);
        if (m->aipp.input != SIZE_MAX) {
            return emu_fail(ACL_ERROR_PARSE_MODEL, func, "AIPP the emulator applies on inputs %zu and %zu: it runs one",
                            m->aipp.input, i);
        }
        if ((err = emu_aipp_plan_check(&plan, i, m->in, m->n_in, func))) return err;
        m->aipp = plan;
    }
    return ACL_SUCCESS;
}

/* Describe an engine model into m (n_in and n_out set): inputs, outputs, gears and the work size, every size
 * checked. On failure nothing is left allocated in m. */
static aclError describe_model(const acllite_emu_model_engine *e, uint64_t handle, emu_model *m, const char *func) {
    aclError err;
    int32_t gear_kind = ACLLITE_EMU_GEARS_NONE;
    if ((err = emu_gears_kind(e, handle, &gear_kind, func))) return err;
    bool shaped = gear_kind != ACLLITE_EMU_GEARS_NONE;
    if ((err = describe_all(e, handle, m->n_in, 0, shaped, &m->in, func))) return err;
    if ((err = describe_all(e, handle, m->n_out, 1, shaped, &m->out, func))) {
        free(m->in);
        m->in = NULL;
        return err;
    }
    if (e->dynamicBatch) {
        emu_callback_frame frame;
        emu_callback_enter(&frame);
        err = e->dynamicBatch(handle, &m->gears, &m->dyn_index);
        emu_callback_leave(&frame);
        if (err) err = emu_fail(err, func, "the engine cannot describe the model's dynamic batch");
    }
    if (!err) err = check_gears(m, func);
    if (!err) err = describe_aipp(e, handle, m, func);
    for (size_t i = 0; !err && i < m->n_in; i++) m->ranged |= m->in[i].desc.rangeCount > 0;
    for (size_t i = 0; !err && m->ranged && i < m->n_out; i++) {
        if (m->out[i].batch_dynamic) { /* no batch: the size is known after the run */
            m->out[i].batch_dynamic = false;
            m->out[i].sample_bytes = m->out[i].size = 0;
        }
    }
    bool dynamic_aipp = m->aipp.input != SIZE_MAX && m->aipp.info.kind == ACLLITE_EMU_AIPP_DYNAMIC;
    bool geared_aipp = m->aipp.input != SIZE_MAX && m->aipp.info.kind == ACLLITE_EMU_AIPP_STATIC_GEARED;
    if (!err && dynamic_aipp && (shaped || m->ranged)) {
        err = emu_fail(ACL_ERROR_PARSE_MODEL, func, "dynamic AIPP with shape gears or shape ranges is not emulated");
    }
    if (!err && geared_aipp && gear_kind != ACLLITE_EMU_GEARS_IMAGE_SIZE) {
        err = emu_fail(ACL_ERROR_PARSE_MODEL, func, "input %zu: AIPP at the gear's size needs image size gears",
                       m->aipp.input);
    }
    if (!err && shaped && m->ranged) {
        err = emu_fail(ACL_ERROR_PARSE_MODEL, func, "the model has shape gears and shape ranges; ATC makes one kind only");
    }
    if (!err && (m->ranged && m->gears.batchCount)) {
        err = emu_fail(ACL_ERROR_PARSE_MODEL, func, "the model has batch gears and shape ranges; ATC makes one kind only");
    }
    if (!err && shaped) {
        err = emu_gears_describe(e, handle, m->in, m->n_in, m->out, m->n_out, m->gears.batchCount, &m->shape_gears,
                                 func);
    }
    if (!err && geared_aipp) err = emu_aipp_gear_sizes(&m->aipp, m->shape_gears, &m->in[m->aipp.input], func);
    for (size_t i = 0; !err && i < m->n_in + m->n_out; i++) {
        const emu_io *io = i < m->n_in ? &m->in[i] : &m->out[i - m->n_in];
        if (!emu_add(m->work_bytes, io->size, &m->work_bytes) || m->work_bytes > EMU_MAX_TENSOR_BYTES) {
            err = emu_fail(ACL_ERROR_PARSE_MODEL, func, "the model's inputs and outputs together are more than %llu "
                           "bytes", (unsigned long long)EMU_MAX_TENSOR_BYTES);
        }
    }
    if (err) {
        io_free(m->in, m->out);
        emu_gears_free(m->shape_gears);
        m->in = m->out = NULL;
        m->shape_gears = NULL;
    }
    return err;
}

static aclError register_model(acllite_emu_model_engine *e_in, uint64_t handle, size_t n_in, size_t n_out,
                               size_t weights, uint32_t *model_id, const char *func) {
    acllite_emu_model_engine e = *e_in;
    aclError err;
    emu_model *m = calloc(1, sizeof *m);
    if (!m) {
        engine_unload(&e, handle);
        return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    m->engine_model = handle;
    m->n_in = n_in;
    m->n_out = n_out;
    m->weight_bytes = weights;
    if ((err = describe_model(&e, handle, m, func))) {
        free(m);
        engine_unload(&e, handle);
        return err;
    }
    m->cur_out = calloc(n_out ? n_out : 1, sizeof *m->cur_out);
    if (!m->cur_out) {
        model_free(m, &e);
        return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    for (size_t i = 0; i < n_out; i++) m->cur_out[i] = m->out[i].desc;
    pthread_mutex_lock(&model_lock);
    m->id = next_model_id++;
    if (next_model_id == 0) next_model_id = 1; /* ids are never 0 (programs test them for truth) */
    m->next = models;
    models = m;
    pthread_mutex_unlock(&model_lock);
    *model_id = m->id;
    return ACL_SUCCESS;
}

/* Read a whole model file into memory: a regular file, 1 to MAX_MODEL_FILE_BYTES bytes (files.c). */
static aclError read_regular_file(const char *path, void **data, size_t *size, const char *func) {
    aclError err = emu_read_file(path, MAX_MODEL_FILE_BYTES, data, size, func, "model file");
    if (!err && *size == 0) {
        free(*data);
        err = emu_fail(ACL_ERROR_INVALID_FILE_SIZE, func, "model file %s is empty", path);
    }
    return err;
}

/* Read a model file. An existing X.om is read itself (the engine describes it from its ModelDef: one written by
 * acllite atc carries its ONNX model); a missing X.om is served by X.onnx (what acllite atc wrote before). */
static aclError read_model_file(const char *path, void **data, size_t *size, const char *func) {
    if (!path) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "modelPath is NULL");
    char twin[4096];
    const char *use = path;
    struct stat st;
    if (ends_with(path, ".om") && stat(path, &st) != 0) {
        size_t stem = strlen(path) - 3;
        if (stem + sizeof ".onnx" > sizeof twin) {
            return emu_fail(ACL_ERROR_INVALID_FILE, func, "model path of %zu bytes is too long (at most %zu)",
                            strlen(path), sizeof twin - sizeof ".onnx" + 3);
        }
        snprintf(twin, sizeof twin, "%.*s.onnx", (int)stem, path);
        if (stat(twin, &st) != 0) {
            return emu_fail(ACL_ERROR_INVALID_FILE, func,
                            "cannot open model file %s: it does not exist (nor %s, which would serve it)", path, twin);
        }
        emu_log(ACLLITE_EMU_LOG_INFO, "%s: no %s: running its ONNX twin %s", func, path, twin);
        use = twin;
    }
    return read_regular_file(use, data, size, func);
}

static aclError require_context(const char *func) {
    aclError err = emu_require_init(func);
    if (err) return err;
    emu_lock();
    emu_current_context_locked(func, &err);
    emu_unlock();
    return err;
}

EMU_EXPORT aclError aclmdlLoadFromMem(const void *model, size_t modelSize, uint32_t *modelId) {
    aclError err = require_context("aclmdlLoadFromMem");
    return err ? err : load_mem(model, modelSize, modelId, "aclmdlLoadFromMem");
}

/* Load an offline model file through the engine's loadOm (described by the file, run by the ONNX model it carries
 * or by its twin). */
static aclError engine_load_om(acllite_emu_model_engine *e, const char *path, uint64_t *handle, size_t *n_in,
                               size_t *n_out, size_t *weights, const char *func) {
    char message[512] = "";
    emu_callback_frame frame;
    emu_callback_enter(&frame);
    aclError err = e->loadOm(path, handle, n_in, n_out, weights, message, sizeof message);
    emu_callback_leave(&frame);
    if (err) return emu_fail(err, func, "%s", message[0] ? message : "the engine rejected the offline model");
    return ACL_SUCCESS;
}

static aclError load_file(const char *path, uint32_t *modelId, const char *func) {
    aclError err = require_context(func);
    if (err) return err;
    if (!modelId) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "modelId is NULL");
    acllite_emu_model_engine e;
    struct stat st;
    /* no .om file (acllite atc writes only the ONNX twin): the twin alone serves it */
    bool om = path && ends_with(path, ".om") && stat(path, &st) == 0;
    if (om && !S_ISREG(st.st_mode)) {
        return emu_fail(ACL_ERROR_INVALID_FILE, func, "model file %s is %s, not a regular file", path,
                        emu_file_kind(st.st_mode));
    }
    if (om && engine_copy(&e) && e.loadOm) {
        uint64_t handle = 0;
        size_t n_in = 0, n_out = 0, weights = 0;
        if ((err = engine_load_om(&e, path, &handle, &n_in, &n_out, &weights, func))) return err;
        return register_model(&e, handle, n_in, n_out, weights, modelId, func);
    }
    void *data;
    size_t size;
    if ((err = read_model_file(path, &data, &size, func))) return err;
    err = load_mem(data, size, modelId, func);
    free(data);
    return err;
}

EMU_EXPORT aclError aclmdlLoadFromFile(const char *modelPath, uint32_t *modelId) {
    return load_file(modelPath, modelId, "aclmdlLoadFromFile");
}

static aclError query_mem(const void *data, size_t size, size_t *work, size_t *weight, const char *func) {
    if (!work || !weight) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", work ? "weightSize" : "workSize");
    if (!data || size == 0) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the model is empty");
    aclError err = check_model_bytes(data, size, func);
    if (err) return err;
    acllite_emu_model_engine e;
    uint64_t handle = 0;
    emu_model m = {0};
    err = engine_load(data, size, 1, &e, &handle, &m.n_in, &m.n_out, &m.weight_bytes, func);
    if (err) return err;
    if (!(err = describe_model(&e, handle, &m, func))) {
        *work = m.work_bytes; /* buffers for the largest gear, as a loaded model's */
        *weight = m.weight_bytes;
        io_free(m.in, m.out);
        emu_gears_free(m.shape_gears);
    }
    engine_unload(&e, handle);
    return err;
}

EMU_EXPORT aclError aclmdlQuerySizeFromMem(const void *model, size_t modelSize, size_t *workSize, size_t *weightSize) {
    aclError err = emu_require_init("aclmdlQuerySizeFromMem");
    return err ? err : query_mem(model, modelSize, workSize, weightSize, "aclmdlQuerySizeFromMem");
}

/* aclmdlQuerySize of a file: an existing .om described from its file (as aclmdlLoadFromFile does), else the bytes
 * read_model_file gives. */
static aclError query_file(const char *fileName, size_t *workSize, size_t *weightSize, const char *func) {
    aclError err;
    if (!workSize || !weightSize) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", workSize ? "weightSize" : "workSize");
    }
    acllite_emu_model_engine e;
    struct stat st;
    if (fileName && ends_with(fileName, ".om") && stat(fileName, &st) == 0 && S_ISREG(st.st_mode) &&
        engine_copy(&e) && e.loadOm) { /* an offline model: described from its file, as aclmdlLoadFromFile does */
        uint64_t handle = 0;
        emu_model m = {0};
        if ((err = engine_load_om(&e, fileName, &handle, &m.n_in, &m.n_out, &m.weight_bytes, func))) return err;
        if (!(err = describe_model(&e, handle, &m, func))) {
            *workSize = m.work_bytes;
            *weightSize = m.weight_bytes;
            io_free(m.in, m.out);
        }
        engine_unload(&e, handle);
        return err;
    }
    void *data;
    size_t size;
    if ((err = read_model_file(fileName, &data, &size, func))) return err;
    err = query_mem(data, size, workSize, weightSize, func);
    free(data);
    return err;
}

EMU_EXPORT aclError aclmdlQuerySize(const char *fileName, size_t *workSize, size_t *weightSize) {
    aclError err = emu_require_init("aclmdlQuerySize");
    return err ? err : query_file(fileName, workSize, weightSize, "aclmdlQuerySize");
}

/* User-provided work and weight memory must be device memory of at least the queried sizes. */
static aclError check_user_memory(size_t need, void *ptr, size_t ptr_size, bool weights, const char *func) {
    if (!ptr && ptr_size == 0) return ACL_SUCCESS;
    const char *what = weights ? "weightPtr" : "workPtr";
    if (!ptr) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL but its size is %zu", what, ptr_size);
    aclError err;
    if (ptr_size < need) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s holds %zu bytes; the model needs %zu (aclmdlQuerySize)",
                        what, ptr_size, need);
    }
    emu_mem_where w;
    if ((err = emu_mem_locate(ptr, ptr_size, &w, func, what))) return err;
    if (w.kind != EMU_MEM_DEVICE) {
        return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, "%s %p is %s; it must be device memory (aclrtMalloc)", what,
                        ptr, emu_mem_kind_name(w.kind));
    }
    return ACL_SUCCESS;
}

static aclError load_mem_with_mem(const void *data, size_t size, uint32_t *modelId, void *workPtr, size_t workSize,
                                  void *weightPtr, size_t weightSize, const char *func) {
    aclError err;
    if (!data || size == 0) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the model is empty");
    size_t work = 0, weight = 0;
    if ((err = check_model_bytes(data, size, func))) return err;
    if ((workPtr || workSize || weightPtr || weightSize) && (err = query_mem(data, size, &work, &weight, func)))
        return err;
    if ((err = check_user_memory(work, workPtr, workSize, false, func)) ||
        (err = check_user_memory(weight, weightPtr, weightSize, true, func))) {
        return err;
    }
    return load_mem(data, size, modelId, func); /* the engine keeps its own working memory */
}

EMU_EXPORT aclError aclmdlLoadFromMemWithMem(const void *model, size_t modelSize, uint32_t *modelId, void *workPtr,
                                             size_t workSize, void *weightPtr, size_t weightSize) {
    const char *func = "aclmdlLoadFromMemWithMem";
    aclError err = require_context(func);
    return err ? err : load_mem_with_mem(model, modelSize, modelId, workPtr, workSize, weightPtr, weightSize, func);
}

EMU_EXPORT aclError aclmdlLoadFromFileWithMem(const char *modelPath, uint32_t *modelId, void *workPtr, size_t workSize,
                                              void *weightPtr, size_t weightSize) {
    /* loaded from its path, as aclmdlLoadFromFile (an .om finds its ONNX twin there), after the sizes are checked */
    return emu_model_load_file_with_mem(modelPath, modelId, workPtr, workSize, weightPtr, weightSize,
                                        "aclmdlLoadFromFileWithMem");
}

/* Find a model and count one more user of it, or fail with ACL_ERROR_INVALID_MODEL_ID. */
static emu_model *model_acquire(uint32_t id, const char *func) {
    pthread_mutex_lock(&model_lock);
    emu_model *m = models;
    while (m && m->id != id) m = m->next;
    if (m && !m->unloading) m->inflight++;
    else m = NULL;
    pthread_mutex_unlock(&model_lock);
    if (!m) emu_fail(ACL_ERROR_INVALID_MODEL_ID, func, "model id %u is not loaded (unloaded already?)", id);
    return m;
}

static void model_release(emu_model *m) {
    pthread_mutex_lock(&model_lock);
    m->inflight--;
    pthread_cond_broadcast(&model_cond);
    pthread_mutex_unlock(&model_lock);
}

static void model_free(emu_model *m, const acllite_emu_model_engine *e) {
    if (e) engine_unload(e, m->engine_model);
    free(m->aipp_scratch);
    io_free(m->in, m->out);
    emu_gears_free(m->shape_gears);
    free(m->cur_out);
    free(m);
}

EMU_EXPORT aclError aclmdlUnload(uint32_t modelId) {
    const char *func = "aclmdlUnload";
    aclError err = emu_require_init(func);
    if (err) return err;
    pthread_mutex_lock(&model_lock);
    emu_model **pp = &models;
    while (*pp && (*pp)->id != modelId) pp = &(*pp)->next;
    emu_model *m = *pp;
    if (!m || m->unloading) {
        pthread_mutex_unlock(&model_lock);
        return emu_fail(ACL_ERROR_INVALID_MODEL_ID, func, "model id %u is not loaded (unloaded already?)", modelId);
    }
    if (executing_here(m)) {
        pthread_mutex_unlock(&model_lock);
        return emu_fail(ACL_ERROR_RT_MODEL_RUNNING, func, "model %u is executing on the calling thread (this is a "
                        "callback of its execution): unload it after the execution has returned", modelId);
    }
    m->unloading = true; /* new executions are refused; the ones in flight finish first */
    while (m->inflight > 0) pthread_cond_wait(&model_cond, &model_lock);
    pp = &models;
    while (*pp != m) pp = &(*pp)->next;
    *pp = m->next;
    acllite_emu_model_engine e = engine;
    bool has = have_engine;
    pthread_mutex_unlock(&model_lock);
    model_free(m, has ? &e : NULL);
    return ACL_SUCCESS;
}

uint64_t emu_model_count(void) {
    uint64_t n = 0;
    pthread_mutex_lock(&model_lock);
    for (emu_model *m = models; m; m = m->next) n++;
    pthread_mutex_unlock(&model_lock);
    return n;
}

/* ------------------------------------------------------------------------------------- descriptions */

EMU_EXPORT aclmdlDesc *aclmdlCreateDesc(void) {
    aclmdlDesc *d = calloc(1, sizeof *d);
    if (!d) {
        emu_fail(ACL_ERROR_BAD_ALLOC, "aclmdlCreateDesc", "out of host memory");
        return NULL;
    }
    emu_lock();
    bool ok = emu_reg_add(d, EMU_H_MODEL_DESC, -1);
    emu_unlock();
    if (!ok) {
        free(d);
        emu_fail(ACL_ERROR_BAD_ALLOC, "aclmdlCreateDesc", "out of host memory");
        return NULL;
    }
    return d;
}

static void desc_free(aclmdlDesc *d) {
    io_free(d->in, d->out);
    emu_gears_free(d->shape_gears);
    free(d);
}

static void desc_release(void *d) { desc_free(d); }

EMU_EXPORT aclError aclmdlDestroyDesc(aclmdlDesc *modelDesc) {
    if (!modelDesc) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclmdlDestroyDesc", "modelDesc is NULL");
    emu_lock();
    bool ok = emu_reg_remove(modelDesc, EMU_H_MODEL_DESC);
    emu_unlock();
    if (!ok) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, "aclmdlDestroyDesc",
                        "modelDesc %p is not a live description (destroyed already?)", (void *)modelDesc);
    }
    desc_free(modelDesc);
    return ACL_SUCCESS;
}

static bool desc_live(const aclmdlDesc *d, const char *func) {
    if (!d) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "modelDesc is NULL");
        return false;
    }
    emu_lock();
    bool ok = emu_reg_has(d, EMU_H_MODEL_DESC);
    emu_unlock();
    if (!ok) emu_fail(ACL_ERROR_INVALID_PARAM, func, "modelDesc %p is not a live description", (const void *)d);
    return ok;
}

EMU_EXPORT aclError aclmdlGetDesc(aclmdlDesc *modelDesc, uint32_t modelId) {
    const char *func = "aclmdlGetDesc";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!desc_live(modelDesc, func)) return ACL_ERROR_INVALID_PARAM;
    emu_model *m = model_acquire(modelId, func);
    if (!m) return ACL_ERROR_INVALID_MODEL_ID;
    emu_io *in = calloc(m->n_in ? m->n_in : 1, sizeof *in), *out = calloc(m->n_out ? m->n_out : 1, sizeof *out);
    emu_shape_gears *shape_gears = m->shape_gears ? emu_gears_copy(m->shape_gears) : NULL;
    if (!in || !out || (m->shape_gears && !shape_gears)) {
        io_free(in, out);
        emu_gears_free(shape_gears);
        model_release(m);
        return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    memcpy(in, m->in, m->n_in * sizeof *in);
    memcpy(out, m->out, m->n_out * sizeof *out);
    io_free(modelDesc->in, modelDesc->out);
    emu_gears_free(modelDesc->shape_gears);
    modelDesc->shape_gears = shape_gears;
    modelDesc->model_id = modelId;
    modelDesc->n_in = m->n_in;
    modelDesc->n_out = m->n_out;
    modelDesc->in = in;
    modelDesc->out = out;
    modelDesc->gears = m->gears;
    model_release(m);
    return ACL_SUCCESS;
}

/* The description's entry for (output?, index), or NULL with the message set. */
static const emu_io *desc_io(const aclmdlDesc *d, bool output, size_t index, const char *func) {
    if (!desc_live(d, func)) return NULL;
    size_t n = output ? d->n_out : d->n_in;
    if (index >= n) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "index %zu out of range: the model has %zu %s", index, n,
                 output ? "output(s)" : "input(s)");
        return NULL;
    }
    return output ? &d->out[index] : &d->in[index];
}

EMU_EXPORT size_t aclmdlGetNumInputs(aclmdlDesc *modelDesc) {
    return desc_live(modelDesc, "aclmdlGetNumInputs") ? modelDesc->n_in : 0;
}

EMU_EXPORT size_t aclmdlGetNumOutputs(aclmdlDesc *modelDesc) {
    return desc_live(modelDesc, "aclmdlGetNumOutputs") ? modelDesc->n_out : 0;
}

EMU_EXPORT size_t aclmdlGetInputSizeByIndex(aclmdlDesc *modelDesc, size_t index) {
    const emu_io *io = desc_io(modelDesc, false, index, "aclmdlGetInputSizeByIndex");
    return io ? io->size : 0;
}

EMU_EXPORT size_t aclmdlGetOutputSizeByIndex(aclmdlDesc *modelDesc, size_t index) {
    const emu_io *io = desc_io(modelDesc, true, index, "aclmdlGetOutputSizeByIndex");
    return io ? io->size : 0;
}

static aclError fill_dims(const acllite_emu_tensor_desc *t, aclmdlIODims *dims, const char *func) {
    if (!dims) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dims is NULL");
    memset(dims, 0, sizeof *dims);
    snprintf(dims->name, sizeof dims->name, "%s", t->name);
    dims->dimCount = t->dimCount;
    for (size_t k = 0; k < t->dimCount; k++) dims->dims[k] = t->dims[k];
    return ACL_SUCCESS;
}

static aclError get_dims(const aclmdlDesc *d, bool output, size_t index, aclmdlIODims *dims, const char *func) {
    const emu_io *io = desc_io(d, output, index, func);
    return io ? fill_dims(&io->desc, dims, func) : ACL_ERROR_INVALID_PARAM;
}

EMU_EXPORT aclError aclmdlGetInputDims(const aclmdlDesc *modelDesc, size_t index, aclmdlIODims *dims) {
    return get_dims(modelDesc, false, index, dims, "aclmdlGetInputDims");
}

/* As aclmdlGetInputDims, but an input behind static AIPP has the model's dims after AIPP (the OM's input_dims). */
EMU_EXPORT aclError aclmdlGetInputDimsV2(const aclmdlDesc *modelDesc, size_t index, aclmdlIODims *dims) {
    const char *func = "aclmdlGetInputDimsV2";
    const emu_io *io = desc_io(modelDesc, false, index, func);
    if (!io) return ACL_ERROR_INVALID_PARAM;
    acllite_emu_tensor_desc t = io->desc;
    if (t.dimCountV2 && t.dimCountV2 <= ACLLITE_EMU_MAX_DIMS) {
        t.dimCount = t.dimCountV2;
        memcpy(t.dims, t.dimsV2, sizeof t.dims);
    }
    return fill_dims(&t, dims, func);
}

EMU_EXPORT aclError aclmdlGetOutputDims(const aclmdlDesc *modelDesc, size_t index, aclmdlIODims *dims) {
    return get_dims(modelDesc, true, index, dims, "aclmdlGetOutputDims");
}

EMU_EXPORT aclError aclmdlGetCurOutputDims(const aclmdlDesc *modelDesc, size_t index, aclmdlIODims *dims) {
    const char *func = "aclmdlGetCurOutputDims";
    const emu_io *io = desc_io(modelDesc, true, index, func);
    if (!io) return ACL_ERROR_INVALID_PARAM;
    acllite_emu_tensor_desc cur = io->desc;
    pthread_mutex_lock(&model_lock);
    for (emu_model *m = models; m; m = m->next) {
        if (m->id == modelDesc->model_id && index < m->n_out) cur = m->cur_out[index];
    }
    pthread_mutex_unlock(&model_lock);
    return fill_dims(&cur, dims, func);
}

EMU_EXPORT const char *aclmdlGetInputNameByIndex(const aclmdlDesc *modelDesc, size_t index) {
    const emu_io *io = desc_io(modelDesc, false, index, "aclmdlGetInputNameByIndex");
    return io ? io->desc.name : NULL;
}

EMU_EXPORT const char *aclmdlGetOutputNameByIndex(const aclmdlDesc *modelDesc, size_t index) {
    const emu_io *io = desc_io(modelDesc, true, index, "aclmdlGetOutputNameByIndex");
    return io ? io->desc.name : NULL;
}

EMU_EXPORT aclFormat aclmdlGetInputFormat(const aclmdlDesc *modelDesc, size_t index) {
    const emu_io *io = desc_io(modelDesc, false, index, "aclmdlGetInputFormat");
    return io ? io->desc.format : ACL_FORMAT_UNDEFINED;
}

EMU_EXPORT aclFormat aclmdlGetOutputFormat(const aclmdlDesc *modelDesc, size_t index) {
    const emu_io *io = desc_io(modelDesc, true, index, "aclmdlGetOutputFormat");
    return io ? io->desc.format : ACL_FORMAT_UNDEFINED;
}

EMU_EXPORT aclDataType aclmdlGetInputDataType(const aclmdlDesc *modelDesc, size_t index) {
    const emu_io *io = desc_io(modelDesc, false, index, "aclmdlGetInputDataType");
    return io ? io->desc.dataType : ACL_DT_UNDEFINED;
}

EMU_EXPORT aclDataType aclmdlGetOutputDataType(const aclmdlDesc *modelDesc, size_t index) {
    const emu_io *io = desc_io(modelDesc, true, index, "aclmdlGetOutputDataType");
    return io ? io->desc.dataType : ACL_DT_UNDEFINED;
}

static aclError index_by_name(const aclmdlDesc *d, bool output, const char *name, size_t *index, const char *func) {
    if (!name || !index) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", name ? "index" : "name");
    if (!desc_live(d, func)) return ACL_ERROR_INVALID_PARAM;
    size_t n = output ? d->n_out : d->n_in;
    const emu_io *io = output ? d->out : d->in;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(io[i].desc.name, name) == 0) {
            *index = i;
            return ACL_SUCCESS;
        }
    }
    return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the model has no %s named '%s'", output ? "output" : "input", name);
}

EMU_EXPORT aclError aclmdlGetInputIndexByName(const aclmdlDesc *modelDesc, const char *name, size_t *index) {
    return index_by_name(modelDesc, false, name, index, "aclmdlGetInputIndexByName");
}

EMU_EXPORT aclError aclmdlGetOutputIndexByName(const aclmdlDesc *modelDesc, const char *name, size_t *index) {
    return index_by_name(modelDesc, true, name, index, "aclmdlGetOutputIndexByName");
}

/* ------------------------------------------------------------------------------------------ execution */

/* Check the buffers against the model and give each input tensor the shape to run at. */
static aclError prepare(const emu_model *m, acllite_emu_tensor *in, size_t n_in, acllite_emu_tensor *out,
                        size_t n_out, const char *func) {
    if (n_in != m->n_in) {
        return emu_fail(ACL_ERROR_MODEL_INPUT_NOT_MATCH, func, "the input dataset has %zu buffer(s); model %u has %zu "
                        "input(s)", n_in, m->id, m->n_in);
    }
    if (n_out != m->n_out) {
        return emu_fail(ACL_ERROR_MODEL_OUTPUT_NOT_MATCH, func, "the output dataset has %zu buffer(s); model %u has %zu "
                        "output(s)", n_out, m->id, m->n_out);
    }
    size_t batch = 0;
    bool geared = m->gears.batchCount > 0;
    if (geared) {
        /* The batch comes from the dynamic-batch input, written by aclmdlSetDynamicBatchSize. */
        const acllite_emu_tensor *t = &in[m->dyn_index];
        uint64_t chosen = 0;
        emu_mem_where w;
        aclError err = emu_mem_locate(t->data, sizeof chosen, &w, func, "dynamic batch input");
        if (err) return err;
        if (t->size < sizeof chosen) {
            return emu_fail(ACL_ERROR_MODEL_INPUT_NOT_MATCH, func, "input %zu '%s' (the dynamic batch) holds %zu bytes",
                            m->dyn_index, m->in[m->dyn_index].desc.name, t->size);
        }
        memcpy(&chosen, t->data, sizeof chosen);
        bool known = false;
        for (size_t g = 0; g < m->gears.batchCount; g++) known |= m->gears.batch[g] == chosen;
        if (!known) {
            return emu_fail(ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID, func,
                            "the dynamic batch is %llu, not one of the model's gears: call aclmdlSetDynamicBatchSize "
                            "on the input dataset first", (unsigned long long)chosen);
        }
        batch = (size_t)chosen;
    }
    const emu_shape_gears *shaped = m->shape_gears;
    size_t gear = 0;
    if (shaped) {
        aclError err = emu_gears_select(shaped, &in[shaped->dyn_index], &gear, func);
        if (err) return err;
    }
    for (size_t i = 0; i < n_in + n_out; i++) {
        bool is_out = i >= n_in;
        if (geared && !is_out && i == m->dyn_index) continue;
        if (shaped && !is_out && i == shaped->dyn_index) continue;
        acllite_emu_tensor *t = is_out ? &out[i - n_in] : &in[i];
        const emu_io *io = is_out ? &m->out[i - n_in] : &m->in[i];
        size_t idx = is_out ? i - n_in : i;
        const char *what = is_out ? "output" : "input";
        emu_mem_where w;
        if (!t->data) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s %zu '%s': the buffer's data is NULL", what, idx,
                            io->desc.name);
        }
        aclError err = emu_mem_locate(t->data, t->size, &w, func, is_out ? "output buffer" : "input buffer");
        if (err) return err;
        if (w.kind != EMU_MEM_DEVICE && w.kind != EMU_MEM_DVPP) {
            if (emu_cfg.strict) {
                return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func,
                                "%s %zu '%s' at %p is %s: in ACL_HOST run mode model buffers must be device memory "
                                "(set ACLLITE_EMU_STRICT=0 to allow)", what, idx, io->desc.name, t->data,
                                emu_mem_kind_name(w.kind));
            }
            emu_log(ACLLITE_EMU_LOG_WARNING, "%s: %s %zu '%s' is %s, not device memory", func, what, idx, io->desc.name,
                    emu_mem_kind_name(w.kind));
        }
        if (shaped) { /* the gear gives every shape */
            if ((err = emu_gears_fit(shaped, gear, i, t, &io->desc, func))) return err;
            continue;
        }
        if (!is_out && io->desc.rangeCount) { /* the dataset's description gives the shape */
            if ((err = emu_ranges_fit(io, i, t, func))) return err;
            continue;
        }
        aclError mismatch = is_out ? ACL_ERROR_MODEL_OUTPUT_NOT_MATCH : ACL_ERROR_MODEL_INPUT_NOT_MATCH;
        if (!is_out) {
            t->dimCount = io->desc.dimCount;
            memcpy(t->dims, io->desc.dims, sizeof t->dims);
        }
        if (io->sample_bytes && geared) {
            size_t need = 0;
            if (!emu_mul(io->sample_bytes, batch, &need) || t->size < need) { /* need fits: batch is a gear */
                return emu_fail(mismatch, func, "%s %zu '%s' holds %zu bytes; batch %zu needs %zu", what, idx,
                                io->desc.name, t->size, batch, need);
            }
            t->size = need; /* the engine reads and writes the chosen batch only */
            if (!is_out) t->dims[0] = (int64_t)batch;
        } else if (io->sample_bytes) {
            if (!is_out) {
                if (t->size == 0 || t->size % io->sample_bytes) {
                    return emu_fail(mismatch, func, "%s %zu '%s' holds %zu bytes, not a whole number of %zu-byte samples",
                                    what, idx, io->desc.name, t->size, io->sample_bytes);
                }
                size_t b = t->size / io->sample_bytes;
                if (b > (size_t)INT64_MAX) {
                    return emu_fail(mismatch, func, "%s %zu '%s' holds %zu bytes: a batch of %zu samples is more than "
                                    "a dimension holds", what, idx, io->desc.name, t->size, b);
                }
                if (batch && b != batch) {
                    return emu_fail(mismatch, func, "%s %zu '%s' holds %zu samples but an earlier input holds %zu", what,
                                    idx, io->desc.name, b, batch);
                }
                batch = b;
                t->dims[0] = (int64_t)b;
            } else {
                size_t n = batch ? batch : 1, need = 0;
                if (!emu_mul(io->sample_bytes, n, &need)) {
                    return emu_fail(mismatch, func, "%s %zu '%s': batch %zu of %zu-byte samples is more than a buffer "
                                    "can hold", what, idx, io->desc.name, n, io->sample_bytes);
                }
                if (t->size < need) {
                    return emu_fail(mismatch, func, "%s %zu '%s' holds %zu bytes; batch %zu needs %zu", what, idx,
                                    io->desc.name, t->size, n, need);
                }
            }
        } else if (io->size && t->size < io->size) {
            return emu_fail(mismatch, func, "%s %zu '%s' holds %zu bytes; the model needs %zu", what, idx, io->desc.name,
                            t->size, io->size);
        }
    }
    /* An input with no bytes per item (a 0 dimension) says nothing about the batch: it runs at the batch the
     * others give, or 1 (never at -1). Whatever the batch, batch x the dims must fit in int64 (a 0 dimension does not
     * make [2^40, 2^40, 0] a shape onnxruntime can count). */
    for (size_t i = 0; i < n_in + n_out; i++) {
        bool is_out = i >= n_in;
        const emu_io *io = is_out ? &m->out[i - n_in] : &m->in[i];
        uint64_t span;
        if (io->batch_dynamic && (!emu_mul64(io->span_bytes, batch ? batch : 1, &span) || span > EMU_MAX_TENSOR_BYTES)) {
            return emu_fail(is_out ? ACL_ERROR_MODEL_OUTPUT_NOT_MATCH : ACL_ERROR_MODEL_INPUT_NOT_MATCH, func,
                            "%s %zu '%s': batch %zu x its other dimensions is more than %llu bytes",
                            is_out ? "output" : "input", is_out ? i - n_in : i, io->desc.name, batch,
                            (unsigned long long)EMU_MAX_TENSOR_BYTES);
        }
        if (!is_out && io->batch_dynamic && !io->sample_bytes) in[i].dims[0] = (int64_t)(batch ? batch : 1);
    }
    if (shaped) return ACL_SUCCESS;
    /* Outputs whose shape follows from the batch get it here; the engine writes the others. */
    for (size_t i = 0; i < n_out; i++) {
        const acllite_emu_tensor_desc *d = &m->out[i].desc;
        out[i].dimCount = d->dimCount;
        memcpy(out[i].dims, d->dims, sizeof out[i].dims);
        if (m->out[i].batch_dynamic && batch) out[i].dims[0] = (int64_t)batch;
    }
    return ACL_SUCCESS;
}

/* The buffer one execution's AIPP output goes to: the model's own when no other execution holds it. */
static void *aipp_take(emu_model *m) {
    pthread_mutex_lock(&model_lock);
    void *p = NULL;
    if (!m->aipp_busy) {
        if (!m->aipp_scratch) m->aipp_scratch = malloc(m->aipp.out_bytes);
        if ((p = m->aipp_scratch)) m->aipp_busy = true;
    }
    pthread_mutex_unlock(&model_lock);
    return p ? p : malloc(m->aipp.out_bytes);
}

static void aipp_give(emu_model *m, void *p) {
    pthread_mutex_lock(&model_lock);
    bool own = p == m->aipp_scratch;
    if (own) m->aipp_busy = false;
    pthread_mutex_unlock(&model_lock);
    if (!own) free(p);
}

/* Apply the dynamic AIPP: the engine gets the model input it produces in place of the source images (saved in
 * *image, put back by the caller). */
static aclError aipp_prepare(emu_model *m, acllite_emu_tensor *in, acllite_emu_tensor *image, void **scratch,
                             const char *func) {
    const emu_aipp_plan *plan = &m->aipp;
    if (!(*scratch = aipp_take(m))) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    int64_t dims[4];
    size_t size;
    aclError err = emu_aipp_apply(plan, m->in, in, *scratch, dims, &size, func);
    if (err) {
        aipp_give(m, *scratch);
        return err;
    }
    acllite_emu_tensor *t = &in[plan->input];
    *image = *t;
    t->data = *scratch;
    t->size = size;
    t->dimCount = 4;
    memcpy(t->dims, dims, sizeof dims);
    return ACL_SUCCESS;
}

static aclError run(emu_model *m, acllite_emu_tensor *in, acllite_emu_tensor *out, const char *func) {
    acllite_emu_model_engine e;
    if (!engine_copy(&e)) return emu_fail(ACL_ERROR_API_NOT_SUPPORT, func, "no model engine is registered");
    char message[512] = "";
    acllite_emu_tensor image;
    void *scratch = NULL;
    aclError err;
    if (m->aipp.input != SIZE_MAX && (err = aipp_prepare(m, in, &image, &scratch, func))) return err;
    emu_callback_frame frame;
    exec_frame here = {m, executing};
    executing = &here; /* aclmdlUnload of m from inside the engine (a finalizer) would wait for itself */
    emu_callback_enter(&frame);
    err = e.execute(m->engine_model, in, m->n_in, out, m->n_out, message, sizeof message);
    emu_callback_leave(&frame);
    executing = here.outer;
    if (scratch) {
        in[m->aipp.input] = image;
        aipp_give(m, scratch);
    }
    if (err) return emu_fail(err, func, "model %u: %s", m->id, message[0] ? message : "execution failed");
    /* The engine's callback may have run a finalizer that released a buffer it was writing: then the results are
     * not where the caller will look for them. */
    for (size_t i = 0; i < m->n_in + m->n_out; i++) {
        bool is_out = i >= m->n_in;
        const acllite_emu_tensor *t = is_out ? &out[i - m->n_in] : &in[i];
        emu_mem_where w;
        if ((err = emu_mem_locate(t->data, t->size, &w, func, is_out ? "output buffer" : "input buffer"))) return err;
    }
    pthread_mutex_lock(&model_lock);
    for (size_t i = 0; i < m->n_out; i++) {
        m->cur_out[i].dimCount = out[i].dimCount;
        memcpy(m->cur_out[i].dims, out[i].dims, sizeof out[i].dims);
    }
    pthread_mutex_unlock(&model_lock);
    return ACL_SUCCESS;
}

/* A model with shape ranges: its outputs' shapes after the run, as descriptions of the output dataset. */
static void describe_outputs(const emu_model *m, aclmdlDataset *output, const acllite_emu_tensor *out,
                             const char *func) {
    for (size_t i = 0; i < m->n_out; i++) {
        emu_dataset_set_output_desc(output, i, m->out[i].desc.dataType, m->out[i].desc.format, out[i].dimCount,
                                    out[i].dims, func);
    }
}

static aclError begin(uint32_t modelId, const aclmdlDataset *input, aclmdlDataset *output, emu_model **m_out,
                      acllite_emu_tensor **in, acllite_emu_tensor **out, const char *func) {
    aclError err = emu_require_init(func);
    if (err) return err;
    emu_model *m = model_acquire(modelId, func);
    if (!m) return ACL_ERROR_INVALID_MODEL_ID;
    size_t n_in = 0, n_out = 0;
    *in = *out = NULL;
    if (!(err = emu_dataset_tensors(input, in, &n_in, func, "input")) && m->ranged) {
        for (size_t i = 0; i < n_in && i < m->n_in; i++) {
            if (m->in[i].desc.rangeCount && !emu_dataset_desc_dims(input, i, &(*in)[i].dimCount, (*in)[i].dims)) {
                (*in)[i].dimCount = EMU_NO_DESC;
            }
        }
    }
    if (err || (err = emu_dataset_tensors(output, out, &n_out, func, "output")) ||
        (err = prepare(m, *in, n_in, *out, n_out, func))) {
        free(*in);
        free(*out);
        model_release(m);
        return err;
    }
    *m_out = m;
    return ACL_SUCCESS;
}

aclError emu_model_execute(uint32_t modelId, const aclmdlDataset *input, aclmdlDataset *output, const char *func) {
    emu_model *m;
    acllite_emu_tensor *in, *out;
    aclError err = begin(modelId, input, output, &m, &in, &out, func);
    if (err) return err;
    err = run(m, in, out, func);
    if (!err && m->ranged) describe_outputs(m, output, out, func);
    free(in);
    free(out);
    model_release(m);
    return err;
}

EMU_EXPORT aclError aclmdlExecute(uint32_t modelId, const aclmdlDataset *input, aclmdlDataset *output) {
    return emu_model_execute(modelId, input, output, "aclmdlExecute");
}

typedef struct {
    emu_model *model;
    acllite_emu_tensor *in, *out;
    aclmdlDataset *output;
} execute_task;

static aclError run_execute_task(void *arg) {
    execute_task *t = arg;
    const char *func = "aclmdlExecuteAsync";
    /* The buffers were checked when the execution was queued; they may have been released since. */
    for (size_t i = 0; i < t->model->n_in + t->model->n_out; i++) {
        bool is_out = i >= t->model->n_in;
        const acllite_emu_tensor *x = is_out ? &t->out[i - t->model->n_in] : &t->in[i];
        emu_mem_where w;
        aclError err = emu_mem_locate(x->data, x->size, &w, func, is_out ? "output buffer" : "input buffer");
        if (err) return err;
    }
    aclError err = run(t->model, t->in, t->out, func);
    if (!err && t->model->ranged) describe_outputs(t->model, t->output, t->out, func);
    return err;
}

static void drop_execute_task(void *arg) {
    execute_task *t = arg;
    free(t->in);
    free(t->out);
    model_release(t->model);
    free(t);
}

aclError emu_model_execute_async(uint32_t modelId, const aclmdlDataset *input, aclmdlDataset *output,
                                 aclrtStream stream, const char *func) {
    emu_model *m;
    acllite_emu_tensor *in, *out;
    aclError err = begin(modelId, input, output, &m, &in, &out, func);
    if (err) return err;
    emu_lock();
    emu_stream *s = emu_stream_resolve_locked(stream, func, &err);
    emu_unlock();
    execute_task *t = s ? malloc(sizeof *t) : NULL;
    if (!t) {
        if (s) {
            emu_stream_unref(s);
            err = emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        }
        free(in);
        free(out);
        model_release(m);
        return err;
    }
    *t = (execute_task){m, in, out, output};
    err = emu_stream_enqueue(s, run_execute_task, t, drop_execute_task, func); /* the model stays held until it ran */
    emu_stream_unref(s);
    return err;
}

EMU_EXPORT aclError aclmdlExecuteAsync(uint32_t modelId, const aclmdlDataset *input, aclmdlDataset *output,
                                       aclrtStream stream) {
    return emu_model_execute_async(modelId, input, output, stream, "aclmdlExecuteAsync");
}

/* ------------------------------------------------------------------------------ dynamic shapes, AIPP */

EMU_EXPORT aclError aclmdlGetDynamicBatch(const aclmdlDesc *modelDesc, aclmdlBatch *batch) {
    if (!batch) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclmdlGetDynamicBatch", "batch is NULL");
    if (!desc_live(modelDesc, "aclmdlGetDynamicBatch")) return ACL_ERROR_INVALID_PARAM;
    *batch = modelDesc->gears; /* batchCount 0: ATC's --dynamic_batch_size was not used */
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclmdlSetDynamicBatchSize(uint32_t modelId, aclmdlDataset *dataset, size_t index, uint64_t batchSize) {
    const char *func = "aclmdlSetDynamicBatchSize";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!dataset) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dataset is NULL");
    emu_model *m = model_acquire(modelId, func);
    if (!m) return ACL_ERROR_INVALID_MODEL_ID;
    aclmdlBatch gears = m->gears;
    size_t dyn = m->dyn_index;
    model_release(m);
    if (!gears.batchCount) {
        return emu_fail(ACL_ERROR_MODEL_NOT_DYNAMIC, func, "model %u has no dynamic batch gears (ATC's "
                        "--dynamic_batch_size)", modelId);
    }
    if (index != dyn) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "index %zu is not the model's dynamic batch input (%zu, '%s')",
                        index, dyn, ACL_DYNAMIC_TENSOR_NAME);
    }
    bool known = false;
    char list[256] = "";
    for (size_t g = 0; g < gears.batchCount; g++) {
        known |= gears.batch[g] == batchSize;
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%llu", g ? "," : "", (unsigned long long)gears.batch[g]);
    }
    if (!known) {
        return emu_fail(ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID, func, "batch %llu is not one of the model's gears (%s)",
                        (unsigned long long)batchSize, list);
    }
    acllite_emu_tensor *t = NULL;
    size_t n = 0;
    if ((err = emu_dataset_tensors(dataset, &t, &n, func, "input"))) return err;
    if (index >= n) {
        free(t);
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the dataset has %zu buffer(s); the dynamic batch input is %zu",
                        n, index);
    }
    emu_mem_where w;
    uint64_t value = batchSize;
    err = t[index].size < sizeof value
              ? emu_fail(ACL_ERROR_INVALID_PARAM, func, "buffer %zu holds %zu bytes; the batch needs %zu", index,
                         t[index].size, sizeof value)
              : emu_mem_locate(t[index].data, sizeof value, &w, func, "the dynamic batch buffer");
    if (!err) memcpy(t[index].data, &value, sizeof value); /* what the runtime writes into the device buffer */
    free(t);
    return err;
}

aclError emu_model_shape_gears(uint32_t model_id, emu_shape_gears **gears, const char *func) {
    *gears = NULL;
    emu_model *m = model_acquire(model_id, func);
    if (!m) return ACL_ERROR_INVALID_MODEL_ID;
    aclError err = ACL_SUCCESS;
    if (m->shape_gears && !(*gears = emu_gears_copy(m->shape_gears))) {
        err = emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    model_release(m);
    return err;
}

aclError emu_desc_input(const aclmdlDesc *desc, size_t index, acllite_emu_tensor_desc *out, const char *func) {
    const emu_io *io = desc_io(desc, false, index, func);
    if (!io) return ACL_ERROR_INVALID_PARAM;
    *out = io->desc;
    return ACL_SUCCESS;
}

aclError emu_desc_shape_gears(const aclmdlDesc *desc, emu_shape_gears **gears, const char *func) {
    *gears = NULL;
    if (!desc_live(desc, func)) return ACL_ERROR_INVALID_PARAM;
    if (desc->shape_gears && !(*gears = emu_gears_copy(desc->shape_gears))) {
        return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    return ACL_SUCCESS;
}

/* The engine's static AIPP record of an input, or ACL_ERROR_GE_AIPP_NOT_EXIST. */
static aclError aipp_query(uint32_t modelId, size_t index, aclAippInfo *info, const char *func) {
    aclError err = emu_require_init(func);
    if (err) return err;
    emu_model *m = model_acquire(modelId, func);
    if (!m) return ACL_ERROR_INVALID_MODEL_ID;
    size_t n = m->n_in;
    acllite_emu_model_engine e;
    bool has = engine_copy(&e) && e.aippInfo;
    if (index >= n) {
        model_release(m);
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "index %zu out of range: %zu input(s)", index, n);
    }
    memset(info, 0, sizeof *info);
    if (has) {
        emu_callback_frame frame;
        emu_callback_enter(&frame);
        err = e.aippInfo(m->engine_model, index, info);
        emu_callback_leave(&frame);
    } else {
        err = ACL_ERROR_GE_AIPP_NOT_EXIST;
    }
    model_release(m);
    return err;
}

aclError emu_model_aipp_input(uint32_t modelId, size_t index, acllite_emu_tensor_desc *desc, size_t *data_index,
                              const char *func) {
    aclError err = emu_require_init(func);
    if (err) return err;
    emu_model *m = model_acquire(modelId, func);
    if (!m) return ACL_ERROR_INVALID_MODEL_ID;
    *data_index = SIZE_MAX;
    if (index >= m->n_in) {
        err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "index %zu out of range: model %u has %zu input(s)", index,
                       modelId, m->n_in);
        model_release(m);
        return err;
    }
    *desc = m->in[index].desc;
    if (m->aipp.input == index && m->aipp.info.kind == ACLLITE_EMU_AIPP_DYNAMIC) *data_index = m->aipp.info.dataIndex;
    model_release(m);
    return err;
}

bool emu_is_aipp_data_name(const char *name) {
    return strncmp(name, ACL_DYNAMIC_AIPP_NAME, strlen(ACL_DYNAMIC_AIPP_NAME)) == 0;
}

EMU_EXPORT aclError aclmdlGetAippType(uint32_t modelId, size_t index, aclmdlInputAippType *type,
                                      size_t *dynamicAttachedDataIndex) {
    const char *func = "aclmdlGetAippType";
    if (!type || !dynamicAttachedDataIndex) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", type ? "dynamicAttachedDataIndex" : "type");
    }
    acllite_emu_tensor_desc desc;
    size_t data_index;
    aclError err = emu_model_aipp_input(modelId, index, &desc, &data_index, func);
    if (err) return err;
    *dynamicAttachedDataIndex = ACL_INVALID_NODE_INDEX;
    if (emu_is_aipp_data_name(desc.name)) { /* the parameters' input itself */
        *type = ACL_DYNAMIC_AIPP_NODE;
        return ACL_SUCCESS;
    }
    if (data_index != SIZE_MAX) {
        *type = ACL_DATA_WITH_DYNAMIC_AIPP;
        *dynamicAttachedDataIndex = data_index;
        return ACL_SUCCESS;
    }
    aclAippInfo info;
    err = aipp_query(modelId, index, &info, func);
    if (err && err != ACL_ERROR_GE_AIPP_NOT_EXIST) return err;
    *type = err ? ACL_DATA_WITHOUT_AIPP : ACL_DATA_WITH_STATIC_AIPP;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclmdlGetFirstAippInfo(uint32_t modelId, size_t index, aclAippInfo *aippInfo) {
    const char *func = "aclmdlGetFirstAippInfo";
    if (!aippInfo) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "aippInfo is NULL");
    aclError err = aipp_query(modelId, index, aippInfo, func);
    if (err == ACL_ERROR_GE_AIPP_NOT_EXIST) {
        return emu_fail(err, func, "input %zu of model %u has no static AIPP", index, modelId);
    }
    return err;
}

/* ---------------------------------------------------------------------------------------- teardown */

void emu_models_release_all(acllite_emu_counts *leaks) {
    pthread_mutex_lock(&model_lock);
    for (emu_model *m = models; m; m = m->next) m->unloading = true;
    for (;;) {
        bool busy = false;
        for (emu_model *m = models; m; m = m->next) busy |= m->inflight > 0;
        if (!busy) break;
        pthread_cond_wait(&model_cond, &model_lock);
    }
    emu_model *list = models;
    models = NULL;
    acllite_emu_model_engine e = engine;
    bool has = have_engine;
    pthread_mutex_unlock(&model_lock);
    while (list) {
        emu_model *next = list->next;
        leaks->models++;
        model_free(list, has ? &e : NULL);
        list = next;
    }
    emu_lock();
    leaks->modelDescs += emu_reg_release_all(EMU_H_MODEL_DESC, -1, desc_release);
    leaks->datasets += emu_datasets_release_locked();
    leaks->modelConfigs += emu_model_configs_release_locked();
    leaks->aippParams += emu_aipp_release_locked();
    emu_unlock();
}

/* ------------------------------------------------------------------------ entry points of model_load.c */

aclError emu_model_load_file(const char *path, uint32_t *modelId, const char *func) {
    return load_file(path, modelId, func);
}

aclError emu_model_load_mem(const void *data, size_t size, uint32_t *modelId, const char *func) {
    aclError err = require_context(func);
    return err ? err : load_mem(data, size, modelId, func);
}

aclError emu_model_load_file_with_mem(const char *path, uint32_t *modelId, void *workPtr, size_t workSize,
                                      void *weightPtr, size_t weightSize, const char *func) {
    aclError err = require_context(func);
    if (err) return err;
    if (!modelId) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "modelId is NULL");
    size_t work = 0, weight = 0;
    if ((workPtr || workSize || weightPtr || weightSize) && (err = query_file(path, &work, &weight, func))) return err;
    if ((err = check_user_memory(work, workPtr, workSize, false, func)) ||
        (err = check_user_memory(weight, weightPtr, weightSize, true, func))) {
        return err;
    }
    return load_file(path, modelId, func);
}

aclError emu_model_load_mem_with_mem(const void *data, size_t size, uint32_t *modelId, void *workPtr,
                                     size_t workSize, void *weightPtr, size_t weightSize, const char *func) {
    aclError err = require_context(func);
    return err ? err : load_mem_with_mem(data, size, modelId, workPtr, workSize, weightPtr, weightSize, func);
}

aclError emu_model_query_file(const char *path, size_t *work, size_t *weight, const char *func) {
    return query_file(path, work, weight, func);
}

aclError emu_model_sizes(uint32_t modelId, size_t *work, size_t *weight, const char *func) {
    emu_model *m = model_acquire(modelId, func);
    if (!m) return ACL_ERROR_INVALID_MODEL_ID;
    *work = m->work_bytes;
    *weight = m->weight_bytes;
    model_release(m);
    return ACL_SUCCESS;
}

/* Fill a description from an engine model that is not registered (aclmdlGetDescFromFile/FromMem): model id 0. */
static aclError desc_from_engine(aclmdlDesc *d, acllite_emu_model_engine *e, uint64_t handle, size_t n_in,
                                 size_t n_out, size_t weights, const char *func) {
    emu_model m = {0};
    m.n_in = n_in;
    m.n_out = n_out;
    m.weight_bytes = weights;
    aclError err = describe_model(e, handle, &m, func);
    engine_unload(e, handle);
    if (err) return err;
    io_free(d->in, d->out);
    d->model_id = 0;
    d->n_in = m.n_in;
    d->n_out = m.n_out;
    d->in = m.in;
    d->out = m.out;
    d->gears = m.gears;
    return ACL_SUCCESS;
}

aclError emu_model_describe_mem(aclmdlDesc *d, const void *data, size_t size, const char *func) {
    if (!desc_live(d, func)) return ACL_ERROR_INVALID_PARAM;
    if (!data || size == 0) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s", data ? "modelSize is 0" : "model is NULL");
    aclError err = check_model_bytes(data, size, func);
    if (err) return err;
    acllite_emu_model_engine e;
    uint64_t handle = 0;
    size_t n_in = 0, n_out = 0, weights = 0;
    if ((err = engine_load(data, size, 1, &e, &handle, &n_in, &n_out, &weights, func))) return err;
    return desc_from_engine(d, &e, handle, n_in, n_out, weights, func);
}

aclError emu_model_describe_file(aclmdlDesc *d, const char *path, const char *func) {
    if (!desc_live(d, func)) return ACL_ERROR_INVALID_PARAM;
    acllite_emu_model_engine e;
    struct stat st;
    aclError err;
    if (path && ends_with(path, ".om") && stat(path, &st) == 0 && S_ISREG(st.st_mode) && engine_copy(&e) &&
        e.loadOm) {
        uint64_t handle = 0;
        size_t n_in = 0, n_out = 0, weights = 0;
        if ((err = engine_load_om(&e, path, &handle, &n_in, &n_out, &weights, func))) return err;
        return desc_from_engine(d, &e, handle, n_in, n_out, weights, func);
    }
    void *data;
    size_t size;
    if ((err = read_model_file(path, &data, &size, func))) return err;
    err = emu_model_describe_mem(d, data, size, func);
    free(data);
    return err;
}

/* aclmdlGetTensorRealName: a tensor's name as the description holds it, from that name or from an output's node
 * name without its port ("prob" for "prob:0"); NULL when the description has no such tensor. */
const char *emu_model_tensor_real_name(const aclmdlDesc *d, const char *name, const char *func) {
    if (!desc_live(d, func)) return NULL;
    if (!name) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "name is NULL");
        return NULL;
    }
    for (size_t i = 0; i < d->n_in; i++)
        if (strcmp(d->in[i].desc.name, name) == 0) return d->in[i].desc.name;
    for (size_t i = 0; i < d->n_out; i++)
        if (strcmp(d->out[i].desc.name, name) == 0) return d->out[i].desc.name;
    size_t n = strlen(name);
    for (size_t i = 0; i < d->n_out; i++) {
        const char *real = d->out[i].desc.name;
        if (strncmp(real, name, n) == 0 && real[n] == ':' && real[n + 1] >= '0' && real[n + 1] <= '9') return real;
    }
    emu_fail(ACL_ERROR_INVALID_PARAM, func, "the model has no tensor named '%s'", name);
    return NULL;
}
