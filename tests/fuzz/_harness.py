"""The harness every fuzz target (tests/fuzz/fuzz_*.py) runs under.

A target is a module with ``NAME``, optional ``ENV`` (emulator settings, applied before the first aclInit),
``setup()`` (once per process), ``one_input(data: bytes)`` (raises on a finding: an unexpected return code or
exception, a wrong answer, a leak, a write outside a buffer) and ``make_seeds()`` (the seed corpus, as
``{file name: bytes}``). It ends with ``_harness.main(sys.modules[__name__])``, which gives it this command line::

    python tests/fuzz/fuzz_jpeg.py [--runs N] [--engine auto|atheris|random] [--seed S] [--max-len B]
                                   [--artifacts DIR] [--replay FILE...] [--make-seeds] [-- libFuzzer flags]

Engines:

* ``atheris`` (``pip install atheris``): libFuzzer's mutator and corpus management, coverage of acllite's Python
  code (the AIPP parser, the OM reader, the codec and model-engine callbacks) through
  ``atheris.instrument_imports``. The C emulator is compiled by gcc without coverage instrumentation, so for the
  C parsers libFuzzer mutates blind (value profiles of Python comparisons still guide it); new inputs go to a
  temporary corpus directory, never into the seed directory.
* ``random``: a seeded mutator in pure Python (bit flips, interesting values, inserted, deleted, repeated and
  spliced ranges), no coverage feedback. The fallback when atheris is not installed; deterministic for a seed.
* ``auto`` (default): atheris when importable, else random.

A finding stops the run with status 1 and writes the input to ``--artifacts`` (``crash-<sha1>``; atheris names
them the same way); a crash of the C code kills the process with a signal (atheris saves the input itself; the
random engine leaves it in ``--artifacts``/current-input, which run_all.py renames to ``crash-<sha1>``). A hang is cut off by a watchdog
(``--timeout`` seconds per input, default 60) that dumps every thread's stack and exits with status 3.
``--replay FILE...`` runs the given inputs once each (tests/test_fuzz_regressions.py does this for the crashers).

The emulator's memory is plain process memory, so targets also read it directly: :func:`fill_canary` and
:func:`canary_intact` check the bytes between an allocation's requested size and the end of its span (the
documented ``ALIGN_UP(size, 32) + 32`` bytes, then 128-byte alignment), which no write may touch.
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import hashlib
import importlib.util
import os
import random
import shutil
import struct
import sys
import tempfile
import time
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, Iterator, List, Optional, Sequence

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
CANARY = 0xA5
DEFAULT_MAX_LEN = 1 << 16
CURRENT = "current-input"

_ARGS: Optional[argparse.Namespace] = None
_EXTRA: List[str] = []


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="run one acllite fuzz target")
    p.add_argument("--runs", type=int, default=1000, help="inputs to run (default 1000; 0 with atheris: no limit)")
    p.add_argument("--engine", choices=["auto", "atheris", "random"], default="auto")
    p.add_argument("--seed", type=int, default=1, help="random seed (both engines)")
    p.add_argument("--max-len", type=int, default=None, help="longest input in bytes")
    p.add_argument("--timeout", type=int, default=60, help="seconds one input may take")
    p.add_argument("--artifacts", default=None, help="where findings are written (default: a temporary dir)")
    p.add_argument("--corpus", default=None, help="seed directory (default tests/fuzz/corpus/<target>)")
    p.add_argument("--replay", nargs="+", metavar="FILE", help="run these inputs once each, then stop")
    p.add_argument("--make-seeds", action="store_true", help="(re)write the seed corpus and stop")
    return p


def args() -> argparse.Namespace:
    """The command line, parsed once (targets read it before importing acllite)."""
    global _ARGS, _EXTRA
    if _ARGS is None:
        argv = sys.argv[1:]
        if "--" in argv:
            cut = argv.index("--")
            argv, _EXTRA = argv[:cut], argv[cut + 1:]
        _ARGS = _parser().parse_args(argv)
    return _ARGS


def engine() -> str:
    a = args()
    if a.replay or a.make_seeds:
        return "replay"
    if a.engine != "auto":
        return a.engine
    return "atheris" if importlib.util.find_spec("atheris") else "random"


@contextlib.contextmanager
def instrumented() -> Iterator[None]:
    """Wrap the target's imports of acllite: coverage instrumentation under atheris, nothing otherwise."""
    if engine() == "atheris":
        import atheris

        with atheris.instrument_imports(include=["acllite"]):
            yield
    else:
        yield


def apply_env(env: Dict[str, str]) -> None:
    for k, v in env.items():
        os.environ[k] = v


# Every refused input would log its message at ERROR on stderr: the targets read the messages themselves
# (aclGetRecentErrMsg), so the emulator's log is off unless the caller asks for it.
os.environ.setdefault("ASCEND_GLOBAL_LOG_LEVEL", "4")


# --------------------------------------------------------------------------------------------- findings


class Finding(AssertionError):
    """What a target raises for a bug (any other exception escaping one_input is a finding too)."""


def check(cond: Any, fmt: str, *a: Any) -> None:
    if not cond:
        raise Finding(fmt % a if a else fmt)


def recent_message() -> str:
    from acllite.binding import ffi, lib

    p = lib.aclGetRecentErrMsg()
    return "" if p == ffi.NULL else ffi.string(p).decode(errors="replace")


def expect_code(rc: int, allowed: Sequence[int], what: str) -> int:
    """rc must be one of allowed; a failure must come with a message naming the call."""
    if rc not in allowed:
        raise Finding("%s returned %d, expected one of %s; message: %r" % (what, rc, sorted(allowed),
                                                                            recent_message()))
    if rc:
        msg = recent_message()
        check(msg, "%s returned %d without a message", what, rc)
    return rc


def ok(rc: int, what: str) -> None:
    if rc:
        raise Finding("%s failed with %d: %r" % (what, rc, recent_message()))


# --------------------------------------------------------------------------------------------- the runtime


class Acl:
    """aclInit + device 0 + one stream, for the whole run; live_counts() to compare against after each input."""

    def __init__(self) -> None:
        import acllite  # noqa: F401  (registers the codec and the model engine)
        from acllite.binding import ffi, lib

        self.ffi, self.lib = ffi, lib
        ok(lib.aclInit(ffi.NULL), "aclInit")
        ok(lib.aclrtSetDevice(0), "aclrtSetDevice")
        cell = ffi.new("aclrtStream *")
        ok(lib.aclrtCreateStream(cell), "aclrtCreateStream")
        self.stream = cell[0]

    def live_counts(self) -> Dict[str, int]:
        c = self.ffi.new("acllite_emu_counts *")
        ok(self.lib.acllite_emu_live_counts(c), "acllite_emu_live_counts")
        return {k: int(getattr(c, k)) for k, _ in self.ffi.typeof("acllite_emu_counts").fields if k != "reserved"}

    def malloc(self, kind: str, size: int) -> Any:
        cell = self.ffi.new("void **")
        if kind == "device":
            ok(self.lib.aclrtMalloc(cell, size, 0), "aclrtMalloc(%d)" % size)
        elif kind == "host":
            ok(self.lib.aclrtMallocHost(cell, size), "aclrtMallocHost(%d)" % size)
        else:
            ok(self.lib.acldvppMalloc(cell, size), "acldvppMalloc(%d)" % size)
        return cell[0]

    def free(self, kind: str, p: Any) -> None:
        fn = {"device": self.lib.aclrtFree, "host": self.lib.aclrtFreeHost, "dvpp": self.lib.acldvppFree}[kind]
        ok(fn(p), "free(%s)" % kind)


def span(size: int) -> int:
    """Bytes an emulated allocation of size bytes occupies: ALIGN_UP(size, 32) + 32, then 128-byte aligned."""
    return ((size + 31) // 32 * 32 + 32 + 127) // 128 * 128


def fill_canary(ptr: Any, size: int) -> None:
    """Fill the slack after an allocation's size (emulated memory is process memory) with the canary byte."""
    from acllite.binding import ffi

    slack = span(size) - size
    ffi.memmove(ffi.cast("char *", ptr) + size, bytes([CANARY]) * slack, slack)


def canary_intact(ptr: Any, size: int, what: str) -> None:
    from acllite.binding import ffi

    slack = span(size) - size
    got = bytes(ffi.buffer(ffi.cast("char *", ptr) + size, slack))
    if got != bytes([CANARY]) * slack:
        first = next(i for i, b in enumerate(got) if b != CANARY)
        raise Finding("%s: a write past the end of its %d-byte allocation (byte %d of the slack is 0x%02x)" % (
            what, size, first, got[first]))


def leak_check(acl: Acl, baseline: Dict[str, int], what: str) -> None:
    now = acl.live_counts()
    if now != baseline:
        diff = {k: now[k] - baseline[k] for k in now if now[k] != baseline[k]}
        raise Finding("%s left resources alive: %s" % (what, diff))


# --------------------------------------------------------------------------------------------- mutation


_INTERESTING = [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]


class Mutator:
    """Generic byte mutations (libFuzzer's kinds, without coverage): deterministic for a seed."""

    def __init__(self, seeds: List[bytes], seed: int, max_len: int):
        self.seeds = seeds or [b""]
        self.rng = random.Random(seed)
        self.max_len = max_len

    def __call__(self) -> bytes:
        r = self.rng
        if r.random() < 0.02:
            return bytes(r.getrandbits(8) for _ in range(r.randrange(0, 64)))
        data = bytearray(r.choice(self.seeds))
        for _ in range(1 + int(r.expovariate(0.5))):
            self._one(data)
        return bytes(data[: self.max_len])

    def _one(self, d: bytearray) -> None:
        r = self.rng
        op = r.randrange(9)
        n = len(d)
        if n == 0 or op == 0:  # insert random bytes
            at = r.randrange(n + 1)
            d[at:at] = bytes(r.getrandbits(8) for _ in range(r.randrange(1, 9)))
        elif op == 1:  # flip a bit
            i = r.randrange(n)
            d[i] ^= 1 << r.randrange(8)
        elif op == 2:  # random byte
            d[r.randrange(n)] = r.getrandbits(8)
        elif op == 3:  # interesting 8/16/32-bit value, either byte order
            width = r.choice((1, 2, 4))
            if n >= width:
                at = r.randrange(n - width + 1)
                v = r.choice(_INTERESTING) & ((1 << (8 * width)) - 1)
                d[at:at + width] = v.to_bytes(width, r.choice(("big", "little")))
        elif op == 4:  # delete a range
            at = r.randrange(n)
            del d[at:at + r.randrange(1, max(2, min(n - at, 64) + 1))]
        elif op == 5:  # duplicate a range somewhere
            at = r.randrange(n)
            chunk = d[at:at + r.randrange(1, 65)]
            to = r.randrange(n + 1)
            d[to:to] = chunk
        elif op == 6:  # truncate
            del d[r.randrange(n):]
        elif op == 7:  # splice with another seed
            other = r.choice(self.seeds)
            if other:
                at, src = r.randrange(n), r.randrange(len(other))
                d[at:] = other[src:src + r.randrange(1, len(other) - src + 1)] + d[at:]
        else:  # add or subtract a small number from a byte
            i = r.randrange(n)
            d[i] = (d[i] + r.choice((-2, -1, 1, 2))) & 0xFF


# --------------------------------------------------------------------------------------------- running


def load_seeds(directory: Path) -> List[bytes]:
    return [p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()] if directory.is_dir() else []


def _save(artifacts: Path, data: bytes, prefix: str = "crash-") -> Path:
    artifacts.mkdir(parents=True, exist_ok=True)
    path = artifacts / (prefix + hashlib.sha1(data).hexdigest())
    path.write_bytes(data)
    return path


def _report(name: str, eng: str, runs: int, seconds: float) -> None:
    print("fuzz %s: engine %s, %d executions in %.1f s (%.0f/s), no finding" % (name, eng, runs, seconds,
                                                                             runs / seconds if seconds else 0.0),
          flush=True)


def main(target: ModuleType) -> None:
    a = args()
    name = target.NAME
    corpus = Path(a.corpus) if a.corpus else CORPUS / name
    max_len = a.max_len or getattr(target, "MAX_LEN", DEFAULT_MAX_LEN)
    if a.make_seeds:
        corpus.mkdir(parents=True, exist_ok=True)
        for fname, data in target.make_seeds().items():
            (corpus / fname).write_bytes(data)
            print("wrote %s (%d bytes)" % (corpus / fname, len(data)))
        return
    artifacts = Path(a.artifacts) if a.artifacts else Path(tempfile.mkdtemp(prefix="acllite-fuzz-%s-" % name))
    target.setup()
    eng = engine()
    faulthandler.enable()

    def run_one(data: bytes) -> None:
        faulthandler.dump_traceback_later(a.timeout, exit=True)
        try:
            target.one_input(data)
        finally:
            faulthandler.cancel_dump_traceback_later()

    if eng == "replay":
        for f in a.replay:
            data = Path(f).read_bytes()
            run_one(data)
            print("replayed %s (%d bytes): no finding" % (f, len(data)), flush=True)
        return

    seeds = load_seeds(corpus)
    if eng == "random":
        mutate = Mutator(seeds, a.seed, max_len)
        artifacts.mkdir(parents=True, exist_ok=True)
        current = artifacts / CURRENT  # the input under way: what a crash of the process leaves behind
        t0 = time.perf_counter()
        count = 0
        while not a.runs or count < a.runs:
            data = seeds[count] if count < len(seeds) else mutate()
            current.write_bytes(data)
            try:
                run_one(data)
            except Exception as exc:
                path = _save(artifacts, data)
                traceback.print_exc()
                print("fuzz %s: FINDING after %d executions (%s: %s); input saved to %s" % (
                    name, count + 1, type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "", path),
                    flush=True)
                sys.exit(1)
            count += 1
        current.unlink()
        _report(name, eng, count, time.perf_counter() - t0)
        return

    import atheris

    work = Path(tempfile.mkdtemp(prefix="acllite-fuzz-corpus-%s-" % name))
    argv = [sys.argv[0], str(work), str(corpus), "-seed=%d" % a.seed, "-max_len=%d" % max_len,
            "-timeout=%d" % a.timeout, "-artifact_prefix=%s%s" % (artifacts, os.sep), "-rss_limit_mb=4096",
            "-print_final_stats=1"] + (["-runs=%d" % a.runs] if a.runs else []) + _EXTRA
    artifacts.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    state = {"n": 0}

    def test_one_input(data: bytes) -> None:
        state["n"] += 1
        target.one_input(data)

    import atexit

    def done() -> None:
        _report(name, eng, state["n"], time.perf_counter() - t0)
        shutil.rmtree(work, ignore_errors=True)

    atexit.register(done)
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


def u32(b: bytes, off: int = 0) -> int:
    return struct.unpack_from("<I", b.ljust(off + 4, b"\0"), off)[0]


class Provider:
    """Structured values from fuzz bytes (both engines): each take_* consumes bytes; zeros once they run out."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, n: int) -> int:
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return int.from_bytes(chunk.ljust(n, b"\0"), "little")

    def pick(self, seq: Sequence[Any]) -> Any:
        return seq[self.take(1) % len(seq)]

    def below(self, n: int) -> int:
        return self.take(4) % n if n > 0 else 0

    def left(self) -> bool:
        return self.pos < len(self.data)

