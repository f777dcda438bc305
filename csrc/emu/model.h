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

#endif
