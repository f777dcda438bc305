"""Timing helpers shared by the benchmarks: interleaved repeats, robust statistics, records, a text table.

Every measurement is a *loop*: one timed repetition runs the measured call ``n`` times and yields the time of
one iteration (``perf_counter_ns`` over the loop, divided by ``n``). The cost of an empty loop of the same
length is measured alongside and subtracted, so a figure is the cost of the call (argument loading and the
call itself), not of the ``for``. Repetitions of the cases that are compared with each other are interleaved
(case A, case B, ..., then again), so that drift and noise on a busy machine hit every case alike and the
*ratios* measured in one run stay meaningful even when absolute figures move.

A record (see :func:`record`) is one measurement as a flat dict with these keys:

``bench`` (str), ``case`` (str), ``stat`` (str, what ``value`` is, e.g. ``"median"``), ``value`` (float > 0),
``unit`` (str), ``baseline`` (str, the case ``value`` is compared with), ``baseline_value`` (float > 0, same
unit), ``ratio`` (float, ``value / baseline_value``), ``backend`` (str), ``python`` (str), ``platform`` (str),
``cpu_count`` (int), plus per-benchmark extras (``p10``, ``p90``, ``repeat``, ...).
"""

from __future__ import annotations

import math
import os
import platform
import random
import time
from dataclasses import dataclass
from itertools import repeat as _repeat
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

__all__ = ["RECORD_KEYS", "Stats", "stats", "percentile", "empty_loop", "interleave", "loop_overhead_ns", "loop0",
           "loop1", "loop2", "loop3", "loop5", "loop_pair", "loop_sync", "environment", "full_environment",
           "Progress", "progress", "notes", "note", "record", "fmt", "format_table", "banner"]

now_ns = time.perf_counter_ns

#: Keys every record has (the benchmarks add their own extras).
RECORD_KEYS = ("bench", "case", "stat", "value", "unit", "baseline", "baseline_value", "ratio", "backend",
               "python", "platform", "cpu_count")


@dataclass(frozen=True)
class Stats:
    """Summary of per-iteration samples: median and the 10th/90th percentiles (the spread)."""

    median: float
    p10: float
    p90: float
    n: int


def percentile(sorted_samples: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) of already sorted samples, linear interpolation between closest ranks."""
    if not sorted_samples:
        raise ValueError("no samples")
    pos = (len(sorted_samples) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_samples) - 1)
    return sorted_samples[lo] + (sorted_samples[hi] - sorted_samples[lo]) * (pos - lo)


def stats(samples: Sequence[float]) -> Stats:
    s = sorted(samples)
    return Stats(percentile(s, 0.5), percentile(s, 0.1), percentile(s, 0.9), len(s))


def empty_loop(n: int) -> int:
    """ns taken by ``for _ in repeat(None, n): pass`` (the loop the benchmarks' loops are built on)."""
    t0 = now_ns()
    for _ in _repeat(None, n):
        pass
    return now_ns() - t0


def interleave(cases: Mapping[str, Callable[[], int]], loops: Mapping[str, int], repeat: int, warmup: int = 1,
               subtract_loop: bool = True, python_loop: Optional[Mapping[str, bool]] = None,
               prime: Optional[Mapping[str, Callable[[], Any]]] = None) -> Dict[str, List[float]]:
    """Time each case ``repeat`` times, interleaved; returns ns per iteration for every repetition.

    ``cases[name]()`` runs its loop of ``loops[name]`` iterations and returns the elapsed ns. Each case runs
    ``warmup`` untimed repetitions first (page faults, caches, lazy initialisation); the order of the cases is
    shuffled every round after the first, so that no case always follows the same one. With ``subtract_loop``
    the median cost of an empty loop of the same length, measured in the same rounds, is subtracted, except
    from the cases that ``python_loop`` maps to False (a loop that runs in C, timed around one call).
    ``prime[name]()``, when given, runs untimed right before each timed repetition of that case (e.g. one copy,
    so that a short loop of large copies starts with its own buffers in the caches, whatever ran before it).
    """
    if repeat < 1:
        raise ValueError("repeat must be >= 1, got %r" % (repeat,))
    python_loop = python_loop or {}
    for _ in range(warmup):
        for fn in cases.values():
            fn()
    samples: Dict[str, List[float]] = {name: [] for name in cases}
    overhead: Dict[int, List[float]] = {n: [] for n in set(loops.values())}
    order = list(cases.items())
    shuffle = random.Random(0x5EED).shuffle
    for r in range(repeat):
        # The order changes every round (a fixed pseudo-random sequence): what a case finds in the caches
        # depends on the case before it (for copies near the L3 size, whose dirty lines it must write back), so
        # a fixed order would favour some cases every time; shuffled, it is noise the median absorbs.
        if r:
            shuffle(order)
        for name, fn in order:
            if prime is not None and name in prime:
                prime[name]()
            samples[name].append(fn() / loops[name])
        if subtract_loop:
            for n in overhead:
                overhead[n].append(empty_loop(n) / n)
    if subtract_loop:
        per_iter = {n: stats(v).median for n, v in overhead.items()}
        samples = {name: [max(v - per_iter[loops[name]], 1e-3) for v in vals] if python_loop.get(name, True)
                   else vals for name, vals in samples.items()}
    return samples


def loop_overhead_ns(n: int, repeat: int = 5) -> float:
    """Median ns per iteration of an empty loop of n iterations."""
    return stats([empty_loop(n) / n for _ in range(repeat)]).median


# Timed loops, one per call shape, so the measured call is a plain call on local names (no ``*args``, no
# closure cells, no attribute lookups). Each factory returns a zero-argument function that runs the loop once
# and returns the elapsed ns.

def loop0(f: Callable[[], Any], n: int) -> Callable[[], int]:
    def run(f: Any = f, n: int = n, it: Any = _repeat, clock: Any = now_ns) -> int:
        t0 = clock()
        for _ in it(None, n):
            f()
        return clock() - t0
    return run


def loop1(f: Callable[[Any], Any], a: Any, n: int) -> Callable[[], int]:
    def run(f: Any = f, a: Any = a, n: int = n, it: Any = _repeat, clock: Any = now_ns) -> int:
        t0 = clock()
        for _ in it(None, n):
            f(a)
        return clock() - t0
    return run


def loop2(f: Callable[[Any, Any], Any], a: Any, b: Any, n: int) -> Callable[[], int]:
    def run(f: Any = f, a: Any = a, b: Any = b, n: int = n, it: Any = _repeat, clock: Any = now_ns) -> int:
        t0 = clock()
        for _ in it(None, n):
            f(a, b)
        return clock() - t0
    return run


def loop3(f: Callable[[Any, Any, Any], Any], a: Any, b: Any, c: Any, n: int) -> Callable[[], int]:
    def run(f: Any = f, a: Any = a, b: Any = b, c: Any = c, n: int = n, it: Any = _repeat,
            clock: Any = now_ns) -> int:
        t0 = clock()
        for _ in it(None, n):
            f(a, b, c)
        return clock() - t0
    return run


def loop5(f: Callable[..., Any], a: Any, b: Any, c: Any, d: Any, e: Any, n: int) -> Callable[[], int]:
    def run(f: Any = f, a: Any = a, b: Any = b, c: Any = c, d: Any = d, e: Any = e, n: int = n, it: Any = _repeat,
            clock: Any = now_ns) -> int:
        t0 = clock()
        for _ in it(None, n):
            f(a, b, c, d, e)
        return clock() - t0
    return run


def loop_pair(make: Callable[[Any, Any], Any], drop: Callable[[Any], Any], a: Any, b: Any,
              n: int) -> Callable[[], int]:
    """``drop(make(a, b))`` n times: a create/destroy pair."""
    def run(make: Any = make, drop: Any = drop, a: Any = a, b: Any = b, n: int = n, it: Any = _repeat,
            clock: Any = now_ns) -> int:
        t0 = clock()
        for _ in it(None, n):
            drop(make(a, b))
        return clock() - t0
    return run


def loop_sync(f: Callable[[Any, Any], Any], a: Any, b: Any, sync: Callable[[], Any], n: int) -> Callable[[], int]:
    """``f(a, b)`` n times, then ``sync()`` once, all timed: n queued asynchronous calls and their completion."""
    def run(f: Any = f, a: Any = a, b: Any = b, sync: Any = sync, n: int = n, it: Any = _repeat,
            clock: Any = now_ns) -> int:
        t0 = clock()
        for _ in it(None, n):
            f(a, b)
        sync()
        return clock() - t0
    return run


_ENV: Optional[Dict[str, Any]] = None


def environment() -> Dict[str, Any]:
    """Backend name, Python version, platform and CPU count (computed once): the keys every record carries."""
    global _ENV
    if _ENV is None:
        from ..._native import backend_info

        _ENV = {
            "backend": backend_info().name,
            "python": "%s %s" % (platform.python_implementation(), platform.python_version()),
            "platform": platform.platform(),
            "cpu_count": os.cpu_count() or 1,
        }
    return _ENV


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(module: str) -> Optional[str]:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:
        return None


def full_environment() -> Dict[str, Any]:
    """:func:`environment` plus what a reader of the figures needs: CPU model, memory, library versions."""
    from ..._native import backend_info

    info = backend_info()
    env: Dict[str, Any] = dict(environment())
    env["cpu_model"] = _cpu_model()
    env["machine"] = platform.machine()
    try:
        env["memory_bytes"] = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        env["memory_bytes"] = None
    try:
        env["load_average"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        env["load_average"] = None
    env["ascendcl_version"] = "%d.%d.%d" % info.version
    env["libraries"] = dict(info.libraries)
    env["versions"] = {name: _version(name) for name in ("acllite", "numpy", "cffi", "onnxruntime", "onnx", "Pillow",
                                                         "matplotlib")}
    return env


class Progress:
    """Progress of a long run on stderr: ``[memcpy 12/40] 4 MiB, 9 s``.

    Off unless enabled (``acllite bench`` enables it when stderr is a terminal, or with ``--progress``). On a
    terminal one line is rewritten in place; elsewhere each step is a line of its own.
    """

    def __init__(self) -> None:
        self.enabled = False
        self._stream: Any = None
        self._tty = False
        self._bench = ""
        self._total = 0
        self._done = 0
        self._t0 = 0.0
        self._width = 0

    def enable(self, stream: Any) -> None:
        self.enabled = True
        self._stream = stream
        self._tty = bool(getattr(stream, "isatty", lambda: False)())

    def start(self, bench: str, total: int) -> None:
        self._bench, self._total, self._done, self._t0 = bench, max(1, total), 0, time.perf_counter()
        self._show("starting")

    def step(self, what: str) -> None:
        """One unit of work is about to run (``what`` names it)."""
        self._show(what)
        self._done += 1

    def finish(self) -> None:
        if not self.enabled:
            return
        self._done = self._total
        self._show("done")
        if self._tty:
            self._stream.write("\n")
            self._stream.flush()
            self._width = 0

    def _show(self, what: str) -> None:
        if not self.enabled:
            return
        line = "[%s %d/%d] %s, %.0f s" % (self._bench, self._done, self._total, what, time.perf_counter() - self._t0)
        if self._tty:
            pad = max(0, self._width - len(line))
            self._stream.write("\r" + line + " " * pad)
            self._width = len(line)
        else:
            self._stream.write(line + "\n")
        self._stream.flush()


#: The progress display every benchmark reports to.
progress = Progress()

#: What the benchmarks of this run skipped, and why (the JSON document's "notes").
notes: List[str] = []


def note(text: str) -> None:
    """Print a note (a skipped case and why) and keep it for the JSON document."""
    print(text)
    if text not in notes:
        notes.append(text)


def record(bench: str, case: str, stat_name: str, value: float, unit: str, baseline_name: str,
           baseline_value: float, **extra: Any) -> Dict[str, Any]:
    """One measurement as a flat dict (keys in the module docstring); ``ratio`` is value / baseline_value."""
    rec: Dict[str, Any] = {
        "bench": bench,
        "case": case,
        "stat": stat_name,
        "value": float(value),
        "unit": unit,
        "baseline": baseline_name,
        "baseline_value": float(baseline_value),
        "ratio": float(value) / float(baseline_value),
    }
    rec.update(environment())
    rec.update(extra)
    return rec


def fmt(x: float, digits: int = 3) -> str:
    """x with ``digits`` significant digits, no exponent for ordinary magnitudes."""
    if x == 0 or not math.isfinite(x):
        return str(x)
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    return "%.*f" % (decimals, x)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], align: Optional[str] = None) -> str:
    """A plain-text table; ``align`` has one 'l' or 'r' per column (default: first left, the rest right)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    align = align or "l" + "r" * (len(headers) - 1)

    def line(r: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(r, widths, align)).rstrip()

    out = [line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)


def banner() -> str:
    env = environment()
    return "backend %s, %s, %s, %d CPU(s)" % (env["backend"], env["python"], env["platform"], env["cpu_count"])
