/* Tensor descriptions inside the emulator: the layout behind aclTensorDesc, for the model and operator code that
 * reads descriptions the program made and makes arrays of them (aclmdlCreateAndGetOpDesc, operator outputs). */
#ifndef ACLLITE_EMU_TENSOR_DESC_H
#define ACLLITE_EMU_TENSOR_DESC_H

#include "emu.h"

typedef struct {
    int64_t *dims; /* count entries; NULL when count is 0 (a scalar) */
    size_t count;
    bool set;      /* origin and storage shapes: set by the program (else the shape stands for them) */
} tensor_shape;

struct aclTensorDesc {
    aclDataType type;
    aclFormat format, origin_format, storage_format;
    tensor_shape shape, origin, storage;
    int64_t (*ranges)[2]; /* aclSetTensorShapeRange: [min, max] per dim (max -1: unbounded) */
    size_t range_count;
    int64_t (*value_ranges)[2];
    size_t value_range_count;
    char *name;
    char *dynamic_input;
    void *const_data; /* aclSetTensorConst: a copy of the host data */
    size_t const_len;
    void *address;    /* aclGetTensorDescAddress */
    aclMemType memtype;
    size_t array_len; /* descriptions from this one to the end of its array (1 for one made by the program) */
    bool dataset_owned; /* a dataset's description (aclmdlGetDatasetTensorDesc): the dataset frees it */
};

/* Fill *d (memset first) from the creation arguments; a status code and message on bad arguments. */
aclError tensor_desc_init(aclTensorDesc *d, aclDataType dataType, int numDims, const int64_t *dims, aclFormat format,
                          const char *func);
/* A zeroed array of count descriptions, every element registered (aclGetTensorDescByIndex and the getters take
 * them; fill each with tensor_desc_init); freed by tensor_desc_array_free or aclDestroyTensorDesc of its first
 * element. */
aclTensorDesc *tensor_desc_array_new(size_t count, const char *func);
void tensor_desc_array_free(aclTensorDesc *arr);
/* desc when it is a live description (or an element of a live array), else NULL with a message. */
const aclTensorDesc *tensor_desc_live(const aclTensorDesc *desc, const char *func);
/* Elements of a shape; *known false when a dim is dynamic or the product passes 2^63. */
int64_t tensor_shape_elements(const tensor_shape *s, bool *known);
/* aclFinalize: free every description still alive; returns how many arrays. Requires emu_lock. */
uint64_t emu_tensor_descs_release_locked(void);

#endif
