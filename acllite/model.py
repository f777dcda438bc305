"""Models: load, describe, execute with numpy arrays or device buffers.

``Model`` owns the model id and its description. Execution state (device buffers for inputs and outputs, the
data buffers and the two datasets) lives in an :class:`Executor`, built once and reused, so a loop of
``execute`` calls allocates nothing when outputs go to caller arrays (``out=``). In ACL_HOST run mode the only
copies are the ones the hardware makes too: host inputs to the device, outputs back to the host. Device inputs
(a :class:`~acllite.memory.DeviceBuffer`, a DVPP buffer, an image) are passed by pointer without a copy.

``Model.execute`` serializes callers on one default executor; threads that want to run one model concurrently
create one executor each with :meth:`Model.executor`.
"""

from __future__ import annotations

import collections.abc
import os
import threading
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _lifecycle
from ._native import backend_info, ffi, lib
from .dynamic_aipp import write_dynamic_aipp
from .errors import AclTimeoutError, check, raise_for
from .formats.aipp import AIPP_BATCH_BYTES, AIPP_HEADER_BYTES, input_bytes, params_from_mapping
from .memory import Buffer, DeviceBuffer, H2D, D2H

if TYPE_CHECKING:
    from .runtime import Device, Stream

__all__ = ["Model", "Executor", "TensorInfo", "AsyncResult", "ACL_TO_NUMPY"]

#: aclDataType -> numpy dtype (the types a model tensor can have here).
ACL_TO_NUMPY: Dict[int, np.dtype] = {
    0: np.dtype(np.float32), 1: np.dtype(np.float16), 2: np.dtype(np.int8), 3: np.dtype(np.int32),
    4: np.dtype(np.uint8), 6: np.dtype(np.int16), 7: np.dtype(np.uint16), 8: np.dtype(np.uint32),
    9: np.dtype(np.int64), 10: np.dtype(np.uint64), 11: np.dtype(np.float64), 12: np.dtype(np.bool_),
}
_FORMATS = {-1: "UNDEFINED", 0: "NCHW", 1: "NHWC", 2: "ND", 3: "NC1HWC0"}
DYNAMIC_TENSOR_NAME = "ascend_mbatch_shape_data"  # ACL_DYNAMIC_TENSOR_NAME
_RESERVED_INDEX = (1 << 64) - 1  # the reserved index argument: -1 as a size_t
# Hot-path functions, bound once.
_memcpy = lib.aclrtMemcpy
_memcpy_async = lib.aclrtMemcpyAsync
_execute = lib.aclmdlExecute
_from_buffer = ffi.from_buffer
_BYTES = ffi.typeof("char[]")


@dataclass(frozen=True)
class TensorInfo:
    """One model input or output as the device describes it."""

    name: str
    shape: Tuple[int, ...]  #: -1 marks a dynamic dimension
    dtype: np.dtype
    acl_dtype: int  #: aclDataType
    format: int  #: aclFormat
    nbytes: int  #: aclmdlGet{Input,Output}SizeByIndex (per sample when the batch is dynamic)

    @property
    def batch_dynamic(self) -> bool:
        """Only the first dimension is dynamic: the batch follows from the data."""
        return bool(self.shape) and self.shape[0] < 0 and all(d >= 0 for d in self.shape[1:])

    @property
    def format_name(self) -> str:
        return _FORMATS.get(self.format, str(self.format))


def _describe(desc: Any, output: bool) -> List[TensorInfo]:
    count = (lib.aclmdlGetNumOutputs if output else lib.aclmdlGetNumInputs)(desc)
    dims_fn = lib.aclmdlGetOutputDims if output else lib.aclmdlGetInputDims
    size_fn = lib.aclmdlGetOutputSizeByIndex if output else lib.aclmdlGetInputSizeByIndex
    dtype_fn = lib.aclmdlGetOutputDataType if output else lib.aclmdlGetInputDataType
    fmt_fn = lib.aclmdlGetOutputFormat if output else lib.aclmdlGetInputFormat
    infos = []
    dims = ffi.new("aclmdlIODims *")
    for i in range(count):
        check(dims_fn(desc, i, dims), "aclmdlGetOutputDims" if output else "aclmdlGetInputDims")
        acl_dtype = int(dtype_fn(desc, i))
        if acl_dtype not in ACL_TO_NUMPY:
            raise_for(100026, "aclmdlGetInputDataType", "data type %d has no numpy equivalent" % acl_dtype)
        infos.append(TensorInfo(ffi.string(dims.name).decode(errors="replace"),
                                tuple(int(dims.dims[k]) for k in range(dims.dimCount)), ACL_TO_NUMPY[acl_dtype],
                                acl_dtype, int(fmt_fn(desc, i)), int(size_fn(desc, i))))
    return infos


def _release_model(handles: Tuple[int, Any]) -> int:
    model_id, desc = handles
    rc = lib.aclmdlUnload(model_id)
    lib.aclmdlDestroyDesc(desc)
    return int(rc)


def _load_with_config(source: Union[str, "os.PathLike[str]", bytes, bytearray, memoryview], priority: int,
                      cell: Any) -> None:
    """aclmdlLoadWithConfig of a path or bytes at this priority (the handle lives for the call only)."""
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise TypeError("priority must be an int (0 to 7), not %r" % (priority,))
    handle = lib.aclmdlCreateConfigHandle()
    if handle == ffi.NULL:
        raise_for(200000, "aclmdlCreateConfigHandle")
    try:
        def opt(attr: int, ctype: str, value: Any) -> None:
            value_cell = ffi.new(ctype + " *", value)
            check(lib.aclmdlSetConfigOpt(handle, attr, value_cell, ffi.sizeof(ctype)), "aclmdlSetConfigOpt")

        if not -(1 << 31) <= priority < 1 << 31:  # an int32_t; the emulator itself refuses values beyond 0..7
            raise ValueError("priority %d is not 0 to 7" % priority)
        opt(lib.ACL_MDL_PRIORITY_INT32, "int32_t", priority)
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = ffi.from_buffer(source)
            opt(lib.ACL_MDL_LOAD_TYPE_SIZET, "size_t", lib.ACL_MDL_LOAD_FROM_MEM)
            opt(lib.ACL_MDL_MEM_ADDR_PTR, "void *", ffi.cast("void *", data))
            opt(lib.ACL_MDL_MEM_SIZET, "size_t", len(data))
        else:
            path = ffi.new("char[]", os.fsencode(source))
            opt(lib.ACL_MDL_LOAD_TYPE_SIZET, "size_t", lib.ACL_MDL_LOAD_FROM_FILE)
            opt(lib.ACL_MDL_PATH_PTR, "void *", ffi.cast("void *", path))
        check(lib.aclmdlLoadWithConfig(handle, cell), "aclmdlLoadWithConfig")
    finally:
        lib.aclmdlDestroyConfigHandle(handle)


class Model:
    """A loaded model (aclmdlLoadFromFile / aclmdlLoadFromMem) and its description.

    ``source`` is a path or the model's bytes. On the emulator: an ONNX model, or an ``.om`` (one written by
    ``acllite atc`` runs the ONNX model it carries, from its file or its bytes; an ATC-made one runs through its
    ONNX twin ``X.onnx``; see docs/OM.md, docs/MODELS.md). The model is loaded in the device's context;
    ``close()`` (or ``with``) unloads it.

    ``priority`` (0, the highest, to 7) loads it with a configuration (aclmdlLoadWithConfig,
    ``ACL_MDL_PRIORITY_INT32``) instead of aclmdlLoadFromFile/FromMem.
    """

    def __init__(self, source: Union[str, "os.PathLike[str]", bytes, bytearray, memoryview], device: "Device",
                 *, priority: Optional[int] = None):
        device.make_current()
        _lifecycle.drain()
        cell = ffi.new("uint32_t *")
        if priority is not None:
            _load_with_config(source, priority, cell)
        elif isinstance(source, (bytes, bytearray, memoryview)):
            data = ffi.from_buffer(source)
            check(lib.aclmdlLoadFromMem(data, len(data), cell), "aclmdlLoadFromMem")
        else:
            check(lib.aclmdlLoadFromFile(os.fsencode(source), cell), "aclmdlLoadFromFile")
        self.id = int(cell[0])
        self.device = device
        desc = lib.aclmdlCreateDesc()
        if desc == ffi.NULL:
            lib.aclmdlUnload(self.id)
            raise_for(200000, "aclmdlCreateDesc")
        # Models belong to the process, not the device: aclFinalize unloads them, a device reset does not.
        self._res = _lifecycle.Resource(_release_model, "aclmdlUnload", (self.id, desc))
        self._finalizer = weakref.finalize(self, self._res.release)
        self._desc = desc
        try:
            self._describe(desc)
        except BaseException:
            self._finalizer()
            raise
        self._lock = threading.Lock()
        self._default: Optional[Executor] = None
        self._executors: "weakref.WeakSet[Executor]" = weakref.WeakSet()

    def _describe(self, desc: Any) -> None:
        check(lib.aclmdlGetDesc(desc, self.id), "aclmdlGetDesc")
        self.inputs = _describe(desc, False)
        self.outputs = _describe(desc, True)
        gears = ffi.new("aclmdlBatch *")
        check(lib.aclmdlGetDynamicBatch(desc, gears), "aclmdlGetDynamicBatch")
        #: Batch sizes of a model converted with --dynamic_batch_size (empty otherwise).
        self.batch_gears: Tuple[int, ...] = tuple(int(gears.batch[i]) for i in range(gears.batchCount))
        self.dynamic_input = -1  #: index of ascend_mbatch_shape_data, the input that carries the batch or gear
        hw = ffi.new("aclmdlHW *")
        check(lib.aclmdlGetDynamicHW(desc, _RESERVED_INDEX, hw), "aclmdlGetDynamicHW")
        #: (height, width) gears of a model converted with --dynamic_image_size, in ATC's order (empty otherwise).
        self.hw_gears: Tuple[Tuple[int, int], ...] = tuple((int(hw.hw[k][0]), int(hw.hw[k][1]))
                                                           for k in range(hw.hwCount))
        count = ffi.new("size_t *")
        check(lib.aclmdlGetInputDynamicGearCount(desc, _RESERVED_INDEX, count), "aclmdlGetInputDynamicGearCount")
        #: Gears of a model converted with --dynamic_dims: each gear is every data input's dims, concatenated in
        #: input order (aclmdlGetInputDynamicDims); empty otherwise.
        self.dims_gears: Tuple[Tuple[int, ...], ...] = ()
        if count[0]:
            table = ffi.new("aclmdlIODims[]", count[0])
            check(lib.aclmdlGetInputDynamicDims(desc, _RESERVED_INDEX, table, count[0]), "aclmdlGetInputDynamicDims")
            self.dims_gears = tuple(tuple(int(table[k].dims[j]) for j in range(table[k].dimCount))
                                    for k in range(count[0]))
        #: Output shapes per image size or dims gear, learned at a gear's first run by any executor.
        self._gear_shapes: Dict[Tuple[int, ...], List[Tuple[int, ...]]] = {}
        self._gear_launches = _GearLaunches()
        if self.batch_gears or self.hw_gears or self.dims_gears:
            index = ffi.new("size_t *")
            check(lib.aclmdlGetInputIndexByName(desc, DYNAMIC_TENSOR_NAME.encode(), index),
                  "aclmdlGetInputIndexByName")
            self.dynamic_input = int(index[0])
        #: Shape ranges (atc ``--input_shape_range``): per input, the [min, max] of each dimension (max -1:
        #: unbounded), or None for an input without a dynamic dimension; empty for a model without ranges.
        self.input_ranges: Tuple[Optional[Tuple[Tuple[int, int], ...]], ...] = ()
        if not (self.batch_gears or self.hw_gears or self.dims_gears) and any(
                -1 in t.shape for t in self.inputs):
            ranges: List[Optional[Tuple[Tuple[int, int], ...]]] = []
            cell = ffi.new("aclmdlIODimsRange *")
            for i, t in enumerate(self.inputs):
                found = None
                if -1 in t.shape and lib.aclmdlGetInputDimsRange(desc, i, cell) == 0 and \
                        cell.rangeCount == len(t.shape):
                    found = tuple((int(cell.range[k][0]), int(cell.range[k][1])) for k in range(cell.rangeCount))
                ranges.append(found)
            # A dynamic dim reads [1, -1] both when its range is unbounded and when it is an ONNX model's symbolic
            # dim, which only the emulator has (it runs those at the size the buffers give): the emulator says
            # which; on CANN a -1 without gears is a range. Outputs sized only by a run need the ranged path too.
            if any(_has_ranges(desc, i) for i, r in enumerate(ranges) if r is not None) or any(
                    -1 in o.shape and 0 not in o.shape and o.nbytes <= 0 for o in self.outputs):
                self.input_ranges = tuple(ranges)
        #: Dynamic AIPP (atc ``aipp_mode: dynamic``): the image input and the AippData input carrying the
        #: parameters (-1: none), and the (channels, height, width) the AIPP output feeds.
        self.aipp_input = self.aipp_data_input = -1
        self.aipp_chw: Tuple[int, int, int] = (0, 0, 0)
        self.aipp_batch = 0  #: the images one set of dynamic AIPP parameters holds (the largest batch gear's)
        kind, attached = ffi.new("aclmdlInputAippType *"), ffi.new("size_t *")
        for i in range(len(self.inputs)):
            check(lib.aclmdlGetAippType(self.id, i, kind, attached), "aclmdlGetAippType")
            if kind[0] == lib.ACL_DATA_WITH_DYNAMIC_AIPP:
                self.aipp_input, self.aipp_data_input = i, int(attached[0])
                _, h, w, c = self.inputs[i].shape  # described as the source images: [N, H, W, C]
                self.aipp_chw = (int(c), int(h), int(w))
                self.aipp_batch = (self.inputs[self.aipp_data_input].nbytes - AIPP_HEADER_BYTES) // AIPP_BATCH_BYTES
        #: The inputs a caller passes to execute (all but the dynamic batch input and the AippData input).
        self.data_inputs = [t for i, t in enumerate(self.inputs) if i not in (self.dynamic_input,
                                                                              self.aipp_data_input)]

    def __repr__(self) -> str:
        return "<acllite.Model id=%d inputs=%s outputs=%s%s>" % (
            self.id, [(t.name, t.shape) for t in self.inputs], [(t.name, t.shape) for t in self.outputs],
            " closed" if self.closed else "")

    @property
    def closed(self) -> bool:
        return self._res.released

    def close(self) -> None:
        """Release the executors' buffers and unload the model (idempotent). A run in flight (an execute in another
        thread, a queued execute_async) finishes first: its buffers are not freed under it."""
        with self._lock:
            for ex in list(self._executors):
                ex.close()
            self._finalizer()
        _lifecycle.drain()

    def __enter__(self) -> "Model":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        _lifecycle.exit_close(self.close, exc_type, "Model")

    def _check_open(self) -> None:
        if self.closed:
            raise _lifecycle.closed_error(self._res, "Model", "the model is closed")

    def executor(self) -> "Executor":
        """A new set of device buffers and datasets: one per thread that executes concurrently."""
        self._check_open()
        ex = Executor(self)
        self._executors.add(ex)
        return ex

    def current_output_dims(self, index: int) -> Tuple[int, ...]:
        """aclmdlGetCurOutputDims: the output's shape at the last execution."""
        self._check_open()
        dims = ffi.new("aclmdlIODims *")
        check(lib.aclmdlGetCurOutputDims(self._desc, index, dims), "aclmdlGetCurOutputDims")
        return tuple(int(dims.dims[k]) for k in range(dims.dimCount))

    def execute(self, inputs: Sequence[Any], out: Optional[Sequence[np.ndarray]] = None, *,
                hw: Optional[Tuple[int, int]] = None, dims: Optional[Sequence[int]] = None,
                aipp: Union[None, Mapping[str, Any], Sequence[Mapping[str, Any]]] = None) -> List[np.ndarray]:
        """Run once. ``inputs``: numpy arrays (copied to the device) or device buffers (used in place), one per
        model input, in a list or tuple (a bare array or buffer is the model's one input); the batch of a model
        with a dynamic batch is the arrays' first dimension. Returns the
        outputs as numpy arrays (written into ``out`` when given).

        A model with dynamic AIPP (``aipp_mode: dynamic``) takes the source images' bytes as its image input and
        ``aipp=``: the AIPP parameters, as a dict with the keys of a static AIPP configuration (``input_format``,
        ``src_image_size_w``, ``crop``, ``load_start_pos_w``, ``csc_switch``, ``matrix_r0c0``, ``mean_chn_0``,
        ``var_reci_chn_0``, ``padding``...; ATC's defaults apply), or a list of one dict per image. They are
        written (aclmdlCreateAIPP, the setters, aclmdlSetInputAIPP) when they differ from the last call's; later
        calls without ``aipp=`` reuse them.

        A model with image size gears (``atc --dynamic_image_size``, :attr:`hw_gears`) runs at ``hw=(height,
        width)``, by default the size of the numpy input; one with dims gears (``--dynamic_dims``,
        :attr:`dims_gears`) at ``dims`` (every input's dims, concatenated), by default the numpy inputs' shapes.
        Their outputs have the shapes the execution reports (aclmdlGetCurOutputDims)."""
        res = self._res
        if res.state or not res.token.live:
            self._check_open()
        with self._lock:
            ex = self._default
            if ex is None or ex._res.state or not ex._res.token.live:
                ex = self._default = self.executor()
            return ex.execute(inputs, out, hw=hw, dims=dims, aipp=aipp)

    def execute_async(self, inputs: Sequence[Any], stream: "Stream", out: Optional[Sequence[np.ndarray]] = None, *,
                      hw: Optional[Tuple[int, int]] = None, dims: Optional[Sequence[int]] = None,
                      aipp: Union[None, Mapping[str, Any], Sequence[Mapping[str, Any]]] = None) -> "AsyncResult":
        """Queue one run on ``stream`` (copies in, aclmdlExecuteAsync, copies out) with a new executor; the
        returned AsyncResult's ``wait()`` gives the outputs. Errors surface at ``wait()``. ``hw``, ``dims`` and
        ``aipp``: as :meth:`execute`."""
        ex = self.executor()
        try:
            return ex.execute_async(inputs, stream, out, close_after=True, hw=hw, dims=dims, aipp=aipp)
        except BaseException:
            ex.close()
            raise


def _input_list(inputs: Any) -> Sequence[Any]:
    """``inputs`` as a sequence with an item per model input; a bare array or buffer is the one input."""
    if isinstance(inputs, (list, tuple)):
        return inputs
    if isinstance(inputs, (np.ndarray, Buffer)):
        return (inputs,)
    if isinstance(inputs, collections.abc.Sequence) and not isinstance(inputs, (str, bytes, bytearray)):
        return inputs
    raise TypeError("inputs: a list or tuple with a numpy array or device buffer per model input, not %s" %
                    type(inputs).__name__)


def _has_ranges(desc: Any, index: int) -> bool:
    """Input ``index`` of the model has shape ranges (see :attr:`Model.input_ranges`)."""
    if backend_info().name != "emulator":
        return True
    cell = ffi.new("int32_t *")
    check(lib.acllite_emu_model_input_has_ranges(desc, index, cell), "acllite_emu_model_input_has_ranges")
    return bool(cell[0])


#: A ranged model's buffers whose size is known only at a run start this big and grow 4x when a run says so.
_RANGED_START_BYTES = 1 << 16
_RANGED_MAX_BYTES = 1 << 31
_MODEL_OUTPUT_NOT_MATCH = 100018


def _describe_shape(dataset: Any, index: int, info: TensorInfo, shape: Tuple[int, ...]) -> None:
    """aclmdlSetDatasetTensorDesc of input index at shape (the dataset keeps a copy)."""
    dims = ffi.new("int64_t[]", [int(d) for d in shape] or [0])
    desc = lib.aclCreateTensorDesc(info.acl_dtype, len(shape), dims, info.format)
    if desc == ffi.NULL:
        raise_for(100000, "aclCreateTensorDesc")
    try:
        check(lib.aclmdlSetDatasetTensorDesc(dataset, desc, index), "aclmdlSetDatasetTensorDesc")
    finally:
        lib.aclDestroyTensorDesc(desc)


def _described_shape(dataset: Any, index: int) -> Tuple[int, ...]:
    """The shape aclmdlGetDatasetTensorDesc gives output index after a run."""
    desc = lib.aclmdlGetDatasetTensorDesc(dataset, index)
    if desc == ffi.NULL:
        raise_for(100000, "aclmdlGetDatasetTensorDesc")
    cell = ffi.new("int64_t *")
    shape = []
    for k in range(lib.aclGetTensorDescNumDims(desc)):
        check(lib.aclGetTensorDescDimV2(desc, k, cell), "aclGetTensorDescDimV2")
        shape.append(int(cell[0]))
    return tuple(shape)


def _release_executor(handles: Tuple[List[Any], List[Any]]) -> int:
    datasets, data_buffers = handles
    rc = 0
    for ds in datasets:
        rc = rc or lib.aclmdlDestroyDataset(ds)
    for db in data_buffers:
        rc = rc or lib.aclDestroyDataBuffer(db)
    return int(rc)


class _Slot:
    """One model input or output: its data buffer, the device buffer we own for it, what it points at now, and
    the facts the hot path checks (looked up once here, not on every call)."""

    __slots__ = ("info", "db", "own", "ptr", "size", "dtype", "dynamic", "nbytes", "shape", "sample")

    def __init__(self, info: TensorInfo, own: DeviceBuffer, db: Any, max_gear: int = 0):
        self.info = info
        self.own = own
        self.db = db
        self.ptr = own._cdata
        self.size = own.nbytes
        self.dtype = info.dtype
        self.dynamic = info.batch_dynamic and max_gear >= 0  # -1: a shape-geared model (no batch)
        self.nbytes = info.nbytes
        self.shape = info.shape
        # Bytes per batch item of a dynamic input or output: the description gives the largest gear's size
        # for a model with gears, one item's for a symbolic batch.
        self.sample = info.nbytes // max_gear if (max_gear and self.dynamic) else info.nbytes


class Executor:
    """Device buffers and datasets for running one model, built once and reused."""

    def __init__(self, model: Model):
        self.model = model
        device = model.device
        self._slots_in: List[_Slot] = []
        self._slots_out: List[_Slot] = []
        dbs: List[Any] = []
        model._check_open()
        datasets = [lib.aclmdlCreateDataset(), lib.aclmdlCreateDataset()]
        if ffi.NULL in datasets:
            for ds in datasets:
                if ds != ffi.NULL:
                    lib.aclmdlDestroyDataset(ds)
            raise_for(200000, "aclmdlCreateDataset")
        self._res = _lifecycle.Resource(_release_executor, "aclmdlDestroyDataset", (datasets, dbs))
        self._finalizer = weakref.finalize(self, self._res.release)
        self._in_ds, self._out_ds = datasets
        self._pending: Optional[AsyncResult] = None
        # Held by a run and by close(): close() from another thread waits for the run instead of freeing its buffers.
        self._run_lock = threading.RLock()
        try:
            for infos, slots, ds in ((model.inputs, self._slots_in, self._in_ds), (model.outputs, self._slots_out,
                                                                                       self._out_ds)):
                for info in infos:
                    nbytes = info.nbytes
                    if nbytes <= 0 and model.input_ranges:  # known after the run, or unbounded: grown on demand
                        nbytes = _RANGED_START_BYTES
                    elif nbytes <= 0 and 0 in info.shape:
                        raise ValueError("%s has shape %s: acllite.Model does not run tensors without elements; "
                                         "use the raw API" % (info.name, info.shape))
                    elif nbytes <= 0:
                        raise ValueError("%s has a size that depends on dynamic dimensions other than the batch; "
                                         "use the raw API with buffers of your own" % info.name)
                    own = DeviceBuffer(nbytes, device)
                    db = lib.aclCreateDataBuffer(own._cdata, nbytes)
                    if db == ffi.NULL:
                        own.close()
                        raise_for(200000, "aclCreateDataBuffer")
                    dbs.append(db)
                    slots.append(_Slot(info, own, db, -1 if (model.hw_gears or model.dims_gears) else
                                       max(model.batch_gears, default=0)))
                    check(lib.aclmdlAddDatasetBuffer(ds, db), "aclmdlAddDatasetBuffer")
        except BaseException:
            self.close()  # what was made before the failure goes now, not whenever the collector gets to it
            raise
        self._gears = model.batch_gears
        self._model_id = model.id
        self._batch_set = 0  # the batch last written with aclmdlSetDynamicBatchSize
        self._shaped = bool(model.hw_gears or model.dims_gears)
        self._gear_set: Optional[Tuple[int, ...]] = None  # the HW or dims last written
        self._gear_shapes = model._gear_shapes  # output shapes per gear, the model's (shared by its executors)
        self._gear_inputs: Dict[Tuple[int, ...], List[Optional[Tuple[int, ...]]]] = {}  # numpy input shapes per gear
        self._data_slots = [s for i, s in enumerate(self._slots_in) if i not in (model.dynamic_input,
                                                                                 model.aipp_data_input)]
        self._aipp_slot = self._slots_in[model.aipp_input] if model.aipp_input >= 0 else None
        self._range_shapes: Dict[int, Tuple[int, ...]] = {}  # the shape last described per ranged input
        self._aipp_given: Optional[List[Dict[str, Any]]] = None  # the parameters last written (aipp=)
        self._aipp_image = (0, "")  # one source image's bytes and description, as the parameters written say

    @property
    def closed(self) -> bool:
        return self._res.released or self.model.closed

    def close(self) -> None:
        """Destroy the datasets and data buffers and free the device buffers (idempotent). A run in flight finishes
        first: a run in another thread, and a queued execute_async, whose AsyncResult keeps its outcome."""
        with self._run_lock:
            pending = self._pending
            if pending is not None:
                pending._settle()
            self._finalizer()
            for slot in self._slots_in + self._slots_out:
                slot.own.close()
        _lifecycle.drain()

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        _lifecycle.exit_close(self.close, exc_type, "Executor")

    def _check_open(self) -> None:
        res, model_res = self._res, self.model._res
        if res.state or not res.token.live or model_res.state or not model_res.token.live:  # (the hot path)
            if res.released:
                raise _lifecycle.closed_error(res, "Executor", "the Executor is closed")
            self.model._check_open()

    def _point(self, slot: _Slot, ptr: Any, size: int) -> None:
        if slot.ptr != ptr or slot.size != size:
            check(lib.aclUpdateDataBuffer(slot.db, ptr, size), "aclUpdateDataBuffer")
            slot.ptr, slot.size = ptr, size

    def _grow(self, slot: _Slot, nbytes: int) -> None:
        """A bigger batch than before: a bigger device buffer of our own."""
        old = slot.own
        slot.own = DeviceBuffer(nbytes, self.model.device)
        old.close()

    def _choose_gear(self, inputs: Sequence[Any], hw: Optional[Tuple[int, int]],
                     dims: Optional[Sequence[int]]) -> Tuple[int, ...]:
        """Write the HW or dims gear into ascend_mbatch_shape_data (when it changed): the one given, else the
        one the numpy inputs' shapes name. Returns the gear."""
        model = self.model
        if hw is None and dims is None and model.dims_gears:  # the hot path: the gear of the last call
            try:
                named = tuple([d for x in inputs for d in x.shape])
            except AttributeError:
                named = ()
            if named == self._gear_set:
                return named
        if hw is not None and dims is not None:
            raise ValueError("give hw or dims, not both")
        if hw is not None:
            hw = _integers(hw, "hw= takes (height, width), two integers", 2)  # type: ignore[assignment]
        if dims is not None:
            dims = _integers(dims, "dims= takes a list of integers")
        if model.hw_gears:
            if dims is not None:
                raise ValueError("model %d has image size gears (hw=), not dims gears" % model.id)
            if hw is None:
                shaped = [(x.shape, s.shape) for s, x in zip(self._data_slots, inputs)
                          if isinstance(x, np.ndarray) and -1 in s.shape and len(x.shape) == len(s.shape)]
                if not shaped:
                    raise ValueError("model %d has image size gears %s: give hw=(height, width)" % (
                        model.id, model.hw_gears))
                shape, described = shaped[0]
                where = [k for k, d in enumerate(described) if d == -1]
                hw = (int(shape[where[0]]), int(shape[where[1]]))
            gear: Tuple[int, ...] = (int(hw[0]), int(hw[1]))
            if gear not in model.hw_gears:
                raise ValueError("height, width %s is not one of the model's gears %s" % (gear, model.hw_gears))
            if gear != self._gear_set:
                check(lib.aclmdlSetDynamicHWSize(model.id, self._in_ds, model.dynamic_input, gear[0], gear[1]),
                      "aclmdlSetDynamicHWSize")
        else:
            if hw is not None:
                raise ValueError("model %d has dims gears (dims=), not image size gears" % model.id)
            if dims is None:
                if not all(isinstance(x, np.ndarray) for x in inputs):
                    raise ValueError("model %d has dims gears: give dims= with device buffers" % model.id)
                dims = [int(d) for x in inputs for d in x.shape]
            gear = tuple(int(d) for d in dims)
            if gear not in model.dims_gears:
                raise ValueError("dims %s are not one of the model's gears %s" % (gear, model.dims_gears))
            if gear != self._gear_set:
                io = ffi.new("aclmdlIODims *")
                io.dimCount = len(gear)
                for k, d in enumerate(gear):
                    io.dims[k] = d
                check(lib.aclmdlSetInputDynamicDims(model.id, self._in_ds, model.dynamic_input, io),
                      "aclmdlSetInputDynamicDims")
        self._check_gear_shapes(inputs, gear)
        self._gear_set = gear
        return gear

    def _check_gear_shapes(self, inputs: Sequence[Any], gear: Tuple[int, ...]) -> None:
        """A numpy input of the described rank must have the shape the gear runs it at: a larger array would be
        read as if it were (its first bytes, rows and channels mixed). Source image bytes (AIPP) are not shaped."""
        wants = self._gear_inputs.get(gear)
        if wants is None:
            wants, offset = [], 0
            for slot in self._data_slots:
                shape = slot.shape
                if self.model.hw_gears:
                    hw = iter(gear)
                    want = tuple(next(hw) if d == -1 else d for d in shape) if shape.count(-1) == 2 else shape
                else:
                    want = gear[offset:offset + len(shape)]
                    offset += len(shape)
                wants.append(None if slot is self._aipp_slot else want)
            self._gear_inputs[gear] = wants
        for expected, x, slot in zip(wants, inputs, self._data_slots):
            if expected is not None and isinstance(x, np.ndarray) and x.shape != expected and \
                    x.ndim == len(expected):
                raise ValueError("input '%s' has shape %s; gear %s runs it at %s" % (slot.info.name, x.shape,
                                                                                   gear, expected))

    def _stage_inputs(self, inputs: Sequence[Any], stream: Optional["Stream"]) -> int:
        slots = self._data_slots
        if len(inputs) != len(slots):
            raise ValueError("model %d takes %d input(s), %d given" % (self.model.id, len(slots), len(inputs)))
        batch = 0
        first = ""  # the input that gave the batch
        shaped = self._shaped
        for slot, x in zip(slots, inputs):
            if isinstance(x, np.ndarray):
                nbytes = x.nbytes
                if x.dtype != slot.dtype:
                    raise TypeError("input '%s' is %s, the model takes %s" % (slot.info.name, x.dtype, slot.dtype))
                if slot is self._aipp_slot:  # source images, [batch, bytes] (1-D: one image); smaller than the most
                    if slot.dynamic and not batch:
                        batch, first = (int(x.shape[0]) if x.ndim >= 2 else 1), slot.info.name
                    self._check_source_images(x)
                    if nbytes > slot.nbytes * max(self._gears or (1,)):
                        raise ValueError("input '%s' holds %d bytes; the model takes at most %d" % (
                            slot.info.name, nbytes, slot.nbytes * max(self._gears or (1,))))
                elif slot.dynamic:
                    if nbytes % slot.sample or (x.ndim == len(slot.shape) and x.shape[1:] != slot.shape[1:]
                                                and slot.info.format_name != "NHWC"):
                        raise ValueError("input '%s' has shape %s; the model takes %s" % (slot.info.name, x.shape,
                                                                                         slot.shape))
                    # geared buffers are the largest gear's: an empty or shorter batch would run on stale samples
                    if not nbytes:
                        raise ValueError("input '%s' has shape %s: a batch of 0" % (slot.info.name, x.shape))
                    if batch and nbytes // slot.sample != batch:
                        raise ValueError("input '%s' holds a batch of %d; input '%s' holds %d" % (
                            slot.info.name, nbytes // slot.sample, first, batch))
                    if not batch:
                        batch, first = nbytes // slot.sample, slot.info.name
                elif nbytes != slot.nbytes and not ((shaped or slot is self._aipp_slot) and nbytes <= slot.nbytes):
                    raise ValueError("input '%s' holds %d bytes (shape %s); the model takes %d bytes, shape %s" % (
                        slot.info.name, nbytes, x.shape, slot.nbytes, slot.shape))
                if not x.flags.c_contiguous:
                    x = np.ascontiguousarray(x)
                if nbytes > slot.own.nbytes:
                    if self._gears:
                        raise ValueError("input '%s': a batch of %d is more than the largest gear %d" % (
                            slot.info.name, nbytes // slot.sample, max(self._gears)))
                    self._grow(slot, nbytes)
                own = slot.own._cdata
                # geared models read the chosen batch only; a dynamic AIPP input's buffer is its described size
                size = slot.own.nbytes if self._gears or slot is self._aipp_slot else nbytes
                if slot.ptr != own or slot.size != size:
                    self._point(slot, own, size)
                if stream is None:
                    rc = _memcpy(own, nbytes, _from_buffer(x), nbytes, H2D)
                else:
                    rc = _memcpy_async(own, nbytes, _from_buffer(x), nbytes, H2D, stream.handle)
                    stream._keep(x)
                if rc:
                    check(rc, "aclrtMemcpy")
            else:
                buf = getattr(x, "buffer", x)  # an image carries its buffer
                if not isinstance(buf, Buffer) or not buf.on_device:
                    raise TypeError("input '%s': expected a numpy array or a device buffer, got %s" % (
                        slot.info.name, type(x).__name__))
                nbytes = getattr(x, "nbytes", buf.nbytes)
                if slot.dynamic:
                    batch = batch or max(1, nbytes // slot.sample)
                self._point(slot, buf._c(), nbytes)
        if self._gears:
            batch = batch or self._gears[0]
            if batch not in self._gears:
                raise ValueError("batch %d is not one of the model's gears %s" % (batch, self._gears))
            if batch != self._batch_set:
                check(lib.aclmdlSetDynamicBatchSize(self.model.id, self._in_ds, self.model.dynamic_input, batch),
                      "aclmdlSetDynamicBatchSize")
                self._batch_set = batch
        return batch

    def _check_source_images(self, x: np.ndarray) -> None:
        """The dynamic AIPP input's buffer is sized for the largest image (max_src_image_size): source images
        shorter than the parameters say would be completed by what an earlier call left there."""
        per_image, what = self._aipp_image
        name = self._aipp_slot.info.name if self._aipp_slot is not None else ""
        if x.ndim >= 2 and x.shape[0] == 0:
            raise ValueError("input '%s' holds no image (shape %s)" % (name, x.shape))
        if x.ndim >= 2 and x.shape[0] > 1 and x.nbytes != x.shape[0] * per_image:
            raise ValueError("input '%s' has rows of %d bytes; an image of %s is %d" % (
                name, x.nbytes // x.shape[0], what, per_image))
        described = int(self.model.inputs[self.model.aipp_input].shape[0])
        dynamic = self._aipp_slot is not None and self._aipp_slot.dynamic
        images = (int(x.shape[0]) if x.ndim >= 2 else 1) if dynamic or described < 1 else described
        if x.nbytes < images * per_image:
            raise ValueError("input '%s' holds %d bytes; %d image(s) of %s need %d" % (
                name, x.nbytes, images, what, images * per_image))

    def _stage_outputs(self, batch: int, out: Optional[Sequence[np.ndarray]]) -> List[np.ndarray]:
        results = []
        for i, slot in enumerate(self._slots_out):
            if batch and slot.dynamic:
                shape = (batch,) + slot.shape[1:]
                nbytes = slot.sample * batch
                if nbytes > slot.own.nbytes:
                    self._grow(slot, nbytes)
            else:
                shape = slot.shape
                nbytes = slot.nbytes
            own = slot.own._cdata
            size = slot.own.nbytes if self._gears else nbytes
            if slot.ptr != own or slot.size != size:
                self._point(slot, own, size)
            if out is not None:
                arr = out[i]
                if arr.dtype != slot.dtype or arr.nbytes != nbytes or not arr.flags.c_contiguous:
                    raise ValueError("out[%d] must be a C-contiguous %s array of %d bytes (shape %s)" % (
                        i, slot.dtype, nbytes, shape))
            else:
                arr = np.empty(tuple(max(d, 1) for d in shape), slot.dtype)
            results.append(arr)
        return results

    def _set_aipp(self, aipp: Union[None, Mapping[str, Any], Sequence[Mapping[str, Any]]]) -> None:
        """Write dynamic AIPP parameters into the AippData input when they differ from the last ones written."""
        model = self.model
        if self._aipp_slot is None:
            raise ValueError("model %d has no dynamic AIPP input (aipp=)" % model.id)
        if aipp is None:
            if self._aipp_given is None:
                raise ValueError("model %d has dynamic AIPP: give aipp= (each image's parameters, with the keys of a "
                                 "static AIPP configuration)" % model.id)
            return  # the last parameters stay in the AippData input
        if isinstance(aipp, Mapping):
            images = [aipp]
        elif isinstance(aipp, (list, tuple)) and all(isinstance(p, Mapping) for p in aipp):
            images = list(aipp)
        else:
            raise TypeError("aipp= takes a dict of AIPP parameters or a list of them, not %s" % type(aipp).__name__)
        if self._aipp_given is not None and _same_parameters(images, self._aipp_given):
            return
        given = [dict(p) for p in images]  # read once: what is written is what is remembered
        batch = model.aipp_batch
        if not 1 <= len(given) <= batch:
            raise ValueError("model %d takes %d image(s): give 1 to %d aipp= parameter sets; got %d" % (
                model.id, batch, batch, len(given)))
        padded = given + given[-1:] * (batch - len(given))  # the block holds the largest batch's
        resolved = [params_from_mapping(dict(p, aipp_mode="static")).resolve(model.aipp_chw) for p in padded]
        write_dynamic_aipp(model.id, self._in_ds, model.aipp_data_input, resolved)
        self._aipp_given = given
        first = resolved[0]  # every image of a batch has the first's format and source size
        self._aipp_image = (input_bytes(first), "%dx%d %s" % (first["src_image_size_w"], first["src_image_size_h"],
                                                            first["input_format"]))

    def execute(self, inputs: Sequence[Any], out: Optional[Sequence[np.ndarray]] = None, *,
                hw: Optional[Tuple[int, int]] = None, dims: Optional[Sequence[int]] = None,
                aipp: Union[None, Mapping[str, Any], Sequence[Mapping[str, Any]]] = None) -> List[np.ndarray]:
        """Run once, synchronously (aclmdlExecute); see :meth:`Model.execute`."""
        inputs = _input_list(inputs)
        with self._run_lock:
            return self._execute(inputs, out, hw, dims, aipp)

    def _execute(self, inputs: Sequence[Any], out: Optional[Sequence[np.ndarray]], hw: Optional[Tuple[int, int]],
                 dims: Optional[Sequence[int]],
                 aipp: Union[None, Mapping[str, Any], Sequence[Mapping[str, Any]]]) -> List[np.ndarray]:
        self._check_open()
        if self._pending is not None:
            self._pending.wait()
        if out is not None:
            self._check_out(out)
        if self._aipp_slot is not None or aipp is not None:
            self._set_aipp(aipp)
        if self._shaped:
            return self._execute_gear(inputs, out, hw, dims)
        if hw is not None or dims is not None:
            raise ValueError("model %d has no image size or dims gears" % self.model.id)
        if self.model.input_ranges:
            return self._execute_ranged(inputs, out)
        batch = self._stage_inputs(inputs, None)
        results = self._stage_outputs(batch, out)
        rc = _execute(self._model_id, self._in_ds, self._out_ds)
        if rc:
            check(rc, "aclmdlExecute")
        for slot, arr in zip(self._slots_out, results):
            rc = _memcpy(_from_buffer(_BYTES, arr, True), arr.nbytes, slot.ptr, arr.nbytes, D2H)
            if rc:
                check(rc, "aclrtMemcpy")
        return results

    def _execute_ranged(self, inputs: Sequence[Any], out: Optional[Sequence[np.ndarray]]) -> List[np.ndarray]:
        """A model with shape ranges: each ranged input's shape is described for the run
        (aclmdlSetDatasetTensorDesc; the numpy array's shape); outputs come back at the shapes the run reports
        (aclmdlGetDatasetTensorDesc). An output buffer found too small (ACL_ERROR_MODEL_OUTPUT_NOT_MATCH) is grown
        and the run repeated, up to _RANGED_MAX_BYTES."""
        model, slots = self.model, self._data_slots
        if len(inputs) != len(slots):
            raise ValueError("model %d takes %d input(s), %d given" % (model.id, len(slots), len(inputs)))
        for i, (slot, x, ranges) in enumerate(zip(slots, inputs, model.input_ranges)):
            if not isinstance(x, np.ndarray):
                raise TypeError("input '%s': a model with shape ranges takes numpy arrays (their shapes are the "
                                "run's), got %s" % (slot.info.name, type(x).__name__))
            if x.dtype != slot.dtype:
                raise TypeError("input '%s' is %s, the model takes %s" % (slot.info.name, x.dtype, slot.dtype))
            x = np.ascontiguousarray(x)
            if ranges is not None:
                if x.ndim != len(ranges) or any(not lo <= d <= (hi if hi >= 0 else d) for d, (lo, hi) in
                                                zip(x.shape, ranges)):
                    raise ValueError("input '%s' has shape %s; the model takes dims within %s" % (
                        slot.info.name, x.shape, [list(r) for r in ranges]))
                if self._range_shapes.get(i) != x.shape:
                    _describe_shape(self._in_ds, i, slot.info, x.shape)
                    self._range_shapes[i] = x.shape
            elif x.nbytes != slot.nbytes:
                raise ValueError("input '%s' holds %d bytes (shape %s); the model takes %d bytes, shape %s" % (
                    slot.info.name, x.nbytes, x.shape, slot.nbytes, slot.shape))
            if x.nbytes > slot.own.nbytes:
                self._grow(slot, x.nbytes)
            self._point(slot, slot.own._cdata, slot.own.nbytes)
            if x.nbytes:
                check(_memcpy(slot.own._cdata, x.nbytes, _from_buffer(x), x.nbytes, H2D), "aclrtMemcpy")
        while True:
            for slot in self._slots_out:
                self._point(slot, slot.own._cdata, slot.own.nbytes)
            rc = _execute(self._model_id, self._in_ds, self._out_ds)
            if rc != _MODEL_OUTPUT_NOT_MATCH or min(s.own.nbytes for s in self._slots_out) > _RANGED_MAX_BYTES // 4:
                break
            for slot in self._slots_out:  # which output did not fit is in the message only: grow them all
                self._grow(slot, slot.own.nbytes * 4)
        if rc:
            check(rc, "aclmdlExecute")
        return self._copy_out([_described_shape(self._out_ds, i) for i in range(len(self._slots_out))], out)

    def _copy_out(self, shapes: Sequence[Tuple[int, ...]], out: Optional[Sequence[np.ndarray]]) -> List[np.ndarray]:
        """The outputs of a run at these shapes, copied from the device (into ``out`` when given)."""
        results = []
        for i, slot in enumerate(self._slots_out):
            shape = tuple(shapes[i])
            if out is not None:
                arr = out[i]
                if arr.dtype != slot.dtype or arr.shape != shape or not arr.flags.c_contiguous:
                    raise ValueError("out[%d] must be a C-contiguous %s array of shape %s" % (i, slot.dtype, shape))
            else:
                arr = np.empty(shape, slot.dtype)
            if arr.nbytes:
                rc = _memcpy(_from_buffer(_BYTES, arr, True), arr.nbytes, slot.ptr, arr.nbytes, D2H)
                if rc:
                    check(rc, "aclrtMemcpy")
            results.append(arr)
        return results

    def _execute_gear(self, inputs: Sequence[Any], out: Optional[Sequence[np.ndarray]],
                      hw: Optional[Tuple[int, int]], dims: Optional[Sequence[int]]) -> List[np.ndarray]:
        """A model with image size or dims gears: the gear chosen, outputs shaped as the execution reports them
        (aclmdlGetCurOutputDims)."""
        self._stage_inputs(inputs, None)
        gear = self._choose_gear(inputs, hw, dims)
        for slot in self._slots_out:
            if slot.ptr != slot.own._cdata or slot.size != slot.own.nbytes:
                self._point(slot, slot.own._cdata, slot.own.nbytes)
        shapes = self._gear_shapes.get(gear)
        if shapes is None:  # a gear's output shapes do not change: asked once per gear, no other run in between
            with self.model._gear_launches.alone(self.model.device):
                rc = _execute(self._model_id, self._in_ds, self._out_ds)
                if rc:
                    check(rc, "aclmdlExecute")
                shapes = self._learn_shapes(gear)
        else:
            launches = self.model._gear_launches
            launches.enter()
            try:
                rc = _execute(self._model_id, self._in_ds, self._out_ds)
            finally:
                launches.leave()
            if rc:
                check(rc, "aclmdlExecute")
        return self._copy_out(shapes, out)

    def _learn_shapes(self, gear: Tuple[int, ...]) -> List[Tuple[int, ...]]:
        """The output shapes of the run just made (aclmdlGetCurOutputDims: the model's last run, whichever made it;
        read with no other run in flight)."""
        return self._gear_shapes.setdefault(gear, [self.model.current_output_dims(i)
                                                   for i in range(len(self._slots_out))])

    def _execute_gear_async(self, inputs: Sequence[Any], stream: "Stream", out: Optional[Sequence[np.ndarray]],
                            hw: Optional[Tuple[int, int]], dims: Optional[Sequence[int]],
                            close_after: bool) -> "AsyncResult":
        """A shape-geared model on a stream: a gear run before (by any executor of the model) copies its outputs at
        their known shapes. A gear's first run is made synchronously, after the work queued on the stream: its
        output shapes are read from the model's current output dims, which no other run may change meanwhile."""
        gear = self._choose_gear(inputs, hw, dims)
        shapes = self._gear_shapes.get(gear)
        if shapes is None:
            stream.synchronize()  # the stream's earlier work (copies into device inputs, say) comes first
            result = AsyncResult(stream, self._execute_gear(inputs, out, hw, dims), self, close_after)
            self._pending = result
            return result
        landing: List[np.ndarray] = []
        for i, slot in enumerate(self._slots_out):  # checked before anything is queued
            arr = out[i] if out is not None else np.empty(shapes[i], slot.dtype)
            if arr.dtype != slot.dtype or arr.shape != shapes[i] or not arr.flags.c_contiguous:
                raise ValueError("out[%d] must be a C-contiguous %s array of shape %s" % (i, slot.dtype, shapes[i]))
            landing.append(arr)
        launches = self.model._gear_launches
        stream._keep(self)  # until the stream is synchronized: its buffers outlive a dropped AsyncResult
        try:
            self._stage_inputs(inputs, stream)
            for slot in self._slots_out:
                if slot.ptr != slot.own._cdata or slot.size != slot.own.nbytes:
                    self._point(slot, slot.own._cdata, slot.own.nbytes)
            launches.enter()
            try:
                rc = lib.aclmdlExecuteAsync(self.model.id, self._in_ds, self._out_ds, stream.handle)
            finally:
                launches.leave()
            check(rc, "aclmdlExecuteAsync")
            self._queue_copies_out(landing, stream)
        except BaseException:
            _drain(stream)
            raise
        result = AsyncResult(stream, landing, self, close_after, launches)
        stream._keep(result)  # known to the model's launches (a first run waits for it) until the stream is done
        self._pending = result
        return result

    def _queue_copies_out(self, arrays: Sequence[np.ndarray], stream: "Stream") -> None:
        """Queue each output's copy from its device buffer into ``arrays`` (kept alive by the stream)."""
        for slot, arr in zip(self._slots_out, arrays):
            if arr.nbytes:
                check(lib.aclrtMemcpyAsync(ffi.from_buffer(arr, require_writable=True), arr.nbytes, slot.ptr,
                                           arr.nbytes, D2H, stream.handle), "aclrtMemcpyAsync")
                stream._keep(arr)

    def execute_async(self, inputs: Sequence[Any], stream: "Stream", out: Optional[Sequence[np.ndarray]] = None,
                      close_after: bool = False, *, hw: Optional[Tuple[int, int]] = None,
                      dims: Optional[Sequence[int]] = None,
                      aipp: Union[None, Mapping[str, Any], Sequence[Mapping[str, Any]]] = None) -> "AsyncResult":
        """Queue copies in, aclmdlExecuteAsync and copies out on ``stream`` (``hw``, ``dims``, ``aipp``: as
        :meth:`execute`)."""
        inputs = _input_list(inputs)
        with self._run_lock:
            return self._execute_async(inputs, stream, out, close_after, hw, dims, aipp)

    def _execute_async(self, inputs: Sequence[Any], stream: "Stream", out: Optional[Sequence[np.ndarray]],
                       close_after: bool, hw: Optional[Tuple[int, int]], dims: Optional[Sequence[int]],
                       aipp: Union[None, Mapping[str, Any], Sequence[Mapping[str, Any]]]) -> "AsyncResult":
        self._check_open()
        if not self._shaped and (hw is not None or dims is not None):
            raise ValueError("model %d has no image size or dims gears" % self.model.id)
        if self.model.input_ranges:
            raise ValueError("model %d has shape ranges: its output buffers are sized after a run; use execute" %
                             self.model.id)
        stream._check_open()
        if self._pending is not None:
            self._pending.wait()
        if out is not None:
            self._check_out(out)
        if self._aipp_slot is not None or aipp is not None:
            self._set_aipp(aipp)
        if self._shaped:
            return self._execute_gear_async(inputs, stream, out, hw, dims, close_after)
        stream._keep(self)  # until the stream is synchronized: its buffers outlive a dropped AsyncResult
        try:
            batch = self._stage_inputs(inputs, stream)
            results = self._stage_outputs(batch, out)
            check(lib.aclmdlExecuteAsync(self.model.id, self._in_ds, self._out_ds, stream.handle),
                  "aclmdlExecuteAsync")
            self._queue_copies_out(results, stream)
        except BaseException:
            _drain(stream)
            raise
        self._pending = AsyncResult(stream, results, self, close_after)
        return self._pending

    def _check_out(self, out: Sequence[np.ndarray]) -> None:
        """out= is one writable numpy array per output (their dtypes and shapes are checked with the run's)."""
        if isinstance(out, np.ndarray) or not isinstance(out, (list, tuple)):
            raise TypeError("out= takes a list of numpy arrays, one per output, not %s" % type(out).__name__)
        if len(out) != len(self._slots_out):
            raise ValueError("out= holds %d array(s); the model has %d output(s)" % (len(out), len(self._slots_out)))
        for i, arr in enumerate(out):
            if not isinstance(arr, np.ndarray):
                raise TypeError("out[%d] is a %s, not a numpy array" % (i, type(arr).__name__))
            if not arr.flags.writeable:
                raise ValueError("out[%d] is read-only" % i)


_PLAIN = (str, bool, int, float, np.integer, np.floating, np.bool_)


def _integers(value: Any, what: str, count: Optional[int] = None) -> Tuple[int, ...]:
    """hw= or dims=: a list, tuple or 1-D array of integers (not bools, floats or digits in a string)."""
    items = value.tolist() if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "iu" else value
    if not isinstance(items, (list, tuple)) or (count is not None and len(items) != count) or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items):
        raise TypeError("%s, not %r" % (what, value))
    return tuple(int(v) for v in items)


def _same_parameters(given: Sequence[Mapping[str, Any]], last: List[Dict[str, Any]]) -> bool:
    """Whether aipp= repeats the parameters written last (then nothing is written). A value that does not compare
    as a plain number or word (a numpy array, say) is not the same: the check refuses it with its own message."""
    if len(given) != len(last):
        return False
    for p, q in zip(given, last):
        if len(p) != len(q):
            return False
        for key, value in p.items():
            if key not in q or type(value) is not type(q[key]) or not isinstance(value, _PLAIN) \
                    or value != q[key]:
                return False
    return True


def _drain(stream: "Stream") -> None:
    """A call failed after queueing work on stream: let that work finish before the caller frees what it uses (its
    error, if any, belongs to the failed call, which raises its own)."""
    try:
        stream.synchronize()
    except Exception:  # noqa: BLE001 (the failed call's own exception is the one raised)
        pass


class _GearLaunches:
    """Runs of a shape-geared model: shared by runs whose gear's output shapes are known; a gear's first run is
    alone (its shapes are the model's current output dims just after it): it waits for the runs being launched or
    made and for the queued ones (``inflight``) to finish, and no other starts until it has read them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the hot path takes it directly (a Condition's own methods cost more)
        self._cond = threading.Condition(self._lock)
        self._shared = 0  # launches in progress (a synchronous run: the whole run)
        self._alone = 0  # first runs waiting or in progress: shared launches wait for them
        self._busy = False  # a first run is in progress
        self.inflight: "weakref.WeakSet[AsyncResult]" = weakref.WeakSet()  # queued runs, until done

    def enter(self) -> None:
        """A run whose gear's shapes are known starts (launched, or made when synchronous)."""
        self._lock.acquire()
        try:
            while self._alone:
                self._cond.wait()
            self._shared += 1
        finally:
            self._lock.release()

    def leave(self) -> None:
        self._lock.acquire()
        try:
            self._shared -= 1
            if self._alone:
                self._cond.notify_all()
        finally:
            self._lock.release()

    @contextmanager
    def alone(self, device: "Device") -> Iterator[None]:
        with self._cond:
            self._alone += 1
            while self._shared or self._busy:
                self._cond.wait()
            self._busy = True
        try:
            for queued in list(self.inflight):
                queued._reach()
            yield
        finally:
            with self._cond:
                self._alone -= 1
                self._busy = False
                self._cond.notify_all()


class AsyncResult:
    """Outputs of a queued execution; ``wait()`` synchronizes the stream and returns them."""

    def __init__(self, stream: "Stream", outputs: List[np.ndarray], owner: Executor, close_owner: bool,
                 launches: Optional[_GearLaunches] = None):
        self._stream = stream
        self._outputs = outputs
        self._owner = owner
        self._close_owner = close_owner
        self._launches = launches  # a shape-geared model's runs: this one is in flight until done
        if launches is not None:
            launches.inflight.add(self)
        self._done = False
        self._error: Optional[BaseException] = None  # the run's failure, raised by every wait()

    def wait(self, timeout_ms: Optional[int] = None) -> List[np.ndarray]:
        """The outputs once the run has finished. A wait that times out leaves the run queued (wait again); any
        other failure is the run's, raised again by later waits."""
        if not self._done:
            try:
                self._stream.synchronize(timeout_ms)
            except BaseException as exc:
                if timeout_ms is not None and isinstance(exc, AclTimeoutError):  # still running: its buffers stay
                    raise
                self._error = exc
                self._end()
                raise
            self._end()
        elif self._error is not None:
            raise self._error
        return self._outputs

    def _end(self) -> None:
        self._done = True
        if self._launches is not None:
            self._launches.inflight.discard(self)
        self._owner._pending = None
        if self._close_owner:
            self._owner.close()

    def _reach(self) -> None:
        """Wait until the stream has run this far (an event recorded on it), leaving the outcome to wait()."""
        from .runtime import Event

        if self._done or self._stream.closed:
            return
        try:
            with Event(self._owner.model.device) as event:
                event.record(self._stream)
                event.synchronize()
        except Exception:  # noqa: BLE001 (the run's own error is wait()'s to raise)
            pass

    def _settle(self) -> None:
        """Wait for the run (its executor is closing); the outcome stays for wait()."""
        try:
            self.wait()
        except Exception:  # noqa: BLE001 (kept in self._error: wait() raises it to its caller)
            pass

    @property
    def done(self) -> bool:
        return self._done
