"""acllite_model: ``AclLiteModel``, the samples' model runner, on acllite's :class:`~acllite.Model`.

``AclLiteModel(model_path, load_type=0)`` loads the model (``load_type`` 1: from the file's bytes in memory);
``execute(input_list)`` takes AclLiteImages, numpy arrays and ``{'data': ptr, 'size': n}`` dicts, one per model
input, and returns a list of numpy arrays, one per output (or None, logged, on failure), as the samples' does.

Unlike the samples' class, the buffers and datasets are made once and reused (acllite's Executor): numpy inputs
are copied to the device once per call and nothing else is copied; a dynamic-batch model takes its batch from
the inputs (the ``ascend_mbatch_shape_data`` input is handled here, never appended to the caller's list).
"""

from __future__ import annotations

import os
from typing import Any, List, Optional, Sequence

import numpy as np

import acllite
from acllite._native import ffi
from acllite.memory import Buffer
from acllite.samples import constants as const
from acllite.samples._image import AclLiteImage, adopt
from acllite.samples._logger import log_error, log_info
from acllite.samples._resource import current_device, resource_list

__all__ = ["AclLiteModel"]

_FAILURES = (acllite.AclError, ValueError, TypeError)


class _DeviceInput:
    """A model input already in device (or DVPP) memory: what acllite's Executor takes by pointer."""

    __slots__ = ("buffer", "nbytes")

    def __init__(self, buffer: Buffer, nbytes: int):
        self.buffer = buffer
        self.nbytes = nbytes


def _borrowed(ptr: int, size: int) -> Buffer:
    """Device memory of the caller's, borrowed (never freed here)."""
    return adopt(ptr, size, const.MEMORY_DEVICE, owned=False)


class AclLiteModel:
    """A model on the device of the initialized AclLiteResource."""

    def __init__(self, model_path: str, load_type: int = 0):
        self._run_mode = acllite.run_mode()
        self._copy_policy = (const.ACL_MEMCPY_DEVICE_TO_HOST if self._run_mode == const.ACL_HOST
                             else const.ACL_MEMCPY_DEVICE_TO_DEVICE)
        self._model_path = model_path
        self._load_type = load_type
        self._model: Optional[acllite.Model] = None
        self._model_id: Optional[int] = None
        self._model_desc: Optional[int] = None
        self._input_num = 0
        self._output_size = 0
        self._is_destroyed = False
        self._init_resource()
        resource_list.register(self)

    def _init_resource(self) -> int:
        log_info("Init model resource start...")
        device = current_device()
        if self._load_type == 0:
            try:
                self._model = acllite.Model(self._model_path, device)
            except acllite.AclError:
                if os.path.exists(self._model_path):
                    raise  # the samples raise for a model that fails to load...
                # ...and only log a missing file (on the emulator, X.om may be served by X.onnx: load first)
                log_error("model_path failed, please check. model_path=%s" % self._model_path)
                return const.FAILED
        elif self._load_type == 1:
            if not os.path.isfile(self._model_path):
                log_error("model_path failed, please check. model_path=%s" % self._model_path)
                return const.FAILED
            with open(self._model_path, "rb") as f:
                data = f.read()
            if not data:
                log_error("model_context is null, please check. model_path=%s" % self._model_path)
                return const.FAILED
            self._model = acllite.Model(data, device)
        else:
            log_error("load_type is not in 0 or 1, please check. load_type=%d" % self._load_type)
            return const.FAILED
        self._model_id = self._model.id
        self._model_desc = int(ffi.cast("uintptr_t", self._model._desc))
        self._input_num = len(self._model.inputs)
        self._output_size = len(self._model.outputs)
        log_info("Init model resource success")
        return const.SUCCESS

    # -- execution ----------------------------------------------------------------------------------------------
    def _inputs(self, input_list: Sequence[Any], batch: int = 0) -> List[Any]:
        model = self._model
        assert model is not None
        infos = model.data_inputs
        if len(input_list) != len(infos):
            raise ValueError("Current input data num %d unequal to model input num %d" % (len(input_list),
                                                                                         len(infos)))
        out: List[Any] = []
        for i, (x, info) in enumerate(zip(input_list, infos)):
            if isinstance(x, AclLiteImage):
                if x._data is None:
                    raise ValueError("The %d input is invalid (an empty image)" % i)
                if x._type == const.IMAGE_DATA_NUMPY or x._memory_type in (const.MEMORY_NORMAL, const.MEMORY_HOST):
                    x = x.byte_data_to_np_array() if x._buffer is not None else np.asarray(x._data)
                else:
                    x = _DeviceInput(x._buffer if x._buffer is not None else _borrowed(x._data, x.size), x.size)
            elif isinstance(x, dict) and "data" in x and "size" in x:
                x = _DeviceInput(_borrowed(x["data"], x["size"]), int(x["size"]))
            elif not isinstance(x, np.ndarray):
                raise TypeError("Unsupport input %s" % type(x).__name__)
            if isinstance(x, np.ndarray):
                if x.dtype != info.dtype:  # the samples copy the array's bytes whatever its type: the same here
                    x = np.ascontiguousarray(x).reshape(-1).view(np.uint8)
                    if x.nbytes % info.dtype.itemsize:
                        raise ValueError("input %d holds %d bytes, not a whole number of %s" % (i, x.nbytes,
                                                                                               info.dtype))
                    x = x.view(info.dtype)
                if batch and info.batch_dynamic:
                    per_item = info.nbytes // max(model.batch_gears) if model.batch_gears else info.nbytes
                    x = np.ascontiguousarray(x).reshape(-1).view(np.uint8)[: per_item * batch].view(info.dtype)
            out.append(x)
        return out

    def execute(self, input_list: Sequence[Any]) -> Optional[List[np.ndarray]]:
        """Run the model once: a list of numpy arrays (one per output), or None on failure (logged)."""
        return self._run(input_list, 0)

    def _execute_with_dynamic_batch_size(self, input_list: Sequence[Any], batch: int) -> Optional[List[np.ndarray]]:
        """Run a dynamic-batch model with ``batch`` (one of its gears) items of the inputs."""
        model = self._model
        if model is not None and batch not in model.batch_gears:
            log_error("[dynamic batch] %s is not in %s" % (batch, list(model.batch_gears)))
            return None
        return self._run(input_list, batch)

    def _run(self, input_list: Sequence[Any], batch: int) -> Optional[List[np.ndarray]]:
        if self._model is None or self._model.closed:
            log_error("Execute model failed: the model is not loaded (%s)" % self._model_path)
            return None
        try:
            return self._model.execute(self._inputs(input_list, batch))
        except _FAILURES as exc:
            log_error("Execute model failed: %s" % str(exc).splitlines()[0])
            return None

    # -- release --------------------------------------------------------------------------------------------------
    def destroy(self) -> None:
        """Unload the model and free its buffers (idempotent)."""
        if self._is_destroyed:
            return
        self._is_destroyed = True
        if self._model is not None:
            self._model.close()
        resource_list.unregister(self)
        log_info("AclLiteModel release source success")

    def __del__(self) -> None:
        try:
            self.destroy()
        except Exception:
            pass
