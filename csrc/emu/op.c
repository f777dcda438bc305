/* Single operators (acl_op.h, acl_op_compiler.h): attributes, the registry of single-operator models
 * (aclopSetModelDir, aclopLoad, aclopCompile), matching an execution against them, handles, and execution as a
 * stream task. The emulator does every check; an engine registered through acllite_emu_set_op_engine parses the
 * model files and runs one operator on the buffers (acllite's runs an ONNX node on onnxruntime).
 *
 * Matching follows AscendCL: an execution runs the model whose operator type, input and output descriptions
 * (element type, format, shape; a model's -1 dims by their ranges) and attributes (the same names and values,
 * no more, no fewer) are those given; nothing matches: ACL_ERROR_OP_NOT_FOUND. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "acl_op_compiler.h"
#include "emu.h"
#include "tensor_desc.h"

#define MAX_DIMS 32
#define UNKNOWN_RANK_DIM (-2)
#define MODEL_DIR_DEPTH 3        /* how deep aclopSetModelDir looks for .om files (AscendCL's limit) */
#define MAX_TEXT (1u << 20)       /* longest attribute name or string value the emulator accepts */
#define MAX_OPERANDS 4096         /* inputs or outputs of one operator */
#define MESSAGE_LEN 512
#define SEEN_KEPT 8               /* tensor arrays remembered per operator model (ids for the engine) */

/* ------------------------------------------------------------------------------------------ the engine */

static pthread_mutex_t op_lock = PTHREAD_MUTEX_INITIALIZER;
static acllite_emu_op_engine engine;
static bool have_engine;

EMU_EXPORT void acllite_emu_set_op_engine(const acllite_emu_op_engine *e) {
    pthread_mutex_lock(&op_lock);
    have_engine = e != NULL;
    if (e) engine = *e;
    pthread_mutex_unlock(&op_lock);
}

static bool engine_copy(acllite_emu_op_engine *out, const char *func) {
    pthread_mutex_lock(&op_lock);
    bool ok = have_engine;
    if (ok) *out = engine;
    pthread_mutex_unlock(&op_lock);
    if (!ok) {
        emu_fail(ACL_ERROR_API_NOT_SUPPORT, func,
                 "no operator engine is registered: the emulator runs single operators through acllite's "
                 "onnxruntime engine (import acllite first)");
    }
    return ok;
}

/* ------------------------------------------------------------------------------------------ text */

typedef struct {
    char *data;
    size_t len, cap;
    bool failed;
} text_buf;

static void text_add(text_buf *t, const char *bytes, size_t n) {
    if (t->failed) return;
    size_t need;
    if (__builtin_add_overflow(t->len, n, &need) || __builtin_add_overflow(need, 1, &need)) {
        t->failed = true;
        return;
    }
    if (need > t->cap) {
        size_t cap = t->cap ? t->cap : 64;
        while (cap < need) {
            if (__builtin_mul_overflow(cap, 2, &cap)) {
                t->failed = true;
                return;
            }
        }
        char *grown = realloc(t->data, cap);
        if (!grown) {
            t->failed = true;
            return;
        }
        t->data = grown;
        t->cap = cap;
    }
    memcpy(t->data + t->len, bytes, n);
    t->len += n;
    t->data[t->len] = '\0';
}

static void text_fmt(text_buf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_fmt(text_buf *t, const char *fmt, ...) {
    char small[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof small) {
        t->failed = true; /* only short items are formatted */
        return;
    }
    text_add(t, small, (size_t)n);
}

/* Finish: the text (caller frees), or NULL when out of memory. An empty text is "". */
static char *text_take(text_buf *t) {
    if (!t->failed && !t->data) text_add(t, "", 0);
    if (t->failed) {
        free(t->data);
        return NULL;
    }
    return t->data;
}

static char *dup_bytes(const char *s, size_t n) {
    char *out = malloc(n + 1);
    if (out) {
        memcpy(out, s, n);
        out[n] = '\0';
    }
    return out;
}

/* ------------------------------------------------------------------------------------------ attributes */

typedef struct {
    char *name;
    char *value; /* "<type> <payload>", the canonical text of the value (docs/OPERATORS.md) */
} attr_entry;

struct aclopAttr {
    attr_entry *items; /* sorted by name (strcmp) */
    size_t count, cap;
};

static aclopAttr *attr_live(const aclopAttr *attr, const char *func) {
    if (!attr) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "attr is NULL");
        return NULL;
    }
    emu_lock();
    bool ok = emu_reg_has(attr, EMU_H_OP_ATTR);
    emu_unlock();
    if (!ok) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "attr %p is not a live operator attribute set (destroyed already?)",
                 (const void *)attr);
        return NULL;
    }
    return (aclopAttr *)(uintptr_t)attr;
}

static void attr_clear(aclopAttr *a) {
    for (size_t i = 0; i < a->count; i++) {
        free(a->items[i].name);
        free(a->items[i].value);
    }
    free(a->items);
    a->items = NULL;
    a->count = a->cap = 0;
}

static void attr_free(void *p) {
    attr_clear(p);
    free(p);
}

/* Set name to value (taking value, a malloc'd canonical text): replaces an attribute of the same name. */
static aclError attr_put(aclopAttr *a, const char *name, char *value, const char *func) {
    if (!value) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    size_t lo = 0, hi = a->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(a->items[mid].name, name);
        if (c == 0) {
            free(a->items[mid].value);
            a->items[mid].value = value;
            return ACL_SUCCESS;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    if (a->count == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        attr_entry *grown = realloc(a->items, cap * sizeof *grown);
        if (!grown) {
            free(value);
            return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        }
        a->items = grown;
        a->cap = cap;
    }
    char *copy = dup_bytes(name, strlen(name));
    if (!copy) {
        free(value);
        return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    memmove(&a->items[lo + 1], &a->items[lo], (a->count - lo) * sizeof *a->items);
    a->items[lo] = (attr_entry){copy, value};
    a->count++;
    return ACL_SUCCESS;
}

/* The common checks of a setter: a live attribute set and a usable name. */
static aclopAttr *setter_begin(aclopAttr *attr, const char *name, const char *func, aclError *err) {
    aclopAttr *a = attr_live(attr, func);
    if (!a) {
        *err = ACL_ERROR_INVALID_PARAM;
        return NULL;
    }
    if (!name) {
        *err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "attrName is NULL");
        return NULL;
    }
    size_t n = strnlen(name, MAX_TEXT + 1);
    if (n == 0 || n > MAX_TEXT) {
        *err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "attrName is %s", n ? "longer than 1 MiB" : "empty");
        return NULL;
    }
    *err = ACL_SUCCESS;
    return a;
}

static void text_string(text_buf *t, const char *s) {
    size_t n = strlen(s);
    text_fmt(t, "%zu:", n);
    text_add(t, s, n);
}

static void text_float(text_buf *t, float f) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    text_fmt(t, "%08x", (unsigned)bits);
}

static aclError check_list(int numValues, const void *values, const char *func) {
    if (numValues < 0) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "numValues is %d", numValues);
    if (numValues > 0 && !values) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "values is NULL");
    return ACL_SUCCESS;
}

EMU_EXPORT aclopAttr *aclopCreateAttr(void) {
    aclopAttr *a = calloc(1, sizeof *a);
    if (!a) {
        emu_fail(ACL_ERROR_BAD_ALLOC, "aclopCreateAttr", "out of host memory");
        return NULL;
    }
    emu_lock();
    bool ok = emu_reg_add(a, EMU_H_OP_ATTR, -1);
    emu_unlock();
    if (!ok) {
        free(a);
        emu_fail(ACL_ERROR_BAD_ALLOC, "aclopCreateAttr", "out of host memory");
        return NULL;
    }
    return a;
}

EMU_EXPORT void aclopDestroyAttr(const aclopAttr *attr) {
    const char *func = "aclopDestroyAttr";
    if (!attr) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "attr is NULL");
        return;
    }
    emu_lock();
    bool ok = emu_reg_remove(attr, EMU_H_OP_ATTR);
    emu_unlock();
    if (!ok) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "attr %p is not a live operator attribute set (destroyed already?)",
                 (const void *)attr);
        return;
    }
    attr_free((void *)(uintptr_t)attr);
}

EMU_EXPORT aclError aclopSetAttrBool(aclopAttr *attr, const char *attrName, uint8_t attrValue) {
    aclError err;
    aclopAttr *a = setter_begin(attr, attrName, "aclopSetAttrBool", &err);
    if (!a) return err;
    text_buf t = {0};
    text_fmt(&t, "b %d", attrValue ? 1 : 0);
    return attr_put(a, attrName, text_take(&t), "aclopSetAttrBool");
}

EMU_EXPORT aclError aclopSetAttrInt(aclopAttr *attr, const char *attrName, int64_t attrValue) {
    aclError err;
    aclopAttr *a = setter_begin(attr, attrName, "aclopSetAttrInt", &err);
    if (!a) return err;
    text_buf t = {0};
    text_fmt(&t, "i %lld", (long long)attrValue);
    return attr_put(a, attrName, text_take(&t), "aclopSetAttrInt");
}

EMU_EXPORT aclError aclopSetAttrFloat(aclopAttr *attr, const char *attrName, float attrValue) {
    aclError err;
    aclopAttr *a = setter_begin(attr, attrName, "aclopSetAttrFloat", &err);
    if (!a) return err;
    text_buf t = {0};
    text_add(&t, "f ", 2);
    text_float(&t, attrValue);
    return attr_put(a, attrName, text_take(&t), "aclopSetAttrFloat");
}

EMU_EXPORT aclError aclopSetAttrString(aclopAttr *attr, const char *attrName, const char *attrValue) {
    const char *func = "aclopSetAttrString";
    aclError err;
    aclopAttr *a = setter_begin(attr, attrName, func, &err);
    if (!a) return err;
    if (!attrValue) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "attrValue is NULL");
    if (strnlen(attrValue, MAX_TEXT + 1) > MAX_TEXT) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "attrValue is longer than 1 MiB");
    text_buf t = {0};
    text_add(&t, "s ", 2);
    text_string(&t, attrValue);
    return attr_put(a, attrName, text_take(&t), func);
}

EMU_EXPORT aclError aclopSetAttrDataType(aclopAttr *attr, const char *attrName, aclDataType attrValue) {
    aclError err;
    aclopAttr *a = setter_begin(attr, attrName, "aclopSetAttrDataType", &err);
    if (!a) return err;
    text_buf t = {0};
    text_fmt(&t, "t %d", (int)attrValue);
    return attr_put(a, attrName, text_take(&t), "aclopSetAttrDataType");
}

EMU_EXPORT aclError aclopSetAttrListDataType(aclopAttr *attr, const char *attrName, int numValues,
                                             const aclDataType values[]) {
    const char *func = "aclopSetAttrListDataType";
    aclError err;
    aclopAttr *a = setter_begin(attr, attrName, func, &err);
    if (!a) return err;
    if ((err = check_list(numValues, values, func))) return err;
    text_buf t = {0};
    text_fmt(&t, "lt %d", numValues);
    for (int i = 0; i < numValues; i++) text_fmt(&t, " %d", (int)values[i]);
    return attr_put(a, attrName, text_take(&t), func);
}

EMU_EXPORT aclError aclopSetAttrListBool(aclopAttr *attr, const char *attrName, int numValues, const uint8_t *values) {
    const char *func = "aclopSetAttrListBool";
    aclError err;
    aclopAttr *a = setter_begin(attr, attrName, func, &err);
    if (!a) return err;
    if ((err = check_list(numValues, values, func))) return err;
    text_buf t = {0};
    text_fmt(&t, "lb %d", numValues);
    for (int i = 0; i < numValues; i++) text_fmt(&t, " %d", values[i] ? 1 : 0);
    return attr_put(a, attrName, text_take(&t), func);
}

EMU_EXPORT aclError aclopSetAttrListInt(aclopAttr *attr, const char *attrName, int numValues, const int64_t *values) {
    const char *func = "aclopSetAttrListInt";
    aclError err;
    aclopAttr *a = setter_begin(attr, attrName, func, &err);
    if (!a) return err;
    if ((err = check_list(numValues, values, func))) return err;
    text_buf t = {0};
    text_fmt(&t, "li %d", numValues);
    for (int i = 0; i < numValues; i++) text_fmt(&t, " %lld", (long long)values[i]);
    return attr_put(a, attrName, text_take(&t), func);
}

EMU_EXPORT aclError aclopSetAttrListFloat(aclopAttr *attr, const char *attrName, int numValues, const float *values) {
    const char *func = "aclopSetAttrListFloat";
    aclError err;
    aclopAttr *a = setter_begin(attr, attrName, func, &err);
    if (!a) return err;
    if ((err = check_list(numValues, values, func))) return err;
    text_buf t = {0};
    text_fmt(&t, "lf %d", numValues);
    for (int i = 0; i < numValues; i++) {
        text_add(&t, " ", 1);
        text_float(&t, values[i]);
    }
    return attr_put(a, attrName, text_take(&t), func);
}

EMU_EXPORT aclError aclopSetAttrListString(aclopAttr *attr, const char *attrName, int numValues, const char **values) {
    const char *func = "aclopSetAttrListString";
    aclError err;
    aclopAttr *a = setter_begin(attr, attrName, func, &err);
    if (!a) return err;
    if ((err = check_list(numValues, values, func))) return err;
    for (int i = 0; i < numValues; i++) {
        if (!values[i]) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "values[%d] is NULL", i);
        if (strnlen(values[i], MAX_TEXT + 1) > MAX_TEXT) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "values[%d] is longer than 1 MiB", i);
        }
    }
    text_buf t = {0};
    text_fmt(&t, "ls %d", numValues);
    for (int i = 0; i < numValues; i++) {
        text_add(&t, " ", 1);
        text_string(&t, values[i]);
    }
    return attr_put(a, attrName, text_take(&t), func);
}

EMU_EXPORT aclError aclopSetAttrListListInt(aclopAttr *attr, const char *attrName, int numLists, const int *numValues,
                                            const int64_t *const values[]) {
    const char *func = "aclopSetAttrListListInt";
    aclError err;
    aclopAttr *a = setter_begin(attr, attrName, func, &err);
    if (!a) return err;
    if (numLists < 0) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "numLists is %d", numLists);
    if (numLists > 0 && (!numValues || !values)) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", numValues ? "values" : "numValues");
    }
    for (int i = 0; i < numLists; i++) {
        if (numValues[i] < 0) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "numValues[%d] is %d", i, numValues[i]);
        if (numValues[i] > 0 && !values[i]) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "values[%d] is NULL", i);
    }
    text_buf t = {0};
    text_fmt(&t, "lli %d", numLists);
    for (int i = 0; i < numLists; i++) {
        text_fmt(&t, " %d", numValues[i]);
        for (int k = 0; k < numValues[i]; k++) text_fmt(&t, " %lld", (long long)values[i][k]);
    }
    return attr_put(a, attrName, text_take(&t), func);
}

/* The canonical text of an attribute set (NULL: no attributes); NULL when out of memory. */
static char *attr_text(const aclopAttr *a) {
    text_buf t = {0};
    for (size_t i = 0; a && i < a->count; i++) {
        text_string(&t, a->items[i].name);
        text_add(&t, " ", 1);
        text_add(&t, a->items[i].value, strlen(a->items[i].value));
        text_add(&t, "\n", 1);
    }
    return text_take(&t);
}

/* ------------------------------------------------------------------------------------------ tensors */

typedef struct {
    acllite_emu_op_tensor d;
    aclMemType memtype;
    void *const_data; /* a copy of the constant value (aclSetTensorConst), owned here */
    size_t const_len;
} op_operand;

static void operands_free(op_operand *v, size_t n) {
    for (size_t i = 0; v && i < n; i++) free(v[i].const_data);
    free(v);
}

static bool dims_static(const acllite_emu_op_tensor *d) {
    for (size_t k = 0; k < d->dimCount; k++) {
        if (d->dims[k] < 0) return false;
    }
    return true;
}

static const char *type_name(aclDataType t) {
    switch (t) {
    case ACL_FLOAT: return "float32";
    case ACL_FLOAT16: return "float16";
    case ACL_INT8: return "int8";
    case ACL_INT32: return "int32";
    case ACL_UINT8: return "uint8";
    case ACL_INT16: return "int16";
    case ACL_UINT16: return "uint16";
    case ACL_UINT32: return "uint32";
    case ACL_INT64: return "int64";
    case ACL_UINT64: return "uint64";
    case ACL_DOUBLE: return "float64";
    case ACL_BOOL: return "bool";
    case ACL_BF16: return "bfloat16";
    case ACL_DT_UNDEFINED: return "undefined";
    default: return "type";
    }
}

static const char *format_name(aclFormat f) {
    switch (f) {
    case ACL_FORMAT_NCHW: return "NCHW";
    case ACL_FORMAT_NHWC: return "NHWC";
    case ACL_FORMAT_ND: return "ND";
    case ACL_FORMAT_NC1HWC0: return "NC1HWC0";
    case ACL_FORMAT_FRACTAL_Z: return "FRACTAL_Z";
    case ACL_FORMAT_FRACTAL_NZ: return "FRACTAL_NZ";
    case ACL_FORMAT_UNDEFINED: return "UNDEFINED";
    default: return "format";
    }
}

/* "float16[1000] ND" */
static void text_tensor(text_buf *t, const acllite_emu_op_tensor *d) {
    const char *tn = type_name(d->dataType);
    text_add(t, tn, strlen(tn));
    if (!strcmp(tn, "type")) text_fmt(t, "%d", (int)d->dataType);
    text_add(t, "[", 1);
    for (size_t k = 0; k < d->dimCount; k++) {
        if (k) text_add(t, ",", 1);
        text_fmt(t, "%lld", (long long)d->dims[k]);
    }
    text_add(t, "] ", 2);
    const char *fn = format_name(d->format);
    text_add(t, fn, strlen(fn));
    if (!strcmp(fn, "format")) text_fmt(t, "%d", (int)d->format);
}

/* Snapshot the program's descriptions (live, shapes within limits). */
static aclError snapshot(int n, const aclTensorDesc *const descs[], const char *what, op_operand **out,
                         const char *func) {
    *out = NULL;
    if (n < 0) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "num%s is %d", what, n);
    if (n > MAX_OPERANDS) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "num%s is %d (at most %d)", what, n, MAX_OPERANDS);
    if (n > 0 && !descs) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the %s description array is NULL", what);
    op_operand *v = calloc(n ? (size_t)n : 1, sizeof *v);
    if (!v) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    for (int i = 0; i < n; i++) {
        if (!descs[i]) {
            operands_free(v, (size_t)n);
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s description %d is NULL", what, i);
        }
        emu_lock();
        bool ok = emu_reg_has(descs[i], EMU_H_TENSOR_DESC) || emu_reg_has(descs[i], EMU_H_TENSOR_DESC_ITEM);
        const aclTensorDesc *d = descs[i];
        if (ok) {
            acllite_emu_op_tensor *t = &v[i].d;
            t->dataType = d->type;
            t->format = d->format;
            ok = d->shape.count <= MAX_DIMS;
            if (ok) {
                t->dimCount = d->shape.count;
                for (size_t k = 0; k < d->shape.count; k++) t->dims[k] = d->shape.dims[k];
                t->rangeCount = d->range_count <= MAX_DIMS ? d->range_count : 0;
                for (size_t k = 0; k < t->rangeCount; k++) {
                    t->ranges[k][0] = d->ranges[k][0];
                    t->ranges[k][1] = d->ranges[k][1];
                }
                v[i].memtype = d->memtype;
                if (d->const_data) {
                    v[i].const_data = malloc(d->const_len);
                    if (v[i].const_data) {
                        memcpy(v[i].const_data, d->const_data, d->const_len);
                        v[i].const_len = d->const_len;
                        t->isConst = 1;
                    }
                    ok = v[i].const_data != NULL;
                }
            }
        }
        emu_unlock();
        if (!ok) {
            operands_free(v, (size_t)n);
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s description %d (%p) is not a live tensor description "
                            "(or has more than %d dims, or no memory for its constant)", what, i, (const void *)d,
                            MAX_DIMS);
        }
    }
    *out = v;
    return ACL_SUCCESS;
}

/* Bytes of a static tensor; false when the size is unknown or passes SIZE_MAX. */
static bool tensor_bytes(const acllite_emu_op_tensor *d, size_t *bytes) {
    size_t n = aclDataTypeSize(d->dataType);
    if (n == 0) return false;
    for (size_t k = 0; k < d->dimCount; k++) {
        if (d->dims[k] < 0 || __builtin_mul_overflow(n, (size_t)d->dims[k], &n)) return false;
    }
    *bytes = n;
    return true;
}

static bool tensor_empty(const acllite_emu_op_tensor *d) {
    for (size_t k = 0; k < d->dimCount; k++) {
        if (d->dims[k] == 0) return true;
    }
    return false;
}

/* ------------------------------------------------------------------------------------------ models */

typedef struct op_model {
    struct op_model *next;
    char *op_type;
    char *attrs;    /* canonical text */
    char *source;   /* the file, "memory" or "aclopCompile" */
    size_t n_in, n_out;
    acllite_emu_op_tensor *in, *out;
    uint64_t engine_op;
    bool dynamic;
    int refs;       /* the registry's, one per handle, one per queued execution */
    /* tensor arrays executed recently (inputs then outputs) and their ids (the engine's tensorsId) */
    acllite_emu_tensor *seen[SEEN_KEPT];
    size_t seen_count[SEEN_KEPT];
    uint64_t seen_id[SEEN_KEPT];
    size_t seen_next;
} op_model;

static op_model *op_models; /* newest first; guarded by op_lock */
static bool model_dir_set;  /* aclopSetModelDir succeeded (once per process: until aclFinalize here) */
static bool cast_has_truncate;
static int32_t compile_flag;
static char *compile_opts[ACL_OP_DEBUG_OPTION + 1];
static uint64_t max_op_queue;

static void model_unref(op_model *m) {
    if (!m) return;
    pthread_mutex_lock(&op_lock);
    bool last = --m->refs == 0;
    acllite_emu_op_engine e = engine;
    bool has = have_engine;
    pthread_mutex_unlock(&op_lock);
    if (!last) return;
    if (has) e.unload(m->engine_op);
    for (size_t i = 0; i < SEEN_KEPT; i++) free(m->seen[i]);
    free(m->op_type);
    free(m->attrs);
    free(m->source);
    free(m->in);
    free(m->out);
    free(m);
}

static bool tensor_dynamic(const acllite_emu_op_tensor *t) { return !dims_static(t); }

/* Register what the engine parsed or compiled (engine_op), described by the engine. */
static aclError register_op(const acllite_emu_op_engine *e, uint64_t engine_op, const char *op_type, size_t n_in,
                            size_t n_out, const char *source, op_model **out, const char *func) {
    if (out) *out = NULL;
    op_model *m = calloc(1, sizeof *m);
    aclError err = ACL_SUCCESS;
    if (!m || n_in > MAX_OPERANDS || n_out > MAX_OPERANDS) {
        free(m);
        e->unload(engine_op);
        return m ? emu_fail(ACL_ERROR_PARSE_MODEL, func, "%s: too many inputs or outputs", source)
                 : emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    m->engine_op = engine_op;
    m->refs = 1;
    m->n_in = n_in;
    m->n_out = n_out;
    m->op_type = dup_bytes(op_type, strlen(op_type));
    m->source = dup_bytes(source, strlen(source));
    m->in = calloc(n_in ? n_in : 1, sizeof *m->in);
    m->out = calloc(n_out ? n_out : 1, sizeof *m->out);
    if (!m->op_type || !m->source || !m->in || !m->out) err = emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    for (size_t i = 0; !err && i < n_in + n_out; i++) {
        bool is_out = i >= n_in;
        acllite_emu_op_tensor *t = is_out ? &m->out[i - n_in] : &m->in[i];
        if ((err = e->describe(engine_op, is_out, is_out ? i - n_in : i, t)) != ACL_SUCCESS) {
            err = emu_fail(err, func, "%s: the engine cannot describe %s %zu", source, is_out ? "output" : "input",
                           is_out ? i - n_in : i);
        } else if (t->dimCount > MAX_DIMS || (t->rangeCount && t->rangeCount != t->dimCount)) {
            err = emu_fail(ACL_ERROR_PARSE_MODEL, func, "%s: %s %zu has an inconsistent shape", source,
                           is_out ? "output" : "input", is_out ? i - n_in : i);
        }
        m->dynamic |= !err && tensor_dynamic(t);
    }
    if (!err) {
        size_t needed = 0;
        char probe[1];
        aclError a = e->attributes(engine_op, probe, sizeof probe, &needed);
        if (a == ACL_SUCCESS || (a == ACL_ERROR_STORAGE_OVER_LIMIT && needed > 0 && needed <= 64 * (size_t)MAX_TEXT)) {
            m->attrs = malloc(needed ? needed : 1);
            if (!m->attrs) err = emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
            else if (a == ACL_SUCCESS) m->attrs[0] = '\0';
            else if ((a = e->attributes(engine_op, m->attrs, needed, &needed)) != ACL_SUCCESS)
                err = emu_fail(a, func, "%s: the engine cannot list the attributes", source);
        } else {
            err = emu_fail(a ? a : ACL_ERROR_PARSE_MODEL, func, "%s: the engine cannot list the attributes", source);
        }
    }
    if (err) {
        model_unref(m); /* unloads */
        return err;
    }
    pthread_mutex_lock(&op_lock);
    m->next = op_models;
    op_models = m;
    if (!strcmp(m->op_type, "Cast") && (!strncmp(m->attrs, "8:truncate ", 11) || strstr(m->attrs, "\n8:truncate ")))
        cast_has_truncate = true;
    if (out) {
        m->refs++;
        *out = m;
    }
    pthread_mutex_unlock(&op_lock);
    emu_log(ACLLITE_EMU_LOG_DEBUG, "%s: registered operator %s (%zu in, %zu out%s) from %s", func, m->op_type, n_in,
            n_out, m->dynamic ? ", dynamic shape" : "", source);
    return ACL_SUCCESS;
}

static aclError load_bytes(const void *data, size_t size, const char *source, const char *func) {
    acllite_emu_op_engine e;
    if (!engine_copy(&e, func)) return ACL_ERROR_API_NOT_SUPPORT;
    char message[MESSAGE_LEN] = "", op_type[256] = "";
    uint64_t handle = 0;
    size_t n_in = 0, n_out = 0;
    aclError err = e.load(data, size, &handle, &n_in, &n_out, op_type, sizeof op_type, message, sizeof message);
    if (err) return emu_fail(err, func, "%s: %s", source, message[0] ? message : "not a single-operator model");
    op_type[sizeof op_type - 1] = '\0';
    return register_op(&e, handle, op_type, n_in, n_out, source, NULL, func);
}

/* ------------------------------------------------------------------------------------------ matching */

static bool dim_in_range(int64_t dim, const acllite_emu_op_tensor *model, size_t k) {
    if (model->rangeCount == 0) return true;
    int64_t lo = model->ranges[k][0], hi = model->ranges[k][1];
    return dim >= lo && (hi == -1 || dim <= hi);
}

/* Does the program's tensor fit the model's? exact: at compile time (dynamic dims must be the same). */
static bool tensor_fits(const acllite_emu_op_tensor *user, const acllite_emu_op_tensor *model, bool exact) {
    if (user->dataType != model->dataType || user->format != model->format) return false;
    if (model->dimCount == 1 && model->dims[0] == UNKNOWN_RANK_DIM) return true;
    if (user->dimCount != model->dimCount) return false;
    for (size_t k = 0; k < user->dimCount; k++) {
        int64_t u = user->dims[k], m = model->dims[k];
        if (m >= 0) {
            if (u != m) return false;
        } else if (u < 0) {
            if (!exact) return false;
        } else if (!dim_in_range(u, model, k)) {
            return false;
        }
    }
    return true;
}

/* Canonical attribute text, readable: "dimension=int 0, axes=list_int 1 -1". */
static void text_attrs(text_buf *t, const char *attrs) {
    static const char *const codes[][2] = {{"b", "bool"}, {"i", "int"}, {"f", "float(bits)"}, {"s", "string"},
                                           {"t", "data_type"}, {"lb", "list_bool"}, {"li", "list_int"},
                                           {"lf", "list_float(bits)"}, {"ls", "list_string"},
                                           {"lt", "list_data_type"}, {"lli", "list_list_int"}};
    const char *p = attrs;
    if (!*p) {
        text_add(t, "(none)", 6);
        return;
    }
    for (bool first = true; *p; first = false) {
        char *end;
        unsigned long long n = strtoull(p, &end, 10);
        if (end == p || *end != ':' || n > strlen(end + 1)) break;
        if (!first) text_add(t, ", ", 2);
        text_add(t, end + 1, (size_t)n);
        p = end + 1 + n;
        if (*p == ' ') p++;
        const char *sp = strchr(p, ' '), *nl = strchr(p, '\n');
        if (!sp || !nl || sp > nl) break;
        const char *kind = NULL;
        for (size_t k = 0; k < sizeof codes / sizeof codes[0]; k++) {
            if (strlen(codes[k][0]) == (size_t)(sp - p) && !strncmp(p, codes[k][0], (size_t)(sp - p))) kind = codes[k][1];
        }
        text_add(t, "=", 1);
        if (kind) {
            text_add(t, kind, strlen(kind));
            text_add(t, " ", 1);
        }
        text_add(t, sp + 1, (size_t)(nl - sp - 1));
        p = nl + 1;
    }
}

/* The first difference between the request and a model of the same type, for the message. */
static void explain(text_buf *t, const op_model *m, size_t n_in, const op_operand *in, size_t n_out,
                    const op_operand *out, const char *attrs, bool exact) {
    if (m->n_in != n_in || m->n_out != n_out) {
        text_fmt(t, "%zu input(s) and ", m->n_in);
        text_fmt(t, "%zu output(s)", m->n_out);
        return;
    }
    for (size_t i = 0; i < n_in + n_out; i++) {
        bool is_out = i >= n_in;
        const acllite_emu_op_tensor *u = is_out ? &out[i - n_in].d : &in[i].d;
        const acllite_emu_op_tensor *d = is_out ? &m->out[i - n_in] : &m->in[i];
        if (!tensor_fits(u, d, exact)) {
            text_fmt(t, "%s %zu ", is_out ? "output" : "input", is_out ? i - n_in : i);
            text_tensor(t, d);
            return;
        }
    }
    if (strcmp(attrs, m->attrs) != 0) {
        text_add(t, "other attributes: ", 18);
        text_attrs(t, m->attrs);
    }
}

/* The model an execution (or a compilation, exact) runs, with a reference; else NULL and
 * ACL_ERROR_OP_NOT_FOUND with a message naming the request and the nearest model. */
static op_model *match(const char *op_type, size_t n_in, const op_operand *in, size_t n_out, const op_operand *out,
                       const char *attrs, bool exact, const char *func, bool quiet) {
    pthread_mutex_lock(&op_lock);
    op_model *found = NULL, *same_type = NULL;
    size_t loaded = 0;
    for (op_model *m = op_models; m && !found; m = m->next) {
        loaded++;
        if (strcmp(m->op_type, op_type) != 0) continue;
        if (!same_type) same_type = m;
        if (m->n_in != n_in || m->n_out != n_out || strcmp(m->attrs, attrs) != 0) continue;
        bool ok = true;
        for (size_t i = 0; ok && i < n_in; i++) ok = tensor_fits(&in[i].d, &m->in[i], exact);
        for (size_t i = 0; ok && i < n_out; i++) ok = tensor_fits(&out[i].d, &m->out[i], exact);
        if (ok) found = m;
    }
    if (found) {
        found->refs++;
        pthread_mutex_unlock(&op_lock);
        return found;
    }
    if (quiet) {
        pthread_mutex_unlock(&op_lock);
        return NULL;
    }
    text_buf t = {0};
    text_add(&t, "(", 1);
    for (size_t i = 0; i < n_in + n_out; i++) {
        if (i == n_in) text_add(&t, ") -> (", 6);
        else if (i) text_add(&t, ", ", 2);
        text_tensor(&t, i < n_in ? &in[i].d : &out[i - n_in].d);
    }
    text_add(&t, ")", 1);
    if (attrs[0]) {
        text_add(&t, " with attributes ", 17);
        text_attrs(&t, attrs);
    }
    if (same_type) {
        text_add(&t, "; the nearest loaded model (", 28);
        text_add(&t, same_type->source, strlen(same_type->source));
        text_add(&t, ") has ", 6);
        explain(&t, same_type, n_in, in, n_out, out, attrs, exact);
    }
    pthread_mutex_unlock(&op_lock);
    char *request = text_take(&t);
    emu_fail(ACL_ERROR_OP_NOT_FOUND, func,
             "no single-operator model matches %s %s%s (%zu model(s) loaded; build one with acllite atc --singleop "
             "and load it with aclopSetModelDir or aclopLoad, or compile it with aclopCompile)",
             op_type, request ? request : "", same_type ? "" : ": none of that operator type is loaded", loaded);
    free(request);
    return NULL;
}

/* ------------------------------------------------------------------------------------------ execution */

typedef struct {
    op_model *model;
    size_t n_in, n_out;
    acllite_emu_tensor *in, *out;
    void **consts; /* n_in: constant input data owned by the task */
    const char *func;
} op_task;

static void task_free(op_task *t) {
    if (!t) return;
    for (size_t i = 0; t->consts && i < t->n_in; i++) free(t->consts[i]);
    free(t->consts);
    free(t->in);
    free(t->out);
    model_unref(t->model);
    free(t);
}

/* Check the buffers against the program's (static) descriptions and build the task. Takes over model. */
static aclError prepare(op_model *model, size_t n_in, op_operand *in, const aclDataBuffer *const inputs[],
                        size_t n_out, op_operand *out, aclDataBuffer *const outputs[], op_task **task_out,
                        const char *func) {
    *task_out = NULL;
    op_task *t = calloc(1, sizeof *t);
    if (t) {
        t->model = model;
        t->n_in = n_in;
        t->n_out = n_out;
        t->func = func;
        t->in = calloc(n_in ? n_in : 1, sizeof *t->in);
        t->out = calloc(n_out ? n_out : 1, sizeof *t->out);
        t->consts = calloc(n_in ? n_in : 1, sizeof *t->consts);
    }
    if (!t || !t->in || !t->out || !t->consts) {
        if (t) task_free(t);
        else model_unref(model);
        return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    for (size_t i = 0; i < n_in + n_out; i++) {
        bool is_out = i >= n_in;
        size_t idx = is_out ? i - n_in : i;
        const char *what = is_out ? "output" : "input";
        op_operand *o = is_out ? &out[idx] : &in[idx];
        acllite_emu_tensor *x = is_out ? &t->out[idx] : &t->in[idx];
        if (!dims_static(&o->d)) {
            task_free(t);
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s %zu: a description must be static when executing "
                            "(dims -1 and -2 are for compiling)", what, idx);
        }
        size_t need;
        if (!tensor_bytes(&o->d, &need)) {
            task_free(t);
            return emu_fail(ACL_ERROR_UNSUPPORTED_DATA_TYPE, func, "%s %zu: data type %d has no fixed element size, "
                            "or the size passes 2^64 bytes", what, idx, (int)o->d.dataType);
        }
        x->dimCount = o->d.dimCount;
        memcpy(x->dims, o->d.dims, sizeof x->dims);
        if (!is_out && o->const_data) { /* a constant: its value is part of the operator */
            if (o->const_len < need) {
                task_free(t);
                return emu_fail(ACL_ERROR_INVALID_PARAM, func, "input %zu: the constant holds %zu bytes; its "
                                "description needs %zu", idx, o->const_len, need);
            }
            t->consts[idx] = o->const_data;
            o->const_data = NULL;
            x->data = t->consts[idx];
            x->size = need;
            continue;
        }
        const aclDataBuffer *b = is_out ? outputs[idx] : inputs[idx];
        void *data = NULL;
        size_t size = 0;
        char label[32];
        snprintf(label, sizeof label, "%s %zu", what, idx);
        if (!emu_databuffer_read(b, &data, &size, func, label)) {
            task_free(t);
            return ACL_ERROR_INVALID_PARAM;
        }
        if (size < need) {
            text_buf d = {0};
            text_tensor(&d, &o->d);
            char *desc = text_take(&d);
            aclError err = emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s %zu: the buffer holds %zu bytes; %s needs %zu",
                                    what, idx, size, desc ? desc : "its description", need);
            free(desc);
            task_free(t);
            return err;
        }
        if (need && !data) {
            task_free(t);
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s %zu: the buffer's data is NULL", what, idx);
        }
        x->data = data;
        x->size = need;
        if (!need) continue;
        emu_mem_where w;
        aclError err = emu_mem_locate(data, need, &w, func, is_out ? "output buffer" : "input buffer");
        if (err) {
            task_free(t);
            return err;
        }
        bool device = w.kind == EMU_MEM_DEVICE || w.kind == EMU_MEM_DVPP;
        bool host_ok = o->memtype != ACL_MEMTYPE_DEVICE; /* aclSetTensorPlaceMent: host placement */
        if (!device && !host_ok) {
            if (emu_cfg.strict) {
                task_free(t);
                return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, "%s %zu at %p is %s: operator buffers are device "
                                "memory unless aclSetTensorPlaceMent says host (set ACLLITE_EMU_STRICT=0 to allow)",
                                what, idx, data, emu_mem_kind_name(w.kind));
            }
            emu_log(ACLLITE_EMU_LOG_WARNING, "%s: %s %zu is %s, not device memory", func, what, idx,
                    emu_mem_kind_name(w.kind));
        }
    }
    *task_out = t;
    return ACL_SUCCESS;
}

static uint64_t next_tensors_id = 1; /* guarded by op_lock; ids are never reused */

/* The id of these tensors for this model: the same as an earlier execution with the same bytes, else new. */
static uint64_t tensors_id(op_model *m, const op_task *t) {
    size_t n = t->n_in + t->n_out;
    uint64_t id = 0;
    pthread_mutex_lock(&op_lock);
    for (size_t k = 0; k < SEEN_KEPT && !id; k++) {
        if (m->seen[k] && m->seen_count[k] == n && !memcmp(m->seen[k], t->in, t->n_in * sizeof *t->in) &&
            !memcmp(m->seen[k] + t->n_in, t->out, t->n_out * sizeof *t->out)) {
            id = m->seen_id[k];
        }
    }
    if (!id) {
        acllite_emu_tensor *copy = malloc((n ? n : 1) * sizeof *copy);
        if (copy) {
            memcpy(copy, t->in, t->n_in * sizeof *copy);
            memcpy(copy + t->n_in, t->out, t->n_out * sizeof *copy);
            size_t slot = m->seen_next++ % SEEN_KEPT;
            free(m->seen[slot]);
            m->seen[slot] = copy;
            m->seen_count[slot] = n;
            m->seen_id[slot] = id = next_tensors_id++;
        }
    }
    pthread_mutex_unlock(&op_lock);
    return id; /* 0 (out of memory): the engine keys on the tensors themselves */
}

static aclError run_task(void *arg) {
    op_task *t = arg;
    /* The buffers were checked when the execution was queued; they may have been released since. */
    for (size_t i = 0; i < t->n_in + t->n_out; i++) {
        bool is_out = i >= t->n_in;
        const acllite_emu_tensor *x = is_out ? &t->out[i - t->n_in] : &t->in[i];
        if (!x->size || (!is_out && t->consts[i])) continue;
        emu_mem_where w;
        aclError err = emu_mem_locate(x->data, x->size, &w, t->func, is_out ? "output buffer" : "input buffer");
        if (err) return err;
    }
    acllite_emu_op_engine e;
    if (!engine_copy(&e, t->func)) return ACL_ERROR_API_NOT_SUPPORT;
    char message[MESSAGE_LEN] = "";
    aclError err = e.execute(t->model->engine_op, tensors_id(t->model, t), t->in, t->n_in, t->out, t->n_out, message,
                             sizeof message);
    if (err) return emu_fail(err, t->func, "%s: %s", t->model->op_type, message[0] ? message : "execution failed");
    return ACL_SUCCESS;
}

static void drop_task(void *arg) { task_free(arg); }


static aclError enqueue(op_task *t, aclrtStream stream, const char *func) {
    aclError err = emu_require_init(func);
    if (err) {
        task_free(t);
        return err;
    }
    emu_lock();
    emu_stream *s = emu_stream_resolve_locked(stream, func, &err);
    emu_unlock();
    if (!s) {
        task_free(t);
        return err;
    }
    err = emu_stream_enqueue_any_thread(s, run_task, t, drop_task, func); /* drops the task on failure */
    emu_stream_unref(s);
    return err;
}

static bool all_empty(size_t n, const op_operand *v) {
    for (size_t i = 0; i < n; i++) {
        if (!tensor_empty(&v[i].d)) return false;
    }
    return true;
}

/* AscendCL matches an execution only with static descriptions (-1 and -2 are for compiling). */
static aclError check_static(size_t n_in, const op_operand *in, size_t n_out, const op_operand *out,
                             const char *func) {
    for (size_t i = 0; i < n_in + n_out; i++) {
        bool is_out = i >= n_in;
        if (!dims_static(is_out ? &out[i - n_in].d : &in[i].d)) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s %zu: a description must be static when executing "
                            "(dims -1 and -2 are for compiling)", is_out ? "output" : "input", is_out ? i - n_in : i);
        }
    }
    return ACL_SUCCESS;
}

static aclError check_array(int n, const void *const *arr, const char *what, const char *func) {
    if (n < 0) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "num%s is %d", what, n);
    if (n > MAX_OPERANDS) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "num%s is %d (at most %d)", what, n, MAX_OPERANDS);
    if (n > 0 && !arr) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "the %s array is NULL", what);
    for (int i = 0; i < n; i++) {
        if (!arr[i]) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s %d is NULL", what, i);
    }
    return ACL_SUCCESS;
}

/* Snapshot an attribute set as text (NULL attr: none). */
static aclError attrs_of(const aclopAttr *attr, char **text, const char *func) {
    *text = NULL;
    emu_lock();
    bool ok = !attr || emu_reg_has(attr, EMU_H_OP_ATTR);
    char *t = ok ? attr_text(attr) : NULL;
    emu_unlock();
    if (!ok) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "attr %p is not a live operator attribute set (destroyed "
                        "already?)", (const void *)attr);
    }
    if (!t) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    *text = t;
    return ACL_SUCCESS;
}

static aclError execute(const char *opType, int numInputs, const aclTensorDesc *const inputDesc[],
                        const aclDataBuffer *const inputs[], int numOutputs, const aclTensorDesc *const outputDesc[],
                        aclDataBuffer *const outputs[], const aclopAttr *attr, aclrtStream stream, const char *func) {
    if (!opType) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "opType is NULL");
    aclError err;
    op_operand *in = NULL, *out = NULL;
    if ((err = snapshot(numInputs, inputDesc, "Inputs", &in, func))) return err;
    if ((err = snapshot(numOutputs, outputDesc, "Outputs", &out, func))) {
        operands_free(in, (size_t)numInputs);
        return err;
    }
    char *attrs = NULL;
    op_model *m = NULL;
    op_task *t = NULL;
    if (all_empty((size_t)numOutputs, out) && numOutputs > 0) {
        err = ACL_SUCCESS; /* nothing to compute (AscendCL returns at once) */
    } else if (!(err = check_array(numInputs, (const void *const *)inputs, "Inputs", func)) &&
               !(err = check_array(numOutputs, (const void *const *)outputs, "Outputs", func)) &&
               !(err = check_static((size_t)numInputs, in, (size_t)numOutputs, out, func)) &&
               !(err = attrs_of(attr, &attrs, func))) {
        m = match(opType, (size_t)numInputs, in, (size_t)numOutputs, out, attrs, false, func, false);
        if (!m) err = ACL_ERROR_OP_NOT_FOUND;
        else if (!(err = prepare(m, (size_t)numInputs, in, inputs, (size_t)numOutputs, out, outputs, &t, func)))
            err = enqueue(t, stream, func);
    }
    free(attrs);
    operands_free(in, (size_t)numInputs);
    operands_free(out, (size_t)numOutputs);
    return err;
}

EMU_EXPORT aclError aclopExecuteV2(const char *opType, int numInputs, aclTensorDesc *inputDesc[],
                                   aclDataBuffer *inputs[], int numOutputs, aclTensorDesc *outputDesc[],
                                   aclDataBuffer *outputs[], aclopAttr *attr, aclrtStream stream) {
    return execute(opType, numInputs, (const aclTensorDesc *const *)inputDesc, (const aclDataBuffer *const *)inputs,
                   numOutputs, (const aclTensorDesc *const *)outputDesc, outputs, attr, stream, "aclopExecuteV2");
}

EMU_EXPORT aclError aclopExecute(const char *opType, int numInputs, const aclTensorDesc *const inputDesc[],
                                 const aclDataBuffer *const inputs[], int numOutputs,
                                 const aclTensorDesc *const outputDesc[], aclDataBuffer *const outputs[],
                                 const aclopAttr *attr, aclrtStream stream) {
    return execute(opType, numInputs, inputDesc, inputs, numOutputs, outputDesc, outputs, attr, stream,
                   "aclopExecute");
}

/* The attributes aclopCast gives its Cast: dst_type, and truncate when a loaded Cast model has it. */
static aclopAttr *cast_attr(const aclTensorDesc *dstDesc, uint8_t truncate, const char *func) {
    const aclTensorDesc *d = tensor_desc_live(dstDesc, func);
    if (!d) return NULL;
    aclopAttr *a = calloc(1, sizeof *a);
    if (!a) {
        emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        return NULL;
    }
    pthread_mutex_lock(&op_lock);
    bool with_truncate = cast_has_truncate;
    pthread_mutex_unlock(&op_lock);
    text_buf t = {0};
    text_fmt(&t, "i %d", (int)d->type);
    aclError err = attr_put(a, "dst_type", text_take(&t), func);
    if (!err && with_truncate) {
        text_buf b = {0};
        text_fmt(&b, "b %d", truncate ? 1 : 0);
        err = attr_put(a, "truncate", text_take(&b), func);
    }
    if (err) {
        attr_free(a);
        return NULL;
    }
    return a;
}

/* Run func_body with a temporary attribute set registered (the registry check in attrs_of accepts it). */
static bool register_temp(aclopAttr *a) {
    emu_lock();
    bool ok = emu_reg_add(a, EMU_H_OP_ATTR, -1);
    emu_unlock();
    return ok;
}

static void unregister_temp(aclopAttr *a) {
    emu_lock();
    emu_reg_remove(a, EMU_H_OP_ATTR);
    emu_unlock();
    attr_free(a);
}

EMU_EXPORT aclError aclopCast(const aclTensorDesc *srcDesc, const aclDataBuffer *srcBuffer,
                              const aclTensorDesc *dstDesc, aclDataBuffer *dstBuffer, uint8_t truncate,
                              aclrtStream stream) {
    const char *func = "aclopCast";
    if (!srcDesc || !dstDesc) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", srcDesc ? "dstDesc" : "srcDesc");
    aclopAttr *a = cast_attr(dstDesc, truncate, func);
    if (!a) return ACL_ERROR_INVALID_PARAM;
    if (!register_temp(a)) {
        attr_free(a);
        return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    const aclTensorDesc *in_desc[1] = {srcDesc}, *out_desc[1] = {dstDesc};
    const aclDataBuffer *in_buf[1] = {srcBuffer};
    aclDataBuffer *out_buf[1] = {dstBuffer};
    aclError err = execute("Cast", 1, in_desc, in_buf, 1, out_desc, out_buf, a, stream, func);
    unregister_temp(a);
    return err;
}

/* ------------------------------------------------------------------------------------------ handles */

struct aclopHandle {
    op_model *model;
    size_t n_in, n_out;
    op_operand *in, *out;
};

static void handle_free(void *p) {
    aclopHandle *h = p;
    model_unref(h->model);
    operands_free(h->in, h->n_in);
    operands_free(h->out, h->n_out);
    free(h);
}

static bool host_placed(size_t n, const op_operand *v) {
    for (size_t i = 0; i < n; i++) {
        if (v[i].memtype == ACL_MEMTYPE_HOST) return true;
    }
    return false;
}

static aclError create_handle(const char *opType, int numInputs, const aclTensorDesc *const inputDesc[],
                              int numOutputs, const aclTensorDesc *const outputDesc[], const aclopAttr *opAttr,
                              aclopHandle **handle, const char *func) {
    if (!opType) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "opType is NULL");
    if (!handle) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "handle is NULL");
    aclError err;
    op_operand *in = NULL, *out = NULL;
    char *attrs = NULL;
    if ((err = snapshot(numInputs, inputDesc, "Inputs", &in, func))) return err;
    if ((err = snapshot(numOutputs, outputDesc, "Outputs", &out, func)) || (err = attrs_of(opAttr, &attrs, func))) {
        operands_free(in, (size_t)numInputs);
        operands_free(out, (size_t)numOutputs);
        return err;
    }
    op_model *m = NULL;
    if (host_placed((size_t)numInputs, in) || host_placed((size_t)numOutputs, out)) {
        err = emu_fail(ACL_ERROR_API_NOT_SUPPORT, func, "a description placed in host memory "
                       "(aclSetTensorPlaceMent ACL_MEMTYPE_HOST) cannot make a handle");
    } else if ((err = check_static((size_t)numInputs, in, (size_t)numOutputs, out, func))) {
        /* message set */
    } else if (!(m = match(opType, (size_t)numInputs, in, (size_t)numOutputs, out, attrs, false, func, false))) {
        err = ACL_ERROR_OP_NOT_FOUND;
    }
    free(attrs);
    aclopHandle *h = err ? NULL : calloc(1, sizeof *h);
    if (!err && !h) err = emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    if (err) {
        model_unref(m);
        operands_free(in, (size_t)numInputs);
        operands_free(out, (size_t)numOutputs);
        return err;
    }
    *h = (aclopHandle){m, (size_t)numInputs, (size_t)numOutputs, in, out};
    emu_lock();
    bool ok = emu_reg_add(h, EMU_H_OP_HANDLE, -1);
    emu_unlock();
    if (!ok) {
        handle_free(h);
        return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    *handle = h;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclopCreateHandle(const char *opType, int numInputs, const aclTensorDesc *const inputDesc[],
                                      int numOutputs, const aclTensorDesc *const outputDesc[], const aclopAttr *opAttr,
                                      aclopHandle **handle) {
    return create_handle(opType, numInputs, inputDesc, numOutputs, outputDesc, opAttr, handle, "aclopCreateHandle");
}

EMU_EXPORT aclError aclopCreateHandleForCast(aclTensorDesc *srcDesc, aclTensorDesc *dstDesc, uint8_t truncate,
                                             aclopHandle **handle) {
    const char *func = "aclopCreateHandleForCast";
    if (!srcDesc || !dstDesc) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s is NULL", srcDesc ? "dstDesc" : "srcDesc");
    aclopAttr *a = cast_attr(dstDesc, truncate, func);
    if (!a) return ACL_ERROR_INVALID_PARAM;
    if (!register_temp(a)) {
        attr_free(a);
        return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    }
    const aclTensorDesc *in_desc[1] = {srcDesc}, *out_desc[1] = {dstDesc};
    aclError err = create_handle("Cast", 1, in_desc, 1, out_desc, a, handle, func);
    unregister_temp(a);
    return err;
}

EMU_EXPORT void aclopDestroyHandle(aclopHandle *handle) {
    const char *func = "aclopDestroyHandle";
    if (!handle) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "handle is NULL");
        return;
    }
    emu_lock();
    bool ok = emu_reg_remove(handle, EMU_H_OP_HANDLE);
    emu_unlock();
    if (!ok) {
        emu_fail(ACL_ERROR_INVALID_PARAM, func, "handle %p is not a live operator handle (destroyed already?)",
                 (void *)handle);
        return;
    }
    handle_free(handle); /* queued executions hold the model, not the handle */
}

EMU_EXPORT aclError aclopExecWithHandle(aclopHandle *handle, int numInputs, const aclDataBuffer *const inputs[],
                                        int numOutputs, aclDataBuffer *const outputs[], aclrtStream stream) {
    const char *func = "aclopExecWithHandle";
    if (!handle) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "handle is NULL");
    aclError err;
    if ((err = check_array(numInputs, (const void *const *)inputs, "Inputs", func)) ||
        (err = check_array(numOutputs, (const void *const *)outputs, "Outputs", func))) {
        return err;
    }
    /* Copy what the task needs while the handle is known to be alive. */
    emu_lock();
    bool ok = emu_reg_has(handle, EMU_H_OP_HANDLE);
    size_t n_in = ok ? handle->n_in : 0, n_out = ok ? handle->n_out : 0;
    op_operand *in = ok ? calloc(n_in ? n_in : 1, sizeof *in) : NULL;
    op_operand *out = ok ? calloc(n_out ? n_out : 1, sizeof *out) : NULL;
    bool copied = in && out;
    for (size_t i = 0; copied && i < n_in; i++) {
        in[i] = handle->in[i];
        in[i].const_data = NULL;
        if (handle->in[i].const_data) {
            in[i].const_data = malloc(handle->in[i].const_len);
            copied = in[i].const_data != NULL;
            if (copied) memcpy(in[i].const_data, handle->in[i].const_data, handle->in[i].const_len);
        }
    }
    for (size_t i = 0; copied && i < n_out; i++) {
        out[i] = handle->out[i];
        out[i].const_data = NULL;
    }
    op_model *m = ok ? handle->model : NULL;
    if (m) {
        pthread_mutex_lock(&op_lock);
        m->refs++;
        pthread_mutex_unlock(&op_lock);
    }
    emu_unlock();
    if (!ok) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "handle %p is not a live operator handle", (void *)handle);
    if (!copied) {
        err = emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    } else if ((size_t)numInputs != n_in) {
        err = emu_fail(ACL_ERROR_OP_INPUT_NOT_MATCH, func, "%d input(s) given; the handle's %s has %zu", numInputs,
                       m->op_type, n_in);
    } else if ((size_t)numOutputs != n_out) {
        err = emu_fail(ACL_ERROR_OP_OUTPUT_NOT_MATCH, func, "%d output(s) given; the handle's %s has %zu", numOutputs,
                       m->op_type, n_out);
    } else if (n_out > 0 && all_empty(n_out, out)) {
        err = ACL_SUCCESS;
    } else {
        op_task *t = NULL;
        err = prepare(m, n_in, in, inputs, n_out, out, outputs, &t, func);
        m = NULL; /* the task (or prepare, on failure) owns the reference */
        if (!err) err = enqueue(t, stream, func);
    }
    model_unref(m);
    operands_free(in, n_in);
    operands_free(out, n_out);
    return err;
}

/* ------------------------------------------------------------------------------------------ loading */

static bool is_om(const char *name) {
    size_t n = strlen(name);
    return n > 3 && strcmp(name + n - 3, ".om") == 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Collect the .om files under dir (depth levels), sorted; false when dir cannot be read. */
static bool list_models(const char *dir, int depth, char ***files, size_t *count, size_t *cap) {
    DIR *d = opendir(dir);
    if (!d) return false;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(n);
        if (!path) continue;
        snprintf(path, n, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0) {
            free(path);
        } else if (S_ISDIR(st.st_mode)) {
            if (depth > 1) list_models(path, depth - 1, files, count, cap);
            free(path);
        } else if (S_ISREG(st.st_mode) && is_om(e->d_name)) {
            if (*count == *cap) {
                size_t c = *cap ? *cap * 2 : 16;
                char **grown = realloc(*files, c * sizeof *grown);
                if (!grown) {
                    free(path);
                    continue;
                }
                *files = grown;
                *cap = c;
            }
            (*files)[(*count)++] = path;
        } else {
            free(path);
        }
    }
    closedir(d);
    return true;
}

static aclError read_file(const char *path, void **data, size_t *size, const char *func) {
    FILE *f = fopen(path, "rb");
    if (!f) return emu_fail(ACL_ERROR_INVALID_FILE, func, "cannot open %s", path);
    long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (len <= 0) {
        fclose(f);
        return emu_fail(len == 0 ? ACL_ERROR_INVALID_FILE_SIZE : ACL_ERROR_INVALID_FILE, func, "%s is %s", path,
                        len == 0 ? "empty" : "unreadable");
    }
    rewind(f);
    void *buf = malloc((size_t)len);
    size_t got = buf ? fread(buf, 1, (size_t)len, f) : 0;
    fclose(f);
    if (!buf || got != (size_t)len) {
        free(buf);
        return emu_fail(buf ? ACL_ERROR_INVALID_FILE : ACL_ERROR_BAD_ALLOC, func, "cannot read %s", path);
    }
    *data = buf;
    *size = (size_t)len;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclopSetModelDir(const char *modelDir) {
    const char *func = "aclopSetModelDir";
    if (!modelDir) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "modelDir is NULL");
    pthread_mutex_lock(&op_lock);
    bool again = model_dir_set;
    pthread_mutex_unlock(&op_lock);
    if (again) {
        return emu_fail(ACL_ERROR_REPEAT_INITIALIZE, func, "the model directory is set already: a process sets it "
                        "once (load more models with aclopLoad)");
    }
    acllite_emu_op_engine e;
    if (!engine_copy(&e, func)) return ACL_ERROR_API_NOT_SUPPORT;
    char **files = NULL;
    size_t count = 0, cap = 0;
    struct stat st;
    if (stat(modelDir, &st) != 0 || !S_ISDIR(st.st_mode) || !list_models(modelDir, MODEL_DIR_DEPTH, &files, &count, &cap)) {
        free(files);
        return emu_fail(ACL_ERROR_INVALID_FILE, func, "%s is not a readable directory", modelDir);
    }
    qsort(files, count, sizeof *files, by_name);
    aclError err = ACL_SUCCESS;
    size_t loaded = 0;
    for (size_t i = 0; i < count; i++) {
        void *data = NULL;
        size_t size = 0;
        aclError r = read_file(files[i], &data, &size, func);
        if (!r) r = load_bytes(data, size, files[i], func);
        free(data);
        if (r == ACL_ERROR_BAD_ALLOC || r == ACL_ERROR_API_NOT_SUPPORT) {
            err = r;
        } else if (r) { /* AscendCL skips a file it cannot parse, with a warning */
            emu_log(ACLLITE_EMU_LOG_WARNING, "%s: skipped %s: %s", func, files[i], emu_recent_message());
        } else {
            loaded++;
        }
        free(files[i]);
        files[i] = NULL;
        if (err) {
            for (size_t k = i + 1; k < count; k++) free(files[k]);
            break;
        }
    }
    free(files);
    if (err) return err;
    if (!loaded) emu_log(ACLLITE_EMU_LOG_WARNING, "%s: no single-operator model found in %s", func, modelDir);
    pthread_mutex_lock(&op_lock);
    model_dir_set = true;
    pthread_mutex_unlock(&op_lock);
    emu_log(ACLLITE_EMU_LOG_INFO, "%s: %zu single-operator model(s) from %s", func, loaded, modelDir);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclopLoad(const void *model, size_t modelSize) {
    const char *func = "aclopLoad";
    if (!model) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "model is NULL");
    if (modelSize == 0) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "modelSize is 0");
    emu_mem_where w;
    aclError err = emu_mem_locate(model, modelSize, &w, func, "model");
    if (err) return err;
    return load_bytes(model, modelSize, "the model in memory", func);
}

/* ------------------------------------------------------------------------------------------ compiling */

static aclError compile(const char *opType, int numInputs, const aclTensorDesc *const inputDesc[], int numOutputs,
                        const aclTensorDesc *const outputDesc[], const aclopAttr *attr, aclopCompileType compileFlag,
                        const char *opPath, const char *func) {
    if (compileFlag != ACL_COMPILE_SYS && compileFlag != ACL_COMPILE_UNREGISTERED) {
        return emu_fail(ACL_ERROR_API_NOT_SUPPORT, func, "compileFlag %d is neither ACL_COMPILE_SYS nor "
                        "ACL_COMPILE_UNREGISTERED", (int)compileFlag);
    }
    if (!opType) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "opType is NULL");
    if (compileFlag == ACL_COMPILE_UNREGISTERED) {
        if (!opPath) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "opPath is NULL with ACL_COMPILE_UNREGISTERED");
        return emu_fail(ACL_ERROR_API_NOT_SUPPORT, func, "%s: the emulator cannot compile a custom operator "
                        "(ACL_COMPILE_UNREGISTERED, %s): it runs built-in operators through onnxruntime", opType, opPath);
    }
    aclError err;
    op_operand *in = NULL, *out = NULL;
    char *attrs = NULL;
    if ((err = snapshot(numInputs, inputDesc, "Inputs", &in, func))) return err;
    if ((err = snapshot(numOutputs, outputDesc, "Outputs", &out, func)) || (err = attrs_of(attr, &attrs, func))) {
        operands_free(in, (size_t)numInputs);
        operands_free(out, (size_t)numOutputs);
        return err;
    }
    op_model *m = NULL;
    acllite_emu_op_engine e;
    if (host_placed((size_t)numInputs, in) || host_placed((size_t)numOutputs, out)) {
        err = emu_fail(ACL_ERROR_API_NOT_SUPPORT, func, "a description placed in host memory "
                       "(aclSetTensorPlaceMent ACL_MEMTYPE_HOST) cannot be compiled");
    } else if ((m = match(opType, (size_t)numInputs, in, (size_t)numOutputs, out, attrs, true, func, true))) {
        model_unref(m); /* compiled (or loaded) already */
    } else if (engine_copy(&e, func)) {
        acllite_emu_op_tensor *ti = calloc((size_t)numInputs + 1, sizeof *ti);
        acllite_emu_op_tensor *to = calloc((size_t)numOutputs + 1, sizeof *to);
        if (!ti || !to) {
            err = emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
        } else {
            for (int i = 0; i < numInputs; i++) ti[i] = in[i].d;
            for (int i = 0; i < numOutputs; i++) to[i] = out[i].d;
            char message[MESSAGE_LEN] = "";
            uint64_t handle = 0;
            err = e.compile(opType, ti, (size_t)numInputs, to, (size_t)numOutputs, attrs, &handle, message,
                            sizeof message);
            if (err) err = emu_fail(err, func, "%s: %s", opType, message[0] ? message : "cannot compile");
            else err = register_op(&e, handle, opType, (size_t)numInputs, (size_t)numOutputs, "aclopCompile", NULL, func);
        }
        free(ti);
        free(to);
    } else {
        err = ACL_ERROR_API_NOT_SUPPORT;
    }
    free(attrs);
    operands_free(in, (size_t)numInputs);
    operands_free(out, (size_t)numOutputs);
    return err;
}

EMU_EXPORT aclError aclopCompile(const char *opType, int numInputs, const aclTensorDesc *const inputDesc[],
                                 int numOutputs, const aclTensorDesc *const outputDesc[], const aclopAttr *attr,
                                 aclopEngineType engineType, aclopCompileType compileFlag, const char *opPath) {
    (void)engineType; /* every engine is onnxruntime here */
    return compile(opType, numInputs, inputDesc, numOutputs, outputDesc, attr, compileFlag, opPath, "aclopCompile");
}

EMU_EXPORT aclError aclopCompileAndExecute(const char *opType, int numInputs, const aclTensorDesc *const inputDesc[],
                                           const aclDataBuffer *const inputs[], int numOutputs,
                                           const aclTensorDesc *const outputDesc[], aclDataBuffer *const outputs[],
                                           const aclopAttr *attr, aclopEngineType engineType,
                                           aclopCompileType compileFlag, const char *opPath, aclrtStream stream) {
    const char *func = "aclopCompileAndExecute";
    (void)engineType;
    aclError err = compile(opType, numInputs, inputDesc, numOutputs, outputDesc, attr, compileFlag, opPath, func);
    if (err) return err;
    return execute(opType, numInputs, inputDesc, inputs, numOutputs, outputDesc, outputs, attr, stream, func);
}

EMU_EXPORT aclError aclopCompileAndExecuteV2(const char *opType, int numInputs, aclTensorDesc *inputDesc[],
                                             aclDataBuffer *inputs[], int numOutputs, aclTensorDesc *outputDesc[],
                                             aclDataBuffer *outputs[], aclopAttr *attr, aclopEngineType engineType,
                                             aclopCompileType compileFlag, const char *opPath, aclrtStream stream) {
    const char *func = "aclopCompileAndExecuteV2";
    (void)engineType;
    const aclTensorDesc *const *in = (const aclTensorDesc *const *)inputDesc;
    const aclTensorDesc *const *out = (const aclTensorDesc *const *)outputDesc;
    aclError err = compile(opType, numInputs, in, numOutputs, out, attr, compileFlag, opPath, func);
    if (err) return err;
    return execute(opType, numInputs, in, (const aclDataBuffer *const *)inputs, numOutputs, out, outputs, attr, stream,
                   func);
}

EMU_EXPORT aclError aclopSetCompileFlag(aclOpCompileFlag flag) {
    if (flag != ACL_OP_COMPILE_DEFAULT && flag != ACL_OP_COMPILE_FUZZ) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, "aclopSetCompileFlag", "flag %d is not an aclOpCompileFlag", (int)flag);
    }
    pthread_mutex_lock(&op_lock);
    compile_flag = flag; /* recorded: the emulator builds every operator for the shapes it is run at */
    pthread_mutex_unlock(&op_lock);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclSetCompileopt(aclCompileOpt opt, const char *value) {
    const char *func = "aclSetCompileopt";
    if (!value) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "value is NULL");
    if ((int)opt < 0 || (int)opt > ACL_OP_DEBUG_OPTION) {
        return emu_fail(ACL_ERROR_INTERNAL_ERROR, func, "option %d is not an aclCompileOpt", (int)opt);
    }
    size_t n = strnlen(value, MAX_TEXT + 1);
    if (n > MAX_TEXT) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "value is longer than 1 MiB");
    char *copy = dup_bytes(value, n);
    if (!copy) return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory");
    pthread_mutex_lock(&op_lock);
    free(compile_opts[opt]);
    compile_opts[opt] = copy;
    pthread_mutex_unlock(&op_lock);
    return ACL_SUCCESS;
}

EMU_EXPORT size_t aclGetCompileoptSize(aclCompileOpt opt) {
    if ((int)opt < 0 || (int)opt > ACL_OP_DEBUG_OPTION) {
        emu_fail(ACL_ERROR_INVALID_PARAM, "aclGetCompileoptSize", "option %d is not an aclCompileOpt", (int)opt);
        return 0;
    }
    pthread_mutex_lock(&op_lock);
    size_t n = compile_opts[opt] ? strlen(compile_opts[opt]) : 0;
    pthread_mutex_unlock(&op_lock);
    return n + 1; /* with the terminating NUL */
}

EMU_EXPORT aclError aclGetCompileopt(aclCompileOpt opt, char *value, size_t length) {
    const char *func = "aclGetCompileopt";
    if (!value) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "value is NULL");
    if ((int)opt < 0 || (int)opt > ACL_OP_DEBUG_OPTION) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "option %d is not an aclCompileOpt", (int)opt);
    }
    pthread_mutex_lock(&op_lock);
    const char *v = compile_opts[opt] ? compile_opts[opt] : "";
    size_t n = strlen(v);
    bool fits = length > n;
    if (fits) memcpy(value, v, n + 1);
    pthread_mutex_unlock(&op_lock);
    if (!fits) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "length %zu is too small: the value needs %zu bytes "
                        "(aclGetCompileoptSize)", length, n + 1);
    }
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclopSetMaxOpQueueNum(uint64_t maxOpNum) {
    if (maxOpNum == 0) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclopSetMaxOpQueueNum", "maxOpNum is 0");
    pthread_mutex_lock(&op_lock);
    max_op_queue = maxOpNum; /* recorded: the emulator keeps every loaded model */
    pthread_mutex_unlock(&op_lock);
    return ACL_SUCCESS;
}

/* ------------------------------------------------------------------------------------------ teardown */

void emu_ops_count_locked(acllite_emu_counts *counts) {
    counts->opAttrs = emu_reg_count(EMU_H_OP_ATTR, -1);
    counts->opHandles = emu_reg_count(EMU_H_OP_HANDLE, -1);
}

void emu_ops_release_all(acllite_emu_counts *leaks) {
    emu_lock();
    leaks->opHandles += emu_reg_release_all(EMU_H_OP_HANDLE, -1, handle_free);
    leaks->opAttrs += emu_reg_release_all(EMU_H_OP_ATTR, -1, attr_free);
    emu_unlock();
    pthread_mutex_lock(&op_lock);
    op_model *list = op_models;
    op_models = NULL;
    model_dir_set = false;
    cast_has_truncate = false;
    compile_flag = ACL_OP_COMPILE_DEFAULT;
    max_op_queue = 0;
    for (size_t i = 0; i <= ACL_OP_DEBUG_OPTION; i++) {
        free(compile_opts[i]);
        compile_opts[i] = NULL;
    }
    pthread_mutex_unlock(&op_lock);
    while (list) { /* the streams have run their tasks: only the registry's references are left */
        op_model *next = list->next;
        model_unref(list);
        list = next;
    }
}
