"""The numberings an OM file uses, mapped to AscendCL's (aclDataType, aclFormat) and to names.

Two numberings of data types meet in an OM file: the ModelDef's ``ge.proto.DataType`` (DT_FLOAT = 1, ...), and
``ge::DataType`` in the model-in/out-info partition, which is the numbering of ``aclDataType`` (FLOAT = 0, ...).
Formats are strings in the ModelDef ("NHWC") and ``ge::Format`` numbers, equal to ``aclFormat``, in the partition.
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np

__all__ = ["ACL_DT_UNDEFINED", "ACL_FORMAT_UNDEFINED", "dtype_from_proto", "dtype_name", "dtype_size", "numpy_dtype",
           "format_from_layout", "format_name", "PARTITION_NAMES", "MODEL_TYPES", "AIPP_INPUT_FORMATS",
           "AIPP_MODES"]

ACL_DT_UNDEFINED = -1
ACL_FORMAT_UNDEFINED = -1

#: aclDataType -> (name, bytes per element; 0: not a whole number of bytes or variable)
_ACL_TYPES: Dict[int, tuple] = {
    0: ("FLOAT", 4), 1: ("FLOAT16", 2), 2: ("INT8", 1), 3: ("INT32", 4), 4: ("UINT8", 1), 6: ("INT16", 2),
    7: ("UINT16", 2), 8: ("UINT32", 4), 9: ("INT64", 8), 10: ("UINT64", 8), 11: ("DOUBLE", 8), 12: ("BOOL", 1),
    13: ("STRING", 0), 14: ("DUAL_SUB_INT8", 1), 15: ("DUAL_SUB_UINT8", 1), 16: ("COMPLEX64", 8),
    17: ("COMPLEX128", 16), 18: ("QINT8", 1), 19: ("QINT16", 2), 20: ("QINT32", 4), 21: ("QUINT8", 1),
    22: ("QUINT16", 2), 23: ("RESOURCE", 0), 24: ("STRING_REF", 0), 25: ("DUAL", 0), 26: ("VARIANT", 0),
    27: ("BF16", 2), 29: ("INT4", 0), 30: ("UINT1", 0), 33: ("COMPLEX32", 4),
}

#: ge.proto.DataType (the ModelDef's enum) -> aclDataType. DT_UNDEFINED (0) and unknown values map to -1.
_PROTO_TO_ACL = {
    1: 0, 2: 1, 3: 2, 4: 4, 5: 6, 6: 7, 7: 3, 8: 9, 9: 8, 10: 10, 11: 12, 12: 11, 13: 13, 14: 14, 15: 15, 16: 16,
    17: 17, 18: 18, 19: 19, 20: 20, 21: 21, 22: 22, 23: 23, 24: 24, 25: 25, 26: 26, 27: 27, 28: 29,
}
#: The ``__tensor_desc_data_type__`` tensor attribute of old GE ("self-defined" types) -> aclDataType.
_SELF_DEFINED_TO_ACL = {13: 25, 14: 14, 15: 15, 16: 16, 17: 17, 18: 18, 19: 19, 20: 20, 21: 21, 22: 22}

_NUMPY = {
    0: np.float32, 1: np.float16, 2: np.int8, 3: np.int32, 4: np.uint8, 6: np.int16, 7: np.uint16, 8: np.uint32,
    9: np.int64, 10: np.uint64, 11: np.float64, 12: np.bool_, 16: np.complex64, 17: np.complex128,
}

#: ge::Format in declaration order (= aclFormat values); the ModelDef writes these names as layout strings.
_FORMAT_NAMES = (
    "NCHW", "NHWC", "ND", "NC1HWC0", "FRACTAL_Z", "NC1C0HWPAD", "NHWC1C0", "FSR_NCHW", "FRACTAL_DECONV", "C1HWNC0",
    "FRACTAL_DECONV_TRANSPOSE", "FRACTAL_DECONV_SP_STRIDE_TRANS", "NC1HWC0_C04", "FRACTAL_Z_C04", "CHWN",
    "FRACTAL_DECONV_SP_STRIDE8_TRANS", "HWCN", "NC1KHKWHWC0", "BN_WEIGHT", "FILTER_HWCK",
    "HASHTABLE_LOOKUP_LOOKUPS", "HASHTABLE_LOOKUP_KEYS", "HASHTABLE_LOOKUP_VALUE", "HASHTABLE_LOOKUP_OUTPUT",
    "HASHTABLE_LOOKUP_HITS", "C1HWNCoC0", "MD", "NDHWC", "FRACTAL_ZZ", "FRACTAL_NZ", "NCDHW", "DHWCN", "NDC1HWC0",
    "FRACTAL_Z_3D", "CN", "NC", "DHWNC", "FRACTAL_Z_3D_TRANSPOSE", "FRACTAL_ZN_LSTM", "FRACTAL_Z_G",
)
_FORMATS_BY_NAME = {name.upper(): i for i, name in enumerate(_FORMAT_NAMES)}
_FORMATS_BY_NAME["NCL"] = 47

#: ModelPartitionType
PARTITION_NAMES = {
    0: "MODEL_DEF", 1: "WEIGHTS_DATA", 2: "TASK_INFO", 3: "TBE_KERNELS", 4: "CUST_AICPU_KERNELS", 5: "SO_BINS",
    6: "FLOW_MODEL", 7: "FLOW_SUBMODEL", 8: "MODEL_INOUT_INFO", 9: "STATIC_TASK_DESC", 10: "DYNAMIC_TASK_DESC",
    11: "TASK_PARAM", 12: "TILING_DATA", 20: "PRE_MODEL_DESC", 21: "PRE_MODEL_SQE", 22: "PRE_KERNEL_ARGS",
    23: "PRE_MODEL_DESC_EXTEND", 24: "BUNDLE_MODEL_INFO", 1000: "ACLLITE_ONNX",
}
#: ModelFileHeader.modeltype
MODEL_TYPES = {0: "IR", 1: "standard", 2: "tiny", 3: "flow", 4: "lite", 5: "bundle"}
#: domi.AippOpParams.InputFormat and .AippMode (the AIPP attribute stores the numbers; ATC configs use the names)
AIPP_INPUT_FORMATS = {
    0: "UNDEFINED", 1: "YUV420SP_U8", 2: "XRGB8888_U8", 3: "RGB888_U8", 4: "YUV400_U8", 5: "NC1HWC0DI_FP16",
    6: "NC1HWC0DI_S8", 7: "ARGB8888_U8", 8: "YUYV_U8", 9: "YUV422SP_U8", 10: "AYUV444_U8", 11: "RAW10", 12: "RAW12",
    13: "RAW16", 14: "RAW24", 15: "RGB16", 16: "RGB20", 17: "RGB24", 18: "RGB8_IR", 19: "RGB16_IR", 20: "RGB24_IR",
}
AIPP_MODES = {0: "undefined", 1: "static", 2: "dynamic"}


def dtype_from_proto(proto_dtype: int, self_defined: Optional[int] = None) -> int:
    """aclDataType of a ModelDef tensor (its ``dtype`` field, or the self-defined attribute when present)."""
    if self_defined is not None:
        return _SELF_DEFINED_TO_ACL.get(self_defined, ACL_DT_UNDEFINED)
    return _PROTO_TO_ACL.get(proto_dtype, ACL_DT_UNDEFINED)


def dtype_name(acl_dtype: int) -> str:
    entry = _ACL_TYPES.get(acl_dtype)
    return entry[0] if entry else ("UNDEFINED" if acl_dtype == ACL_DT_UNDEFINED else "DT_%d" % acl_dtype)


def dtype_size(acl_dtype: int) -> int:
    """Bytes per element; 0 when the type has no fixed whole-byte size (or is unknown)."""
    entry = _ACL_TYPES.get(acl_dtype)
    return entry[1] if entry else 0


def numpy_dtype(acl_dtype: int) -> Optional[np.dtype]:
    kind = _NUMPY.get(acl_dtype)
    return None if kind is None else np.dtype(kind)


def format_from_layout(layout: str) -> int:
    """aclFormat of a ModelDef layout string ("NHWC"); "" and unknown names are ACL_FORMAT_UNDEFINED."""
    return _FORMATS_BY_NAME.get(layout.strip().upper(), ACL_FORMAT_UNDEFINED)


def format_name(acl_format: int) -> str:
    if 0 <= acl_format < len(_FORMAT_NAMES):
        return _FORMAT_NAMES[acl_format]
    if acl_format == 47:
        return "NCL"
    return "UNDEFINED" if acl_format == ACL_FORMAT_UNDEFINED else "FORMAT_%d" % acl_format
