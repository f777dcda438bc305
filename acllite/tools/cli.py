"""The ``acllite`` command: ``info``, ``bench {calls,memcpy,execute,dvpp,pipeline,all,report}``, ``inspect``,
``atc``, ``classify``, ``pyacl``, ``serve``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict, List, Optional


def _api_report() -> Dict[str, Any]:
    """``info --api``: bound / emulated / tested per real header (from the table docs/API_COVERAGE.md is made of) and
    the bound functions the loaded backend lacks."""
    import acllite
    from acllite.binding import prototypes
    from .coverage import read_table, summary_counts

    table = read_table()
    per_header = summary_counts(table)
    info = acllite.backend_info()
    listed = {r["function"] for r in table}
    return {"headers": per_header, "backend": info.name, "missing": list(info.missing),
            "unlisted": sorted(n for n, p in prototypes.items() if n not in listed and p.library != "emulator")}


def _print_api(report: Dict[str, Any]) -> None:
    print("%-26s %6s %9s %7s %9s" % ("header", "bound", "emulated", "tested", "samples"))
    for h in report["headers"]:
        print("%-26s %6d %9d %7d %9s" % (h["header"], h["bound"], h["emulated"], h["tested"],
                                         "%d/%d" % (h["samples_emulated"], h["samples"])))
    print("emulated: implemented by the emulator; tested: a test calls it (or its pyACL function) by name; samples: of "
          "the functions the Ascend samples call, emulated/all. Per function: docs/API_COVERAGE.md.")
    if report["backend"] != "emulator":
        missing = report["missing"]
        print("%s: %d bound function(s) absent from the loaded CANN libraries%s" % (
            report["backend"], len(missing), ": " + ", ".join(missing) if missing else ""))
    if report["unlisted"]:
        print("not in the coverage table (regenerate it): %s" % ", ".join(report["unlisted"]))


def _info(args: argparse.Namespace) -> int:
    import acllite

    if args.api:
        report = _api_report()
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            _print_api(report)
        return 0
    info = acllite.backend_info()
    report = {
        "backend": info.name,
        "libraries": info.libraries,
        "ascendcl_version": "%d.%d.%d" % info.version,
        "missing_functions": list(info.missing),
        "run_mode": "ACL_HOST" if acllite.run_mode() == 1 else "ACL_DEVICE",
    }
    from .devices import physical_ids

    with acllite.init():
        report["soc_name"] = acllite.soc_name()
        try:
            report["device_count"] = acllite.device_count()
        except acllite.AclError as exc:  # e.g. ASCEND_RT_VISIBLE_DEVICES leaves no device: say why
            report["device_count"], report["no_device"] = 0, " ".join(str(exc).split())
        devices = []
        for i, physical in enumerate(physical_ids(report["device_count"])):
            with acllite.Device(i) as dev:
                free, total = dev.memory_info()
                devices.append({"id": i, "physical_id": physical, "memory_free": free, "memory_total": total})
        report["devices"] = devices
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print("backend:       %s" % report["backend"])
    for group, path in info.libraries.items():
        print("  %-12s %s" % (group + ":", path))
    print("AscendCL:      %s" % report["ascendcl_version"])
    if info.missing:
        print("missing:       %s" % ", ".join(info.missing))
    print("run mode:      %s" % report["run_mode"])
    print("SoC:           %s" % report["soc_name"])
    print("devices:       %d%s" % (report["device_count"], "  (%s)" % report["no_device"] if "no_device" in report
                                       else ""))
    for d in devices:
        print("  device %d -> physical %s:  %.1f GiB total, %.1f GiB free" % (
            d["id"], "?" if d["physical_id"] is None else d["physical_id"], d["memory_total"] / 2**30,
            d["memory_free"] / 2**30))
    return 0


def _bench(args: argparse.Namespace) -> int:
    from . import bench
    from .bench import calls, dvpp, execute, memcpy, op, pipeline, serve, soak, video

    runners = {"memcpy": memcpy.run, "calls": calls.run, "execute": execute.run, "op": op.run, "dvpp": dvpp.run,
               "pipeline": pipeline.run, "soak": soak.run, "serve": serve.run, "video": video.run}
    return bench.main(args, runners)  # runs, checks the records against the schema, writes --json/--plot/...


def _inspect(args: argparse.Namespace) -> int:
    from .inspect import main as inspect_main

    return inspect_main(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="acllite", description="AscendCL from Python, on a device or the emulator")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("classify", help="classify photos through the full ACL flow (acllite classify --help)",
                   add_help=False)
    sub.add_parser("pyacl", help="run a pyACL program with `import acl` resolving to acllite (acllite pyacl --help)",
                   add_help=False)
    sub.add_parser("atc", help="ATC's command line: ONNX (+AIPP config) -> a model the emulator runs "
                   "(acllite atc --help)", add_help=False)
    sub.add_parser("serve", help="serve the classifier on Ray Serve, one replica per NPU (acllite serve --help)",
                   add_help=False)
    info = sub.add_parser("info", help="backend, libraries, versions, SoC, devices and memory")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.add_argument("--api", action="store_true", help="the AscendCL functions bound, emulated and tested, per "
                      "header, and those the loaded CANN lacks")
    info.set_defaults(func=_info)
    bench = sub.add_parser("bench", help="microbenchmarks (medians, with baselines measured in the same run)")
    bench.add_argument("what", choices=["calls", "memcpy", "execute", "op", "dvpp", "pipeline", "soak", "serve",
                                        "video", "all", "report"],
                       help="all: calls, memcpy, execute, op, dvpp, pipeline; video: VDEC against PyAV and batch VPC "
                            "(needs PyAV); report: render --input again")
    bench.add_argument("--json", metavar="FILE", help="write the records (docs/BENCHMARKS.md has the schema) to FILE")
    bench.add_argument("--plot", metavar="FILE.png", help="plot the results (needs matplotlib: acllite[bench])")
    bench.add_argument("--markdown", metavar="FILE.md", help="write the results as Markdown tables")
    bench.add_argument("--input", metavar="FILE", help="report: the JSON of an earlier run")
    bench.add_argument("--progress", action="store_true", default=None,
                       help="show progress on stderr (default: when stderr is a terminal)")
    bench.add_argument("--quick", action="store_true", help="small parameters: a smoke run, not figures to quote")
    bench.add_argument("--repeat", type=int, default=None, help="timed repetitions per measurement")
    bench.add_argument("--min-size", type=int, default=1 << 10, help="smallest memcpy size in bytes (1 KiB)")
    bench.add_argument("--max-size", type=int, default=None, help="largest memcpy size in bytes (256 MiB; --quick: "
                       "64 KiB)")
    bench.add_argument("--model", help="execute: an ONNX model to time (default: a small model and EfficientNet-Lite0)")
    bench.add_argument("--batch", default=None, help="execute: batch sizes, comma-separated (default 1,8; --quick: 1)")
    bench.add_argument("--images", type=int, default=None, help="pipeline: images per round (default 48); serve: "
                       "requests per round at C=8 and 32 (default 160)")
    bench.add_argument("--image-dir", default=None, help="pipeline: JPEGs to cycle (default: examples/images)")
    bench.add_argument("--workers", type=int, default=None, help="pipeline: threads of the overlapped flow (2)")
    bench.add_argument("--iterations", type=int, default=None, help="soak: classify iterations (default 2000)")
    bench.add_argument("--replicas", default=None, help="serve: replica counts, comma-separated (default 1,2; "
                       "--quick: 1)")
    bench.set_defaults(func=_bench)
    inspect = sub.add_parser("inspect", help="describe an .om (read without CANN) or an ONNX model: inputs, outputs, "
                             "gears, AIPP, platform")
    inspect.add_argument("model", help="an .om file, or an ONNX model as the emulator describes it")
    inspect.add_argument("--json", action="store_true", help="print JSON")
    inspect.set_defaults(func=_inspect)
    return p


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["atc"]:  # ATC's own option syntax (--key=value), parsed by acllite.atc
        from . import atc

        return atc.main(argv[1:])
    if argv[:1] == ["pyacl"]:  # the program's own arguments follow: parsed by acllite.pyacl.__main__
        from ..pyacl.__main__ import main as pyacl_main

        return pyacl_main(argv[1:])
    if argv[:1] == ["classify"]:
        from . import classify

        return classify.main(argv[1:])
    if argv[:1] == ["serve"]:
        from .serve.cli import main as serve_main

        return serve_main(argv[1:])
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
