"""Fuzz target: pyACL's argument conversion (issue 13 item 8), over every function of the catalog.

Each input is a little program of up to 8 calls; a call picks a pyACL function of the catalog (two bytes) and,
per parameter, a kind of value and its payload: zero, small and boundary integers (2**31, 2**32, 2**63, 2**64,
negatives, 2**100), floats, bools, None, str and bytes (with and without NUL), lists, dicts, NumPy scalars,
callables, objects, and live handles of a pool made at setup (a stream, a context, a model description, a
dataset, a data buffer, DVPP descriptions and configurations, device and DVPP memory).

What must hold, for every call:

* it returns, or raises TypeError, ValueError or OverflowError (RuntimeError only where pyACL raises it: a VDEC/
  VENC frame or query without a callback): never another exception, never a crash or a hang;
* a result has the catalog's shape;
* a call of a generated function whose arguments are all well typed and in range for their C types (the model:
  ints, not bool, within the C type; NumPy integers; a str or bytes without NUL for strings; an int or float for
  floating point) never raises;
* the emulator's live objects are back to the pool's after the input (what a call created is released).

Pointers that C would dereference as plain host memory (``void *`` data parameters, pointers to numbers, complete
structs or pointers, which C reads or fills, and ``acl.util``'s pointers) are
only given NULL, out-of-range values, live emulator memory or wrong types: the runtime cannot check a wild host
pointer (a caller's bug on a device too), and this target is about the conversion, not about that.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

NAME = "pyacl"
MAX_LEN = 512

with H.instrumented():
    import numpy as np

    import acllite.pyacl as acl
    from acllite import binding
    from acllite.pyacl import _catalog, _generate

MODULES = {"acl": acl, "rt": acl.rt, "mdl": acl.mdl, "media": acl.media, "op": acl.op, "prof": acl.prof,
           "util": acl.util}
#: Calls left out: they change the session every input shares (or wait on purpose).
SKIP = {"acl.init", "acl.finalize", "acl.rt.set_device", "acl.rt.reset_device", "acl.rt.reset_device_force",
        "acl.rt.device_task_abort", "acl.rt.set_context", "acl.rt.process_report", "acl.util.start_thread",
        "acl.util.stop_thread", "acl.rt.synchronize_device_with_timeout", "acl.rt.stream_abort"}
ENTRIES = [e for e in _catalog.ENTRIES if e.kind != "absent" and e.name not in SKIP]
ALLOWED = (TypeError, ValueError, OverflowError)
RAISES_RUNTIME = {"acl.media.vdec_send_frame", "acl.media.vdec_send_skipped_frame",
                  "acl.media.vdec_get_channel_desc_callback", "acl.media.venc_send_frame",
                  "acl.media.venc_get_channel_desc_callback", "acl.media.venc_get_channel_desc_param"}
INTS = [0, 1, 2, 3, 7, 255, 256, 4096, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 63 - 1, 2 ** 63,
        2 ** 64 - 1, 2 ** 64, 2 ** 100, -1, -2, -2 ** 31, -2 ** 31 - 1, -2 ** 63, -2 ** 63 - 1]
OUT_OF_RANGE_POINTERS = [-1, -2 ** 63, 2 ** 64, 2 ** 64 + 4096, 2 ** 100]
STRINGS = ["x", "", "a\0b", "/nonexistent/model.om", "ascend_mbatch_shape_data", "\u00e9t\u00e9", b"x", b"a\0b",
           "x" * 300]
OTHERS: List[Any] = [None, True, False, 1.5, 0.0, float("nan"), [], [1], [0, 2 ** 64], ["x"], [[1, 2]], {},
                     {"dims": [1], "dimCount": 1}, {"dimCount": 5, "dims": [1]}, (1, 2), np.int64(3),
                     np.float32(1.5), np.uint8(1), np.int64(-1), object(), b"", bytearray(4), lambda *a: None]

pool: Dict[str, int] = {}
handles: List[int] = []
memory: List[int] = []
baseline: Dict[str, int] = {}
ctx = 0


def setup() -> None:
    global baseline, ctx
    assert acl.init() == 0 and acl.rt.set_device(0) == 0
    ctx, _ = acl.rt.get_context()
    pool["stream"], _ = acl.rt.create_stream()
    pool["desc"] = acl.mdl.create_desc()
    pool["dataset"] = acl.mdl.create_dataset()
    pool["device"], _ = acl.rt.malloc(4096, 0)
    pool["dvpp"], _ = acl.media.dvpp_malloc(4096)
    pool["host"], _ = acl.rt.malloc_host(4096)
    pool["buffer"] = acl.create_data_buffer(pool["device"], 4096)
    pool["channel"] = acl.media.dvpp_create_channel_desc()
    pool["pic"] = acl.media.dvpp_create_pic_desc()
    pool["roi"] = acl.media.dvpp_create_roi_config(0, 15, 0, 15)
    pool["resize"] = acl.media.dvpp_create_resize_config()
    pool["jpege"] = acl.media.dvpp_create_jpege_config()
    pool["event"], _ = acl.rt.create_event()
    H.check(all(pool.values()), "the pool could not be made: %s", pool)
    handles.extend(v for k, v in pool.items() if k not in ("device", "dvpp", "host"))
    memory.extend(pool[k] for k in ("device", "dvpp", "host"))
    baseline = live_counts()


def live_counts() -> Dict[str, int]:
    c = binding.ffi.new("acllite_emu_counts *")
    binding.lib.acllite_emu_live_counts(c)
    return {k: int(getattr(c, k)) for k, _ in binding.ffi.typeof("acllite_emu_counts").fields if k != "reserved"}


class Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]

    def left(self) -> bool:
        return self.pos < len(self.data)


def _value(r: Reader, role: str, releases: bool = False) -> Any:
    """A value for a parameter of ``role`` (pointer | data | int | flag | real | string); ``data`` (a pointer C
    reads as plain host memory) is never given a wild address."""
    kind = r.byte() % 8
    if kind == 0:
        v = INTS[r.byte() % len(INTS)]
        return 0 if role == "data" and 0 < v <= 2 ** 64 - 1 else v
    if kind == 1:
        r.byte()
        if releases:  # the pool lives for the run: calls that release are never given its objects
            return 0
        return memory[r.byte() % len(memory)] if role == "data" else handles[r.byte() % len(handles)]
    if kind == 2:
        return OUT_OF_RANGE_POINTERS[r.byte() % len(OUT_OF_RANGE_POINTERS)]
    if kind == 3:
        return STRINGS[r.byte() % len(STRINGS)]
    if kind == 4:
        return OTHERS[r.byte() % len(OTHERS)]
    if kind == 5:
        return float(r.byte()) / 2
    if kind == 6:
        return bool(r.byte() & 1)
    return 0 if role == "data" else r.byte()


def _fits(value: int, ctype: str) -> bool:
    t = binding.ffi.typeof(ctype.replace("const ", "").strip())  # an enum's range is cffi's: its C type's
    size = binding.ffi.sizeof(t)
    signed = int(binding.ffi.cast(t, -1)) < 0
    lo, hi = (-(1 << (8 * size - 1)), (1 << (8 * size - 1)) - 1) if signed else (0, (1 << (8 * size)) - 1)
    return lo <= value <= hi


def _well_typed(v: Any, role: str, ctype: str) -> bool:
    """The model: the values pyACL's conversion must take without raising."""
    if role in ("pointer", "data"):
        return type(v) is int and 0 <= v <= 2 ** 64 - 1
    if role in ("int", "flag"):
        if isinstance(v, bool):
            return role == "flag"
        if type(v) is int or isinstance(v, np.integer):
            return _fits(int(v), ctype)
        return False
    if role == "real":
        return not isinstance(v, bool) and isinstance(v, (int, float, np.floating, np.integer))
    if role == "string":
        return isinstance(v, (str, bytes)) and "\0" not in (v if isinstance(v, str) else v.decode("latin-1"))
    return False


POOL_BLOCK = 4096  # the size of each block of the pool's memory


def _plain_memory(ctype: str) -> int:
    """The size C reads or writes through a pointer parameter of type ``ctype`` when that is plain memory (a number,
    a complete struct, a pointer: out-parameters and arrays), 0 for opaque handles (pointers to incomplete structs,
    ``void *`` typedefs), which the emulator checks against its own objects."""
    t = binding.ffi.typeof(ctype.replace("const ", "").strip())
    if t.kind != "pointer" or t.item.kind not in ("primitive", "struct", "union", "pointer", "enum"):
        return 0
    try:
        return int(binding.ffi.sizeof(t.item))
    except binding.ffi.error:  # an incomplete (opaque) struct: a handle
        return 0


def _gen_args(entry: Any, r: Reader) -> Tuple[List[Any], bool]:
    proto = binding.prototypes[entry.cfunc]
    args, well = [], True
    for ctype, name in proto.params:
        if name in entry.outputs:
            continue
        role = _generate._param_kind(ctype)
        size = _plain_memory(ctype) if role == "pointer" else 0
        if role == "pointer" and (size or ctype.replace("const ", "").strip() in ("void *", "char *")):
            role = "data"
        v = _value(r, role, bool(_generate._RELEASES.search(entry.function)))
        if size > POOL_BLOCK and type(v) is int and v in memory:
            v = 0  # a struct larger than the pool's blocks: C would write past the block
        args.append(v)
        well = well and _well_typed(v, role, ctype)
    return args, well


def _any_args(entry: Any, r: Reader) -> List[Any]:
    import inspect

    fn = getattr(MODULES[entry.module], entry.function)
    params = [p for p in inspect.signature(fn).parameters.values() if p.kind == p.POSITIONAL_ONLY or
              p.kind == p.POSITIONAL_OR_KEYWORD]
    args = []
    for p in params:
        v = _value(r, "data" if entry.module == "util" else "pointer",
                   bool(_generate._RELEASES.search(entry.function)) or "destroy" in entry.function)
        if entry.module == "util" and type(v) is int and v in memory and p.name in ("size", "shape"):
            v = 16
        args.append(v)
    if entry.module == "util" and entry.function in ("ptr_to_bytes", "ptr_to_numpy") and len(args) > 1:
        # a real pointer with any size would read past its block: sizes only with NULL or refused pointers
        if type(args[0]) is int and args[0] in memory:
            args[1] = 16 if entry.function == "ptr_to_bytes" else (4,)
    return args


def _release(entry: Any, result: Any) -> None:
    """Release what a call created (a handle or memory), so the next input starts from the pool."""
    value = result[0] if type(result) is tuple and len(result) == 2 and type(result[1]) is int and result[1] == 0 \
        else result
    if type(value) is not int or value == 0 or value in handles or value in memory:
        return
    name = entry.function
    rt, media, mdl = acl.rt, acl.media, acl.mdl
    if name in ("malloc", "malloc_cached", "malloc_align32", "malloc_with_cfg", "malloc_for_task_scheduler"):
        rt.free(value)
    elif name in ("malloc_host", "malloc_host_with_cfg"):
        rt.free_host(value)
    elif name == "dvpp_malloc":
        media.dvpp_free(value)
    elif name.startswith("load_") or name == "load_with_config":
        mdl.unload(value)
    elif name == "create_context":
        rt.destroy_context(value)
        rt.set_context(ctx)
    elif "create" in name:
        module = MODULES[entry.module]
        destroy = getattr(module, name.replace("create", "destroy", 1), None)
        if name in ("create_stream_with_config",):
            destroy = rt.destroy_stream
        if name.startswith("create_event"):
            destroy = rt.destroy_event
        if destroy is not None:
            destroy(value)


def one_input(data: bytes) -> None:
    r = Reader(data)
    for _ in range(8):
        if not r.left():
            break
        entry = ENTRIES[((r.byte() << 8) | r.byte()) % len(ENTRIES)]
        fn: Callable[..., Any] = getattr(MODULES[entry.module], entry.function)
        if entry.kind == "gen":
            args, well = _gen_args(entry, r)
        else:
            args, well = _any_args(entry, r), False
        try:
            result = fn(*args)
        except ALLOWED as exc:
            H.check(not well, "%s%r raised %s: %s, with well-typed arguments", entry.name, tuple(args),
                    type(exc).__name__, exc)
            continue
        except RuntimeError as exc:
            H.check(entry.name in RAISES_RUNTIME, "%s%r raised RuntimeError: %s", entry.name, tuple(args), exc)
            continue
        except Exception as exc:  # noqa: BLE001 - the finding
            raise H.Finding("%s%r raised %s: %s" % (entry.name, tuple(args), type(exc).__name__, exc)) from exc
        H.check(_shape_ok(entry, result), "%s%r returned %r, not the shape %s", entry.name, tuple(args), result,
                entry.returns)
        _release(entry, result)
    acl.rt.set_context(ctx)
    now = live_counts()
    H.check(now == baseline, "live objects changed: %s -> %s", baseline, now)


def _shape_ok(entry: Any, result: Any) -> bool:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import test_pyacl_surface as surface  # the tests' own shape rules

    return surface.shape_ok(entry, result)


def make_seeds() -> dict:
    seeds = {}
    for k, name in enumerate(("acl.util.ptr_to_bytes", "acl.rt.free", "acl.rt.memcpy", "acl.mdl.load_from_file",
                              "acl.media.dvpp_create_batch_pic_desc", "acl.mdl.get_input_dims",
                              "acl.media.dvpp_vpc_batch_crop_async", "acl.rt.synchronize_stream")):
        idx = [e.name for e in ENTRIES].index(name)
        seeds["%d-%s" % (k, name.rsplit(".", 1)[1])] = bytes([idx >> 8, idx & 0xFF]) + bytes(range(k, k + 24))
    return seeds


if __name__ == "__main__":
    H.main(sys.modules[__name__])
