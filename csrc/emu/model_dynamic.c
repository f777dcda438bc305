/* Shape gears: models made by ATC's --dynamic_image_size (height and width gears) or --dynamic_dims (ND dims
 * gears). As on a device, the model has one extra input, ACL_DYNAMIC_TENSOR_NAME, into which
 * aclmdlSetDynamicHWSize / aclmdlSetInputDynamicDims write the chosen gear's values (uint64 each: height and width;
 * or the values of the dynamic dims in input order); an execution runs at the gear that input names, and refuses
 * to run when it names none. Gears keep the order ATC was given them in (gear i is the i-th). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static const char *kind_name(int32_t kind) {
    return kind == ACLLITE_EMU_GEARS_IMAGE_SIZE ? "dynamic image size (--dynamic_image_size)"
                                                : "dynamic dims (--dynamic_dims)";
}

aclError emu_gears_kind(const acllite_emu_model_engine *e, uint64_t handle, int32_t *kind, const char *func) {
    *kind = ACLLITE_EMU_GEARS_NONE;
    if (!e->shapeGears) return ACL_SUCCESS;
    size_t count = 0, n_values = 0, dyn = 0;
    emu_callback_frame frame;
    emu_callback_enter(&frame);
    aclError err = e->shapeGears(handle, kind, &count, &n_values, &dyn);
    emu_callback_leave(&frame);
    if (err) return emu_fail(err, func, "the engine cannot describe the model's shape gears");
    if (*kind != ACLLITE_EMU_GEARS_NONE && *kind != ACLLITE_EMU_GEARS_IMAGE_SIZE && *kind != ACLLITE_EMU_GEARS_DIMS) {
        return emu_fail(ACL_ERROR_PARSE_MODEL, func, "the engine describes shape gears of unknown kind %d", *kind);
    }
    return ACL_SUCCESS;
}

void emu_gears_free(emu_shape_gears *g) {
    if (!g) return;
    free(g->values);
    free(g->dims);
    free(g->bytes);
    free(g->ranks);
    free(g);
}

/* Room for count x per entries of the three tables; false when a product overflows or memory is out. */
static bool gears_alloc(emu_shape_gears *g) {
    size_t tensors = 0, cells = 0, values = 0;
    if (!emu_add(g->n_in, g->n_out, &tensors) || !emu_mul(g->count, tensors, &cells) ||
        !emu_mul(g->count, g->n_values, &values)) {
        return false;
    }
    g->values = calloc(values ? values : 1, sizeof *g->values);
    g->dims = calloc(cells ? cells : 1, sizeof *g->dims);
    g->bytes = calloc(cells ? cells : 1, sizeof *g->bytes);
    g->ranks = calloc(tensors ? tensors : 1, sizeof *g->ranks);
    return g->values && g->dims && g->bytes && g->ranks;
}

emu_shape_gears *emu_gears_copy(const emu_shape_gears *src) {
    emu_shape_gears *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    *g = *src;
    g->values = NULL;
    g->dims = NULL;
    g->bytes = NULL;
    g->ranks = NULL;
    if (!gears_alloc(g)) {
        emu_gears_free(g);
        return NULL;
    }
    size_t cells = src->count * (src->n_in + src->n_out); /* checked when src was allocated */
    memcpy(g->values, src->values, src->count * src->n_values * sizeof *g->values);
    memcpy(g->dims, src->dims, cells * sizeof *g->dims);
    memcpy(g->bytes, src->bytes, cells * sizeof *g->bytes);
    memcpy(g->ranks, src->ranks, (src->n_in + src->n_out) * sizeof *g->ranks);
    return g;
}

/* "[d0, d1, ...]" for messages. */
static const char *dims_text(const int64_t *dims, size_t n, char *buf, size_t len) {
    size_t used = (size_t)snprintf(buf, len, "[");
    for (size_t k = 0; k < n && used < len; k++) used += (size_t)snprintf(buf + used, len - used, "%s%lld", k ? ", " : "", (long long)dims[k]);
    if (used < len) snprintf(buf + used, len - used, "]");
    return buf;
}

static const char *values_text(const uint64_t *v, size_t n, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < n && used < len; k++) used += (size_t)snprintf(buf + used, len - used, "%s%llu", k ? "," : "", (unsigned long long)v[k]);
    return buf;
}

/* One tensor at one gear: the engine's shape must keep the described rank and every static dim, give each
 * dynamic dim 1 .. INT64_MAX, and its bytes must fit in int64. */
static aclError gear_tensor(const acllite_emu_model_engine *e, uint64_t handle, emu_shape_gears *g, size_t gear,
                            size_t index, const emu_io *io, const char *func) {
    bool is_out = index >= g->n_in;
    size_t idx = is_out ? index - g->n_in : index;
    const char *role = is_out ? "output" : "input";
    int64_t *dims = g->dims[gear * (g->n_in + g->n_out) + index];
    size_t count = 0;
    emu_callback_frame frame;
    emu_callback_enter(&frame);
    aclError err = e->gearShape(handle, gear, is_out ? ACLLITE_EMU_GEAR_OUTPUT : ACLLITE_EMU_GEAR_INPUT, idx, &count,
                                dims);
    emu_callback_leave(&frame);
    if (err) return emu_fail(err, func, "the engine cannot give %s %zu's shape at gear %zu", role, idx, gear);
    char a[800], b[800];
    if (count != io->desc.dimCount) {
        return emu_fail(ACL_ERROR_PARSE_MODEL, func, "%s %zu '%s': gear %zu gives %zu dimensions, the description %zu",
                        role, idx, io->desc.name, gear, count, io->desc.dimCount);
    }
    uint64_t bytes = aclDataTypeSize(io->desc.dataType);
    for (size_t k = 0; k < count; k++) {
        int64_t want = io->desc.dims[k];
        if (dims[k] < 0 || (want >= 0 && dims[k] != want)) {
            return emu_fail(ACL_ERROR_PARSE_MODEL, func, "%s %zu '%s': gear %zu's shape %s does not fit the described "
                            "%s", role, idx, io->desc.name, gear, dims_text(dims, count, a, sizeof a),
                            dims_text(io->desc.dims, count, b, sizeof b));
        }
        if (!emu_mul64(bytes, (uint64_t)dims[k], &bytes) || bytes > EMU_MAX_TENSOR_BYTES) {
            return emu_fail(ACL_ERROR_PARSE_MODEL, func, "%s %zu '%s': gear %zu's shape %s is more than %llu bytes", role,
                            idx, io->desc.name, gear, dims_text(dims, count, a, sizeof a),
                            (unsigned long long)EMU_MAX_TENSOR_BYTES);
        }
    }
    g->bytes[gear * (g->n_in + g->n_out) + index] = (size_t)bytes;
    return ACL_SUCCESS;
}

static aclError gears_read(const acllite_emu_model_engine *e, uint64_t handle, emu_io *in, emu_io *out,
                           emu_shape_gears *g, const char *func) {
    size_t max_gears = g->kind == ACLLITE_EMU_GEARS_IMAGE_SIZE ? ACL_MAX_HW_NUM : ACL_MAX_DIM_CNT;
    if (g->count < 1 || g->count > max_gears || g->dyn_index >= g->n_in || g->n_values < 1 ||
        g->n_values > ACLLITE_EMU_MAX_DIMS || (g->kind == ACLLITE_EMU_GEARS_IMAGE_SIZE && g->n_values != 2)) {
        return emu_fail(ACL_ERROR_PARSE_MODEL, func, "the model's %s is inconsistent (%zu gears of %zu values, dynamic "
                        "input %zu of %zu)", kind_name(g->kind), g->count, g->n_values, g->dyn_index, g->n_in);
    }
    const emu_io *dyn = &in[g->dyn_index];
    if (dyn->desc.dataType != ACL_UINT64 || dyn->desc.dimCount != 1 || dyn->desc.dims[0] != (int64_t)g->n_values ||
        strcmp(dyn->desc.name, ACL_DYNAMIC_TENSOR_NAME) != 0) {
        return emu_fail(ACL_ERROR_PARSE_MODEL, func, "input %zu '%s' is not the %s input of %zu uint64 values",
                        g->dyn_index, dyn->desc.name, ACL_DYNAMIC_TENSOR_NAME, g->n_values);
    }
    if (!gears_alloc(g)) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    size_t all_dims = 0;
    for (size_t i = 0; i < g->n_in + g->n_out; i++) g->ranks[i] = i < g->n_in ? in[i].desc.dimCount : out[i - g->n_in].desc.dimCount;
    for (size_t i = 0; i < g->n_in; i++) all_dims += i == g->dyn_index ? 0 : in[i].desc.dimCount;
    if (g->kind == ACLLITE_EMU_GEARS_DIMS && all_dims > ACL_MAX_DIM_CNT) {
        return emu_fail(ACL_ERROR_PARSE_MODEL, func, "the inputs have %zu dimensions together; a dims gear "
                        "(aclmdlIODims) holds %d", all_dims, ACL_MAX_DIM_CNT);
    }
    for (size_t gear = 0; gear < g->count; gear++) {
        uint64_t *values = &g->values[gear * g->n_values];
        int64_t raw[ACLLITE_EMU_MAX_DIMS];
        size_t n = 0;
        emu_callback_frame frame;
        emu_callback_enter(&frame);
        aclError err = e->gearShape(handle, gear, ACLLITE_EMU_GEAR_VALUES, 0, &n, raw);
        emu_callback_leave(&frame);
        if (err) return emu_fail(err, func, "the engine cannot give gear %zu's values", gear);
        if (n != g->n_values) {
            return emu_fail(ACL_ERROR_PARSE_MODEL, func, "gear %zu has %zu values, not %zu", gear, n, g->n_values);
        }
        for (size_t k = 0; k < n; k++) {
            if (raw[k] < 1) {
                return emu_fail(ACL_ERROR_PARSE_MODEL, func, "gear %zu: value %zu is %lld; a dimension is at least 1",
                                gear, k, (long long)raw[k]);
            }
            values[k] = (uint64_t)raw[k];
        }
        for (size_t k = 0; k < gear; k++) {
            if (memcmp(&g->values[k * g->n_values], values, n * sizeof *values) == 0) {
                char t[400];
                return emu_fail(ACL_ERROR_PARSE_MODEL, func, "gears %zu and %zu are both %s", k, gear,
                                values_text(values, n, t, sizeof t));
            }
        }
        for (size_t i = 0; i < g->n_in + g->n_out; i++) {
            if (i == g->dyn_index) continue;
            const emu_io *io = i < g->n_in ? &in[i] : &out[i - g->n_in];
            if ((err = gear_tensor(e, handle, g, gear, i, io, func))) return err;
        }
        g->dims[gear * (g->n_in + g->n_out) + g->dyn_index][0] = (int64_t)g->n_values;
        g->bytes[gear * (g->n_in + g->n_out) + g->dyn_index] = g->n_values * sizeof(uint64_t);
    }
    return ACL_SUCCESS;
}

aclError emu_gears_describe(const acllite_emu_model_engine *e, uint64_t handle, emu_io *in, size_t n_in, emu_io *out,
                            size_t n_out, size_t batch_gears, emu_shape_gears **gears, const char *func) {
    *gears = NULL;
    if (!e->gearShape) return emu_fail(ACL_ERROR_PARSE_MODEL, func, "the engine describes shape gears but not their shapes");
    if (batch_gears) {
        return emu_fail(ACL_ERROR_PARSE_MODEL, func, "the model has batch gears and shape gears; ATC makes one kind only");
    }
    emu_shape_gears *g = calloc(1, sizeof *g);
    if (!g) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    g->n_in = n_in;
    g->n_out = n_out;
    emu_callback_frame frame;
    emu_callback_enter(&frame);
    aclError err = e->shapeGears(handle, &g->kind, &g->count, &g->n_values, &g->dyn_index);
    emu_callback_leave(&frame);
    if (err) err = emu_fail(err, func, "the engine cannot describe the model's shape gears");
    if (!err) err = gears_read(e, handle, in, out, g, func);
    if (err) {
        emu_gears_free(g);
        return err;
    }
    /* Buffers are sized for the largest gear, as on a device; every tensor's size is then fixed. */
    for (size_t i = 0; i < n_in + n_out; i++) {
        emu_io *io = i < n_in ? &in[i] : &out[i - n_in];
        size_t most = 0;
        for (size_t gear = 0; gear < g->count; gear++) {
            size_t b = g->bytes[gear * (n_in + n_out) + i];
            most = b > most ? b : most;
        }
        if (!io->desc.size) io->size = most;
        io->batch_dynamic = false;
        io->sample_bytes = 0;
    }
    *gears = g;
    return ACL_SUCCESS;
}

aclError emu_gears_select(const emu_shape_gears *g, const acllite_emu_tensor *t, size_t *gear, const char *func) {
    size_t need = g->n_values * sizeof(uint64_t);
    emu_mem_where w;
    if (!t->data) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "input %zu '%s': the buffer's data is NULL", g->dyn_index, ACL_DYNAMIC_TENSOR_NAME);
    if (t->size < need) {
        return emu_fail(ACL_ERROR_MODEL_INPUT_NOT_MATCH, func, "input %zu '%s' holds %zu bytes; the model's %s needs %zu",
                        g->dyn_index, ACL_DYNAMIC_TENSOR_NAME, t->size, kind_name(g->kind), need);
    }
    aclError err = emu_mem_locate(t->data, need, &w, func, "dynamic shape input");
    if (err) return err;
    uint64_t values[ACLLITE_EMU_MAX_DIMS];
    memcpy(values, t->data, need);
    for (size_t k = 0; k < g->count; k++) {
        if (memcmp(&g->values[k * g->n_values], values, need) == 0) {
            *gear = k;
            return ACL_SUCCESS;
        }
    }
    char text[400];
    return emu_fail(ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID, func, "input %zu '%s' holds %s, not one of the model's %s "
                    "gears: call %s on the input dataset first", g->dyn_index, ACL_DYNAMIC_TENSOR_NAME,
                    values_text(values, g->n_values, text, sizeof text), kind_name(g->kind),
                    g->kind == ACLLITE_EMU_GEARS_IMAGE_SIZE ? "aclmdlSetDynamicHWSize" : "aclmdlSetInputDynamicDims");
}

aclError emu_gears_fit(const emu_shape_gears *g, size_t gear, size_t index, acllite_emu_tensor *t,
                       const acllite_emu_tensor_desc *desc, const char *func) {
    bool is_out = index >= g->n_in;
    size_t cell = gear * (g->n_in + g->n_out) + index, need = g->bytes[cell];
    const int64_t *dims = g->dims[cell];
    if (t->size < need) {
        char a[800];
        return emu_fail(is_out ? ACL_ERROR_MODEL_OUTPUT_NOT_MATCH : ACL_ERROR_MODEL_INPUT_NOT_MATCH, func,
                        "%s %zu '%s' holds %zu bytes; gear %zu (shape %s) needs %zu", is_out ? "output" : "input",
                        is_out ? index - g->n_in : index, desc->name, t->size, gear,
                        dims_text(dims, desc->dimCount, a, sizeof a), need);
    }
    t->size = need; /* the engine reads and writes the chosen gear only */
    t->dimCount = desc->dimCount;
    memcpy(t->dims, dims, sizeof t->dims);
    return ACL_SUCCESS;
}

/* ------------------------------------------------------------------------------------------ the API */

EMU_EXPORT aclError aclmdlGetDynamicHW(const aclmdlDesc *modelDesc, size_t index, aclmdlHW *hw) {
    const char *func = "aclmdlGetDynamicHW";
    (void)index; /* reserved: -1 */
    if (!hw) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "hw is NULL");
    emu_shape_gears *g;
    aclError err = emu_desc_shape_gears(modelDesc, &g, func);
    if (err) return err;
    memset(hw, 0, sizeof *hw); /* hwCount 0: ATC's --dynamic_image_size was not used */
    if (g && g->kind == ACLLITE_EMU_GEARS_IMAGE_SIZE) {
        hw->hwCount = g->count;
        for (size_t k = 0; k < g->count; k++) {
            hw->hw[k][0] = g->values[2 * k];
            hw->hw[k][1] = g->values[2 * k + 1];
        }
    }
    emu_gears_free(g);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclmdlGetInputDynamicGearCount(const aclmdlDesc *modelDesc, size_t index, size_t *gearCount) {
    const char *func = "aclmdlGetInputDynamicGearCount";
    (void)index; /* reserved: -1 */
    if (!gearCount) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "gearCount is NULL");
    emu_shape_gears *g;
    aclError err = emu_desc_shape_gears(modelDesc, &g, func);
    if (err) return err;
    *gearCount = g && g->kind == ACLLITE_EMU_GEARS_DIMS ? g->count : 0; /* 0: --dynamic_dims was not used */
    emu_gears_free(g);
    return ACL_SUCCESS;
}

/* Every data input's dims at gear, concatenated in input order (the dynamic input left out): what
 * aclmdlGetInputDynamicDims reports and aclmdlSetInputDynamicDims takes. */
static void emu_gears_all_dims(const emu_shape_gears *g, size_t gear, aclmdlIODims *out) {
    memset(out, 0, sizeof *out);
    size_t n = 0;
    for (size_t i = 0; i < g->n_in; i++) {
        if (i == g->dyn_index) continue;
        const int64_t *dims = g->dims[gear * (g->n_in + g->n_out) + i];
        for (size_t k = 0; k < g->ranks[i] && n < ACL_MAX_DIM_CNT; k++) out->dims[n++] = dims[k]; /* fits: checked */
    }
    out->dimCount = n;
}

EMU_EXPORT aclError aclmdlGetInputDynamicDims(const aclmdlDesc *modelDesc, size_t index, aclmdlIODims *dims,
                                              size_t gearCount) {
    const char *func = "aclmdlGetInputDynamicDims";
    (void)index; /* reserved: -1 */
    if (!dims) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dims is NULL");
    emu_shape_gears *g;
    aclError err = emu_desc_shape_gears(modelDesc, &g, func);
    if (err) return err;
    size_t have = g && g->kind == ACLLITE_EMU_GEARS_DIMS ? g->count : 0;
    if (!have) err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "the model has no dynamic dims gears (ATC's --dynamic_dims)");
    else if (gearCount < have) {
        err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "gearCount %zu is less than the model's %zu gears "
                       "(aclmdlGetInputDynamicGearCount)", gearCount, have);
    } else {
        for (size_t k = 0; k < have; k++) emu_gears_all_dims(g, k, &dims[k]);
    }
    emu_gears_free(g);
    return err;
}

/* Write gear's values into the dataset's buffer index, as the runtime fills ACL_DYNAMIC_TENSOR_NAME. */
static aclError write_gear(const emu_shape_gears *g, size_t gear, aclmdlDataset *dataset, size_t index,
                           const char *func) {
    acllite_emu_tensor *t = NULL;
    size_t n = 0;
    aclError err = emu_dataset_tensors(dataset, &t, &n, func, "input");
    if (err) return err;
    size_t need = g->n_values * sizeof(uint64_t);
    emu_mem_where w;
    if (index >= n) {
        err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "the dataset has %zu buffer(s); the dynamic input is %zu", n, index);
    } else if (t[index].size < need) {
        err = emu_fail(ACL_ERROR_GE_DYNAMIC_INPUT_LENGTH_INVALID, func, "buffer %zu holds %zu bytes; the %s needs %zu",
                       index, t[index].size, ACL_DYNAMIC_TENSOR_NAME, need);
    } else if (!(err = emu_mem_locate(t[index].data, need, &w, func, "the dynamic input buffer"))) {
        memcpy(t[index].data, &g->values[gear * g->n_values], need);
    }
    free(t);
    return err;
}

/* The model's gears of kind, for a setter: its checks of the model, the dataset and the index. */
static aclError setter_gears(uint32_t modelId, const aclmdlDataset *dataset, size_t index, int32_t kind,
                             emu_shape_gears **g, const char *func) {
    *g = NULL;
    aclError err = emu_require_init(func);
    if (err) return err;
    if (!dataset) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dataset is NULL");
    if ((err = emu_model_shape_gears(modelId, g, func))) return err;
    if (!*g || (*g)->kind != kind) {
        emu_gears_free(*g);
        *g = NULL;
        return emu_fail(ACL_ERROR_MODEL_NOT_DYNAMIC, func, "model %u has no %s gears", modelId, kind_name(kind));
    }
    if (index != (*g)->dyn_index) {
        err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "index %zu is not the model's dynamic input (%zu, '%s')", index,
                       (*g)->dyn_index, ACL_DYNAMIC_TENSOR_NAME);
        emu_gears_free(*g);
        *g = NULL;
    }
    return err;
}

EMU_EXPORT aclError aclmdlSetDynamicHWSize(uint32_t modelId, aclmdlDataset *dataset, size_t index, uint64_t height,
                                           uint64_t width) {
    const char *func = "aclmdlSetDynamicHWSize";
    emu_shape_gears *g;
    aclError err = setter_gears(modelId, dataset, index, ACLLITE_EMU_GEARS_IMAGE_SIZE, &g, func);
    if (err) return err;
    size_t gear = g->count;
    for (size_t k = 0; k < g->count; k++) {
        if (g->values[2 * k] == height && g->values[2 * k + 1] == width) gear = k;
    }
    if (gear == g->count) {
        char list[1024] = "";
        for (size_t k = 0; k < g->count; k++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%llu,%llu", k ? ";" : "", (unsigned long long)g->values[2 * k],
                     (unsigned long long)g->values[2 * k + 1]);
        }
        err = emu_fail(ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID, func, "height %llu, width %llu is not one of the "
                       "model's image size gears (%s)", (unsigned long long)height, (unsigned long long)width, list);
    } else {
        err = write_gear(g, gear, dataset, index, func);
    }
    emu_gears_free(g);
    return err;
}

EMU_EXPORT aclError aclmdlSetInputDynamicDims(uint32_t modelId, aclmdlDataset *dataset, size_t index,
                                              const aclmdlIODims *dims) {
    const char *func = "aclmdlSetInputDynamicDims";
    if (!dims) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dims is NULL");
    emu_shape_gears *g;
    aclError err = setter_gears(modelId, dataset, index, ACLLITE_EMU_GEARS_DIMS, &g, func);
    if (err) return err;
    aclmdlIODims want;
    emu_gears_all_dims(g, 0, &want);
    if (dims->dimCount != want.dimCount) {
        err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "dims.dimCount is %zu; the model's inputs have %zu dimensions "
                       "together (every input's dims, in order)", dims->dimCount, want.dimCount);
    } else {
        size_t gear = g->count;
        for (size_t k = 0; k < g->count && gear == g->count; k++) {
            emu_gears_all_dims(g, k, &want);
            if (memcmp(want.dims, dims->dims, want.dimCount * sizeof *want.dims) == 0) gear = k;
        }
        char text[800];
        err = gear < g->count
                  ? write_gear(g, gear, dataset, index, func)
                  : emu_fail(ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID, func, "dims %s are not one of the model's %zu "
                             "dynamic dims gears (aclmdlGetInputDynamicDims)",
                             dims_text(dims->dims, dims->dimCount, text, sizeof text), g->count);
    }
    emu_gears_free(g);
    return err;
}

/* ------------------------------------------------------------------------------------------ shape ranges */

aclError emu_ranges_describe(emu_io *io, size_t index, const char *func) {
    acllite_emu_tensor_desc *d = &io->desc;
    char a[800];
    if (d->rangeCount != d->dimCount) {
        return emu_fail(ACL_ERROR_PARSE_MODEL, func, "input %zu '%s': %zu shape ranges for %zu dimensions", index,
                        d->name, d->rangeCount, d->dimCount);
    }
    uint64_t most = aclDataTypeSize(d->dataType);
    bool bounded = true;
    for (size_t k = 0; k < d->dimCount; k++) {
        int64_t lo = d->ranges[k][0], hi = d->ranges[k][1], dim = d->dims[k];
        if (lo < 0 || (hi != -1 && hi < lo) || (dim >= 0 && (lo != dim || hi != dim))) {
            return emu_fail(ACL_ERROR_PARSE_MODEL, func, "input %zu '%s' %s: dimension %zu has the range [%lld, %lld]",
                            index, d->name, dims_text(d->dims, d->dimCount, a, sizeof a), k, (long long)lo,
                            (long long)hi);
        }
        if (hi < 0) bounded = false;
        else if (bounded && (!emu_mul64(most, (uint64_t)hi, &most) || most > EMU_MAX_TENSOR_BYTES)) {
            return emu_fail(ACL_ERROR_PARSE_MODEL, func, "input %zu '%s': its largest shape is more than %llu bytes",
                            index, d->name, (unsigned long long)EMU_MAX_TENSOR_BYTES);
        }
    }
    io->size = bounded ? (size_t)most : 0; /* unbounded: the program sizes its buffers */
    io->batch_dynamic = false;
    io->sample_bytes = 0;
    return ACL_SUCCESS;
}

aclError emu_ranges_fit(const emu_io *io, size_t index, acllite_emu_tensor *t, const char *func) {
    const acllite_emu_tensor_desc *d = &io->desc;
    char a[800], b[800];
    bool fixed = true; /* an input of static dims needs no description */
    for (size_t k = 0; k < d->dimCount; k++) fixed &= d->dims[k] >= 0;
    if (t->dimCount == EMU_NO_DESC && fixed) {
        t->dimCount = d->dimCount;
        memcpy(t->dims, d->dims, sizeof t->dims);
    }
    if (t->dimCount == EMU_NO_DESC) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "input %zu '%s' has dynamic dims %s: set its shape with "
                        "aclmdlSetDatasetTensorDesc on the input dataset first", index, d->name,
                        dims_text(d->dims, d->dimCount, a, sizeof a));
    }
    if (t->dimCount != d->dimCount) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "input %zu '%s': the dataset's description has %zu "
                        "dimensions, the model's %s has %zu", index, d->name, t->dimCount,
                        dims_text(d->dims, d->dimCount, a, sizeof a), d->dimCount);
    }
    uint64_t bytes = aclDataTypeSize(d->dataType);
    bool fits = true;
    for (size_t k = 0; k < d->dimCount; k++) {
        int64_t v = t->dims[k], lo = d->ranges[k][0], hi = d->ranges[k][1];
        if (v < lo || (hi >= 0 && v > hi)) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "input %zu '%s': shape %s is outside the model's range "
                            "(dimension %zu: %lld not in [%lld, %lld]; -1: unbounded)", index, d->name,
                            dims_text(t->dims, t->dimCount, b, sizeof b), k, (long long)v, (long long)lo,
                            (long long)hi);
        }
        fits = fits && emu_mul64(bytes, (uint64_t)v, &bytes) && bytes <= EMU_MAX_TENSOR_BYTES;
    }
    if (!fits || t->size < bytes) {
        return emu_fail(ACL_ERROR_MODEL_INPUT_NOT_MATCH, func, "input %zu '%s' holds %zu bytes; shape %s needs %s",
                        index, d->name, t->size, dims_text(t->dims, t->dimCount, b, sizeof b),
                        fits ? (snprintf(a, sizeof a, "%llu", (unsigned long long)bytes), a) : "more than int64 holds");
    }
    t->size = (size_t)bytes;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError acllite_emu_model_input_has_ranges(const aclmdlDesc *modelDesc, size_t index,
                                                      int32_t *hasRanges) {
    const char *func = "acllite_emu_model_input_has_ranges";
    if (!hasRanges) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "hasRanges is NULL");
    acllite_emu_tensor_desc d;
    aclError err = emu_desc_input(modelDesc, index, &d, func);
    if (err) return err;
    *hasRanges = d.rangeCount == d.dimCount && d.dimCount > 0;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclmdlGetInputDimsRange(const aclmdlDesc *modelDesc, size_t index, aclmdlIODimsRange *dimsRange) {
    const char *func = "aclmdlGetInputDimsRange";
    if (!dimsRange) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "dimsRange is NULL");
    acllite_emu_tensor_desc d;
    aclError err = emu_desc_input(modelDesc, index, &d, func);
    if (err) return err;
    memset(dimsRange, 0, sizeof *dimsRange);
    dimsRange->rangeCount = d.dimCount;
    for (size_t k = 0; k < d.dimCount; k++) {
        bool ranged = d.rangeCount == d.dimCount;
        dimsRange->range[k][0] = ranged ? d.ranges[k][0] : d.dims[k] >= 0 ? d.dims[k] : 1;
        dimsRange->range[k][1] = ranged ? d.ranges[k][1] : d.dims[k]; /* -1: unbounded */
    }
    return ACL_SUCCESS;
}
