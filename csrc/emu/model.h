/* Internal interfaces shared by model.c and dataset.c. */
#ifndef ACLLITE_EMU_MODEL_H
#define ACLLITE_EMU_MODEL_H

#include "acl_model.h"
#include "emu.h"

/* Snapshot a dataset's buffers as engine tensors (data, size; dims left empty). The caller frees *out. */
aclError emu_dataset_tensors(const aclmdlDataset *dataset, acllite_emu_tensor **out, size_t *count, const char *func,
                             const char *what);
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
/* Free every model configuration handle (aclFinalize); returns how many there were. Requires emu_lock. */
uint64_t emu_model_configs_release_locked(void);

#endif
