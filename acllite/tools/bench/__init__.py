"""``acllite bench``: benchmarks with their baselines measured in the same run.

* :mod:`.calls`: ns per cheap call by path (raw binding, checked wrapper, pyACL-compatible module, ctypes, cffi
  without the dispatch table, a no-op C call);
* :mod:`.memcpy`: H2D/D2H/D2D/H2H bandwidth, 1 KiB to 256 MiB, sync and async, pageable and pinned, next to a C
  memcpy and numpy;
* :mod:`.execute`: model execution latency and throughput by batch, acllite against onnxruntime;
* :mod:`.op`: single-operator execution (aclopCast of 1 MiB) against onnxruntime running the same node;
* :mod:`.dvpp`: JPEG decode and resize through DVPP against Pillow;
* :mod:`.pipeline`: images/s of the classify flow against Pillow + onnxruntime.

Each ``run(args)`` prints its tables and returns one record per measurement (keys: :data:`._timing.RECORD_KEYS`
plus extras); :func:`main` runs one or all of them and writes the JSON document (``schema.json``, checked before
it is written), a Markdown report and plots. Compare ratios measured in one run, not absolute figures across
runs or machines.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, Callable, Dict, List, Mapping

from . import _timing as T

#: What ``acllite bench all`` runs, in order.
ALL = ("calls", "memcpy", "execute", "op", "dvpp", "pipeline")

#: Parameters of --quick (a smoke run), applied where the option was not given.
QUICK = {"repeat": 3, "max_size": 64 << 10, "batch": "1", "images": 4}


def document(records: List[Dict[str, Any]], args: argparse.Namespace, benches: List[str]) -> Dict[str, Any]:
    """The JSON document of a run (see schema.json)."""
    options = {k: v for k, v in sorted(vars(args).items()) if k != "func" and isinstance(v, (str, int, float, bool,
                                                                                           type(None)))}
    return {
        "schema": "acllite-bench/1",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "environment": T.full_environment(),
        "options": options,
        "benches": list(benches),
        "notes": list(T.notes),
        "records": records,
    }


def _apply_defaults(args: argparse.Namespace) -> None:
    quick = bool(getattr(args, "quick", False))
    for key, value in QUICK.items():
        if getattr(args, key, None) is None and quick:
            setattr(args, key, value)
    if getattr(args, "max_size", None) is None:
        args.max_size = 256 << 20
    if getattr(args, "batch", None) is None:
        args.batch = "1,8"


def main(args: argparse.Namespace, runners: Mapping[str, Callable[[argparse.Namespace], List[Dict[str, Any]]]]
         ) -> int:
    """``acllite bench WHAT``: run, check the records against the schema, write --json, --markdown, --plot."""
    from . import schema

    if args.progress or (args.progress is None and sys.stderr.isatty()):
        T.progress.enable(sys.stderr)
    _apply_defaults(args)
    if args.what == "report":
        if not args.input:
            sys.stderr.write("acllite bench report: give --input FILE (the JSON of an earlier run)\n")
            return 2
        try:
            with open(args.input) as f:
                doc = json.load(f)
        except (OSError, ValueError) as exc:
            sys.stderr.write("acllite bench report: %s: %s\n" % (args.input, exc))
            return 1
        errors = schema.validate(doc)
        if errors:
            sys.stderr.write("%s does not follow %s:\n%s\n" % (args.input, schema.SCHEMA_ID, "\n".join(errors[:20])))
            return 1
    else:
        benches = list(ALL) if args.what == "all" else [args.what]
        records: List[Dict[str, Any]] = []
        for i, name in enumerate(benches):
            if i:
                print()
            try:
                records += runners[name](args)
            except OSError as exc:  # a file the user named (--model, --input...): one line, not a traceback
                sys.stderr.write("acllite bench %s: %s\n" % (name, exc))
                return 1
        doc = document(records, args, benches)
        schema.check(doc)  # a benchmark that writes a malformed record is a bug: fail before writing
    if args.json:
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
    if args.markdown:
        from . import report

        with open(args.markdown, "w") as f:
            f.write(report.markdown(doc))
    if args.plot:
        from . import plot

        try:
            written = plot.plot(doc, args.plot)
        except ImportError as e:
            sys.stderr.write("acllite bench --plot needs matplotlib (pip install 'acllite[bench]'): %s\n" % e)
            return 1
        for path in written:
            print("plot written: %s" % path)
    return 0
