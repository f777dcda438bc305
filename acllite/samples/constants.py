"""The constants of the Ascend samples' acllite (``import constants as const``), same names and values.

AscendCL's own values (return codes, memcpy kinds, malloc policies, data types, formats, pixel formats) come
from acllite's API declaration (one source of truth); the names below them are the samples' own.
"""

from typing import TYPE_CHECKING

from acllite._native import lib as _lib

# AscendCL values, as the binding declares them: ACL_ERROR_*, ACL_MEMCPY_*, ACL_MEM_MALLOC_*, ACL_FLOAT...,
# ACL_FORMAT_*, PIXEL_FORMAT_*, ACL_HOST/ACL_DEVICE, ACL_CALLBACK_*, ACL_DDR_MEM/ACL_HBM_MEM.
for _name in dir(_lib):
    if _name.startswith(("ACL_", "PIXEL_FORMAT_")) and isinstance(getattr(_lib, _name), int):
        globals()[_name] = getattr(_lib, _name)
del _name

if TYPE_CHECKING:
    def __getattr__(name: str) -> int: ...  # the AscendCL values copied in above

# The samples' own names.
SUCCESS = 0
FAILED = 1
ACL_SUCCESS = 0

# Where an AclLiteImage's data lives.
MEMORY_NORMAL = 0  # numpy / Python memory
MEMORY_HOST = 1  # acl.rt.malloc_host
MEMORY_DEVICE = 2  # acl.rt.malloc
MEMORY_DVPP = 3  # acl.media.dvpp_malloc
MEMORY_CTYPES = 4

IMAGE_DATA_NUMPY = 0
IMAGE_DATA_BUFFER = 1

# Image file encodings.
ENCODE_FORMAT_UNKNOW = 0
ENCODE_FORMAT_JPEG = 1
ENCODE_FORMAT_PNG = 2
ENCODE_FORMAT_YUV420_SP = 3

IMG_EXT = [".jpg", ".JPG", ".png", ".PNG", ".bmp", ".BMP", ".jpeg", ".JPEG"]

READ_VIDEO_OK = 0

# Video encodings.
ENTYPE_H265_MAIN = 0
ENTYPE_H264_BASE = 1
ENTYPE_H264_MAIN = 2
ENTYPE_H264_HIGH = 3

# aclDataType / aclFormat spelled as the samples spell them (the same values as ACL_FLOAT... above).
ACL_DT_UNDEFINED = -1
ACL_FORMAT_UNDEFINED = -1

# acl.app_log levels (acllite_logger.py).
_ACL_DEBUG = 0
_ACL_INFO = 1
_ACL_WARNING = 2
_ACL_ERROR = 3

# NumPy type numbers for acl.util.ptr_to_numpy.
NPY_BOOL = 0
NPY_BYTE = 1
NPY_UBYTE = 2
NPY_SHORT = 3
NPY_USHORT = 4
NPY_INT = 5
NPY_UINT = 6
NPY_LONG = 7
NPY_ULONG = 8
NPY_LONGLONG = 9
NPY_ULONGLONG = 10
NPY_FLOAT32 = 11
NPY_FLOAT = 11
NPY_DOUBLE = 12
NPY_HALF = 23
