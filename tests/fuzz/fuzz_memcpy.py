"""Fuzz target: argument validation of aclrtMemcpy/aclrtMemcpyAsync/aclrtMemset/aclrtMemsetAsync and the frees.

Each input is a little program: the sizes of a few allocations (two of device memory, one of pinned host memory,
one of DVPP memory, one device block freed at once), then up to 32 operations whose pointers are taken inside,
at the end of, past the end of, before, and across those allocations, in the freed block, NULL, or in a plain
host buffer; with counts, destMax values, kinds (known, unknown, -1 as unsigned), memset values and streams (none, a
created one) from the input. A model of the emulator's documented rules predicts every result:

* 100000 for NULL pointers, ``count > destMax``, unknown kinds;
* 107000 for a range that is not inside one live allocation (freed, never allocated, leaving or crossing its
  allocation), a kind that contradicts the memory (strict mode; device-to-device with a host kind is allowed),
  memset of plain host memory, frees of a pointer that is not a live allocation's start or of the wrong kind
  (``aclrtFree`` of DVPP memory is allowed);
* success otherwise, and then the bytes move exactly as memmove/memset would move them.

The call must return the predicted code (with a message when it fails); afterwards every allocation's bytes must
equal the model's, the slack after each allocation must be untouched (canary), and nothing may be left alive.
Plain host memory is only ever addressed within its own buffer (the runtime cannot check host pointers: a
wild one would be the caller's bug, on a device too).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

NAME = "memcpy"
MAX_LEN = 512
HOST_SCRATCH = 16384
GIB = 1 << 30
ARENA = 9 * GIB  # the emulator's arena span for the default 8 GiB device: ALIGN_UP(8G, 1G) + 1G
INVALID_PARAM, RT_PARAM_INVALID = 100000, 107000
WANT = {0: (False, False), 1: (True, False), 5: (True, False), 2: (False, True), 3: (True, True), 6: (True, True),
        7: (True, True)}

with H.instrumented():
    from acllite.binding import ffi, lib

acl: H.Acl = None  # type: ignore[assignment]  (setup() makes it)
baseline: Dict[str, int] = {}
fence = (0, 0)  # [start, end) of the emulator's reservation, found at setup
scratch = bytearray(HOST_SCRATCH)
SCRATCH_INIT = bytes((i * 13 + 5) & 0xFF for i in range(HOST_SCRATCH))
PATTERN = bytes((i * 7 + 1) & 0xFF for i in range(8192 + 256))
scratch_ptr: Any = None
p0: Any = None


@dataclass
class Block:
    name: str
    kind: str  # "device", "host", "dvpp", "pageable"
    addr: int
    size: int
    shadow: bytearray
    live: bool = True

    @property
    def span(self) -> int:
        return H.span(self.size) if self.kind != "pageable" else self.size

    @property
    def device_side(self) -> bool:
        return self.kind in ("device", "dvpp")


def setup() -> None:
    global acl, baseline, fence, scratch_ptr, p0
    acl = H.Acl()
    p0 = acl.malloc("device", 64)  # the first allocation of the process: the start of device 0's arena
    H.fill_canary(p0, 64)
    start = int(ffi.cast("uintptr_t", p0))
    h = int(ffi.cast("uintptr_t", acl.malloc("host", 64)))
    d = int(ffi.cast("uintptr_t", acl.malloc("dvpp", 64)))
    H.check(start + ARENA <= h < start + 2 * ARENA and start + 2 * ARENA <= d < start + 3 * ARENA,
            "the emulator's memory layout is not what this target assumes: device 0x%x, host 0x%x, dvpp 0x%x",
            start, h, d)
    acl.free("host", ffi.cast("void *", h))
    acl.free("dvpp", ffi.cast("void *", d))
    fence = (start, start + 3 * ARENA)
    scratch_ptr = ffi.from_buffer(scratch)
    baseline = acl.live_counts()


def _addr(p: Any) -> int:
    return int(ffi.cast("uintptr_t", p))


class Model:
    def __init__(self, blocks: List[Block]):
        self.blocks = blocks

    def find(self, addr: int) -> Optional[Block]:
        for b in self.blocks:
            if b.live and b.addr <= addr < b.addr + b.span:
                return b
        return None

    def locate(self, addr: int, length: int) -> Tuple[str, Optional[Block], int]:
        """("ok", block, offset) or ("err", None, 0); pageable memory is the scratch buffer."""
        s = self.blocks[-1]
        if not (fence[0] <= addr < fence[1]):
            H.check(s.addr <= addr <= s.addr + s.size, "internal: a host pointer outside the scratch buffer")
            return "ok", s, addr - s.addr
        b = self.find(addr)
        if b is None or b.kind == "pageable":
            return "err", None, 0
        into = addr - b.addr
        if into > b.size or length > b.size - into:
            return "err", None, 0
        return "ok", b, into


def _pointer(p: H.Provider, blocks: List[Block]) -> int:
    which = p.below(len(blocks) + 1)
    if which == len(blocks):
        return 0  # NULL
    b = blocks[which]
    if b.kind == "pageable":
        return b.addr + p.below(b.size + 1)
    how = p.take(1) % 8
    if how == 0:
        off = 0
    elif how in (1, 2):
        off = p.below(b.size + 1)
    elif how == 3:
        off = b.size - p.below(4)
    elif how == 4:
        off = b.size + p.below(b.span - b.size + 1)  # the slack
    elif how == 5:
        off = b.span + p.below(1 << 16)  # past the span: a gap or another block
    elif how == 6:
        off = -1 - p.below(1 << 14)  # before the block
    else:
        off = p.below(1 << 17) - (1 << 16)
    addr = b.addr + off
    if not (fence[0] <= addr < fence[1]):
        addr = b.addr  # never a wild host pointer
    return addr


def _count(p: H.Provider, room: int) -> int:
    how = p.take(1) % 10
    return [0, 1, p.below(64), room, room + 1, max(room - 1, 0), p.below(1 << 15), 1 << 63, (1 << 64) - 1,
            (1 << 32) + p.below(16)][how]


def _clamp_host(model: Model, addrs: List[int], count: int) -> int:
    """Plain host memory is addressed only within the scratch buffer."""
    s = model.blocks[-1]
    for a in addrs:
        if a and not (fence[0] <= a < fence[1]):
            count = min(count, s.addr + s.size - a)
    return max(count, 0)


def _room(model: Model, addr: int) -> int:
    b = model.find(addr) if fence[0] <= addr < fence[1] else model.blocks[-1]
    return max(0, b.addr + b.size - addr) if b else 64


def _predict_copy(model: Model, dst: int, dmax: int, src: int, count: int, kind: int) -> Tuple[int, Any]:
    if not dst or not src or count > dmax or not (0 <= kind <= 7):
        return INVALID_PARAM, None
    d = model.locate(dst, count)
    s = model.locate(src, count)
    if d[0] == "err" or s[0] == "err":
        return RT_PARAM_INVALID, None
    if kind != 4:
        want_d, want_s = WANT[kind]
        ok = d[1].device_side == want_d and s[1].device_side == want_s
        if not ok and not (d[1].device_side and s[1].device_side):
            return RT_PARAM_INVALID, None
    return 0, (d[1], d[2], s[1], s[2])


def _predict_set(model: Model, ptr: int, maxc: int, count: int) -> Tuple[int, Any]:
    if not ptr or count > maxc:
        return INVALID_PARAM, None
    r = model.locate(ptr, count)
    if r[0] == "err" or r[1].kind == "pageable":
        return RT_PARAM_INVALID, None
    return 0, (r[1], r[2])


def _predict_free(model: Model, fn: str, ptr: int) -> Tuple[int, Optional[Block]]:
    if not ptr:
        return INVALID_PARAM, None
    if not (fence[0] <= ptr < fence[1]):
        return RT_PARAM_INVALID, None
    arena = ("device", "host", "dvpp")[(ptr - fence[0]) // ARENA]
    expected = {"aclrtFree": "device", "aclrtFreeHost": "host", "acldvppFree": "dvpp"}[fn]
    if arena != expected and not (expected == "device" and arena == "dvpp"):
        return RT_PARAM_INVALID, None
    b = model.find(ptr)
    if b is None or b.addr != ptr:
        return RT_PARAM_INVALID, None
    return 0, b


def _signed32(v: int) -> int:
    return v - (1 << 32) if v >= 1 << 31 else v


def one_input(data: bytes) -> None:
    p = H.Provider(data)
    blocks: List[Block] = []
    created: List[Block] = []
    try:
        for name, kind in (("A", "device"), ("B", "device"), ("H", "host"), ("D", "dvpp"), ("F", "device")):
            size = 1 + p.below(8192)
            ptr = acl.malloc(kind, size)
            content = bytearray(PATTERN[len(created) * 31:len(created) * 31 + size])
            ffi.memmove(ptr, bytes(content), size)
            H.fill_canary(ptr, size)
            b = Block(name, kind, _addr(ptr), size, content)
            created.append(b)
        f = created[-1]
        acl.free("device", ffi.cast("void *", f.addr))
        f.live = False
        pz = Block("p0", "device", _addr(p0), 64, bytearray(ffi.buffer(p0, 64)))
        scratch[:] = SCRATCH_INIT
        s = Block("S", "pageable", _addr(scratch_ptr), HOST_SCRATCH, bytearray(scratch))
        blocks = created + [pz, s]
        model = Model(blocks)
        pending: Optional[Any] = None

        def settle(stream: Optional[Any]) -> None:
            nonlocal pending
            if pending is not None and pending is not stream:
                H.ok(lib.aclrtSynchronizeStream(ffi.NULL if pending == "default" else pending), "synchronize")
                pending = None

        for _ in range(32):
            if not p.left():
                break
            op = p.take(1) % 8
            if op <= 2:  # memcpy: sync, async on the stream, async on the default stream
                dst, src = _pointer(p, blocks), _pointer(p, blocks)
                count = _clamp_host(model, [dst, src], _count(p, _room(model, dst)))
                dmax = min([count, count + p.below(100), max(count - 1, 0), (1 << 64) - 1, 0][p.take(1) % 5],
                           (1 << 64) - 1)
                if dst and not (fence[0] <= dst < fence[1]):
                    dmax = min(dmax, count)  # never let a plain host destination claim more than is there
                kind = [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 8, 99, 0xFFFFFFFF, (1 << 31) - 1][p.take(1) % 16]
                want, effect = _predict_copy(model, dst, dmax, src, count, kind)
                stream = None if op == 0 else (acl.stream if op == 1 else "default")
                settle(stream)
                dp, sp = ffi.cast("void *", dst), ffi.cast("void *", src)
                if stream is None:
                    rc = lib.aclrtMemcpy(dp, dmax, sp, count, kind)
                else:
                    rc = lib.aclrtMemcpyAsync(dp, dmax, sp, count, kind,
                                              ffi.NULL if stream == "default" else stream)
                what = "aclrtMemcpy%s(dst=0x%x, destMax=%d, src=0x%x, count=%d, kind=%d)" % (
                    "" if stream is None else "Async", dst, dmax, src, count, kind)
                H.check(rc == want, "%s returned %d, the rules say %d; message %r", what, rc, want, H.recent_message())
                if rc:
                    H.check(H.recent_message(), "%s failed without a message", what)
                else:
                    db, doff, sb, soff = effect
                    chunk = bytes(sb.shadow[soff:soff + count])
                    db.shadow[doff:doff + count] = chunk
                    if stream is not None:
                        pending = stream
            elif op <= 5:  # memset
                ptr = _pointer(p, blocks)
                count = _clamp_host(model, [ptr], _count(p, _room(model, ptr)))
                maxc = min([count, count + p.below(100), max(count - 1, 0), (1 << 64) - 1][p.take(1) % 4],
                           (1 << 64) - 1)
                value = _signed32(p.take(4))
                want, effect = _predict_set(model, ptr, maxc, count)
                stream = None if op == 3 else (acl.stream if op == 4 else "default")
                settle(stream)
                if stream is None:
                    rc = lib.aclrtMemset(ffi.cast("void *", ptr), maxc, value, count)
                else:
                    rc = lib.aclrtMemsetAsync(ffi.cast("void *", ptr), maxc, value, count,
                                              ffi.NULL if stream == "default" else stream)
                what = "aclrtMemset%s(0x%x, %d, %d, %d)" % ("" if stream is None else "Async", ptr, maxc, value, count)
                H.check(rc == want, "%s returned %d, the rules say %d; message %r", what, rc, want, H.recent_message())
                if rc == 0:
                    b, off = effect
                    b.shadow[off:off + count] = bytes([value & 0xFF]) * count
                    if stream is not None:
                        pending = stream
            elif op == 6:  # a free, usually of something that is not a live allocation's start
                settle(None)
                fn = ["aclrtFree", "aclrtFreeHost", "acldvppFree"][p.take(1) % 3]
                ptr = _pointer(p, blocks)
                if ptr == _addr(p0):
                    ptr += 1  # p0 stays: it is part of the baseline
                want, victim = _predict_free(model, fn, ptr)
                rc = getattr(lib, fn)(ffi.cast("void *", ptr))
                H.check(rc == want, "%s(0x%x) returned %d, the rules say %d; message %r", fn, ptr, rc, want,
                        H.recent_message())
                if rc == 0 and victim is not None:
                    victim.live = False
            else:
                settle(None)
        settle(None)
        for b in blocks:
            if not b.live:
                continue
            got = bytes(ffi.buffer(ffi.cast("char *", b.addr), b.size)) if b.kind != "pageable" else bytes(scratch)
            if got != bytes(b.shadow):
                first = next(i for i in range(b.size) if got[i] != b.shadow[i])
                raise H.Finding("%s (%s, %d bytes): byte %d is 0x%02x, the model says 0x%02x" % (
                    b.name, b.kind, b.size, first, got[first], b.shadow[first]))
            if b.kind != "pageable":
                H.canary_intact(ffi.cast("void *", b.addr), b.size, "%s (%s)" % (b.name, b.kind))
    finally:
        H.ok(lib.aclrtSynchronizeStream(acl.stream), "final synchronize")
        H.ok(lib.aclrtSynchronizeStream(ffi.NULL), "final synchronize (default stream)")
        for b in created:
            if b.live:
                acl.free(b.kind, ffi.cast("void *", b.addr))
                b.live = False
    H.leak_check(acl, baseline, "the input")


def make_seeds() -> Dict[str, bytes]:
    import random

    rng = random.Random(11)
    seeds = {}
    for k in range(6):
        seeds["program_%d.bin" % k] = bytes(rng.getrandbits(8) for _ in range(24 + 40 * k))
    # every op kind once, in-range pointers, exact counts
    seeds["ops_in_range.bin"] = bytes([0x10, 0, 0x20, 0, 0x30, 0, 0x40, 0, 0x08, 0] + [0, 0, 1, 0, 0, 0, 0, 1, 3, 0, 3]
                                      + [3, 0, 1, 0, 3, 0, 0, 0x41, 0, 0, 0] + [6, 0, 1, 0, 0])
    return seeds


if __name__ == "__main__":
    H.main(sys.modules[__name__])
