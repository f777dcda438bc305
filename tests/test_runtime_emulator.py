"""The AscendCL runtime subset through the raw binding, on the emulator: every function's happy path with its
values checked, and each bad input with its exact status code and message, the process living on.

Configurations other than the default (1 device, Ascend310, 8 GiB, strict) are read once per process, so the
tests of those run a fresh interpreter (``run_python``)."""

from __future__ import annotations

import re
import sys
import threading
from pathlib import Path
from typing import Any, List

import numpy as np
import pytest

from conftest import (child, ROOT, ZERO_COUNTS, StreamHold, ReportThread, create_context, create_event,
                      create_stream, current_context, expect_error, is_initialized, leak_report, live_counts, malloc,
                      malloc_host, ok, read_device, recent_message, requires_emulator, run_python, run_python_ok,
                      write_device)

import acllite
from acllite.binding import ffi, lib

pytestmark = requires_emulator

GARBAGE = ffi.cast("void *", 0x1234)
H2H, H2D, D2H, D2D, DEFAULT = 0, 1, 2, 3, 4
GIB = 1 << 30
#: The emulator's allocation footprint (the real rule): ALIGN_UP(size, 32) + 32, then aligned to 128.
def span(size: int) -> int:
    return (((size + 31) // 32 * 32 + 32) + 127) // 128 * 128


_KEEP: List[Any] = []
NOOP_CB = ffi.callback("void(void *)", lambda _data: None)


def at(ptr: Any, offset: int) -> Any:
    """ptr + offset bytes, as a void *."""
    return ffi.cast("void *", ffi.cast("char *", ptr) + offset)


def addr(ptr: Any) -> int:
    return int(ffi.cast("uintptr_t", ptr))


def random_bytes(n: int, seed: int = 0) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def out_cell(ctype: str) -> Any:
    return ffi.new(ctype)


# ============================================================================ the runtime subset, covered

#: Emulated since issue 14; test_runtime_more.py calls them.
MORE_RUNTIME_FUNCTIONS = """
aclAppLog aclFloat16ToFloat aclFloatToFloat16 aclGetDataBufferSize aclGetDeviceCapability
aclrtCreateEventExWithFlag aclrtCreateEventWithFlag aclrtCreateStreamWithConfig aclrtCtxGetCurrentDefaultStream
aclrtCtxGetSysParamOpt aclrtCtxSetSysParamOpt aclrtDestroyStreamForce aclrtDeviceCanAccessPeer
aclrtDeviceDisablePeerAccess aclrtDeviceEnablePeerAccess aclrtDeviceGetStreamPriorityRange
aclrtDevicePeerAccessStatus aclrtEventGetTimestamp aclrtFreeHostWithDevSync aclrtFreeWithDevSync
aclrtGetArgsFromExceptionInfo aclrtGetDeviceCapability aclrtGetDeviceIdFromExceptionInfo aclrtGetDeviceInfo
aclrtGetDeviceSatMode aclrtGetDeviceUtilizationRate aclrtGetErrorCodeFromExceptionInfo aclrtGetEventAvailNum
aclrtGetEventId aclrtGetFuncHandleFromExceptionInfo aclrtGetLastError aclrtGetLogicDevIdByPhyDevId
aclrtGetLogicDevIdByUserDevId aclrtGetOpExecuteTimeout aclrtGetOpTimeOutInterval aclrtGetPhyDevIdByLogicDevId
aclrtGetStreamAvailableNum aclrtGetStreamIdFromExceptionInfo aclrtGetSysParamOpt aclrtGetTaskIdFromExceptionInfo
aclrtGetThreadIdFromExceptionInfo aclrtGetThreadLastTaskId aclrtGetUserDevIdByLogicDevId aclrtMallocAlign32
aclrtMallocCached aclrtMallocHostWithCfg aclrtMallocWithCfg aclrtMemFlush aclrtMemInvalidate aclrtMemcpy2d
aclrtMemcpy2dAsync aclrtPeekAtLastError aclrtQueryDeviceStatus aclrtQueryEvent aclrtQueryEventWaitStatus
aclrtResetDeviceForce aclrtSetDeviceSatMode aclrtSetExceptionInfoCallback aclrtSetOpExecuteTimeOut
aclrtSetOpExecuteTimeOutV2 aclrtSetOpExecuteTimeOutWithMs aclrtSetOpWaitTimeout aclrtSetStreamFailureMode
aclrtSetSysParamOpt aclrtStreamGetFlags aclrtStreamGetId aclrtStreamGetPriority aclrtStreamQuery
aclrtSynchronizeDeviceWithTimeout aclrtSynchronizeEventWithTimeout aclsysGetCANNVersion aclsysGetVersionNum
aclsysGetVersionStr
""".split()
RUNTIME_FUNCTIONS = sorted("""
aclInit aclFinalize aclGetRecentErrMsg aclrtGetVersion aclrtSetDevice aclrtResetDevice aclrtGetDevice
aclrtGetDeviceCount aclrtGetRunMode aclrtGetSocName aclrtCreateContext aclrtDestroyContext aclrtSetCurrentContext
aclrtGetCurrentContext aclrtCreateStream aclrtDestroyStream aclrtSynchronizeStream aclrtSynchronizeStreamWithTimeout
aclrtSynchronizeDevice aclrtCreateEvent aclrtDestroyEvent aclrtRecordEvent aclrtResetEvent aclrtSynchronizeEvent
aclrtQueryEventStatus aclrtEventElapsedTime aclrtStreamWaitEvent aclrtMalloc aclrtMallocHost aclrtFree
aclrtFreeHost aclrtMemcpy aclrtMemcpyAsync aclrtMemset aclrtMemsetAsync aclrtGetMemInfo aclrtLaunchCallback
aclrtSubscribeReport aclrtProcessReport aclrtUnSubscribeReport aclCreateDataBuffer aclDestroyDataBuffer
aclGetDataBufferAddr aclGetDataBufferSizeV2 aclUpdateDataBuffer aclDataTypeSize
""".split() + MORE_RUNTIME_FUNCTIONS)


def test_every_runtime_function_is_declared_present_and_called_here() -> None:
    """The list above (with runtime_more_functions.txt) is exactly the emulated functions of acl_base.h +
    acl_runtime*.h (those not listed in csrc/emu/not_emulated.txt), all present on the emulator, and this module or
    test_runtime_more.py calls each of them through the raw binding."""
    sys.path.insert(0, str(ROOT / "csrc"))
    try:
        import apigen
    finally:
        sys.path.remove(str(ROOT / "csrc"))
    api = apigen.load_api()
    not_emulated = {e.name for e in apigen.read_not_emulated()}
    declared = sorted(f.name for f in api.functions if f.name not in not_emulated
                      and (f.source == "acl_base.h" or f.source.startswith("acl_runtime")))
    assert declared == RUNTIME_FUNCTIONS
    assert not set(acllite.backend_info().missing) & set(RUNTIME_FUNCTIONS)
    proto = acllite.binding.prototypes
    assert all(proto[n].present and proto[n].library == "ascendcl" for n in RUNTIME_FUNCTIONS)
    text = "".join((Path(__file__).parent / name).read_text()
                   for name in ("test_runtime_emulator.py", "test_runtime_more.py", "conftest.py"))
    uncalled = [n for n in RUNTIME_FUNCTIONS if not re.search(r"\blib\.%s\(" % n, text)]
    assert uncalled == []


# ============================================================================ before aclInit


def test_run_mode_version_and_type_sizes_work_before_init(uninitialized: None) -> None:
    mode = out_cell("aclrtRunMode *")
    ok(lib.aclrtGetRunMode(mode))
    assert mode[0] == lib.ACL_HOST
    v = ffi.new("int32_t[3]")
    ok(lib.aclrtGetVersion(v, v + 1, v + 2))
    assert tuple(v) == (1, 17, 0) == acllite.backend_info().version
    assert lib.aclDataTypeSize(lib.ACL_FLOAT) == 4


def _pre_init_calls() -> List[Any]:
    cell = ffi.new("void **")
    u32 = ffi.new("uint32_t *")
    i32 = ffi.new("int32_t *")
    f = ffi.new("float *")
    st = ffi.new("aclrtEventRecordedStatus *")
    sz = ffi.new("size_t[2]")
    buf = ffi.new("char[64]")
    _KEEP.extend([cell, u32, i32, f, st, sz, buf])
    return [
        (lib.aclrtSetDevice, (0,)), (lib.aclrtResetDevice, (0,)), (lib.aclrtGetDevice, (i32,)),
        (lib.aclrtCreateContext, (cell, 0)), (lib.aclrtDestroyContext, (GARBAGE,)),
        (lib.aclrtSetCurrentContext, (GARBAGE,)), (lib.aclrtGetCurrentContext, (cell,)),
        (lib.aclrtSynchronizeDevice, ()), (lib.aclrtCreateStream, (cell,)), (lib.aclrtDestroyStream, (GARBAGE,)),
        (lib.aclrtSynchronizeStream, (ffi.NULL,)), (lib.aclrtSynchronizeStreamWithTimeout, (ffi.NULL, 10)),
        (lib.aclrtCreateEvent, (cell,)), (lib.aclrtDestroyEvent, (GARBAGE,)), (lib.aclrtRecordEvent, (GARBAGE, ffi.NULL)),
        (lib.aclrtResetEvent, (GARBAGE, ffi.NULL)), (lib.aclrtSynchronizeEvent, (GARBAGE,)),
        (lib.aclrtQueryEventStatus, (GARBAGE, st)), (lib.aclrtEventElapsedTime, (f, GARBAGE, GARBAGE)),
        (lib.aclrtStreamWaitEvent, (ffi.NULL, GARBAGE)), (lib.aclrtSubscribeReport, (1, ffi.NULL)),
        (lib.aclrtLaunchCallback, (NOOP_CB, ffi.NULL, 0, ffi.NULL)), (lib.aclrtProcessReport, (10,)),
        (lib.aclrtUnSubscribeReport, (1, ffi.NULL)), (lib.aclrtMalloc, (cell, 64, 0)), (lib.aclrtMallocHost, (cell, 64)),
        (lib.aclrtFree, (GARBAGE,)), (lib.aclrtFreeHost, (GARBAGE,)), (lib.aclrtMemcpy, (buf, 64, buf + 32, 16, H2H)),
        (lib.aclrtMemcpyAsync, (buf, 64, buf + 32, 16, H2H, ffi.NULL)), (lib.aclrtMemset, (buf, 64, 0, 64)),
        (lib.aclrtMemsetAsync, (buf, 64, 0, 64, ffi.NULL)), (lib.aclrtGetMemInfo, (0, sz, sz + 1)),
    ]


@pytest.mark.parametrize("index", range(len(_pre_init_calls())))
def test_calls_before_init_fail_with_uninitialize(uninitialized: None, index: int) -> None:
    fn, args = _pre_init_calls()[index]
    expect_error(lib.ACL_ERROR_UNINITIALIZE, "AscendCL is not initialized: call aclInit first", fn, *args)


def test_device_count_and_soc_name_work_before_init(uninitialized: None) -> None:
    # As on CANN: Ray's NPU detection and torch_npu count devices (and Ray reads the SoC name) before aclInit.
    n = out_cell("uint32_t *")
    ok(lib.aclrtGetDeviceCount(n))
    assert n[0] == 1
    assert ffi.string(lib.aclrtGetSocName()) == b"Ascend310"


def test_init_finalize_state_machine_in_a_fresh_process() -> None:
    run_python_ok(child("""
    expect(lib.aclFinalize(), 100001, "aclFinalize: AscendCL is not initialized")
    ok(lib.aclInit(ffi.NULL))
    expect(lib.aclInit(ffi.NULL), 100002, "aclInit: AscendCL is already initialized")
    ok(lib.aclFinalize())
    expect(lib.aclFinalize(), 100037, "aclFinalize: AscendCL is already finalized")
    ok(lib.aclInit(ffi.NULL))          # re-initialization after aclFinalize
    ok(lib.aclrtSetDevice(0))
    p = ffi.new("void **")
    ok(lib.aclrtMalloc(p, 64, 0))
    ok(lib.aclrtFree(p[0]))
    ok(lib.aclrtResetDevice(0))
    ok(lib.aclFinalize())
    """))


def test_repeat_init_and_finalize(acl: Any) -> None:
    expect_error(lib.ACL_ERROR_REPEAT_INITIALIZE, "already initialized", lib.aclInit, ffi.NULL)
    ok(lib.aclrtResetDevice(0))
    ok(lib.aclFinalize())
    expect_error(lib.ACL_ERROR_REPEAT_FINALIZE, "already finalized", lib.aclFinalize)
    expect_error(lib.ACL_ERROR_UNINITIALIZE, "not initialized", lib.aclrtSetDevice, 0)
    ok(lib.aclInit(ffi.NULL))
    ok(lib.aclrtSetDevice(0))  # the fixture's teardown resets and finalizes


# ============================================================================ aclInit's configuration file


def _deep(levels: int) -> str:
    return '{"a":' * (levels - 1) + "{}" + "}" * (levels - 1)


@pytest.mark.parametrize("text", ["{}", '{"dump": {"dump_list": [], "dump_mode": "output"}, "profiler": {}}',
                                  _deep(10), ' \n{"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n"]}\t'])
def test_valid_config_file(uninitialized: None, tmp_path: Path, text: str) -> None:
    path = tmp_path / "acl.json"
    path.write_text(text)
    ok(lib.aclInit(str(path).encode()), "aclInit(%s)" % text)
    assert is_initialized()
    ok(lib.aclFinalize())


def test_empty_config_path_means_no_config(uninitialized: None) -> None:
    ok(lib.aclInit(b""))
    ok(lib.aclFinalize())


@pytest.mark.parametrize("text, fragment", [
    ('{"a": }', "not valid JSON: bad number at byte 6"),
    ('{"a": tru}', "not valid JSON: unexpected character at byte 6"),
    ('{"a" 1}', "expected ':'"),
    ('{"a": "\\q"}', "bad escape in a string"),
    ('{"a": 1,}', "expected a member name"),
    ("[]", "the top level must be an object"),
    ("", "the top level must be an object"),
    ('{"a": 1} x', "text after the top-level object"),
    ('{"a": "unterminated}', "unterminated string"),
    (_deep(11), "nested deeper than 10 levels"),
])
def test_malformed_config_file(uninitialized: None, tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "acl.json"
    path.write_text(text)
    expect_error(lib.ACL_ERROR_PARSE_FILE, ["config file %s is not valid JSON" % path, fragment], lib.aclInit,
                 str(path).encode())
    assert not is_initialized()
    ok(lib.aclInit(ffi.NULL))  # a failed aclInit leaves nothing behind
    ok(lib.aclFinalize())


def test_missing_config_file(uninitialized: None, tmp_path: Path) -> None:
    path = tmp_path / "no-such.json"
    expect_error(lib.ACL_ERROR_INVALID_FILE, "cannot open config file %s: No such file or directory" % path,
                 lib.aclInit, str(path).encode())
    assert not is_initialized()


def test_invalid_environment_configuration() -> None:
    out = run_python_ok(child("""
    import os
    cases = [("ACLLITE_EMU_DEVICES", "0", "ACLLITE_EMU_DEVICES=0: expected 1 to 64"),
             ("ACLLITE_EMU_DEVICES", "65", "ACLLITE_EMU_DEVICES=65: expected 1 to 64"),
             ("ACLLITE_EMU_DEVICES", "2x", "ACLLITE_EMU_DEVICES=2x"),
             ("ACLLITE_EMU_STRICT", "yes", "ACLLITE_EMU_STRICT=yes: expected 0 or 1"),
             ("ACLLITE_EMU_DEVICE_MEMORY", "12X", "ACLLITE_EMU_DEVICE_MEMORY=12X is not a size"),
             ("ACLLITE_EMU_DEVICE_MEMORY", "0", "ACLLITE_EMU_DEVICE_MEMORY=0 is not a size"),
             ("ACLLITE_EMU_SOC", "Kirin990", "ACLLITE_EMU_SOC=Kirin990: expected a SoC name")]
    for var, value, fragment in cases:
        os.environ[var] = value
        m = expect(lib.aclInit(ffi.NULL), 100000, fragment)
        assert m.startswith("aclInit: "), m
        n = ffi.new("uint32_t *")
        assert expect(lib.aclrtGetDeviceCount(n), 100000, fragment).startswith("aclInit: ")  # read again, refused
        del os.environ[var]
    os.environ["ACLLITE_EMU_DEVICE_MEMORY"] = "256M"
    ok(lib.aclInit(ffi.NULL))                         # configuration is read at the first successful aclInit
    ok(lib.aclrtSetDevice(0))
    sizes = ffi.new("size_t[2]")
    ok(lib.aclrtGetMemInfo(0, sizes, sizes + 1))
    print(sizes[1])
    ok(lib.aclrtResetDevice(0))
    ok(lib.aclFinalize())
    """))
    assert out.split() == [str(256 << 20)]


# ============================================================================ devices and contexts


def test_device_queries(acl: Any) -> None:
    n = out_cell("uint32_t *")
    ok(lib.aclrtGetDeviceCount(n))
    assert n[0] == 1
    d = out_cell("int32_t *")
    ok(lib.aclrtGetDevice(d))
    assert d[0] == 0
    mode = out_cell("aclrtRunMode *")
    ok(lib.aclrtGetRunMode(mode))
    assert mode[0] == lib.ACL_HOST
    assert ffi.string(lib.aclrtGetSocName()) == b"Ascend310"
    assert lib.acllite_emu_strict_mode() == 1
    v = ffi.new("int32_t[3]")
    ok(lib.aclrtGetVersion(v, v + 1, v + 2))
    assert tuple(v) == (1, 17, 0)


def test_device_queries_reject_null(acl: Any) -> None:
    v = ffi.new("int32_t[3]")
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "count is NULL", lib.aclrtGetDeviceCount, ffi.NULL)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "deviceId is NULL", lib.aclrtGetDevice, ffi.NULL)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "runMode is NULL", lib.aclrtGetRunMode, ffi.NULL)
    for args in [(ffi.NULL, v + 1, v + 2), (v, ffi.NULL, v + 2), (v, v + 1, ffi.NULL)]:
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "an output pointer is NULL", lib.aclrtGetVersion, *args)


@pytest.mark.parametrize("device", [1, 2, 63, 64, -1, 2 ** 31 - 1])
def test_invalid_device_id(acl: Any, device: int) -> None:
    frag = "device %d does not exist: 1 device(s) visible (ACLLITE_EMU_DEVICES, ASCEND_RT_VISIBLE_DEVICES)" % device
    expect_error(lib.ACL_ERROR_RT_INVALID_DEVICEID, frag, lib.aclrtSetDevice, device)
    expect_error(lib.ACL_ERROR_RT_INVALID_DEVICEID, frag, lib.aclrtResetDevice, device)
    expect_error(lib.ACL_ERROR_RT_INVALID_DEVICEID, frag, lib.aclrtCreateContext, out_cell("aclrtContext *"), device)
    d = out_cell("int32_t *")
    ok(lib.aclrtGetDevice(d))  # the thread's device is unchanged
    assert d[0] == 0


def test_set_device_is_reference_counted(acl: Any) -> None:
    ok(lib.aclrtSetDevice(0))
    p = malloc(64)
    write_device(p, b"x" * 64)
    ok(lib.aclrtResetDevice(0))  # one of two references: nothing is released
    assert read_device(p, 64) == b"x" * 64
    assert live_counts()["deviceAllocations"] == 1
    ok(lib.aclrtFree(p))


def test_contexts(acl: Any) -> None:
    default = current_context()
    ctx = create_context(0)
    assert addr(ctx) != addr(default)
    assert addr(current_context()) == addr(ctx)  # a new context becomes current
    d = out_cell("int32_t *")
    ok(lib.aclrtGetDevice(d))
    assert d[0] == 0
    ok(lib.aclrtSetCurrentContext(default))
    assert addr(current_context()) == addr(default)
    ok(lib.aclrtSetCurrentContext(ctx))
    assert addr(current_context()) == addr(ctx)
    assert live_counts()["contexts"] == 2
    ok(lib.aclrtDestroyContext(ctx))
    assert live_counts()["contexts"] == 1
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "context 0x%x is not a live context" % addr(ctx),
                 lib.aclrtDestroyContext, ctx)
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "is not a live context", lib.aclrtSetCurrentContext, ctx)
    ok(lib.aclrtSetCurrentContext(default))


def test_context_bad_arguments(acl: Any) -> None:
    default = current_context()
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "context is NULL", lib.aclrtCreateContext, ffi.NULL, 0)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "context is NULL", lib.aclrtGetCurrentContext, ffi.NULL)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "context is NULL", lib.aclrtDestroyContext, ffi.NULL)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "context is NULL", lib.aclrtSetCurrentContext, ffi.NULL)
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "context 0x1234 is not a live context", lib.aclrtDestroyContext,
                 GARBAGE)
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "context 0x1234 is not a live context", lib.aclrtSetCurrentContext,
                 GARBAGE)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "is the default context of device 0; aclrtResetDevice releases it",
                 lib.aclrtDestroyContext, default)
    assert addr(current_context()) == addr(default)  # still alive and current


def test_no_current_context_after_destroying_it(acl: Any) -> None:
    default = current_context()
    ok(lib.aclrtDestroyContext(create_context(0)))  # it was current
    frag = "this thread has no current context: call aclrtSetDevice or aclrtSetCurrentContext first"
    cell = out_cell("void **")
    sizes = ffi.new("size_t[2]")
    data = ffi.new("char[16]")
    for fn, args in [(lib.aclrtGetCurrentContext, (cell,)), (lib.aclrtGetDevice, (out_cell("int32_t *"),)),
                     (lib.aclrtMalloc, (cell, 64, 0)), (lib.aclrtMallocHost, (cell, 64)),
                     (lib.aclrtCreateStream, (cell,)), (lib.aclrtCreateEvent, (cell,)),
                     (lib.aclrtSynchronizeDevice, ()), (lib.aclrtSynchronizeStream, (ffi.NULL,)),
                     (lib.aclrtGetMemInfo, (0, sizes, sizes + 1)),
                     (lib.aclrtMemcpyAsync, (data, 16, data + 8, 8, H2H, ffi.NULL))]:
        expect_error(lib.ACL_ERROR_RT_CONTEXT_NULL, frag, fn, *args)
    ok(lib.aclrtSetCurrentContext(default))
    d = out_cell("int32_t *")
    ok(lib.aclrtGetDevice(d))
    assert d[0] == 0


def test_a_new_thread_has_no_context_and_its_own_error_message(acl: Any) -> None:
    default = current_context()
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "deviceId is NULL", lib.aclrtGetDevice, ffi.NULL)
    seen: dict = {}

    def worker() -> None:
        seen["initial message"] = recent_message()
        d = ffi.new("int32_t *")
        seen["rc"] = lib.aclrtGetDevice(d)
        seen["message"] = recent_message()
        seen["set"] = lib.aclrtSetCurrentContext(default)
        seen["rc2"] = lib.aclrtGetDevice(d)
        seen["device"] = d[0]
        p = ffi.new("void **")
        seen["malloc"] = lib.aclrtMalloc(p, 128, 0)
        seen["free"] = lib.aclrtFree(p[0])

    t = threading.Thread(target=worker)
    t.start()
    t.join(30)
    assert seen == {"initial message": None, "rc": lib.ACL_ERROR_RT_CONTEXT_NULL,
                    "message": "aclrtGetDevice: this thread has no current context: call aclrtSetDevice or "
                               "aclrtSetCurrentContext first",
                    "set": 0, "rc2": 0, "device": 0, "malloc": 0, "free": 0}
    assert recent_message() == "aclrtGetDevice: deviceId is NULL"  # this thread's message is its own


def test_destroying_a_context_releases_its_streams(acl: Any) -> None:
    default = current_context()
    ctx = create_context(0)
    s = create_stream()
    assert live_counts()["streams"] == 1
    ok(lib.aclrtDestroyContext(ctx))
    assert live_counts()["streams"] == 0
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "is not a live stream", lib.aclrtDestroyStream, s)
    ok(lib.aclrtSetCurrentContext(default))


# ============================================================================ memory


def test_get_mem_info_reflects_allocations(acl: Any) -> None:
    sizes = ffi.new("size_t[2]")

    def info() -> tuple:
        ok(lib.aclrtGetMemInfo(lib.ACL_HBM_MEM, sizes, sizes + 1))
        return int(sizes[0]), int(sizes[1])

    free0, total = info()
    assert total == 8 * GIB and free0 == total
    p = malloc(1 << 20)
    q = malloc(100)
    assert info() == (total - span(1 << 20) - span(100), total)
    h = malloc_host(1 << 20)  # pinned host memory is not device memory
    assert info() == (total - span(1 << 20) - span(100), total)
    ok(lib.aclrtFree(p))
    assert info() == (total - span(100), total)
    ok(lib.aclrtFree(q))
    ok(lib.aclrtFreeHost(h))
    assert info() == (total, total)
    for attr in range(18):
        ok(lib.aclrtGetMemInfo(attr, sizes, sizes + 1), "aclrtGetMemInfo(%d)" % attr)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "unknown memory attribute 18", lib.aclrtGetMemInfo, 18, sizes, sizes + 1)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "free is NULL", lib.aclrtGetMemInfo, 0, ffi.NULL, sizes + 1)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "total is NULL", lib.aclrtGetMemInfo, 0, sizes, ffi.NULL)


@pytest.mark.parametrize("size", [1, 31, 4096, (1 << 20) + 3, 4 << 20])
def test_memcpy_round_trip(acl: Any, size: int) -> None:
    data = random_bytes(size, size)
    out = bytearray(size)
    d1, d2, h = malloc(size), malloc(size), malloc_host(size)
    ok(lib.aclrtMemcpy(d1, size, ffi.from_buffer(data), size, H2D))
    ok(lib.aclrtMemcpy(d2, size, d1, size, D2D))
    ok(lib.aclrtMemcpy(h, size, d2, size, D2H))
    assert ffi.buffer(h, size)[:] == data
    ok(lib.aclrtMemcpy(ffi.from_buffer(out), size, h, size, H2H))
    assert out == data
    # ACL_MEMCPY_DEFAULT works the direction out from the addresses
    ok(lib.aclrtMemset(d1, size, 0, size))
    ok(lib.aclrtMemcpy(d1, size, h, size, DEFAULT))
    out2 = bytearray(size)
    ok(lib.aclrtMemcpy(ffi.from_buffer(out2), size, d1, size, DEFAULT))
    assert out2 == data
    for p in (d1, d2):
        ok(lib.aclrtFree(p))
    ok(lib.aclrtFreeHost(h))


def test_memcpy_with_offsets_and_overlap(acl: Any) -> None:
    p = malloc(256)
    ok(lib.aclrtMemset(p, 256, 0, 256))
    ok(lib.aclrtMemcpy(at(p, 100), 156, ffi.from_buffer(b"0123456789"), 10, H2D))
    assert read_device(p, 256) == bytes(100) + b"0123456789" + bytes(146)
    ok(lib.aclrtMemcpy(at(p, 103), 153, at(p, 100), 10, D2D))  # overlapping ranges copy like memmove
    assert read_device(p, 256)[100:113] == b"0120123456789"
    ok(lib.aclrtFree(p))


def test_memcpy_bad_arguments(acl: Any) -> None:
    p = malloc(64)
    src = ffi.new("char[128]")
    for fn, extra in [(lib.aclrtMemcpy, ()), (lib.aclrtMemcpyAsync, (ffi.NULL,))]:
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "dst is NULL", fn, ffi.NULL, 64, src, 64, H2D, *extra)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "src is NULL", fn, p, 64, ffi.NULL, 64, H2D, *extra)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "count 65 is larger than destMax 64", fn, p, 64, src, 65, H2D, *extra)
        for kind in (8, 99, 2 ** 31 - 1):
            expect_error(lib.ACL_ERROR_INVALID_PARAM, "unknown memcpy kind %d" % kind, fn, p, 64, src, 64, kind, *extra)
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "stream 0x1234 is not a live stream", lib.aclrtMemcpyAsync, p, 64,
                 src, 64, H2D, GARBAGE)
    ok(lib.aclrtFree(p))


def test_memcpy_kind_mismatch_is_an_error_in_strict_mode(acl: Any) -> None:
    dev, pinned = malloc(64), malloc_host(64)
    host = bytearray(b"h" * 64)
    hp = ffi.from_buffer(host)
    ok(lib.aclrtMemset(dev, 64, 0x44, 64))
    cases = [
        (dev, hp, D2H, "kind ACL_MEMCPY_DEVICE_TO_HOST does not match the memory: dst 0x%x is device memory" % addr(dev)),
        (hp, hp + 32, H2D, "kind ACL_MEMCPY_HOST_TO_DEVICE does not match the memory: dst 0x%x is host memory" % addr(hp)),
        (hp, pinned, D2H, "src 0x%x is pinned host memory (aclrtMallocHost)" % addr(pinned)),
        (dev, hp, H2H, "kind ACL_MEMCPY_HOST_TO_HOST does not match the memory: dst 0x%x is device memory" % addr(dev)),
        (pinned, dev, D2D, "kind ACL_MEMCPY_DEVICE_TO_DEVICE does not match the memory: dst"),
        (dev, hp, D2D, "kind ACL_MEMCPY_DEVICE_TO_DEVICE does not match the memory: src"),
        (dev, hp, lib.ACL_MEMCPY_INTER_DEVICE_TO_DEVICE, "kind ACL_MEMCPY_INTER_DEVICE_TO_DEVICE"),
        (hp, hp + 32, lib.ACL_MEMCPY_HOST_TO_BUF_TO_DEVICE, "kind ACL_MEMCPY_HOST_TO_BUF_TO_DEVICE"),
    ]
    for dst, src, kind, frag in cases:
        for fn, extra in [(lib.aclrtMemcpy, ()), (lib.aclrtMemcpyAsync, (ffi.NULL,))]:
            expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, [frag, "(set ACLLITE_EMU_STRICT=0 to allow)"], fn, dst, 32,
                         src, 32, kind, *extra)
    ok(lib.aclrtSynchronizeStream(ffi.NULL))
    assert read_device(dev, 64) == b"\x44" * 64 and host == bytearray(b"h" * 64)  # nothing was copied
    ok(lib.aclrtFree(dev))
    ok(lib.aclrtFreeHost(pinned))


def test_device_to_device_copy_with_a_host_kind_is_only_a_warning(acl: Any, emu_log: Any) -> None:
    a, b = malloc(64), malloc(64)
    write_device(a, b"A" * 64)
    for kind, name, which in [(H2D, "ACL_MEMCPY_HOST_TO_DEVICE", "src"), (D2H, "ACL_MEMCPY_DEVICE_TO_HOST", "dst"),
                              (H2H, "ACL_MEMCPY_HOST_TO_HOST", "dst")]:
        ok(lib.aclrtMemset(b, 64, 0, 64))
        ok(lib.aclrtMemcpy(b, 64, a, 64, kind), name)
        assert read_device(b, 64) == b"A" * 64
        ptr = b if which == "dst" else a
        assert "aclrtMemcpy: kind %s, but %s 0x%x is device memory; copied anyway" % (name, which, addr(ptr)) in \
            emu_log.warnings()
    ok(lib.aclrtFree(a))
    ok(lib.aclrtFree(b))


def test_memcpy_kind_mismatch_is_a_warning_in_lenient_mode() -> None:
    proc_out = run_python_ok(child("""
    assert lib.acllite_emu_strict_mode() == 1   # strict until the configuration is read
    ok(lib.aclInit(ffi.NULL))
    assert lib.acllite_emu_strict_mode() == 0
    ok(lib.aclrtSetDevice(0))
    host = bytearray(64)
    src = b"S" * 64
    ok(lib.aclrtMemcpy(ffi.from_buffer(host), 64, ffi.from_buffer(src), 64, 1))   # HOST_TO_DEVICE, both host
    assert host == bytearray(src)
    ok(lib.aclrtMemset(ffi.from_buffer(host), 64, 0x33, 64))                     # host memory not from ACL
    assert host == bytearray(b"3" * 64)
    ok(lib.aclrtResetDevice(0))
    ok(lib.aclFinalize())
    """), {"ACLLITE_EMU_STRICT": "0", "ASCEND_GLOBAL_LOG_LEVEL": "2"})
    assert proc_out == ""


def test_lenient_mode_warnings_reach_stderr() -> None:
    proc = run_python(child("""
    ok(lib.aclInit(ffi.NULL))
    ok(lib.aclrtSetDevice(0))
    host = bytearray(64)
    ok(lib.aclrtMemcpy(ffi.from_buffer(host), 64, ffi.from_buffer(b"S" * 64), 64, 1))
    ok(lib.aclrtResetDevice(0))
    ok(lib.aclFinalize())
    """), {"ACLLITE_EMU_STRICT": "0", "ASCEND_GLOBAL_LOG_LEVEL": "2"})
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"\[acllite-emu\] WARNING: aclrtMemcpy: kind ACL_MEMCPY_HOST_TO_DEVICE, but dst 0x[0-9a-f]+ "
                     r"is host memory; copied anyway", proc.stderr), proc.stderr


def test_range_leaving_its_allocation(acl: Any) -> None:
    p, h = malloc(64), malloc_host(64)
    big = ffi.new("char[256]")
    frag = "dst range [0x%x, +64) leaves its allocation: 64 bytes of device memory at 0x%x, the range starts at " \
           "offset 32" % (addr(at(p, 32)), addr(p))
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, frag, lib.aclrtMemcpy, at(p, 32), 64, big, 64, H2D)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "dst range [0x%x, +65) leaves its allocation" % addr(p),
                 lib.aclrtMemcpy, p, 65, big, 65, H2D)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "src range [0x%x, +65) leaves its allocation: 64 bytes of device "
                 "memory" % addr(p), lib.aclrtMemcpy, big, 256, p, 65, D2H)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "src range [0x%x, +128) leaves its allocation: 64 bytes of pinned "
                 "host memory (aclrtMallocHost)" % addr(h), lib.aclrtMemcpyAsync, big, 256, h, 128, H2H, ffi.NULL)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "devPtr range [0x%x, +65) leaves its allocation" % addr(p),
                 lib.aclrtMemset, p, 100, 0, 65)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "devPtr range", lib.aclrtMemsetAsync, at(p, 1), 64, 0, 64, ffi.NULL)
    ok(lib.aclrtMemcpy(at(p, 32), 32, big, 32, H2D))  # the last byte of the allocation is in range
    ok(lib.aclrtFree(p))
    ok(lib.aclrtFreeHost(h))


def test_use_after_free(acl: Any) -> None:
    p, h = malloc(64), malloc_host(64)
    ok(lib.aclrtFree(p))
    ok(lib.aclrtFreeHost(h))
    buf = ffi.new("char[64]")
    dev_frag = "dst 0x%x is in emulated device memory of device 0 but not in a live allocation (freed, or never " \
               "allocated)" % addr(p)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, dev_frag, lib.aclrtMemcpy, p, 64, buf, 64, H2D)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, dev_frag, lib.aclrtMemcpyAsync, p, 64, buf, 64, H2D, ffi.NULL)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "src 0x%x is in emulated pinned host memory (aclrtMallocHost) of "
                 "device 0 but not in a live allocation" % addr(h), lib.aclrtMemcpy, buf, 64, h, 64, H2H)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "devPtr 0x%x is in emulated device memory of device 0 but not in a "
                 "live allocation" % addr(p), lib.aclrtMemset, p, 64, 0, 64)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "not in a live allocation", lib.aclrtMemsetAsync, p, 64, 0, 64,
                 ffi.NULL)


def test_free_errors(acl: Any) -> None:
    p, h = malloc(256), malloc_host(256)
    foreign = ffi.new("char[64]")
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "pointer is NULL", lib.aclrtFree, ffi.NULL)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "pointer is NULL", lib.aclrtFreeHost, ffi.NULL)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "0x%x was not allocated by the emulator (host memory cannot be "
                 "released here)" % addr(foreign), lib.aclrtFree, foreign)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "was not allocated by the emulator", lib.aclrtFreeHost, foreign)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "0x1234 was not allocated by the emulator", lib.aclrtFree, GARBAGE)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "0x%x is inside an allocation, not its start" % addr(at(p, 16)),
                 lib.aclrtFree, at(p, 16))
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "0x%x is device memory, not pinned host memory (aclrtMallocHost)"
                 % addr(p), lib.aclrtFreeHost, p)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "0x%x is pinned host memory (aclrtMallocHost), not device memory"
                 % addr(h), lib.aclrtFree, h)
    assert live_counts()["deviceAllocations"] == 1 and live_counts()["hostAllocations"] == 1  # nothing was freed
    ok(lib.aclrtFree(p))
    ok(lib.aclrtFreeHost(h))
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "0x%x is not a live allocation (double free?)" % addr(p),
                 lib.aclrtFree, p)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "0x%x is not a live allocation (double free?)" % addr(h),
                 lib.aclrtFreeHost, h)


def test_malloc_errors_and_policies(acl: Any) -> None:
    cell = ffi.new("void **")
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "size is 0", lib.aclrtMalloc, cell, 0, 0)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "size is 0", lib.aclrtMallocHost, cell, 0)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "the output pointer is NULL", lib.aclrtMalloc, ffi.NULL, 64, 0)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "the output pointer is NULL", lib.aclrtMallocHost, ffi.NULL, 64)
    for policy in (8, 0x200, 0x2000):
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "unknown memory policy 0x%x" % policy, lib.aclrtMalloc, cell, 64,
                     policy)
    assert live_counts()["deviceAllocations"] == 0
    for policy in list(range(8)) + [0x100, 0x1000, 0x100000, 0x1000 | 0x100000 | 2]:
        p = malloc(100, policy)
        assert addr(p) % 32 == 0
        ok(lib.aclrtFree(p))


def test_large_allocation_up_to_the_device_size(acl: Any) -> None:
    """5 GiB of an 8 GiB device can be allocated; 9 GiB cannot (nothing is touched: no real memory is used)."""
    cell = ffi.new("void **")
    ok(lib.aclrtMalloc(cell, 5 * GIB, 0), "aclrtMalloc(5 GiB)")
    ok(lib.aclrtMemset(at(cell[0], 5 * GIB - 1), 1, 0x7F, 1))
    ok(lib.aclrtFree(cell[0]))
    expect_error(lib.ACL_ERROR_RT_MEMORY_ALLOCATION, "cannot allocate %d bytes of device memory: the emulated device "
                 "has %d bytes" % (9 * GIB, 8 * GIB), lib.aclrtMalloc, cell, 9 * GIB, 0)


def test_out_of_device_memory() -> None:
    out = run_python_ok(child("""
    M = 1 << 20
    ok(lib.aclInit(ffi.NULL))
    ok(lib.aclrtSetDevice(0))
    sizes = ffi.new("size_t[2]")
    ok(lib.aclrtGetMemInfo(0, sizes, sizes + 1))
    assert (sizes[0], sizes[1]) == (64 * M, 64 * M), tuple(sizes)
    a, b, h = ffi.new("void **"), ffi.new("void **"), ffi.new("void **")
    ok(lib.aclrtMalloc(a, 32 * M, 0))
    expect(lib.aclrtMalloc(b, 32 * M, 0), 207001,
           "aclrtMalloc: out of device memory on device 0: %d bytes requested, %d of %d in use" % (32 * M, 32 * M + 128, 64 * M))
    expect(lib.aclrtMalloc(b, 65 * M, 0), 207001,
           "aclrtMalloc: cannot allocate %d bytes of device memory: the emulated device has %d bytes" % (65 * M, 64 * M))
    ok(lib.aclrtMallocHost(h, 48 * M))                # pinned host memory has its own budget
    ok(lib.aclrtGetMemInfo(0, sizes, sizes + 1))
    assert sizes[0] == 32 * M - 128, sizes[0]
    ok(lib.aclrtFree(a[0]))
    ok(lib.aclrtMalloc(b, 32 * M, 0))                 # the freed memory is usable again
    ok(lib.aclrtMemset(b[0], 32 * M, 1, 32 * M))
    ok(lib.aclrtFree(b[0]))
    ok(lib.aclrtFreeHost(h[0]))
    ok(lib.aclrtResetDevice(0))
    ok(lib.aclFinalize())
    print("done")
    """), {"ACLLITE_EMU_DEVICE_MEMORY": "64M"})
    assert out.split() == ["done"]


def test_memset(acl: Any) -> None:
    p, h = malloc(256), malloc_host(256)
    ok(lib.aclrtMemset(p, 256, 0, 256))
    ok(lib.aclrtMemset(p, 256, 0xAB, 200))
    assert read_device(p, 256) == b"\xab" * 200 + bytes(56)
    ok(lib.aclrtMemset(h, 256, 0x11, 256))  # pinned host memory is allocated through ACL: allowed
    assert ffi.buffer(h, 256)[:] == b"\x11" * 256
    ok(lib.aclrtMemsetAsync(at(p, 128), 128, 0x22, 128, ffi.NULL))
    ok(lib.aclrtSynchronizeStream(ffi.NULL))
    assert read_device(p, 256) == b"\xab" * 128 + b"\x22" * 128
    host = bytearray(64)
    for fn, extra in [(lib.aclrtMemset, ()), (lib.aclrtMemsetAsync, (ffi.NULL,))]:
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "devPtr is NULL", fn, ffi.NULL, 64, 0, 64, *extra)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "count 65 is larger than maxCount 64", fn, p, 64, 0, 65, *extra)
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, ["devPtr 0x%x is host memory not allocated through ACL"
                                                      % addr(ffi.from_buffer(host)), "ACLLITE_EMU_STRICT=0"],
                     fn, ffi.from_buffer(host), 64, 1, 64, *extra)
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "stream 0x1234 is not a live stream", lib.aclrtMemsetAsync, p, 64,
                 0, 64, GARBAGE)
    assert host == bytearray(64)
    ok(lib.aclrtFree(p))
    ok(lib.aclrtFreeHost(h))


# ============================================================================ streams


def test_stream_lifecycle_and_bad_handles(acl: Any) -> None:
    s = create_stream()
    assert live_counts()["streams"] == 1
    ok(lib.aclrtSynchronizeStream(s))
    ok(lib.aclrtSynchronizeStreamWithTimeout(s, -1))
    ok(lib.aclrtSynchronizeStreamWithTimeout(s, 100))
    ok(lib.aclrtSynchronizeStream(ffi.NULL))  # the default stream
    ok(lib.aclrtDestroyStream(s))
    assert live_counts()["streams"] == 0
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "stream 0x%x is not a live stream (destroyed already?)" % addr(s),
                 lib.aclrtDestroyStream, s)
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "stream 0x%x is not a live stream" % addr(s),
                 lib.aclrtSynchronizeStream, s)
    for fn, args in [(lib.aclrtDestroyStream, (GARBAGE,)), (lib.aclrtSynchronizeStream, (GARBAGE,)),
                     (lib.aclrtSynchronizeStreamWithTimeout, (GARBAGE, 10))]:
        expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "stream 0x1234 is not a live stream", fn, *args)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "stream is NULL", lib.aclrtCreateStream, ffi.NULL)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "stream is NULL", lib.aclrtDestroyStream, ffi.NULL)
    for timeout in (-2, 0):  # CANN's runtime: -1 or a positive number of ms
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "timeout %d ms: expected -1 (no limit) or a positive number of ms"
                     % timeout, lib.aclrtSynchronizeStreamWithTimeout, ffi.NULL, timeout)


def test_async_work_lands_after_synchronize(acl: Any) -> None:
    s = create_stream()
    size = 1 << 20
    data = random_bytes(size, 7)
    dev, h = malloc(size), malloc_host(size)
    ffi.memmove(h, data, size)
    ok(lib.aclrtMemset(dev, size, 0, size))
    with StreamHold(s) as hold:
        ok(lib.aclrtMemcpyAsync(dev, size, h, size, H2D, s))
        ok(lib.aclrtMemsetAsync(dev, size, 0x5A, 16, s))
        assert read_device(dev, size) == bytes(size)  # queued behind the held callback: not run yet
        hold.release()
        ok(lib.aclrtSynchronizeStream(s))
        assert read_device(dev, size) == b"\x5a" * 16 + data[16:]  # both ran, in order
        assert hold.ran_on == [hold.reporter.ident]
    ok(lib.aclrtFree(dev))
    ok(lib.aclrtFreeHost(h))
    ok(lib.aclrtDestroyStream(s))


def test_synchronize_with_timeout_on_a_held_stream(acl: Any) -> None:
    s = create_stream()
    with StreamHold(s) as hold:
        expect_error(lib.ACL_ERROR_RT_STREAM_SYNC_TIMEOUT, "1 task(s) still running after 50 ms",
                     lib.aclrtSynchronizeStreamWithTimeout, s, 50)
        assert hold.ran_on == []
        hold.release()
        ok(lib.aclrtSynchronizeStream(s))
        assert hold.ran_on == [hold.reporter.ident]
        ok(lib.aclrtSynchronizeStreamWithTimeout(s, 50))
    ok(lib.aclrtDestroyStream(s))


def test_synchronize_device_waits_for_every_stream(acl: Any) -> None:
    s1, s2 = create_stream(), create_stream()
    a, b, c = malloc(4096), malloc(4096), malloc(4096)
    for p in (a, b, c):
        ok(lib.aclrtMemset(p, 4096, 0, 4096))
    with StreamHold(s1) as hold:
        ok(lib.aclrtMemsetAsync(a, 4096, 1, 4096, s1))
        ok(lib.aclrtMemsetAsync(b, 4096, 2, 4096, s2))
        ok(lib.aclrtMemsetAsync(c, 4096, 3, 4096, ffi.NULL))
        releaser = threading.Timer(0.05, hold.release)
        releaser.start()
        ok(lib.aclrtSynchronizeDevice())  # returns only after the held stream ran too
        assert (read_device(a, 4096), read_device(b, 4096), read_device(c, 4096)) == (
            b"\x01" * 4096, b"\x02" * 4096, b"\x03" * 4096)
        releaser.join()
    for p in (a, b, c):
        ok(lib.aclrtFree(p))
    ok(lib.aclrtDestroyStream(s1))
    ok(lib.aclrtDestroyStream(s2))


def test_destroying_a_stream_runs_its_queued_work_first(acl: Any) -> None:
    s = create_stream()
    p = malloc(4096)
    ok(lib.aclrtMemset(p, 4096, 0, 4096))
    reporter = ReportThread()
    cb = ffi.callback("void(void *)", lambda _d: None)
    ok(lib.aclrtSubscribeReport(reporter.ident, s))
    ok(lib.aclrtLaunchCallback(cb, ffi.NULL, lib.ACL_CALLBACK_BLOCK, s))
    ok(lib.aclrtMemsetAsync(p, 4096, 0x77, 4096, s))
    releaser = threading.Timer(0.05, reporter.start_processing)
    releaser.start()
    ok(lib.aclrtDestroyStream(s))  # waits for the callback and the memset
    assert read_device(p, 4096) == b"\x77" * 4096
    releaser.join()
    reporter.stop()
    ok(lib.aclrtFree(p))


# ============================================================================ events


def test_events_record_query_synchronize_elapsed(acl: Any) -> None:
    s = create_stream()
    e1, e2 = create_event(), create_event()
    size = 4 << 20
    p = malloc(size)
    ok(lib.aclrtMemset(p, size, 0, size))
    status = ffi.new("aclrtEventRecordedStatus *")
    ms = ffi.new("float *")
    with StreamHold(s) as hold:
        ok(lib.aclrtRecordEvent(e1, s))
        ok(lib.aclrtMemsetAsync(p, size, 0x3C, size, s))
        ok(lib.aclrtRecordEvent(e2, s))
        ok(lib.aclrtQueryEventStatus(e1, status))
        assert status[0] == lib.ACL_EVENT_RECORDED_STATUS_NOT_READY
        expect_error(lib.ACL_ERROR_RT_EVENT_NOT_COMPLETE, "an event's record has not run yet",
                     lib.aclrtEventElapsedTime, ms, e1, e2)
        hold.release()
        ok(lib.aclrtSynchronizeEvent(e2))
        assert read_device(p, size) == b"\x3c" * size  # the work before the record has run
        for e in (e1, e2):
            ok(lib.aclrtQueryEventStatus(e, status))
            assert status[0] == lib.ACL_EVENT_RECORDED_STATUS_COMPLETE
        ok(lib.aclrtEventElapsedTime(ms, e1, e2))
        assert ms[0] > 0
        ok(lib.aclrtEventElapsedTime(ms, e1, e1))
        assert ms[0] == 0
        expect_error(lib.ACL_ERROR_RT_EVENT_TIMESTAMP_REVERSAL, "endEvent ran before startEvent",
                     lib.aclrtEventElapsedTime, ms, e2, e1)
    for e in (e1, e2):
        ok(lib.aclrtDestroyEvent(e))
    ok(lib.aclrtFree(p))
    ok(lib.aclrtDestroyStream(s))


def test_event_reset_and_unrecorded_events(acl: Any) -> None:
    e, never = create_event(), create_event()
    status = ffi.new("aclrtEventRecordedStatus *")
    ms = ffi.new("float *")
    ok(lib.aclrtQueryEventStatus(never, status))
    assert status[0] == lib.ACL_EVENT_RECORDED_STATUS_NOT_READY
    ok(lib.aclrtSynchronizeEvent(never))  # nothing to wait for
    ok(lib.aclrtRecordEvent(e, ffi.NULL))
    ok(lib.aclrtSynchronizeStream(ffi.NULL))
    ok(lib.aclrtQueryEventStatus(e, status))
    assert status[0] == lib.ACL_EVENT_RECORDED_STATUS_COMPLETE
    expect_error(lib.ACL_ERROR_RT_EVENT_TIMESTAMP_INVALID, "startEvent has not been recorded",
                 lib.aclrtEventElapsedTime, ms, never, e)
    expect_error(lib.ACL_ERROR_RT_EVENT_TIMESTAMP_INVALID, "endEvent has not been recorded",
                 lib.aclrtEventElapsedTime, ms, e, never)
    ok(lib.aclrtResetEvent(e, ffi.NULL))
    ok(lib.aclrtSynchronizeStream(ffi.NULL))
    ok(lib.aclrtQueryEventStatus(e, status))
    assert status[0] == lib.ACL_EVENT_RECORDED_STATUS_NOT_READY
    expect_error(lib.ACL_ERROR_RT_EVENT_TIMESTAMP_INVALID, "startEvent has not been recorded",
                 lib.aclrtEventElapsedTime, ms, e, e)
    ok(lib.aclrtDestroyEvent(e))
    ok(lib.aclrtDestroyEvent(never))


def test_event_bad_handles(acl: Any) -> None:
    e = create_event()
    s = create_stream()
    status = ffi.new("aclrtEventRecordedStatus *")
    ms = ffi.new("float *")
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "event is NULL", lib.aclrtCreateEvent, ffi.NULL)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "event is NULL", lib.aclrtDestroyEvent, ffi.NULL)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "event is NULL", lib.aclrtRecordEvent, ffi.NULL, s)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "status is NULL", lib.aclrtQueryEventStatus, e, ffi.NULL)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "ms is NULL", lib.aclrtEventElapsedTime, ffi.NULL, e, e)
    frag = "event 0x1234 is not a live event"
    for fn, args in [(lib.aclrtDestroyEvent, (GARBAGE,)), (lib.aclrtRecordEvent, (GARBAGE, s)),
                     (lib.aclrtResetEvent, (GARBAGE, s)), (lib.aclrtSynchronizeEvent, (GARBAGE,)),
                     (lib.aclrtQueryEventStatus, (GARBAGE, status)), (lib.aclrtStreamWaitEvent, (s, GARBAGE))]:
        expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, frag, fn, *args)
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "startEvent 0x1234 is not a live event", lib.aclrtEventElapsedTime,
                 ms, GARBAGE, e)
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "endEvent 0x1234 is not a live event", lib.aclrtEventElapsedTime,
                 ms, e, GARBAGE)
    for fn, args in [(lib.aclrtRecordEvent, (e, GARBAGE)), (lib.aclrtResetEvent, (e, GARBAGE)),
                     (lib.aclrtStreamWaitEvent, (GARBAGE, e))]:
        expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "stream 0x1234 is not a live stream", fn, *args)
    ok(lib.aclrtDestroyEvent(e))
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "event 0x%x is not a live event" % addr(e), lib.aclrtDestroyEvent, e)
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "is not a live event", lib.aclrtRecordEvent, e, s)
    ok(lib.aclrtDestroyStream(s))


def test_destroying_an_event_with_a_queued_record(acl: Any) -> None:
    s = create_stream()
    e = create_event()
    with StreamHold(s) as hold:
        ok(lib.aclrtRecordEvent(e, s))
        ok(lib.aclrtDestroyEvent(e))  # the queued record keeps the event's memory until it has run
        assert live_counts()["events"] == 0
        hold.release()
        ok(lib.aclrtSynchronizeStream(s))
    ok(lib.aclrtDestroyStream(s))


def test_stream_wait_event_orders_two_streams(acl: Any) -> None:
    a, b = create_stream(), create_stream()
    e = create_event()
    p = malloc(4096)
    ok(lib.aclrtMemset(p, 4096, 0, 4096))
    with StreamHold(a) as hold:
        ok(lib.aclrtMemsetAsync(p, 4096, 0x01, 2048, a))
        ok(lib.aclrtRecordEvent(e, a))
        ok(lib.aclrtStreamWaitEvent(b, e))
        ok(lib.aclrtMemsetAsync(p, 4096, 0x02, 1024, b))
        expect_error(lib.ACL_ERROR_RT_STREAM_SYNC_TIMEOUT, "still running after 50 ms",
                     lib.aclrtSynchronizeStreamWithTimeout, b, 50)  # b waits for a
        assert read_device(p, 4096) == bytes(4096)
        hold.release()
        ok(lib.aclrtSynchronizeStream(b))
        assert read_device(p, 4096) == b"\x02" * 1024 + b"\x01" * 1024 + bytes(2048)  # a's memset ran first
        ok(lib.aclrtSynchronizeStream(a))
    ok(lib.aclrtStreamWaitEvent(b, e))  # a completed record: no wait
    ok(lib.aclrtSynchronizeStreamWithTimeout(b, 1000))
    ok(lib.aclrtDestroyEvent(e))
    ok(lib.aclrtFree(p))
    ok(lib.aclrtDestroyStream(a))
    ok(lib.aclrtDestroyStream(b))


# ============================================================================ host callbacks


def test_callbacks_run_on_the_report_thread(acl: Any) -> None:
    s = create_stream()
    reporter = ReportThread()
    calls: List[tuple] = []
    done = threading.Event()

    def callback(data: Any) -> None:
        calls.append((addr(data), threading.get_ident()))
        if addr(data) == 3:
            done.set()

    cb = ffi.callback("void(void *)", callback)
    ok(lib.aclrtSubscribeReport(reporter.ident, s))
    reporter.start_processing()
    ok(lib.aclrtLaunchCallback(cb, ffi.cast("void *", 1), lib.ACL_CALLBACK_NO_BLOCK, s))
    ok(lib.aclrtLaunchCallback(cb, ffi.cast("void *", 2), lib.ACL_CALLBACK_BLOCK, s))
    ok(lib.aclrtSynchronizeStream(s))
    assert (2, reporter.ident) in calls  # a blocking callback has run when the stream is synchronized
    ok(lib.aclrtLaunchCallback(cb, ffi.cast("void *", 3), lib.ACL_CALLBACK_NO_BLOCK, s))
    ok(lib.aclrtSynchronizeStream(s))
    assert done.wait(30)
    assert calls == [(1, reporter.ident), (2, reporter.ident), (3, reporter.ident)]
    reporter.stop()
    assert reporter.unexpected == []
    ok(lib.aclrtUnSubscribeReport(reporter.ident, s))
    expect_error(lib.ACL_ERROR_STREAM_NOT_SUBSCRIBE, "the stream is not subscribed by thread %d" % reporter.ident,
                 lib.aclrtUnSubscribeReport, reporter.ident, s)
    expect_error(lib.ACL_ERROR_STREAM_NOT_SUBSCRIBE, "the stream has no report thread: call aclrtSubscribeReport "
                 "first", lib.aclrtLaunchCallback, cb, ffi.NULL, lib.ACL_CALLBACK_NO_BLOCK, s)
    ok(lib.aclrtDestroyStream(s))


def test_the_calling_thread_as_report_thread(acl: Any) -> None:
    me = threading.get_ident()
    calls: List[int] = []
    cb = ffi.callback("void(void *)", lambda data: calls.append(threading.get_ident()))
    expect_error(lib.ACL_ERROR_THREAD_NOT_SUBSCRIBE, "thread %d has no subscribed stream" % me, lib.aclrtProcessReport,
                 10)
    ok(lib.aclrtSubscribeReport(me, ffi.NULL))  # the default stream
    expect_error(lib.ACL_ERROR_WAIT_CALLBACK_TIMEOUT, "no callback within 10 ms", lib.aclrtProcessReport, 10)
    for timeout in (-2, 0):  # AscendCL: -1 or a positive number of ms
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "timeout %d ms: expected -1 (no limit) or a positive number of ms"
                     % timeout, lib.aclrtProcessReport, timeout)
    ok(lib.aclrtLaunchCallback(cb, ffi.NULL, lib.ACL_CALLBACK_NO_BLOCK, ffi.NULL))
    ok(lib.aclrtSynchronizeStream(ffi.NULL))  # a non-blocking callback does not hold the stream
    assert calls == []
    ok(lib.aclrtProcessReport(1000))
    assert calls == [me]
    ok(lib.aclrtUnSubscribeReport(me, ffi.NULL))


def test_subscription_errors(acl: Any) -> None:
    s1, s2 = create_stream(), create_stream()
    me = threading.get_ident()
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "fn is NULL", lib.aclrtLaunchCallback, ffi.NULL, ffi.NULL, 0, s1)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "unknown block type 2", lib.aclrtLaunchCallback, NOOP_CB, ffi.NULL, 2, s1)
    expect_error(lib.ACL_ERROR_STREAM_NOT_SUBSCRIBE, "call aclrtSubscribeReport first", lib.aclrtLaunchCallback,
                 NOOP_CB, ffi.NULL, 0, s1)
    for fn, args in [(lib.aclrtLaunchCallback, (NOOP_CB, ffi.NULL, 0, GARBAGE)), (lib.aclrtSubscribeReport, (me, GARBAGE)),
                     (lib.aclrtUnSubscribeReport, (me, GARBAGE))]:
        expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "stream 0x1234 is not a live stream", fn, *args)
    ok(lib.aclrtSubscribeReport(me, s1))
    ok(lib.aclrtSubscribeReport(me, s2))  # one thread may serve several streams
    expect_error(lib.ACL_ERROR_REPEAT_SUBSCRIBE, "the stream is already subscribed by thread %d" % me,
                 lib.aclrtSubscribeReport, me, s1)
    expect_error(lib.ACL_ERROR_REPEAT_SUBSCRIBE, "already subscribed", lib.aclrtSubscribeReport, me + 1, s1)
    expect_error(lib.ACL_ERROR_STREAM_NOT_SUBSCRIBE, "the stream is not subscribed by thread %d" % (me + 1),
                 lib.aclrtUnSubscribeReport, me + 1, s1)
    ok(lib.aclrtUnSubscribeReport(me, s1))
    ok(lib.aclrtUnSubscribeReport(me, s2))
    expect_error(lib.ACL_ERROR_THREAD_NOT_SUBSCRIBE, "has no subscribed stream", lib.aclrtProcessReport, 10)
    ok(lib.aclrtDestroyStream(s1))
    ok(lib.aclrtDestroyStream(s2))


def test_callback_after_unsubscribe_fails_at_synchronize(acl: Any) -> None:
    s = create_stream()
    reporter = ReportThread()
    entered, leave = threading.Event(), threading.Event()

    def blocking(_data: Any) -> None:
        entered.set()
        leave.wait(30)

    cb = ffi.callback("void(void *)", blocking)
    ok(lib.aclrtSubscribeReport(reporter.ident, s))
    reporter.start_processing()
    ok(lib.aclrtLaunchCallback(cb, ffi.NULL, lib.ACL_CALLBACK_BLOCK, s))
    assert entered.wait(30)  # the report thread is inside the first callback; the stream waits for it
    ok(lib.aclrtLaunchCallback(NOOP_CB, ffi.NULL, lib.ACL_CALLBACK_NO_BLOCK, s))  # queued behind it
    ok(lib.aclrtUnSubscribeReport(reporter.ident, s))
    leave.set()
    expect_error(lib.ACL_ERROR_STREAM_NOT_SUBSCRIBE, "the stream was unsubscribed before its callback could run",
                 lib.aclrtSynchronizeStream, s, func="aclrtLaunchCallback")
    reporter.stop()
    ok(lib.aclrtSynchronizeStream(s))  # reported once
    ok(lib.aclrtDestroyStream(s))


def test_async_error_surfaces_at_synchronize(acl: Any) -> None:
    s = create_stream()
    dst, src = malloc(4096), malloc_host(4096)
    other = malloc(4096)
    with StreamHold(s) as hold:
        ok(lib.aclrtMemcpyAsync(dst, 4096, src, 4096, H2D, s))
        ok(lib.aclrtMemsetAsync(other, 4096, 0x66, 4096, s))
        ok(lib.aclrtFree(dst))  # before the queued copy has run
        hold.release()
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "dst 0x%x is in emulated device memory of device 0 but not in a "
                     "live allocation" % addr(dst), lib.aclrtSynchronizeStream, s, func="aclrtMemcpyAsync")
        assert read_device(other, 4096) == b"\x66" * 4096  # later work still ran
        ok(lib.aclrtSynchronizeStream(s))  # reported once
        ok(lib.aclrtMemsetAsync(other, 4096, 0x67, 4096, s))  # the stream is still usable
        ok(lib.aclrtSynchronizeStream(s))
        assert read_device(other, 4096) == b"\x67" * 4096
    with StreamHold(s) as hold:  # aclrtSynchronizeDevice reports it too
        ok(lib.aclrtMemsetAsync(other, 4096, 0, 4096, s))
        ok(lib.aclrtFree(other))
        hold.release()
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "devPtr 0x%x is in emulated device memory of device 0 but not "
                     "in a live allocation" % addr(other), lib.aclrtSynchronizeDevice, func="aclrtMemsetAsync")
    ok(lib.aclrtFreeHost(src))
    ok(lib.aclrtDestroyStream(s))


# ============================================================================ data buffers and type sizes


def test_data_buffer_lifecycle(acl: Any) -> None:
    p, q = malloc(256), malloc(128)
    db = lib.aclCreateDataBuffer(p, 256)
    assert db != ffi.NULL
    assert addr(lib.aclGetDataBufferAddr(db)) == addr(p) and lib.aclGetDataBufferSizeV2(db) == 256
    ok(lib.aclUpdateDataBuffer(db, q, 128))
    assert addr(lib.aclGetDataBufferAddr(db)) == addr(q) and lib.aclGetDataBufferSizeV2(db) == 128
    ok(lib.aclUpdateDataBuffer(db, ffi.NULL, 0))
    assert lib.aclGetDataBufferAddr(db) == ffi.NULL and lib.aclGetDataBufferSizeV2(db) == 0
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "data is NULL but size is 5", lib.aclUpdateDataBuffer, db, ffi.NULL, 5)
    assert live_counts()["dataBuffers"] == 1
    ok(lib.aclDestroyDataBuffer(db))
    assert live_counts()["dataBuffers"] == 0
    write_device(p, b"still mine" + bytes(246))  # destroying the data buffer does not free its memory
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "dataBuffer 0x%x is not a live data buffer (destroyed already?)" % addr(db),
                 lib.aclDestroyDataBuffer, db)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "dataBuffer is NULL", lib.aclDestroyDataBuffer, ffi.NULL)
    bad = ffi.cast("aclDataBuffer *", 0x1234)
    for h in (db, bad):
        assert lib.aclGetDataBufferAddr(h) == ffi.NULL
        assert recent_message() == "aclGetDataBufferAddr: dataBuffer 0x%x is not a live data buffer" % addr(h)
        assert lib.aclGetDataBufferSizeV2(h) == 0
        assert recent_message() == "aclGetDataBufferSizeV2: dataBuffer 0x%x is not a live data buffer" % addr(h)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "is not a live data buffer", lib.aclUpdateDataBuffer, h, p, 8)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "is not a live data buffer", lib.aclDestroyDataBuffer, h)
    assert lib.aclCreateDataBuffer(ffi.NULL, 16) == ffi.NULL
    assert recent_message() == "aclCreateDataBuffer: data is NULL but size is 16"
    empty = lib.aclCreateDataBuffer(ffi.NULL, 0)  # an empty buffer is allowed
    assert empty != ffi.NULL and lib.aclGetDataBufferSizeV2(empty) == 0
    ok(lib.aclDestroyDataBuffer(empty))
    assert lib.aclGetDataBufferSizeV2(ffi.NULL) == 0
    assert recent_message() == "aclGetDataBufferSizeV2: dataBuffer is NULL"
    ok(lib.aclrtFree(p))
    ok(lib.aclrtFree(q))


def test_finalize_releases_and_counts_live_data_buffers(acl: Any) -> None:
    bufs = [lib.aclCreateDataBuffer(ffi.NULL, 0) for _ in range(3)]
    ok(lib.aclDestroyDataBuffer(bufs[0]))
    ok(lib.aclrtResetDevice(0))
    assert leak_report() == ZERO_COUNTS  # data buffers belong to no device
    ok(lib.aclFinalize())
    assert leak_report() == dict(ZERO_COUNTS, dataBuffers=2)
    assert live_counts() == ZERO_COUNTS
    assert lib.aclGetDataBufferSizeV2(bufs[1]) == 0
    assert "is not a live data buffer" in (recent_message() or "")


@pytest.mark.parametrize("name, size", [
    ("ACL_FLOAT", 4), ("ACL_FLOAT16", 2), ("ACL_INT8", 1), ("ACL_INT32", 4), ("ACL_UINT8", 1), ("ACL_INT16", 2),
    ("ACL_UINT16", 2), ("ACL_UINT32", 4), ("ACL_INT64", 8), ("ACL_UINT64", 8), ("ACL_DOUBLE", 8), ("ACL_BOOL", 1),
    ("ACL_COMPLEX64", 8), ("ACL_COMPLEX128", 16), ("ACL_BF16", 2), ("ACL_COMPLEX32", 4),
    ("ACL_STRING", 0), ("ACL_INT4", 0), ("ACL_UINT1", 0), ("ACL_DT_UNDEFINED", 0),
])
def test_data_type_size(name: str, size: int) -> None:
    assert lib.aclDataTypeSize(getattr(lib, name)) == size


def test_data_type_sizes_match_numpy() -> None:
    pairs = {"ACL_FLOAT": np.float32, "ACL_FLOAT16": np.float16, "ACL_INT8": np.int8, "ACL_INT32": np.int32,
             "ACL_UINT8": np.uint8, "ACL_INT16": np.int16, "ACL_UINT16": np.uint16, "ACL_UINT32": np.uint32,
             "ACL_INT64": np.int64, "ACL_UINT64": np.uint64, "ACL_DOUBLE": np.float64, "ACL_BOOL": np.bool_,
             "ACL_COMPLEX64": np.complex64, "ACL_COMPLEX128": np.complex128}
    assert {n: lib.aclDataTypeSize(getattr(lib, n)) for n in pairs} == {n: np.dtype(t).itemsize for n, t in pairs.items()}
    assert lib.aclDataTypeSize(5) == 0 and lib.aclDataTypeSize(999) == 0  # values that are not data types


# ============================================================================ leak accounting


def test_reset_device_releases_and_counts_what_was_left(acl: Any) -> None:
    default = current_context()
    d1, d2 = malloc(100), malloc(200)
    h = malloc_host(50)
    s1 = create_stream()
    events = [create_event() for _ in range(3)]
    ok(lib.aclrtRecordEvent(events[0], s1))
    ctx = create_context(0)
    s2 = create_stream()  # in ctx
    hold = StreamHold(s2)  # a stream held by a callback nobody will process: the reset must not hang
    ok(lib.aclrtMemsetAsync(d1, 100, 1, 100, s2))
    ok(lib.aclrtSetCurrentContext(default))
    ok(lib.aclrtResetDevice(0))
    assert leak_report() == dict(ZERO_COUNTS, deviceAllocations=2, deviceBytes=300, hostAllocations=1, hostBytes=50,
                                 contexts=1, streams=2, events=3)
    assert live_counts() == ZERO_COUNTS
    hold.reporter.stop()
    # Every handle of the device is dead now, and says so.
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "is not a live stream",
                 lib.aclrtDestroyStream, s1)
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "is not a live event", lib.aclrtDestroyEvent, events[1])
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "is not a live context", lib.aclrtDestroyContext, ctx)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "is not a live allocation", lib.aclrtFree, d2)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "is not a live allocation", lib.aclrtFreeHost, h)
    expect_error(lib.ACL_ERROR_RT_CONTEXT_NULL, "no current context", lib.aclrtGetDevice, out_cell("int32_t *"))
    # The device can be set again and used.
    ok(lib.aclrtSetDevice(0))
    assert live_counts() == dict(ZERO_COUNTS, contexts=1)
    p = malloc(64)
    write_device(p, b"z" * 64)
    assert read_device(p, 64) == b"z" * 64
    ok(lib.aclrtFree(p))
    s = create_stream()
    ok(lib.aclrtSynchronizeStream(s))
    ok(lib.aclrtDestroyStream(s))


def test_finalize_releases_everything_and_counts_it(acl: Any) -> None:
    malloc(64)
    create_stream()
    create_event()
    create_context(0)
    lib.aclCreateDataBuffer(ffi.NULL, 0)
    ok(lib.aclFinalize())
    assert leak_report() == dict(ZERO_COUNTS, deviceAllocations=1, deviceBytes=64, contexts=1, streams=1, events=1,
                                 dataBuffers=1)
    assert live_counts() == ZERO_COUNTS


# ============================================================================ threads


def test_concurrent_threads_copy_independently(acl: Any) -> None:
    default = current_context()
    errors: List[str] = []

    def worker(seed: int) -> None:
        try:
            ok(lib.aclrtSetCurrentContext(default))
            s = create_stream()
            for i in range(30):
                n = 1000 + 37 * i + seed
                data = random_bytes(n, seed * 100 + i)
                p = malloc(n)
                ok(lib.aclrtMemcpyAsync(p, n, ffi.from_buffer(data), n, H2D, s))
                out = bytearray(n)
                ok(lib.aclrtMemcpyAsync(ffi.from_buffer(out), n, p, n, D2H, s))
                ok(lib.aclrtSynchronizeStream(s))
                assert out == data, "thread %d iteration %d" % (seed, i)
                ok(lib.aclrtFree(p))
            ok(lib.aclrtDestroyStream(s))
        except Exception as exc:  # reported by the main thread
            errors.append("%s: %s" % (type(exc).__name__, exc))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []


# ============================================================================ other configurations


def test_a_new_acl_init_clears_the_last_leak_report() -> None:
    run_python_ok(child("""
    def leaks():
        c = ffi.new("acllite_emu_counts *")
        ok(lib.acllite_emu_last_leak_report(c))
        return (c.deviceAllocations, c.deviceBytes)
    ok(lib.aclInit(ffi.NULL))
    ok(lib.aclrtSetDevice(0))
    p = ffi.new("void **")
    ok(lib.aclrtMalloc(p, 4096, 0))            # not freed: aclFinalize releases it and reports it
    ok(lib.aclFinalize())
    assert leaks() == (1, 4096), leaks()
    ok(lib.aclInit(ffi.NULL))                  # a new run starts with a clean report
    assert leaks() == (0, 0), leaks()
    ok(lib.aclFinalize())
    assert leaks() == (0, 0), leaks()
    """))


def test_two_devices() -> None:
    out = run_python_ok(child("""
    import acllite
    def device():
        d = ffi.new("int32_t *")
        ok(lib.aclrtGetDevice(d))
        return d[0]
    def counts():
        c = ffi.new("acllite_emu_counts *")
        ok(lib.acllite_emu_last_leak_report(c))
        return (c.deviceAllocations, c.contexts, c.streams)
    ok(lib.aclInit(ffi.NULL))
    n = ffi.new("uint32_t *")
    ok(lib.aclrtGetDeviceCount(n))
    assert n[0] == 2
    ok(lib.aclrtSetDevice(1))
    assert device() == 1
    ok(lib.aclrtSetDevice(0))
    assert device() == 0
    ctx1 = ffi.new("aclrtContext *")
    ok(lib.aclrtCreateContext(ctx1, 1))
    assert device() == 1                       # the new context is current
    p1 = ffi.new("void **")
    ok(lib.aclrtMalloc(p1, 64, 0))             # on device 1
    s1 = ffi.new("aclrtStream *")
    ok(lib.aclrtCreateStream(s1))
    ctx0 = ffi.new("aclrtContext *")
    ok(lib.aclrtCreateContext(ctx0, 0))
    assert device() == 0
    p0 = ffi.new("void **")
    ok(lib.aclrtMalloc(p0, 64, 0))             # on device 0
    ok(lib.aclrtMemcpy(p0[0], 64, ffi.from_buffer(b"D" * 64), 64, 1))
    expect(lib.aclrtMemcpy(p1[0], 64, p0[0], 64, 7), 107000, "device 0 has not enabled peer access to device 1")
    ok(lib.aclrtDeviceEnablePeerAccess(1, 0))  # device 0 is current
    ok(lib.aclrtMemcpy(p1[0], 64, p0[0], 64, 7))   # INTER_DEVICE_TO_DEVICE
    out = bytearray(64)
    ok(lib.aclrtMemcpy(ffi.from_buffer(out), 64, p1[0], 64, 2))
    assert out == bytearray(b"D" * 64)
    ok(lib.aclrtSetCurrentContext(ctx1[0]))
    assert device() == 1
    expect(lib.aclrtSetDevice(2), 107001, "device 2 does not exist: 2 device(s) visible")
    ok(lib.aclrtDestroyContext(ctx0[0]))
    ok(lib.aclrtFree(p0[0]))
    ok(lib.aclrtResetDevice(0))
    assert counts() == (0, 0, 0)
    ok(lib.aclrtResetDevice(1))                # device 1 still holds p1, s1 and ctx1
    assert counts() == (1, 1, 1), counts()
    ok(lib.aclFinalize())
    print("ok")
    """), {"ACLLITE_EMU_DEVICES": "2"})
    assert out.split() == ["ok"]


def test_soc_name_from_the_environment() -> None:
    out = run_python_ok(child("""
    ok(lib.aclInit(ffi.NULL))
    print(ffi.string(lib.aclrtGetSocName()).decode())
    ok(lib.aclFinalize())
    ok(lib.aclInit(ffi.NULL))                  # read once per process: unchanged after re-initialization
    print(ffi.string(lib.aclrtGetSocName()).decode())
    ok(lib.aclFinalize())
    """), {"ACLLITE_EMU_SOC": "Ascend310P3"})
    assert out.split() == ["Ascend310P3", "Ascend310P3"]


@pytest.mark.parametrize("teardown", ["aclrtResetDevice", "aclFinalize", "aclrtDestroyContext"])
def test_teardown_does_not_wait_forever_for_a_held_stream(teardown: str) -> None:
    """A stream waiting for an event whose record sits behind a blocking callback that no thread will ever
    process: releasing everything must still finish (the held stream gives up its callback when it stops).
    The default stream is released after the user streams, so without care the wait would never end."""
    out = run_python_ok(child("""
    teardown = %r
    ok(lib.aclInit(ffi.NULL))
    ok(lib.aclrtSetDevice(0))
    default = ffi.new("aclrtContext *")
    ok(lib.aclrtGetCurrentContext(default))
    if teardown == "aclrtDestroyContext":
        ctx = ffi.new("aclrtContext *")
        ok(lib.aclrtCreateContext(ctx, 0))          # current from now on
    cb = ffi.callback("void(void *)", lambda data: None)
    ok(lib.aclrtSubscribeReport(12345, ffi.NULL))   # no such thread: the callback is never processed
    ok(lib.aclrtLaunchCallback(cb, ffi.NULL, 1, ffi.NULL))
    e, b = ffi.new("aclrtEvent *"), ffi.new("aclrtStream *")
    ok(lib.aclrtCreateEvent(e))
    ok(lib.aclrtRecordEvent(e[0], ffi.NULL))
    ok(lib.aclrtCreateStream(b))
    ok(lib.aclrtStreamWaitEvent(b[0], e[0]))
    if teardown == "aclrtResetDevice":
        ok(lib.aclrtResetDevice(0))
    elif teardown == "aclFinalize":
        ok(lib.aclFinalize())
    else:
        ok(lib.aclrtSetCurrentContext(default[0]))
        ok(lib.aclrtDestroyContext(ctx[0]))
        ok(lib.aclrtDestroyEvent(e[0]))
        ok(lib.aclrtResetDevice(0))
    c = ffi.new("acllite_emu_counts *")
    ok(lib.acllite_emu_last_leak_report(c))
    print(c.streams, c.events)
    """ % teardown), timeout=30)
    assert out.split() == {"aclrtResetDevice": ["1", "1"], "aclFinalize": ["1", "1"],
                           "aclrtDestroyContext": ["0", "0"]}[teardown]
