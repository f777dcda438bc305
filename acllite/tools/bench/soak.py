"""``acllite bench soak --iterations N``: the full classify flow N times; does anything grow?

One :class:`acllite.tools.classify.Classifier` (init, device, stream, model, executor, DVPP channel) classifies
the photographs of examples/images (or ``--image-dir``), cycled, N times: per iteration a JPEG is read, decoded by
JPEGD into DVPP memory, resized by VPC, run through the model (AIPP) and the logits copied back, and every
per-image resource (images, DVPP buffers, picture descriptions) is released again. At about twenty checkpoints
the benchmark reads

* the resident set size (``/proc/self/statm``: resident pages x page size; Linux only, else ``ru_maxrss``),
* the page tables (``VmPTE``: not part of the RSS),
* the emulator's live resources (:func:`acllite.emulator_live_counts`: allocations and bytes by memory kind,
  descriptions, data buffers, datasets, streams...),

and reports the growth after warm-up (the first 10 % of the iterations, at least 50 and at most 1,000: caches,
arenas and onnxruntime's allocator settle there). The RSS is sampled after every iteration; because it moves by
a few MiB between iterations (DVPP pages handed back to the OS, allocator free lists), growth is measured on
the floor: the minimum RSS of the last checkpoint window against that of the first window after warm-up. The
target is a flat line: live counts identical at every checkpoint and RSS growth below 1 MiB over 20,000
iterations. The garbage collector is left alone (no ``gc.collect()``): what the flow leaves to it shows up as
growth. After the run the classifier is closed and the emulator's leak report must be empty.

Records: ``rss at K`` per checkpoint (MiB; the baseline is the RSS floor of the first window after warm-up;
``p10``/``p90`` are the window's minimum and maximum), with the live counts as extras, and one ``iterations/s``
record. The growth figures are extras (``growth_bytes``; on the last record also ``growth_per_1000_bytes``,
``peak_growth_bytes``, ``live_flat``, ``leak_report``) because a growth may be zero or negative while a
record's value must be positive.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from . import _timing as T

DEFAULT_ITERATIONS = 2000
CHECKPOINTS = 20
TARGET_GROWTH_BYTES = 1 << 20  # over 20,000 iterations, after warm-up
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int:
    """Resident set size now (Linux: /proc/self/statm), else the peak (ru_maxrss)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def page_table_bytes() -> int:
    """VmPTE of /proc/self/status (page tables: not in the RSS, but memory the process costs); 0 elsewhere."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmPTE:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def warmup_iterations(n: int) -> int:
    return max(1, min(n - 1, max(50, min(1000, n // 10)))) if n > 1 else 0


def _images(directory: Optional[str] = None) -> List[Path]:
    """``directory`` (``--image-dir``), else examples/images of the working directory or the checkout."""
    candidates = [Path(directory)] if directory else [Path("examples") / "images",
                                                       Path(__file__).resolve().parents[3] / "examples" / "images"]
    for root in candidates:
        paths = sorted(root.glob("*.jpg"))
        if paths:
            return paths
    raise FileNotFoundError("no JPEG images in %s: run from the checkout or give --image-dir" % " or ".join(
        str(c) for c in candidates))


def _live_summary(live: Dict[str, int]) -> str:
    return "%d/%d/%d" % (live.get("deviceAllocations", 0), live.get("hostAllocations", 0),
                         live.get("dvppAllocations", 0))


def run(args: argparse.Namespace) -> List[Dict[str, Any]]:
    import acllite
    from ..classify import Classifier, prepare_demo_model

    n = int(getattr(args, "iterations", None) or DEFAULT_ITERATIONS)
    if n < 2:
        raise ValueError("--iterations must be at least 2, got %d" % n)
    model = prepare_demo_model()
    images = _images(getattr(args, "image_dir", None))
    emulator = acllite.backend_info().name == "emulator"
    warm = warmup_iterations(n)
    step = max(1, (n - warm) // CHECKPOINTS)
    marks = sorted({warm} | set(range(warm + step, n + 1, step)) | {n})
    print(T.banner())
    print("soak: %d iterations of the classify flow (%s; %d photographs cycled), warm-up %d" % (
        n, model.name, len(images), warm))
    points: List[Dict[str, Any]] = []
    with Classifier(model) as clf:
        t0 = time.perf_counter()
        k, lo, hi = 0, None, 0
        for i in range(1, n + 1):
            clf.classify(images[i % len(images)], top=1)
            rss = rss_bytes()
            lo, hi = rss if lo is None else min(lo, rss), max(hi, rss)
            if i == marks[k]:
                k += 1
                points.append({"iteration": i, "seconds": time.perf_counter() - t0, "rss": rss, "rss_min": lo,
                               "rss_max": hi, "pte": page_table_bytes(),
                               "live": acllite.emulator_live_counts() if emulator else {}})
                lo, hi = None, 0
        elapsed = time.perf_counter() - t0
    leaks = dict(clf.leaks) if emulator else {}  # the device's reset and aclFinalize, added up
    leaked = {k: v for k, v in leaks.items() if v}

    # The RSS moves by a few MiB from one iteration to the next (DVPP pages handed back to the OS, the
    # allocators' free lists): compare the floors (minimum RSS) of the first window after warm-up and the last.
    after = [p for p in points if p["iteration"] > warm] or points[-1:]
    base = after[0]
    rows, records = [], []
    for p in points:
        live = p["live"]
        rows.append([p["iteration"], "%.1f" % p["seconds"], "%.1f" % (p["rss_min"] / 2**20),
                     "%.1f" % (p["rss_max"] / 2**20),
                     "%+.0f" % ((p["rss_min"] - base["rss_min"]) / 1024) if p["iteration"] > warm else "(warm-up)",
                     p["pte"] // 1024,
                     _live_summary(live) if live else "-", live.get("deviceBytes", "-") if live else "-",
                     live.get("dvppDescs", "-") if live else "-"])
        records.append(T.record("soak", "rss at %d" % p["iteration"], "median", p["rss"] / 2**20, "MiB",
                                "rss floor after warm-up", base["rss_min"] / 2**20, p10=p["rss_min"] / 2**20,
                                p90=max(p["rss_max"], p["rss"]) / 2**20, repeat=1, iteration=p["iteration"],
                                seconds=p["seconds"], rss_bytes=p["rss"], rss_min_bytes=p["rss_min"],
                                rss_max_bytes=p["rss_max"], growth_bytes=p["rss_min"] - base["rss_min"],
                                page_table_bytes=p["pte"], live=live))
    print(T.format_table(["iteration", "s", "RSS min MiB", "RSS max MiB", "dRSS floor KiB", "PTE KiB",
                          "live dev/host/dvpp", "device bytes", "dvpp descs"], rows))
    last = points[-1]
    growth = last["rss_min"] - base["rss_min"]
    peak_growth = last["rss_max"] - base["rss_max"]
    span = last["iteration"] - base["iteration"]
    per_1000 = growth * 1000.0 / span if span else 0.0
    lives = [p["live"] for p in after]
    flat = all(lv == lives[0] for lv in lives)
    records[-1].update(growth_per_1000_bytes=per_1000, peak_growth_bytes=peak_growth, live_flat=flat,
                       leak_report=leaks, warmup=warm)
    rate = n / elapsed
    records.append(T.record("soak", "iterations/s", "median", rate, "iterations/s", "iterations/s", rate, p10=rate,
                            p90=rate, repeat=1, iterations=n, seconds=elapsed))
    print("RSS floor growth after warm-up: %+.1f KiB over %d iterations (%+.2f KiB per 1000); peak %+.1f KiB; "
          "target < 1 MiB over 20,000" % (growth / 1024, span, per_1000 / 1024, peak_growth / 1024))
    print("live emulator resources %s after warm-up; leak report after close: %s; %.1f iterations/s" % (
        "identical at every checkpoint" if flat else "CHANGED between checkpoints", leaked or "empty", rate))
    return records
