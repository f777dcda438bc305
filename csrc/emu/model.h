/* Internal interfaces shared by model.c and dataset.c. */
#ifndef ACLLITE_EMU_MODEL_H
#define ACLLITE_EMU_MODEL_H

#include "acl_model.h"
#include "emu.h"

typedef struct {
    acllite_emu_tensor_desc desc;
    size_t size;         /* bytes at batch 1 when dim 0 is dynamic; the largest gear's with shape gears; 0 when the
                            size depends on other dims */
    size_t sample_bytes; /* bytes per batch item when only dim 0 is dynamic, else 0 */
    bool batch_dynamic;  /* only dim 0 is dynamic */
    size_t span_bytes;   /* element size x the static dims other than 0 (per batch item): a batch times it must
                            fit in int64 even when a 0 dimension makes the tensor empty */
} emu_io;

/* Shape gears of a model made by ATC's --dynamic_image_size or --dynamic_dims (model_dynamic.c): every gear's
 * complete shape of every input and output, and the values that name it in the extra input. Immutable once
 * described; a description holds its own copy. */
typedef struct {
    int32_t kind;       /* ACLLITE_EMU_GEARS_IMAGE_SIZE or ACLLITE_EMU_GEARS_DIMS */
    size_t count;       /* gears, in the order ATC was given them */
    size_t n_values;    /* uint64 values per gear in the dynamic input: height and width, or the dynamic dims */
    size_t dyn_index;   /* the input named ACL_DYNAMIC_TENSOR_NAME */
    size_t n_in, n_out; /* the model's inputs (the dynamic one included) and outputs */
    uint64_t *values;   /* count x n_values */
    int64_t (*dims)[ACLLITE_EMU_MAX_DIMS]; /* count x (n_in + n_out): shapes at each gear (inputs first) */
    size_t *bytes;      /* count x (n_in + n_out): their bytes */
    size_t *ranks;      /* n_in + n_out: the described ranks */
} emu_shape_gears;

/* The kind of shape gears the engine describes (ACLLITE_EMU_GEARS_NONE without the callback). */
aclError emu_gears_kind(const acllite_emu_model_engine *e, uint64_t handle, int32_t *kind, const char *func);
/* Read and check the gears of a model whose inputs and outputs are described (no batch gears: batchCount 0);
 * give every tensor with dynamic dims the largest gear's size. On failure *out is NULL. */
aclError emu_gears_describe(const acllite_emu_model_engine *e, uint64_t handle, emu_io *in, size_t n_in, emu_io *out,
                            size_t n_out, size_t batch_gears, emu_shape_gears **gears, const char *func);
emu_shape_gears *emu_gears_copy(const emu_shape_gears *g); /* NULL: out of memory */
void emu_gears_free(emu_shape_gears *g);
/* The gear the dynamic input's buffer names, or ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID. */
aclError emu_gears_select(const emu_shape_gears *g, const acllite_emu_tensor *dynamic_input, size_t *gear,
                          const char *func);
/* Give tensor index (inputs first, then outputs) its shape at gear; its buffer must hold it. */
aclError emu_gears_fit(const emu_shape_gears *g, size_t gear, size_t index, acllite_emu_tensor *t,
                       const acllite_emu_tensor_desc *desc, const char *func);

/* Shape ranges (ATC --input_shape_range), model_dynamic.c. Check an input's ranges against its dims at load and
 * give it its largest size (0 when a range is unbounded). */
aclError emu_ranges_describe(emu_io *io, size_t index, const char *func);
/* The shape an execution runs a ranged input at: the dims in t (dimCount SIZE_MAX: no description was set) must
 * be within the ranges, and the buffer must hold them. */
aclError emu_ranges_fit(const emu_io *io, size_t index, acllite_emu_tensor *t, const char *func);
#define EMU_NO_DESC SIZE_MAX

/* model.c for model_dynamic.c: a copy of a loaded model's shape gears (*gears NULL: none; free it), or of a
 * description's (the description must be live). */
aclError emu_model_shape_gears(uint32_t model_id, emu_shape_gears **gears, const char *func);
aclError emu_desc_shape_gears(const aclmdlDesc *desc, emu_shape_gears **gears, const char *func);
/* A copy of a live description's input index. */
aclError emu_desc_input(const aclmdlDesc *desc, size_t index, acllite_emu_tensor_desc *out, const char *func);

/* Snapshot a dataset's buffers as engine tensors (data, size; dims left empty). The caller frees *out. */
aclError emu_dataset_tensors(const aclmdlDataset *dataset, acllite_emu_tensor **out, size_t *count, const char *func,
                             const char *what);
/* The dims of the description set at index (aclmdlSetDatasetTensorDesc): false when none. dims holds 32. */
bool emu_dataset_desc_dims(const aclmdlDataset *dataset, size_t index, size_t *count, int64_t *dims);
/* Describe output index of an execution (the dataset owns the description; aclmdlGetDatasetTensorDesc). */
void emu_dataset_set_output_desc(aclmdlDataset *dataset, size_t index, aclDataType type, aclFormat format,
                                 size_t count, const int64_t *dims, const char *func);
/* Free every dataset (aclFinalize); returns how many there were. Requires emu_lock. */
uint64_t emu_datasets_release_locked(void);

/* Entry points for model_load.c (config loading, V2 execution, descriptions without loading); func names the
 * AscendCL function in messages. */
aclError emu_model_load_file(const char *path, uint32_t *modelId, const char *func);
aclError emu_model_load_mem(const void *data, size_t size, uint32_t *modelId, const char *func);
aclError emu_model_load_file_with_mem(const char *path, uint32_t *modelId, void *workPtr, size_t workSize,
                                      void *weightPtr, size_t weightSize, const char *func);
aclError emu_model_load_mem_with_mem(const void *data, size_t size, uint32_t *modelId, void *workPtr,
                                     size_t workSize, void *weightPtr, size_t weightSize, const char *func);
aclError emu_model_query_file(const char *path, size_t *work, size_t *weight, const char *func);
/* The work and weight bytes of a loaded model (as aclmdlQuerySize reported them). */
aclError emu_model_sizes(uint32_t modelId, size_t *work, size_t *weight, const char *func);
aclError emu_model_describe_file(aclmdlDesc *d, const char *path, const char *func);
aclError emu_model_describe_mem(aclmdlDesc *d, const void *data, size_t size, const char *func);
const char *emu_model_tensor_real_name(const aclmdlDesc *d, const char *name, const char *func);
aclError emu_model_execute(uint32_t modelId, const aclmdlDataset *input, aclmdlDataset *output, const char *func);
aclError emu_model_execute_async(uint32_t modelId, const aclmdlDataset *input, aclmdlDataset *output,
                                 aclrtStream stream, const char *func);
/* Dynamic AIPP (model_aipp.c): input index of a loaded model (its description) and the AippData input attached to
 * it (*data_index SIZE_MAX: none). */
aclError emu_model_aipp_input(uint32_t modelId, size_t index, acllite_emu_tensor_desc *desc, size_t *data_index,
                              const char *func);
/* The AIPP the emulator applies to a loaded model's input (model_aipp.c): which input (SIZE_MAX: none), what the
 * engine said about it, the static configuration of a geared model, and the most bytes its output takes. */
typedef struct {
    size_t input;
    acllite_emu_aipp_input info;
    aclAippInfo fixed; /* ACLLITE_EMU_AIPP_STATIC_GEARED: the configuration (aippInfo) */
    size_t out_bytes;
} emu_aipp_plan;
/* Check the engine's description of input index's AIPP (at load) and complete plan (out_bytes of a dynamic one). */
aclError emu_aipp_plan_check(emu_aipp_plan *plan, size_t index, const emu_io *in, size_t n_in, const char *func);
/* A geared model's static AIPP input: its bytes at each gear (W x H x the format's bytes per pixel x N, described
 * [N, H, W, C]), the input's size (the largest) and the most bytes the AIPP output takes. */
aclError emu_aipp_gear_sizes(emu_aipp_plan *plan, emu_shape_gears *g, emu_io *io, const char *func);
/* At execution: check the parameters (in the AippData input, or the configuration) as the device does and apply
 * them to the image input's source images, writing the model input to out (at most plan->out_bytes); its shape
 * and bytes go to out_dims and out_size. */
aclError emu_aipp_apply(const emu_aipp_plan *plan, const emu_io *io, const acllite_emu_tensor *in, void *out,
                        int64_t out_dims[4], size_t *out_size, const char *func);
/* An input named ACL_DYNAMIC_AIPP_NAME (or with it as prefix: one per AIPP input) carries AIPP parameters. */
bool emu_is_aipp_data_name(const char *name);
/* Free every aclmdlAIPP (aclFinalize); returns how many there were. Requires emu_lock. */
uint64_t emu_aipp_release_locked(void);
/* Free every model configuration handle (aclFinalize); returns how many there were. Requires emu_lock. */
uint64_t emu_model_configs_release_locked(void);

#endif
