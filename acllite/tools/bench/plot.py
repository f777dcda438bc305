"""``acllite bench --plot FILE.png``: the results of a run as one figure (matplotlib, rendered headless).

One panel group per benchmark present in the document:

* memcpy: GB/s against copy size on log axes, one panel per direction (H2D, D2H, D2D, H2H), the C memcpy and
  numpy.copyto baselines of the same run drawn in every panel;
* calls: ns per call by path for each call, log scale, the baseline of each call hatched;
* execute: latency of each path over onnxruntime's (x ort, 1 = the baseline) by model and batch, the median
  latency written on each bar;
* dvpp: ms per image by case, Pillow's decode + resize (the baseline) hatched;
* pipeline: images/s by pipeline, Pillow + onnxruntime (the baseline) hatched.

Every bar or point is a median; the whiskers span the 10th to 90th percentile. matplotlib is an optional
dependency (``pip install 'acllite[bench]'``); the Agg backend is used whatever the environment says, so plots
render without a display.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Tuple

__all__ = ["plot"]

_DIRECTIONS = ("H2D", "D2H", "D2D", "H2H")
_BASELINE_STYLE = {"c_memcpy": dict(color="black", linestyle="--", linewidth=2.0, marker=None),
                   "numpy_copyto": dict(color="0.55", linestyle=":", linewidth=2.0, marker=None),
                   "c_memcpy_device": dict(color="0.35", linestyle="-.", linewidth=1.5, marker=None)}


def _size_label(n: float) -> str:
    n = int(n)
    for unit, shift in (("G", 30), ("M", 20), ("K", 10)):
        if n >= 1 << shift:
            return "%d%s" % (n >> shift, unit)
    return "%d" % n


def _memcpy(fig: Any, spec: Any, records: List[Dict[str, Any]]) -> None:
    cases: Dict[str, List[Dict[str, Any]]] = {}
    for r in records:
        cases.setdefault(r["case"], []).append(r)
    sizes = sorted({r["size_bytes"] for r in records})
    sub = spec.subgridspec(2, 2, hspace=0.35, wspace=0.2)
    for i, direction in enumerate(_DIRECTIONS):
        ax = fig.add_subplot(sub[i // 2, i % 2])
        for case, rs in cases.items():
            rs = sorted(rs, key=lambda r: r["size_bytes"])
            if rs[0]["direction"] != direction and case not in ("c_memcpy", "numpy_copyto"):
                continue
            xs = [r["size_bytes"] for r in rs]
            ys = [r["value"] for r in rs]
            lo = [max(r["value"] - r["p10"], 0) for r in rs]
            hi = [max(r["p90"] - r["value"], 0) for r in rs]
            style = dict(_BASELINE_STYLE.get(case, dict(marker="o", markersize=3, linewidth=1.2)))
            label = case + (" (baseline)" if case == rs[0]["baseline"] else " (C, same buffers as D2D)"
                            if case == "c_memcpy_device" else "")
            ax.errorbar(xs, ys, yerr=[lo, hi], label=label, capsize=0, elinewidth=0.8, **style)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(sizes)
        ax.set_xticklabels([_size_label(s) for s in sizes], fontsize=7)
        ax.set_title("memcpy %s" % direction, fontsize=10)
        ax.set_xlabel("bytes per copy", fontsize=8)
        ax.set_ylabel("GB/s", fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6, loc="best")


def _bars(ax: Any, labels: List[str], values: List[float], lows: List[float], highs: List[float],
          baselines: List[bool], xlabel: str, title: str, log: bool = False,
          notes: Any = None, ref: Any = None) -> None:
    ys = list(range(len(labels)))[::-1]
    colors = ["0.8" if b else "C0" for b in baselines]
    bars = ax.barh(ys, values, color=colors, edgecolor="black", linewidth=0.5,
                   xerr=[[max(v - lo, 0) for v, lo in zip(values, lows)], [max(hi - v, 0) for v, hi in zip(values,
                                                                                                         highs)]],
                   error_kw=dict(elinewidth=0.8, capsize=2))
    for bar, b in zip(bars, baselines):
        if b:
            bar.set_hatch("//")
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=7)
    if log:
        ax.set_xscale("log")
    if ref is not None:
        ax.axvline(ref, color="black", linestyle="--", linewidth=1)
    for y, v, text in zip(ys, values, notes or [None] * len(values)):
        ax.text(v, y, " " + (text if text is not None else "%.3g" % v), va="center", fontsize=6)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.grid(True, axis="x", which="both", alpha=0.3)


def _calls(ax: Any, records: List[Dict[str, Any]]) -> None:
    labels, values, lows, highs, base = [], [], [], [], []
    for r in records:
        labels.append("%s / %s" % (r["call"].replace("aclCreateDataBuffer+aclDestroyDataBuffer",
                                                      "create+destroy buffer"), r["path"]))
        values.append(r["value"])
        lows.append(r["p10"])
        highs.append(r["p90"])
        base.append(r["case"] == r["baseline"])
    _bars(ax, labels, values, lows, highs, base, "ns per call (log)", "calls: cost of one call by path", log=True)


def _execute(ax: Any, records: List[Dict[str, Any]]) -> None:
    labels, values, lows, highs, base, notes = [], [], [], [], [], []
    for r in records:
        model = r["model"].split(" (")[0]
        labels.append("%s b%d / %s" % (model, r["batch"], r["path"]))
        values.append(r["ratio"])
        lows.append(r["p10"] / r["baseline_value"])
        highs.append(r["p90"] / r["baseline_value"])
        base.append(r["path"] == "onnxruntime")
        notes.append("%.3gx, %.4g us" % (r["ratio"], r["value"]))
    _bars(ax, labels, values, lows, highs, base, "latency / onnxruntime latency (1 = baseline)",
          "execute: latency over onnxruntime", notes=notes, ref=1.0)


def _simple(ax: Any, records: List[Dict[str, Any]], title: str) -> None:
    labels = [r.get("description") or r["case"] for r in records]
    labels = [t if len(t) <= 48 else t[:45] + "..." for t in labels]
    unit = records[0]["unit"]
    notes = ["%.3g %s, %.2fx" % (r["value"], unit, r["ratio"]) for r in records]
    _bars(ax, labels, [r["value"] for r in records], [r["p10"] for r in records], [r["p90"] for r in records],
          [r["case"] == r["baseline"] for r in records], unit, title, notes=notes)


def plot(doc: Dict[str, Any], path: str) -> List[str]:
    """Render the document's records to ``path`` (PNG); returns the paths written. Raises ImportError without
    matplotlib."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    by: Dict[str, List[Dict[str, Any]]] = {}
    for r in doc["records"]:
        by.setdefault(r["bench"], []).append(r)
    panels: List[Tuple[str, float]] = []  # (bench, height in inches)
    if by.get("memcpy"):
        panels.append(("memcpy", 8.0))
    for bench, per_bar in (("calls", 0.16), ("execute", 0.2), ("dvpp", 0.3), ("pipeline", 0.35)):
        if by.get(bench):
            panels.append((bench, 1.2 + per_bar * len(by[bench])))
    if not panels:
        raise ValueError("no records to plot")
    env = doc.get("environment", {})
    fig = plt.figure(figsize=(12, sum(h for _, h in panels) + 1.3))
    grid = fig.add_gridspec(len(panels), 1, height_ratios=[h for _, h in panels], hspace=0.45)
    titles = {"dvpp": "dvpp: ms per image (JPEG decode + resize)", "pipeline": "pipeline: images per second"}
    for i, (bench, _) in enumerate(panels):
        if bench == "memcpy":
            _memcpy(fig, grid[i], by[bench])
            continue
        ax = fig.add_subplot(grid[i])
        if bench == "calls":
            _calls(ax, by[bench])
        elif bench == "execute":
            _execute(ax, by[bench])
        else:
            _simple(ax, by[bench], titles[bench])
    fig.suptitle("acllite bench, backend %s, %s, %s CPU(s) %s\nmedians, whiskers p10-p90, baselines hatched "
                 "(bars) or dashed (lines)" % (env.get("backend", "?"), env.get("python", "?"),
                                               env.get("cpu_count", "?"), env.get("cpu_model", "")), fontsize=10,
                 y=1 - 0.1 / fig.get_figheight(), va="top")
    fig.subplots_adjust(left=0.26, right=0.95, top=1 - 0.8 / fig.get_figheight(), bottom=0.6 / fig.get_figheight())
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return [path]
