"""What the OM reader returns: the header, the partitions, and the model's inputs and outputs as a device
describes them. Plain frozen dataclasses; :meth:`OmModel.to_dict` gives the JSON form ``acllite inspect`` prints.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Optional, Tuple

from ._types import MODEL_TYPES, PARTITION_NAMES, dtype_name, format_name

__all__ = ["OmError", "OmHeader", "OmPartition", "OmSubModel", "OmTensor", "OmModel",
           "ACL_ERROR_INVALID_FILE", "ACL_ERROR_API_NOT_SUPPORT", "ACL_ERROR_GE_PARAM_INVALID",
           "ACL_ERROR_GE_EXEC_MODEL_DATA_SIZE_INVALID", "ACL_ERROR_GE_EXEC_LOAD_MODEL_PARTITION_FAILED"]

# The codes a device's loader returns for the same faults (GE's ModelHelper / OmFileLoadHelper), used by the
# emulator when it loads an OM file.
ACL_ERROR_INVALID_FILE = 100003  #: the file cannot be opened or read
ACL_ERROR_API_NOT_SUPPORT = 200001  #: encrypted models
ACL_ERROR_GE_PARAM_INVALID = 145000  #: not an OM file: magic, header, body length, partition count
ACL_ERROR_GE_EXEC_MODEL_DATA_SIZE_INVALID = 145006  #: a partition table or partition runs past the end
ACL_ERROR_GE_EXEC_LOAD_MODEL_PARTITION_FAILED = 545002  #: no readable ModelDef partition


class OmError(ValueError):
    """The file is not an OM file this reader can describe; ``code`` is the aclError a loader answers with."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class OmHeader:
    """The 256-byte ModelFileHeader (``layout`` "v1": version 0x10000000, "v2": 0x20000000 and later)."""

    magic: int
    header_size: int
    version: int
    layout: str
    length: int  #: u32 body length (used when model_length is 0)
    is_encrypt: int
    is_checksum: int
    model_type: int
    gen_mode: int
    name: str
    ops: int
    user_define_info: str
    om_ir_version: int
    model_num: int  #: 1 for v1 files (the field does not exist there)
    platform_version: str
    platform_type: int
    model_length: int  #: u64 body length (v2; 0 in v1 files)
    need_check_os_cpu_info: int
    is_unknown_model: int

    @property
    def body_length(self) -> int:
        return self.model_length or self.length

    @property
    def model_type_name(self) -> str:
        return MODEL_TYPES.get(self.model_type, "type %d" % self.model_type)


@dataclass(frozen=True)
class OmPartition:
    type: int
    offset: int  #: as recorded: from the end of the partition table
    size: int
    table: str  #: "tiny" (12-byte entries) or "64-bit" (24-byte entries)

    @property
    def type_name(self) -> str:
        return PARTITION_NAMES.get(self.type, "TYPE_%d" % self.type)


@dataclass(frozen=True)
class OmSubModel:
    """One partition-table block (a file holds ``model_num`` of them back to back; most hold one)."""

    index: int
    partitions: Tuple[OmPartition, ...]
    name: str  #: the name in its ModelDef ("" when it has none)


@dataclass(frozen=True)
class OmTensor:
    """One model input or output, as ``aclmdlGetDesc`` reports it on a device."""

    name: str
    acl_dtype: int  #: aclDataType (-1: undefined)
    format: int  #: aclFormat (-1: undefined)
    dims: Tuple[int, ...]  #: aclmdlGetInputDims / aclmdlGetOutputDims (-1: dynamic)
    dims_v2: Tuple[int, ...]  #: aclmdlGetInputDimsV2: the dims after static AIPP, else ``dims``
    size: int  #: aclmdlGet{Input,Output}SizeByIndex; -1 when the dims are dynamic
    recorded_size: int  #: the size stored with the tensor (may include alignment padding)
    aipp: Optional[Dict[str, Any]] = None  #: static AIPP parameters (``insert_op.proto`` names), inputs only
    aipp_mode: str = ""  #: "static_aipp", "dynamic_aipp", "dynamic_aipp_conf" or "" (none)
    shape_range: Tuple[Tuple[int, int], ...] = ()  #: [min, max] per dim (max -1: unbounded), or ()
    op_type: str = ""  #: the ModelDef op an input comes from: "Data", or "AippData" (dynamic AIPP parameters)

    @property
    def dtype_name(self) -> str:
        return dtype_name(self.acl_dtype)

    @property
    def format_name(self) -> str:
        return format_name(self.format)

    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"name": self.name, "dtype": self.dtype_name, "acl_dtype": self.acl_dtype,
                               "format": self.format_name, "acl_format": self.format, "dims": list(self.dims),
                               "size": self.size}
        if self.dims_v2 != self.dims:
            out["dims_v2"] = list(self.dims_v2)
        if self.aipp_mode:
            out["aipp_mode"] = self.aipp_mode
        if self.aipp is not None:
            out["aipp"] = self.aipp
        if self.shape_range:
            out["shape_range"] = [list(r) for r in self.shape_range]
        if self.op_type == "AippData":
            out["op_type"] = self.op_type
        return out


@dataclass(frozen=True)
class OmModel:
    """An OM file: what its header, partitions and ModelDef say."""

    path: str
    file_size: int
    header: OmHeader
    submodels: Tuple[OmSubModel, ...]
    name: str  #: the ModelDef's name
    graph_name: str
    ir_version: int  #: ModelDef.version
    custom_version: str
    inputs: Tuple[OmTensor, ...]
    outputs: Tuple[OmTensor, ...]
    described_by: str  #: "MODEL_INOUT_INFO" (the newer partition, preferred) or "MODEL_DEF"
    dynamic_batch: Tuple[int, ...] = ()  #: ATC --dynamic_batch_size gears
    dynamic_hw: Tuple[Tuple[int, ...], ...] = ()  #: ATC --dynamic_image_size gears (height, width)
    dynamic_dims: Tuple[Tuple[int, ...], ...] = ()  #: ATC --dynamic_dims gears
    attributes: Dict[str, Any] = field(default_factory=dict)  #: the model's scalar attributes (atc_version, ...)

    @property
    def weight_bytes(self) -> int:
        """The weights' size: the ``weight_size`` attribute, else the first sub-model's WEIGHTS_DATA partition."""
        size = self.attributes.get("weight_size")
        if isinstance(size, int) and size >= 0:
            return size
        return sum(p.size for p in self.submodels[0].partitions if p.type == 1) if self.submodels else 0

    @property
    def atc_version(self) -> str:
        return str(self.attributes.get("atc_version", ""))

    @property
    def soc_version(self) -> str:
        return str(self.attributes.get("soc_version", ""))

    def to_dict(self) -> Dict[str, Any]:
        h = self.header
        header = asdict(h)
        header.update(body_length=h.body_length, model_type_name=h.model_type_name, version="0x%08X" % h.version,
                      magic="0x%08X" % h.magic)
        return {
            "path": self.path, "kind": "om", "file_size": self.file_size, "name": self.name,
            "graph": self.graph_name, "ir_version": self.ir_version, "custom_version": self.custom_version,
            "described_by": self.described_by, "header": header,
            "submodels": [{"index": s.index, "name": s.name, "partitions": [
                {"type": p.type_name, "type_id": p.type, "offset": p.offset, "size": p.size, "table": p.table}
                for p in s.partitions]} for s in self.submodels],
            "inputs": [t.to_dict() for t in self.inputs], "outputs": [t.to_dict() for t in self.outputs],
            "dynamic_batch": list(self.dynamic_batch), "dynamic_hw": [list(g) for g in self.dynamic_hw],
            "dynamic_dims": [list(g) for g in self.dynamic_dims], "weight_bytes": self.weight_bytes,
            "platform_version": h.platform_version, "soc_version": self.soc_version,
            "atc_version": self.atc_version, "attributes": self.attributes,
        }
