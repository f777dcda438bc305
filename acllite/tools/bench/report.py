"""``acllite bench --markdown FILE.md``: the results of a run as Markdown tables (what docs/BENCHMARKS.md quotes).

Works on the JSON document alone (``acllite bench report --input run.json --markdown out.md``), so a report
can be made again from an earlier run without timing anything.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Sequence

from . import _timing as T

__all__ = ["markdown", "table", "targets"]


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], align: str = "") -> str:
    """A Markdown table; ``align`` has one 'l' or 'r' per column (default: first left, the rest right)."""
    align = align or "l" + "r" * (len(headers) - 1)
    out = ["| " + " | ".join(headers) + " |",
           "|" + "|".join(":---" if a == "l" else "---:" for a in align) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _spread(r: Dict[str, Any], form: Callable[[float], str] = T.fmt) -> str:
    return "%s-%s" % (form(r["p10"]), form(r["p90"]))


def _calls(records: List[Dict[str, Any]]) -> str:
    rows = [[r["call"], r["path"], T.fmt(r["value"]), _spread(r), "%.2f" % r["ratio"],
             "-" if r["baseline"] == r["case"] else r["baseline"].split("/", 1)[1]] for r in records]
    return table(["call", "path", "ns/call", "p10-p90", "ratio", "vs"], rows, "llrrrl")


def _memcpy(records: List[Dict[str, Any]]) -> str:
    from .memcpy import CASES, SMALL, size_name

    sizes = sorted({r["size_bytes"] for r in records})
    by = {(r["case"], r["size_bytes"]): r for r in records}
    present = [c for c in CASES if any((c, s) in by for s in sizes)]

    def matrix(key: str, form: Callable[[float], str], cols: List[int]) -> str:
        rows = [[c] + [form(by[(c, s)][key]) if (c, s) in by else "-" for s in cols] for c in present]
        return table(["case"] + [size_name(s) for s in cols], rows)

    baseline = records[0]["baseline"]
    out = ["GB/s (each byte counted once):", "", matrix("value", T.fmt, sizes), "",
           "Ratio to %s of the same size in the same run (> 1: faster):" % baseline, "",
           matrix("ratio", lambda v: "%.2f" % v, sizes)]
    small = [s for s in sizes if s <= SMALL]
    if small:
        out += ["", "ns per copy, whole call (Python, binding, runtime, bytes):", "",
                matrix("ns_per_call", lambda v: "%.0f" % v, small)]
    out += ["", "Cases:", ""] + ["* `%s`: %s" % (c, CASES[c][4]) for c in present]
    return "\n".join(out)


def _execute(records: List[Dict[str, Any]]) -> str:
    rows = [[r["model"], r["batch"], r["path"], T.fmt(r["value"]), _spread(r), T.fmt(r["images_per_s"]),
             "-" if r["path"] == "onnxruntime" else "%+.1f" % r["overhead_us"], "%.3f" % r["ratio"]]
            for r in records]
    return table(["model", "batch", "path", "us/call", "p10-p90", "images/s", "us vs ort", "x ort"], rows,
                 "lrlrrrrr")


def _simple(records: List[Dict[str, Any]]) -> str:
    unit = records[0]["unit"]
    rows = [[r.get("description") or r["case"], T.fmt(r["value"]), _spread(r), "%.2f" % r["ratio"]]
            for r in records]
    return table(["case", unit, "p10-p90", "x baseline"], rows)


def targets(doc: Dict[str, Any]) -> List[str]:
    """The issue's target lines, read off the document's records."""
    from . import calls, execute, memcpy, pipeline

    by: Dict[str, List[Dict[str, Any]]] = {}
    for r in doc["records"]:
        by.setdefault(r["bench"], []).append(r)
    out: List[str] = []
    if by.get("memcpy"):
        out += memcpy.target_lines(by["memcpy"])
    if by.get("calls"):
        out += [x for x in calls.summary_lines(by["calls"]) if x.startswith(("target", "floor"))]
    if by.get("execute"):
        out += execute.target_lines(by["execute"])
    if by.get("pipeline"):
        out += pipeline.target_lines(by["pipeline"])
    return out


def markdown(doc: Dict[str, Any]) -> str:
    env = doc["environment"]
    versions = ", ".join("%s %s" % (k, v) for k, v in env["versions"].items() if v)
    out = ["# acllite bench results", "",
           "Run %s; backend %s (AscendCL %s); %s; %s; %d CPU(s), %s; %s GiB of memory; load average at the end %s."
           % (doc["created"], env["backend"], env["ascendcl_version"], env["python"], env["platform"],
              env["cpu_count"], env["cpu_model"], "%.0f" % (env["memory_bytes"] / 2**30) if env["memory_bytes"]
              else "?", " ".join("%.2f" % x for x in env["load_average"] or [])), "",
           "Versions: %s." % versions, "",
           "Every figure is a median; p10-p90 is the spread of the repetitions; ratios compare cases measured "
           "interleaved in the same run.", ""]
    sections = (("calls", _calls), ("memcpy", _memcpy), ("execute", _execute), ("dvpp", _simple),
                ("pipeline", _simple))
    by: Dict[str, List[Dict[str, Any]]] = {}
    for r in doc["records"]:
        by.setdefault(r["bench"], []).append(r)
    for bench, render in sections:
        if by.get(bench):
            out += ["## %s" % bench, "", render(by[bench]), ""]
    lines = targets(doc)
    if lines:
        out += ["## Targets", ""] + ["* %s" % x for x in lines] + [""]
    if doc.get("notes"):
        out += ["## Notes", ""] + ["* %s" % x for x in doc["notes"]] + [""]
    return "\n".join(out)
