"""Run every fuzz target for a bounded number of executions, each in its own process; exit 1 on any finding.

    python tests/fuzz/run_all.py [--runs 2000] [--engine auto|atheris|random] [--seed 1] [--targets jpeg,png]
                                 [--timeout 600] [--artifacts DIR]

CI runs this (``.ci/run``) on the normal build and, with the AddressSanitizer runtime preloaded, on the sanitizer
build. A finding is a target's own failure (status 1: unexpected code, wrong answer, leak, canary), a crash of the
C code (killed by a signal, or an AddressSanitizer/UBSan report), a hang (the per-input watchdog) or a run over
``--timeout`` seconds. The input that caused it is in the artifacts directory (default
``$TMPDIR/acllite-fuzz/<target>/``); replay it with ``python tests/fuzz/fuzz_<target>.py --replay FILE``. For
longer runs see docs/RELIABILITY.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional

HERE = Path(__file__).resolve().parent
TARGETS = ["jpeg", "png", "aipp", "model_load", "memcpy", "pyacl", "model_shapes", "image", "release"]
#: Targets whose inputs are whole programs get a fraction of --runs: a release program starts and stops AscendCL and
#: makes a dozen streams (threads); under AddressSanitizer thread creation slows down as threads accumulate.
RUNS_DIVISOR = {"release": 5}


def run_target(name: str, runs: int, engine: str, seed: int, timeout: float, artifacts: Path,
               extra: Optional[List[str]] = None) -> dict:
    cmd = [sys.executable, str(HERE / ("fuzz_%s.py" % name)), "--runs", str(runs), "--engine", engine,
           "--seed", str(seed), "--artifacts", str(artifacts / name)] + (extra or [])
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, errors="replace")
        code, out = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        code = None
        out = ((exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")) + \
              ((exc.stderr or b"").decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or ""))
    seconds = time.perf_counter() - t0
    m = re.search(r"engine (\w+), (\d+) executions", out) or re.search(r"Done (\d+) runs", out)
    executions = int(m.group(m.lastindex)) if m else 0
    used = m.group(1) if m and m.lastindex == 2 else ("atheris" if "INITED" in out or "Done " in out else engine)
    sanitizer = "AddressSanitizer" in out or "runtime error:" in out or "LeakSanitizer" in out
    ok = code == 0 and not sanitizer
    return {"target": name, "ok": ok, "code": code, "executions": executions, "seconds": seconds, "engine": used,
            "output": out, "sanitizer": sanitizer}


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=2000, help="executions per target (default 2000)")
    p.add_argument("--engine", choices=["auto", "atheris", "random"], default="auto")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--targets", default=",".join(TARGETS), help="comma-separated (default: all)")
    p.add_argument("--timeout", type=float, default=600, help="seconds per target")
    p.add_argument("--artifacts", default=os.path.join(tempfile.gettempdir(), "acllite-fuzz"),
                   help="where findings are written, per target (default: $TMPDIR/acllite-fuzz)")
    a = p.parse_args(argv)
    targets = [t for t in a.targets.split(",") if t]
    unknown = sorted(set(targets) - set(TARGETS))
    if unknown:
        p.error("unknown target(s) %s; known: %s" % (", ".join(unknown), ", ".join(TARGETS)))
    failed = 0
    total = 0
    for name in targets:
        runs = max(1, a.runs // RUNS_DIVISOR.get(name, 1)) if a.runs else 0
        r = run_target(name, runs, a.engine, a.seed, a.timeout, Path(a.artifacts))
        total += r["executions"]
        if r["ok"]:
            print("fuzz %-10s ok      %6d executions, %5.1f s, engine %s" % (name, r["executions"], r["seconds"],
                                                                            r["engine"]), flush=True)
            continue
        failed += 1
        why = ("timed out after %.0f s" % a.timeout if r["code"] is None else
               "killed by signal %d" % -r["code"] if r["code"] < 0 else
               "sanitizer report" if r["sanitizer"] else "exit status %d" % r["code"])
        current = Path(a.artifacts) / name / "current-input"
        if current.exists():  # the random engine's input under way when the process died
            data = current.read_bytes()
            current.rename(current.with_name("crash-" + hashlib.sha1(data).hexdigest()))
        print("fuzz %-10s FAILED  (%s) after %d executions; artifacts in %s" % (name, why, r["executions"],
                                                                              Path(a.artifacts) / name))
        lines = r["output"].strip().splitlines()
        start = next((i for i, line in enumerate(lines) if "AddressSanitizer" in line or "runtime error:" in line
                      or "Uncaught Python exception" in line or "FINDING" in line), max(0, len(lines) - 40))
        print("    " + "\n    ".join(lines[start:start + 60]), flush=True)
    print("fuzz: %d target(s), %d executions, %s" % (len(targets), total, "%d FAILED" % failed if failed else
                                                      "no finding"))
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONFAULTHANDLER", "1")
    sys.exit(main())
