"""The whole pyACL surface against its catalog (acllite/pyacl/_catalog.txt):

* the module has exactly the catalog's functions (no more, none missing), and every C function a row names is
  bound;
* every function returns pyACL's shape on the emulator: called with NULL handles, an emulated C function answers
  with a return code, a function the emulator does not emulate answers ACL_ERROR_API_NOT_SUPPORT (or its NULL /
  0 value) with ``"<function>: not emulated (acllite <version>)"`` in ``acl.get_recent_err_msg()``;
* on a stand-in CANN exporting every bound function (tests/fake_cann.py), every function calls the C function it
  wraps and returns what that function returned: nothing answers "not supported" on CANN;
* no catalog row goes without one of these return-convention checks.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import numpy as np
import pytest

import acllite.pyacl as pyacl
from acllite import binding
from acllite.pyacl import _catalog, _generate
from conftest import ROOT, child, requires_emulator, run_python_ok

import fake_cann

sys.path.insert(0, str(ROOT / "csrc"))
import apigen  # noqa: E402

MODULES = {"acl": pyacl, "rt": pyacl.rt, "mdl": pyacl.mdl, "media": pyacl.media, "op": pyacl.op,
           "prof": pyacl.prof, "util": pyacl.util}
PRESENT = [e for e in _catalog.ENTRIES if e.kind != "absent"]
NOT_EMULATED = {e.name for e in apigen.read_not_emulated()}
NOT_SUPPORT = binding.lib.ACL_ERROR_API_NOT_SUPPORT

#: pyACL functions per module (the counts docs/PYACL.md gives).
COUNTS = {"acl": 47, "rt": 145, "mdl": 84, "media": 176, "op": 30, "prof": 33, "util": 7}
#: The catalog's rows of functions acllite does not provide (their C function is not in the declaration).
ABSENT = {"acl.op.start_dump_args", "acl.op.stop_dump_args", "acl.mdl.dump_reg_callback",
          "acl.mdl.dump_unreg_callback", "acl.media.dvpp_malloc_with_cfg"}


def function(entry: _catalog.Entry) -> Callable[..., Any]:
    return getattr(MODULES[entry.module], entry.function)


# ============================================================================================ the catalog


def test_the_module_is_the_catalog() -> None:
    """Every row is a function of its module, the module has no public function the catalog lacks, generated
    rows wrap the C function they name, and every C function named is bound."""
    import types

    for entry in _catalog.ENTRIES:
        module = MODULES[entry.module]
        if entry.kind == "absent":
            assert not hasattr(module, entry.function), entry.name
            continue
        fn = getattr(module, entry.function, None)
        assert callable(fn), "%s is in the catalog but not in the module" % entry.name
        if entry.kind == "gen":
            assert fn.__wrapped_c__ == entry.cfunc, entry.name
        if entry.cfunc is not None:
            assert entry.cfunc in binding.prototypes, "%s wraps %s, which is not bound" % (entry.name, entry.cfunc)
    names = {e.name for e in _catalog.ENTRIES}
    for key, module in MODULES.items():
        for name in dir(module):
            obj = getattr(module, name)
            if name.startswith("_") or not isinstance(obj, types.FunctionType):
                continue
            full = "acl.%s" % name if key == "acl" else "acl.%s.%s" % (key, name)
            assert full in names, "%s is public but not in the catalog" % full
    assert {e.name for e in _catalog.ENTRIES if e.kind == "absent"} == ABSENT
    for entry in _catalog.ENTRIES:
        if entry.kind == "absent":
            assert entry.cfunc not in binding.prototypes, "%s: %s is bound now" % (entry.name, entry.cfunc)


def test_catalog_counts() -> None:
    counts: Dict[str, int] = {}
    for entry in PRESENT:
        counts[entry.module] = counts.get(entry.module, 0) + 1
    assert counts == COUNTS
    assert sum(COUNTS.values()) == len(PRESENT) == 522
    assert ({e.kind for e in PRESENT} == {"gen", "custom", "python"})


def test_catalog_rows_are_checked_when_read(tmp_path: Path) -> None:
    bad = tmp_path / "c.txt"
    bad.write_text("acl.rt.x aclrtX gen ret\nacl.rt.x aclrtX gen ret\n")
    with pytest.raises(ValueError, match="listed twice"):
        _catalog.load(bad)
    bad.write_text("acl.rt.x aclrtX weird ret\n")
    with pytest.raises(ValueError, match="unknown kind"):
        _catalog.load(bad)
    bad.write_text("rt.x aclrtX gen ret\n")
    with pytest.raises(ValueError, match="not a catalog row"):
        _catalog.load(bad)


def test_generated_signatures_follow_the_prototypes() -> None:
    """A gen row takes the C parameters that are not outputs, in the C order, positionally (pyACL's functions
    take no keywords), and returns its outputs in the order the row names them, ret last."""
    import inspect

    for entry in (e for e in PRESENT if e.kind == "gen"):
        proto = binding.prototypes[entry.cfunc]
        expected = [_generate.snake(n) for _, n in proto.params if n not in entry.outputs]
        params = list(inspect.signature(function(entry)).parameters.values())
        assert [p.name for p in params] == expected, entry.name
        assert all(p.kind == p.POSITIONAL_ONLY for p in params), entry.name
    assert pyacl.rt.memcpy.__doc__.startswith("pyACL ``acl.rt.memcpy``: aclError aclrtMemcpy(")


# ============================================================================================ arguments


def gen_args(entry: _catalog.Entry, pointer: int, number: int, text: str) -> List[Any]:
    proto = binding.prototypes[entry.cfunc]
    out: List[Any] = []
    for ctype, name in proto.params:
        if name in entry.outputs:
            continue
        kind = _generate._param_kind(ctype)
        out.append({"pointer": pointer, "string": text, "real": float(number)}.get(kind, number))
    return out


def _cb(*args: Any) -> None:
    return None


PROP = {"handleType": 0, "allocationType": 0, "memAttr": 0, "location": {"id": 0, "type": 0}, "reserve": 0}


def custom_args(p: int, n: int, t: str) -> Dict[str, Tuple[Any, ...]]:
    """Arguments of the right Python types for every custom and python row (``p`` a pointer, ``n`` a number)."""
    return {
        "acl.init": (None,), "acl.finalize": (), "acl.create_tensor_desc": (n, [2, 3], n), "acl.app_log": (n, t),
        "acl.set_tensor_storage_shape": (p, [2, 3]), "acl.set_tensor_shape": (p, [2, 3]),
        "acl.set_tensor_origin_shape": (p, [2, 3]), "acl.set_tensor_shape_range": (p, [[1, 2]]),
        "acl.get_tensor_desc_dim_range": (p, n, 2), "acl.set_tensor_value_range": (p, [[1, 2]]),
        "acl.get_cann_attribute_list": (), "acl.get_cann_version": (n,), "acl.get_version_str": (t,),
        "acl.rt.get_run_mode": (), "acl.rt.get_device_utilization_rate": (n,), "acl.rt.device_get_uuid": (n,),
        "acl.rt.get_primary_ctx_state": (n,), "acl.rt.set_stream_attribute": (p, 1, {"failureMode": 1}),
        "acl.rt.get_stream_attribute": (p, 1), "acl.rt.launch_callback": (_cb, None, n, p),
        "acl.rt.set_exception_info_callback": (_cb,), "acl.rt.malloc_physical": (n, PROP, n),
        "acl.rt.malloc_with_cfg": (n, n, {}), "acl.rt.malloc_for_task_scheduler": (n, n, {}),
        "acl.rt.malloc_host_with_cfg": (n, {}), "acl.rt.mem_set_pid_to_shareable_handle": (n, [n]),
        "acl.rt.mem_get_allocation_granularity": (PROP, n), "acl.rt.get_mem_uce_info": (n, 2),
        "acl.rt.mem_uce_repair": (n, [{"addr": p, "len": n}]), "acl.rt.pointer_get_attributes": (p,),
        "acl.rt.set_memcpy_desc": (p, n, p, p, n, p), "acl.rt.ipc_mem_get_export_key": (p, n, 16, n),
        "acl.rt.ipc_mem_set_import_pid": (t, [n]),
        "acl.mdl.add_dataset_buffer": (p, p), "acl.mdl.get_input_dims": (p, n), "acl.mdl.get_input_dims_v2": (p, n),
        "acl.mdl.get_output_dims": (p, n), "acl.mdl.get_cur_output_dims": (p, n), "acl.mdl.get_dynamic_batch": (p,),
        "acl.mdl.get_dynamic_hw": (p, n), "acl.mdl.get_first_aipp_info": (n, n),
        "acl.mdl.set_input_dynamic_dims": (n, p, n, {"dimCount": 1, "name": "", "dims": [1]}),
        "acl.mdl.get_input_dynamic_dims": (p, n, 1), "acl.mdl.create_and_get_op_desc": (n, n, n, 8),
        "acl.mdl.set_dump": (t,), "acl.mdl.set_config_opt": (p, 0, n), "acl.mdl.destroy_config_handle": (p,),
        "acl.mdl.set_dataset_tensor_desc": (p, p, n), "acl.mdl.set_exec_config_opt": (p, n, n),
        "acl.mdl.get_input_dims_range": (p, n),
        "acl.media.dvpp_create_batch_pic_desc": (1,),
        "acl.media.dvpp_vpc_batch_crop_async": (p, p, [1], p, [p], p),
        "acl.media.dvpp_vpc_batch_crop_and_paste_async": (p, p, [1], p, [p], [p], p),
        "acl.media.dvpp_vpc_batch_crop_resize_async": (p, p, [1], p, [p], p, p),
        "acl.media.dvpp_vpc_batch_crop_resize_paste_async": (p, p, [1], p, [p], [p], p, p),
        "acl.media.dvpp_vpc_batch_crop_resize_make_border_async": (p, p, [1], p, [p], [p], p, p),
        "acl.media.dvpp_set_channel_desc_param": (p, 0, n), "acl.media.dvpp_get_channel_desc_param": (p, 0),
        "acl.media.vdec_set_channel_desc_param": (p, 0, n), "acl.media.vdec_get_channel_desc_param": (p, 0),
        "acl.media.vdec_set_channel_desc_callback": (p, _cb), "acl.media.vdec_get_channel_desc_callback": (p,),
        "acl.media.vdec_send_frame": (p, p, p, p, None), "acl.media.vdec_send_skipped_frame": (p, p, p, None),
        "acl.media.vdec_destroy_channel": (p,), "acl.media.vdec_destroy_channel_desc": (p,),
        "acl.media.venc_set_channel_desc_callback": (p, _cb), "acl.media.venc_get_channel_desc_callback": (p,),
        "acl.media.venc_send_frame": (p, p, p, p, None), "acl.media.venc_destroy_channel": (p,),
        "acl.media.venc_destroy_channel_desc": (p,), "acl.media.venc_set_channel_desc_param": (p, 2, n),
        "acl.media.venc_get_channel_desc_param": (p, 2),
        "acl.op.execute": (t, [p], [p], [p], [p], p, p), "acl.op.execute_v2": (t, [p], [p], [p], [p], p, p),
        "acl.op.execute_with_handle": (p, [p], [p], p), "acl.op.set_attr_list_bool": (p, t, [True]),
        "acl.op.set_attr_list_int": (p, t, [1]), "acl.op.set_attr_list_float": (p, t, [0.5]),
        "acl.op.set_attr_list_string": (p, t, [t]), "acl.op.set_attr_list_list_int": (p, t, [[1]]),
        "acl.op.create_handle": (t, [p], [p], p), "acl.op.register_compile_func": (t, _cb),
        "acl.op.unregister_compile_func": (t,), "acl.op.create_kernel": (t, t, t, p, n, n, 0),
        "acl.op.update_params": (t, [p], [p], p), "acl.op.infer_shape": (t, [p], [p], n, [p], p),
        "acl.op.set_attr_data_type": (p, t, n), "acl.op.set_attr_list_data_type": (p, t, [n]),
        "acl.prof.create_config": ([n], n, p, n), "acl.prof.init": (t,), "acl.prof.mark_ex": (t, p),
        "acl.prof.set_config": (n, t), "acl.prof.create_subscribe_config": (n, n, n),
        "acl.prof.get_op_type": (p, n, n, 8), "acl.prof.get_op_name": (p, n, n, 8),
    }


def args_for(entry: _catalog.Entry, p: int, n: int, t: str) -> List[Any]:
    if entry.kind == "gen":
        return gen_args(entry, p, n, t)
    return list(custom_args(p, n, t)[entry.name])


#: Calls that need another call first (a VDEC/VENC frame or query needs the channel description's callback).
NEEDS = {"acl.media.vdec_get_channel_desc_callback": "acl.media.vdec_set_channel_desc_callback",
         "acl.media.vdec_send_frame": "acl.media.vdec_set_channel_desc_callback",
         "acl.media.vdec_send_skipped_frame": "acl.media.vdec_set_channel_desc_callback",
         "acl.media.venc_get_channel_desc_callback": "acl.media.venc_set_channel_desc_callback",
         "acl.media.venc_send_frame": "acl.media.venc_set_channel_desc_callback"}


# ============================================================================================ shapes


def shape_ok(entry: _catalog.Entry, result: Any) -> bool:
    """Does ``result`` have the shape the catalog gives the function? (pyACL's conventions: ret an int, values
    ints or floats, strings str or None, tuples ending with the int ret; dicts, lists and strings as named.)"""
    r = entry.returns
    if entry.kind == "python":
        return {"int": lambda: type(result) is int, "bytes": lambda: type(result) is bytes,
                "ndarray": lambda: isinstance(result, np.ndarray), "ret": lambda: type(result) is int,
                "(ptr,array)": lambda: type(result[0]) is int and isinstance(result[1], np.ndarray),
                "(tid,ret)": lambda: type(result[0]) is int and type(result[1]) is int,
                "callable": lambda: callable(result)}[r]()
    if r in ("ret",):
        return type(result) is int
    if r == "value":
        return type(result) in (int, float)
    if r == "str":
        return result is None or type(result) is str
    if r == "none":
        return result is None
    if r == "callable":
        return callable(result)
    items = entry.tuple_items
    if type(result) is not tuple or len(result) != len(items) or type(result[-1]) is not int:
        return False
    for token, value in zip(items[:-1], result[:-1]):
        if token in ("dims", "dict"):
            ok = value is None or type(value) is dict
        elif token == "list":
            ok = value is None or type(value) is list
        elif token in ("str", "name"):
            ok = type(value) is str
        elif entry.name == "acl.media.venc_get_channel_desc_param":
            ok = callable(value) or type(value) is int
        else:
            ok = type(value) in (int, float)
        if not ok:
            return False
    return True


def ret_of(entry: _catalog.Entry, result: Any) -> Any:
    if entry.returns == "ret":
        return result
    if entry.tuple_items:
        return result[-1]
    return None


# ============================================================================================ on the emulator

#: Calls the sweep leaves out because they change the session it runs in; each is checked by the test named.
TESTED_ELSEWHERE = {
    "acl.init": "test_init_finalize_and_device_calls_keep_pyacls_shape",
    "acl.finalize": "test_init_finalize_and_device_calls_keep_pyacls_shape",
    "acl.rt.set_device": "test_init_finalize_and_device_calls_keep_pyacls_shape",
    "acl.rt.reset_device": "test_init_finalize_and_device_calls_keep_pyacls_shape",
    "acl.rt.reset_device_force": "test_init_finalize_and_device_calls_keep_pyacls_shape",
    "acl.rt.device_task_abort": "test_init_finalize_and_device_calls_keep_pyacls_shape",
    "acl.rt.set_context": "test_init_finalize_and_device_calls_keep_pyacls_shape",
    "acl.util.start_thread": "test_util_functions_keep_pyacls_shape",
    "acl.util.stop_thread": "test_util_functions_keep_pyacls_shape",
    "acl.util.ptr_to_bytes": "test_util_functions_keep_pyacls_shape",
    "acl.util.ptr_to_numpy": "test_util_functions_keep_pyacls_shape",
    "acl.util.bytes_to_ptr": "test_util_functions_keep_pyacls_shape",
    "acl.util.numpy_to_ptr": "test_util_functions_keep_pyacls_shape",
    "acl.util.numpy_contiguous_to_ptr": "test_util_functions_keep_pyacls_shape",
}
#: Emulated calls that create something from NULL-ish arguments, and how to release it again.
RELEASE = {"acl.rt.create_stream": "acl.rt.destroy_stream", "acl.rt.create_event": "acl.rt.destroy_event",
           "acl.rt.create_event_with_flag": "acl.rt.destroy_event",
           "acl.rt.create_event_ex_with_flag": "acl.rt.destroy_event",
           "acl.rt.create_stream_with_config": "acl.rt.destroy_stream",
           "acl.rt.create_context": "acl.rt.destroy_context", "acl.mdl.create_desc": "acl.mdl.destroy_desc",
           "acl.mdl.create_dataset": "acl.mdl.destroy_dataset", "acl.create_data_buffer": "acl.destroy_data_buffer",
           "acl.media.dvpp_create_channel_desc": "acl.media.dvpp_destroy_channel_desc",
           "acl.media.dvpp_create_pic_desc": "acl.media.dvpp_destroy_pic_desc",
           "acl.media.dvpp_create_roi_config": "acl.media.dvpp_destroy_roi_config",
           "acl.media.dvpp_create_resize_config": "acl.media.dvpp_destroy_resize_config",
           "acl.media.dvpp_create_jpege_config": "acl.media.dvpp_destroy_jpege_config",
           "acl.media.dvpp_create_batch_pic_desc": "acl.media.dvpp_destroy_batch_pic_desc",
           "acl.media.dvpp_create_stream_desc": "acl.media.dvpp_destroy_stream_desc",
           "acl.media.dvpp_create_hist": "acl.media.dvpp_destroy_hist",
           "acl.media.dvpp_create_lut_map": "acl.media.dvpp_destroy_lut_map",
           "acl.media.dvpp_create_border_config": "acl.media.dvpp_destroy_border_config",
           "acl.media.vdec_create_channel_desc": "acl.media.vdec_destroy_channel_desc",
           "acl.media.vdec_create_frame_config": "acl.media.vdec_destroy_frame_config",
           "acl.media.venc_create_channel_desc": "acl.media.venc_destroy_channel_desc",
           "acl.media.venc_create_frame_config": "acl.media.venc_destroy_frame_config",
           "acl.create_tensor_desc": "acl.destroy_tensor_desc",
           "acl.trans_tensor_desc_format": "acl.destroy_tensor_desc",
           "acl.op.create_attr": "acl.op.destroy_attr",
           "acl.mdl.create_config_handle": "acl.mdl.destroy_config_handle",
           "acl.mdl.create_exec_config_handle": "acl.mdl.destroy_exec_config_handle",
           "acl.mdl.create_aipp": "acl.mdl.destroy_aipp"}
#: Arguments other than NULLs and zeros, where zeros would not reach C or would wait.
OVERRIDES: Dict[str, Tuple[Any, ...]] = {"acl.rt.process_report": (1,)}


def _not_emulated_message(cfunc: str) -> str:
    version = binding.ffi.string(binding.lib.acllite_emu_version()).decode()
    return "%s: not emulated (acllite %s)" % (cfunc, version)


@requires_emulator
def test_every_function_keeps_pyacls_shape_on_the_emulator(acl: Any) -> None:
    """Every catalog function, called with NULL handles and zeros: the result has pyACL's shape and nothing
    raises; a function whose C function the emulator does not emulate gives ACL_ERROR_API_NOT_SUPPORT (or the
    NULL/0 value) and says "not emulated" in acl.get_recent_err_msg()."""
    called = set()
    for entry in PRESENT:
        if entry.name in TESTED_ELSEWHERE:
            continue
        if entry.name in NEEDS:
            need = _catalog.BY_NAME[NEEDS[entry.name]]
            function(need)(*args_for(need, 0, 0, "x"))
        args = OVERRIDES.get(entry.name) or args_for(entry, 0, 0, "x")
        result = function(entry)(*args)
        called.add(entry.name)
        assert shape_ok(entry, result), "%s%r returned %r, not the shape %s" % (entry.name, tuple(args), result,
                                                                                 entry.returns)
        if entry.cfunc in NOT_EMULATED:
            ret = ret_of(entry, result)
            if ret is not None:
                assert ret == NOT_SUPPORT, "%s: %r" % (entry.name, result)
            elif entry.returns == "value":
                assert result in (0, -1, 10000), "%s: %r" % (entry.name, result)
            if entry.name not in ("acl.app_log",):  # pure Python on the emulator
                assert pyacl.get_recent_err_msg() == _not_emulated_message(entry.cfunc), entry.name
        release = RELEASE.get(entry.name)
        handle = result[0] if type(result) is tuple and result[-1] == 0 else result
        if release and type(handle) is int and handle:
            rel = _catalog.BY_NAME[release]
            assert function(rel)(handle) in (0, None), (entry.name, release)  # (a void destroy gives None)
    missing = {e.name for e in PRESENT} - called - set(TESTED_ELSEWHERE)
    assert not missing, "catalog functions without a return-convention check: %s" % sorted(missing)
    here = sys.modules[__name__]
    assert all(callable(getattr(here, t, None)) for t in TESTED_ELSEWHERE.values())


@requires_emulator
def test_init_finalize_and_device_calls_keep_pyacls_shape(uninitialized: None) -> None:
    a = pyacl
    assert a.init() == 0
    assert a.init() == binding.lib.ACL_ERROR_REPEAT_INITIALIZE
    assert a.rt.set_device(0) == 0
    ctx, ret = a.rt.get_context()
    assert ret == 0 and ctx and a.rt.set_context(ctx) == 0
    ret = a.rt.device_task_abort(0, 10)
    assert type(ret) is int
    assert a.rt.reset_device(0) == 0
    assert a.rt.set_device(0) == 0
    assert a.rt.reset_device_force(0) in (0, NOT_SUPPORT)
    if a.rt.get_device()[1] == 0:
        assert a.rt.reset_device(0) == 0
    assert a.rt.reset_device(7) != 0
    assert a.finalize() == 0
    assert a.finalize() == binding.lib.ACL_ERROR_REPEAT_FINALIZE
    assert a.init("") == 0 and a.finalize() == 0  # "" is no configuration, as None


def test_util_functions_keep_pyacls_shape() -> None:
    u = pyacl.util
    arr = np.arange(4, dtype=np.int32)
    p = u.numpy_to_ptr(arr)
    assert type(p) is int and p == arr.ctypes.data
    q, same = u.numpy_contiguous_to_ptr(arr)
    assert q == p and same is arr or np.shares_memory(same, arr)
    data = bytes(range(8))
    b = u.bytes_to_ptr(data)
    assert u.ptr_to_bytes(b, 8) == data
    assert u.ptr_to_numpy(p, (4,), 5).tolist() == [0, 1, 2, 3]
    tid, ret = u.start_thread(lambda args: None, [])
    assert type(tid) is int and ret == 0 and u.stop_thread(tid) == 0


# ============================================================================================ on a stand-in CANN


@pytest.fixture(scope="module")
def full_fake_cann(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("full-fake-cann")
    try:
        fake_cann.build(root)
    except RuntimeError as e:
        pytest.skip(str(e))
    return root


SWEEP_ON_CANN = r"""
import json, sys
sys.path.insert(0, TESTS)
import acllite, acllite.pyacl as acl
import fake_cann
import test_pyacl_surface as s
info = acllite.backend_info()
libs = sorted(set(info.libraries.values()))
out = {"backend": info.name, "missing": list(info.missing), "rows": {}}
for e in s.PRESENT:
    if e.kind == "python":
        continue
    if e.name in s.NEEDS:
        need = s._catalog.BY_NAME[s.NEEDS[e.name]]
        s.function(need)(*s.args_for(need, 0x1000, 1, "x"))
    for lib in libs:
        fake_cann.reset(lib)
    try:
        result = s.function(e)(*s.args_for(e, 0x1000, 1, "x"))
        shape = s.shape_ok(e, result)
        if callable(result):
            result = "<callable>"
        elif isinstance(result, tuple):
            result = [("<callable>" if callable(x) else x) for x in result]
        error = None
    except Exception as exc:
        result, shape, error = None, False, "%s: %s" % (type(exc).__name__, exc)
    calls = [c for lib in libs for c in fake_cann.calls(lib)]
    out["rows"][e.name] = {"calls": calls, "result": result, "shape": shape, "error": error}
print(json.dumps(out, default=repr))
"""


def test_every_function_calls_its_c_function_on_cann(full_fake_cann: Path) -> None:
    """On a CANN exporting every bound function, each pyACL function calls the C function the catalog names and
    returns what it returned (the stand-in's recognisable values): no function answers "not supported"."""
    code = "TESTS = %r\n" % str(ROOT / "tests") + SWEEP_ON_CANN
    env = {"ACLLITE_BACKEND": "cann", "ASCEND_TOOLKIT_HOME": str(full_fake_cann), "ASCEND_HOME_PATH": None,
           "LD_LIBRARY_PATH": None}
    out = json.loads(run_python_ok(child(code), env).strip().splitlines()[-1])
    assert out["backend"] == "cann"
    assert [m for m in out["missing"] if not m.startswith("acllite_emu_")] == []
    rows = out["rows"]
    assert set(rows) == {e.name for e in PRESENT if e.kind != "python"}
    for entry in PRESENT:
        if entry.kind == "python":
            continue
        row = rows[entry.name]
        assert row["error"] is None, "%s raised %s" % (entry.name, row["error"])
        assert entry.cfunc in row["calls"], "%s did not call %s (called %s)" % (entry.name, entry.cfunc, row["calls"])
        assert row["shape"], "%s returned %r, not the shape %s" % (entry.name, row["result"], entry.returns)
        result = row["result"]
        flat = result if isinstance(result, list) else [result]
        assert NOT_SUPPORT not in flat, "%s answered ACL_ERROR_API_NOT_SUPPORT on CANN" % entry.name
        if entry.kind != "gen":
            continue
        if entry.returns == "ret" or entry.tuple_items:
            assert flat[-1] == fake_cann.RET, (entry.name, result)
        elif entry.returns == "str":
            assert result == "fake", (entry.name, result)
        elif entry.returns == "value":
            assert result in (fake_cann.POINTER, fake_cann.NUMBER, fake_cann.FLOAT), (entry.name, result)


CALLBACKS_ON_CANN = r"""
import json, logging
import acllite.pyacl as acl
records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.getMessage())
logging.getLogger("acllite.pyacl").addHandler(Keep())
m = acl.media
got = []
def vdec_cb(input_desc, output_pic, user_data):
    if user_data == "boom":
        raise RuntimeError("the program's callback failed")
    got.append(["vdec", input_desc, output_pic, user_data])
out = {"set": m.vdec_set_channel_desc_callback(0x1000, vdec_cb),
       "same": m.vdec_get_channel_desc_callback(0x1000) is vdec_cb}
out["sent"] = [m.vdec_send_frame(0x1000, 0x2000 + k, 0x3000 + k, 0x4000, data)
               for k, data in enumerate([{"frame": 0}, "boom", ("frame", 2)])]
try:
    m.vdec_send_frame(0x1111, 1, 2, 3, None)
except RuntimeError as e:
    out["no_callback"] = str(e)
def venc_cb(input_pic, output_stream, user_data):
    got.append(["venc", input_pic, output_stream, user_data])
out["venc_set"] = m.venc_set_channel_desc_callback(0x5000, venc_cb)
out["venc_sent"] = m.venc_send_frame(0x5000, 0x6000, 0, 0x7000, [1, 2])
out["host"] = acl.rt.launch_callback(lambda data: got.append(["host", data]), {"k": 1}, 1, 0x8000)
out["host_raises"] = acl.rt.launch_callback(lambda data: 1 / 0, None, 1, 0x8000)
out["got"] = got
out["logged"] = [r for r in records if "callback raised" in r]
out["destroyed"] = m.vdec_destroy_channel(0x1000)
out["kept"] = m.vdec_get_channel_desc_callback(0x1000) is vdec_cb  # the stand-in refused: the channel lives on
print(json.dumps(out))
"""


def test_callbacks_are_delivered_with_pyacls_conventions(full_fake_cann: Path) -> None:
    """The stand-in CANN calls a channel's callback when a frame is sent (and a host callback when launched): the
    program's function gets the descriptions as ints and the frame's own user data; an exception it raises is
    logged and goes no further (the next frames are delivered); a frame needs a callback first (RuntimeError, as
    pyACL); a destroy the runtime refuses keeps the channel's callback."""
    env = {"ACLLITE_BACKEND": "cann", "ASCEND_TOOLKIT_HOME": str(full_fake_cann), "ASCEND_HOME_PATH": None,
           "LD_LIBRARY_PATH": None}
    out = json.loads(run_python_ok(child(CALLBACKS_ON_CANN), env).strip().splitlines()[-1])
    assert out["set"] == 0 and out["same"] and out["sent"] == [0, 0, 0]
    assert "set the channel description's callback first" in out["no_callback"]
    assert out["venc_set"] == 0 and out["venc_sent"] == 0 and out["host"] == 0 and out["host_raises"] == 0
    assert out["got"] == [["vdec", 0x2000, 0x3000, {"frame": 0}], ["vdec", 0x2002, 0x3002, ["frame", 2]],
                          ["venc", 0x6000, 0x5E0, [1, 2]], ["host", {"k": 1}]]
    assert len(out["logged"]) == 2  # the VDEC callback's and the host callback's exceptions, logged
    assert out["destroyed"] == fake_cann.RET and out["kept"]
