"""The mutation runner: how many small realistic bugs the test suite notices (docs/RELIABILITY.md, "Mutation
testing").

    python tests/mutation/run.py --sample 130 --seed 18 --json mutation.json      # the spread of issue 18
    python tests/mutation/run.py --files acllite/model.py csrc/emu/model.c --sample 40
    python tests/mutation/run.py --list --groups atc                               # what would be mutated

Python mutants come from cosmic-ray's operators (tests/mutation/pymutants.py), C mutants of the emulator from
tests/mutation/cmutants.py. Each mutant is applied to a scratch copy of the checkout (tracked files plus the built
binding and emulator; the real tree is never touched), the emulator's .so is rebuilt for a C mutant (only the
mutated file is recompiled, with setup.py's flags, and relinked), and the tests mapped to the file
(tests/mutation/targets.py) run in a fresh pytest, stopping at the first failure. A failing or crashing run kills
the mutant, so does running past the per-mutant time limit; a mutant that does not compile is not counted.
Mutants listed in tests/mutation/equivalent.json (no observable difference) are reported apart and left out of
the score. Exit status: 0 whatever the score (1 with --fail-under when the score is below it), 2 when the runner
cannot work (the unmutated tree does not build, or its tests fail).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

import cmutants  # noqa: E402
import pymutants  # noqa: E402
import targets  # noqa: E402

#: setup.py's flags for the emulator (without -Werror: a mutant may leave an unused variable behind)
C_FLAGS = ["-std=c11", "-D_DEFAULT_SOURCE", "-fvisibility=hidden", "-O2", "-fPIC", "-Wall", "-Wextra",
           '-DACLLITE_EMU_VERSION="0.1.0"', "-Icsrc/api", "-Icsrc/emu"]
LINK_FLAGS = ["-shared", "-lpthread", "-lm"]
EMULATOR = "acllite/libacllite_emu.so"


class RunnerError(Exception):
    """The runner cannot do its job (exit status 2)."""


@dataclass
class Outcome:
    mutant: Any
    group: str
    status: str  #: killed | survived | timeout | not_built | equivalent
    seconds: float = 0.0
    tests: List[str] = field(default_factory=list)
    detail: str = ""
    reason: str = ""  #: why an equivalent mutant is equivalent

    def diff(self) -> str:
        m = self.mutant
        return "\n".join(["--- a/%s" % m.path, "+++ b/%s" % m.path, "@@ line %d @@" % m.line]
                         + ["-" + x for x in m.before.split("\n")] + ["+" + x for x in m.after.split("\n")])


# --------------------------------------------------------------------------------------------- selection


def _sources(paths: Sequence[str]) -> List[str]:
    out: List[str] = []
    for p in paths:
        full = ROOT / p
        if full.is_dir():
            out += sorted(str(f.relative_to(ROOT)) for f in full.rglob("*")
                          if f.suffix in (".py", ".c") and "__pycache__" not in f.parts)
        elif full.is_file():
            out.append(p)
        else:
            raise RunnerError("%s does not exist" % p)
    return list(dict.fromkeys(out))  # a file in two groups' members (csrc/emu and csrc/emu/op.c) once


def _group_of(path: str, groups: Optional[Sequence[str]] = None) -> str:
    """The group whose member holds ``path`` most specifically (among ``groups`` when given)."""
    best, best_len = "other", -1
    for name, members in targets.GROUPS.items():
        if groups is not None and name not in groups:
            continue
        for m in members:
            if (path == m or path.startswith(m.rstrip("/") + "/")) and len(m) > best_len:
                best, best_len = name, len(m)
    return best


def _expand_groups(names: Sequence[str]) -> List[str]:
    """Group names with the sets (``round2``) replaced by their groups, in order, once each."""
    out: List[str] = []
    for n in names:
        for g in targets.GROUP_SETS.get(n, (n,)):
            if g not in out:
                out.append(g)
    return out


def _candidates(path: str) -> List[Any]:
    text = (ROOT / path).read_text()
    if path.endswith(".c"):
        return list(cmutants.mutants(path, text))
    return list(pymutants.positions(path, text))


def _load_equivalents() -> List[Dict[str, str]]:
    return json.loads((HERE / "equivalent.json").read_text())["mutants"]


def _equivalence(mutant: Any, text: str, equivalents: List[Dict[str, str]]) -> Optional[str]:
    """The reason an equivalent.json entry gives for this mutant, or None."""
    previous = text.split("\n")[mutant.line - 2].strip() if mutant.line > 1 else ""
    for e in equivalents:
        if (e["file"], e["before"].strip(), e["after"].strip()) == (mutant.path, mutant.before.strip(),
                                                                     mutant.after.strip()):
            if "previous" not in e or e["previous"].strip() == previous:
                return e["reason"]
    return None


def _select(sources: List[str], sample: Optional[int], rng: random.Random,
            groups: Optional[Sequence[str]] = None) -> List[Tuple[str, Any]]:
    """(group, candidate) pairs: all of them, or ``sample`` spread evenly over the groups, and within a group
    over its files (round robin over shuffled lists)."""
    by_group: Dict[str, Dict[str, List[Any]]] = {}
    for s in sources:
        cands = _candidates(s)
        rng.shuffle(cands)
        if cands:
            by_group.setdefault(_group_of(s, groups), {})[s] = cands
    if sample is None:
        return [(g, c) for g, files in by_group.items() for cs in files.values() for c in cs]
    groups = sorted(by_group)
    chosen: List[Tuple[str, Any]] = []
    quota = {g: sample // len(groups) + (1 if i < sample % len(groups) else 0) for i, g in enumerate(groups)}
    for g in groups:
        files = [list(cs) for _, cs in sorted(by_group[g].items())]
        rng.shuffle(files)
        taken = 0
        while taken < quota[g] and any(files):
            for cs in files:
                if cs and taken < quota[g]:
                    chosen.append((g, cs.pop()))
                    taken += 1
        # a group with fewer mutants than its quota leaves the rest to the others
    rng.shuffle(chosen)
    return chosen


def _rerun(report: str) -> List[Tuple[str, Any]]:
    """The survivors of an earlier report, made again from the current sources."""
    out: List[Tuple[str, Any]] = []
    for m in json.loads(Path(report).read_text())["mutants"]:
        if m["status"] != "survived":
            continue
        if m["file"].endswith(".c"):
            out.append((m["group"], cmutants.CMutant(m["file"], m["line"], m["kind"], m["before"], m["after"])))
        else:
            out.append((m["group"], pymutants.PyPosition(m["file"], m["position_line"], m["operator"],
                                                         m["occurrence"])))
    return out


# ------------------------------------------------------------------------------------------------ scratch


def _built_parts() -> List[Path]:
    """The compiled binding and emulator the tests import: built in place, else the installed package's."""
    parts = sorted((ROOT / "acllite").glob("_acl_cffi*.so")) + [ROOT / EMULATOR]
    if all(p.is_file() for p in parts) and len(parts) == 2:
        return parts
    import importlib.util

    spec = importlib.util.find_spec("acllite")
    if spec is None or not spec.origin:
        raise RunnerError("acllite is not built: pip install -e '.[test]' (or pip install '.[test]') first")
    pkg = Path(spec.origin).parent
    parts = sorted(pkg.glob("_acl_cffi*.so")) + [pkg / "libacllite_emu.so"]
    if len(parts) != 2 or not all(p.is_file() for p in parts):
        raise RunnerError("no compiled acllite found in %s or %s" % (ROOT / "acllite", pkg))
    return parts


def make_scratch(keep: bool) -> Path:
    scratch = Path(tempfile.mkdtemp(prefix="acllite-mutation-"))
    tree = scratch / "acllite-src"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        src = ROOT / rel
        if src.is_file():
            dst = tree / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    for part in _built_parts():
        shutil.copy2(part, tree / "acllite" / part.name)
    # tests find ../shared/data beside the checkout: make it visible beside the copy too
    shared = next((p / "shared" for p in ROOT.parents if (p / "shared" / "data").is_dir()), None)
    if shared is not None:
        (scratch / "shared").symlink_to(shared)
    return tree


class EmulatorBuilder:
    """Objects of csrc/emu compiled once; a mutant recompiles its file and relinks the .so in the scratch tree."""

    def __init__(self, tree: Path):
        self.tree = tree
        self.objdir = tree.parent / "objects"
        self.objdir.mkdir(exist_ok=True)
        self.sources = sorted((tree / "csrc" / "emu").glob("*.c")) + [self._stub_source(tree)]
        self.objects = {s.name: self.objdir / (s.stem + ".o") for s in self.sources}

    def _stub_source(self, tree: Path) -> Path:
        """The generated stubs of the functions the emulator does not emulate (as setup.py makes them)."""
        sys.path.insert(0, str(tree / "csrc"))
        try:
            import apigen  # type: ignore[import-not-found]
        finally:
            sys.path.pop(0)
        api = apigen.load_api(api_dir=tree / "csrc" / "api")
        path = self.objdir / "not_emulated_generated.c"
        path.write_text(apigen.not_emulated_source(api, apigen.read_not_emulated(tree / "csrc" / "emu" /
                                                                                 "not_emulated.txt")))
        return path

    def _compile(self, source: Path, obj: Path) -> Tuple[bool, str]:
        proc = subprocess.run(["gcc", *C_FLAGS, "-c", str(source), "-o", str(obj)], cwd=self.tree,
                              capture_output=True, text=True)
        return proc.returncode == 0, proc.stderr

    def _link(self, objects: List[Path]) -> Tuple[bool, str]:
        out = self.tree / EMULATOR
        tmp = out.with_suffix(".so.tmp")
        proc = subprocess.run(["gcc", *map(str, objects), "-o", str(tmp), *LINK_FLAGS], cwd=self.tree,
                              capture_output=True, text=True)
        if proc.returncode == 0:
            os.replace(tmp, out)
        return proc.returncode == 0, proc.stderr

    def build_baseline(self) -> None:
        for s in self.sources:
            ok, err = self._compile(s, self.objects[s.name])
            if not ok:
                raise RunnerError("the unmutated emulator does not compile:\n%s" % err)
        ok, err = self._link(list(self.objects.values()))
        if not ok:
            raise RunnerError("the unmutated emulator does not link:\n%s" % err)

    def build_mutant(self, name: str) -> Tuple[bool, str]:
        obj = self.objdir / ("mutant_" + Path(name).stem + ".o")
        ok, err = self._compile(self.tree / "csrc" / "emu" / name, obj)
        if not ok:
            return False, err
        return self._link([obj if n == name else o for n, o in self.objects.items()])

    def restore(self) -> None:
        ok, err = self._link(list(self.objects.values()))
        if not ok:
            raise RunnerError("relinking the unmutated emulator failed:\n%s" % err)


# ---------------------------------------------------------------------------------------------------- runs


def run_tests(tree: Path, tests: List[str], timeout: float) -> Tuple[str, float, str]:
    """("passed" | "failed" | "timeout" | "error", seconds, last lines of output)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACLLITE_")}
    env.update(PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
           "--no-header", "-W", "ignore", *tests]
    for test_id in targets.DESELECT:
        if test_id.split("::")[0] in tests:
            cmd += ["--deselect", test_id]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return "timeout", time.monotonic() - t0, (out or "")[-2000:]
    seconds = time.monotonic() - t0
    tail = "\n".join((out or "").strip().split("\n")[-3:])
    if proc.returncode == 0:
        return "passed", seconds, tail
    if proc.returncode in (4, 5):  # usage error, no tests collected: the runner's fault, not the mutant's
        return "error", seconds, (out or "")[-3000:]
    return "failed", seconds, tail


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="tests/mutation/run.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--groups", nargs="+", choices=sorted(targets.GROUPS) + sorted(targets.GROUP_SETS),
                   help="groups to mutate (default: all); round2 stands for the r2_* groups")
    p.add_argument("--files", nargs="+", help="source files or folders to mutate instead of groups")
    p.add_argument("--sample", type=int, help="this many mutants, spread over the groups and files (default: all)")
    p.add_argument("--seed", type=int, default=18, help="random seed of the sample")
    p.add_argument("--per-mutant", type=float, default=None,
                   help="seconds a mutant's tests may take (default: 3x the unmutated run + 30)")
    p.add_argument("--budget", type=float, default=None, help="stop starting mutants after this many seconds")
    p.add_argument("--json", help="write the report here")
    p.add_argument("--list", action="store_true", help="list the selected mutants, run nothing")
    p.add_argument("--keep", action="store_true", help="keep the scratch copy")
    p.add_argument("--nice", type=int, default=10, help="niceness of the runner and its tests (default 10)")
    p.add_argument("--fail-under", type=float, help="exit 1 when the score is below this (percent)")
    p.add_argument("--rerun", metavar="REPORT",
                   help="run again the mutants that survived in this JSON report (after new tests were added)")
    args = p.parse_args(argv)
    try:
        return _run(args)
    except RunnerError as exc:
        print("mutation runner: %s" % exc, file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    try:
        import cosmic_ray  # noqa: F401
    except ImportError:
        raise RunnerError("cosmic-ray is not installed: pip install 'acllite[mutation]' (cosmic-ray==8.7.0)") from None
    if args.nice:
        os.nice(args.nice)
    rng = random.Random(args.seed)
    groups = _expand_groups(args.groups) if args.groups else None
    paths = args.files or [m for g in (groups or sorted(targets.GROUPS)) for m in targets.GROUPS[g]]
    sources = _sources(paths)
    for s in sources:
        targets.tests_for(s)  # every file has tests before anything runs
    selected = _rerun(args.rerun) if args.rerun else _select(sources, args.sample, rng, groups)
    if args.list:
        for group, cand in selected:
            print("%-8s %s" % (group, cand.description))
        print("%d mutants selected" % len(selected))
        return 0
    equivalents = _load_equivalents()
    tree = make_scratch(args.keep)
    print("scratch copy: %s" % tree.parent, flush=True)
    outcomes: List[Outcome] = []
    not_run = 0
    try:
        builder = None
        if any(c.path.endswith(".c") for _, c in selected):
            builder = EmulatorBuilder(tree)
            t0 = time.monotonic()
            builder.build_baseline()
            print("emulator built in the scratch copy (%.1f s)" % (time.monotonic() - t0), flush=True)
        baseline: Dict[Tuple[str, ...], float] = {}
        for group, cand in selected:
            if budget_spent(args, started):
                not_run += 1
                continue
            outcome = _one(tree, builder, group, cand, equivalents, baseline, args)
            if outcome is None:
                continue
            outcomes.append(outcome)
            print("%-10s %5.1fs  %s" % (outcome.status, outcome.seconds, outcome.mutant.description), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(tree.parent, ignore_errors=True)
    return _report(outcomes, not_run, args, time.monotonic() - started)


def budget_spent(args: argparse.Namespace, started: float) -> bool:
    return args.budget is not None and time.monotonic() - started > args.budget


def _one(tree: Path, builder: Optional[EmulatorBuilder], group: str, cand: Any,
         equivalents: List[Dict[str, str]], baseline: Dict[Tuple[str, ...], float],
         args: argparse.Namespace) -> Optional[Outcome]:
    target = tree / cand.path
    original = target.read_text()
    mutant = pymutants.materialize(cand, original) if isinstance(cand, pymutants.PyPosition) else cand
    if mutant is None:
        return None  # the operator changes nothing here
    reason = _equivalence(mutant, original, equivalents)
    if reason is not None:
        return Outcome(mutant, group, "equivalent", reason=reason)
    tests = targets.tests_for(mutant.path)
    key = tuple(tests)
    if key not in baseline:
        status, seconds, tail = run_tests(tree, tests, 1800)
        if status != "passed":
            raise RunnerError("the unmutated tests fail (%s):\n%s" % (" ".join(tests), tail))
        baseline[key] = seconds
        print("baseline   %5.1fs  %s" % (seconds, " ".join(tests)), flush=True)
    timeout = args.per_mutant or 3 * baseline[key] + 30
    try:
        target.write_text(mutant.apply(original))
        if isinstance(mutant, cmutants.CMutant):
            assert builder is not None
            built, err = builder.build_mutant(Path(mutant.path).name)
            if not built:
                return Outcome(mutant, group, "not_built", tests=tests, detail=err[-500:])
        status, seconds, tail = run_tests(tree, tests, timeout)
    finally:
        target.write_text(original)
        if isinstance(mutant, cmutants.CMutant) and builder is not None:
            builder.restore()
    if status == "error":
        raise RunnerError("pytest could not run %s:\n%s" % (" ".join(tests), tail))
    verdict = {"passed": "survived", "failed": "killed", "timeout": "timeout"}[status]
    return Outcome(mutant, group, verdict, seconds, tests, tail)


def _identity(mutant: Any) -> Dict[str, Any]:
    if isinstance(mutant, pymutants.PyMutant):
        return {"operator": mutant.operator, "occurrence": mutant.occurrence, "position_line": mutant.position_line}
    return {}


def _report(outcomes: List[Outcome], not_run: int, args: argparse.Namespace, elapsed: float) -> int:
    counts: Dict[str, int] = {"not_run": not_run} if not_run else {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    killed = counts.get("killed", 0) + counts.get("timeout", 0)
    survived = counts.get("survived", 0)
    score = 100.0 * killed / (killed + survived) if killed + survived else 100.0
    per_group: Dict[str, Dict[str, int]] = {}
    for o in outcomes:
        per_group.setdefault(o.group, {}).setdefault(o.status, 0)
        per_group[o.group][o.status] += 1
    print()
    for o in outcomes:
        if o.status == "survived":
            print("SURVIVED %s\n%s\n" % (o.mutant.description, o.diff()))
    for o in outcomes:
        if o.status == "equivalent":
            print("equivalent %s: %s" % (o.mutant.description, o.reason))
    print("\nby group: %s" % ", ".join("%s %s" % (g, dict(sorted(c.items()))) for g, c in sorted(per_group.items())))
    print("mutants: %d run, %d killed (%d by timeout), %d survived, %d equivalent, %d not built, %d not run "
          "(budget); %.1f min" % (killed + survived, killed, counts.get("timeout", 0), survived,
                                  counts.get("equivalent", 0), counts.get("not_built", 0), counts.get("not_run", 0),
                                  elapsed / 60))
    print("mutation score: %.1f%% (killed / (killed + survived); equivalent and not built excluded)" % score)
    if args.json:
        report = {
            "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "seed": args.seed, "sample": args.sample,
            "groups": args.groups, "files": args.files, "seconds": round(elapsed, 1), "counts": counts,
            "score": round(score, 2), "by_group": per_group,
            "mutants": [dict({"file": o.mutant.path, "line": o.mutant.line, "kind": o.mutant.kind, "group": o.group,
                              "status": o.status, "seconds": round(o.seconds, 2), "tests": o.tests, "diff": o.diff(),
                              "before": o.mutant.before, "after": o.mutant.after, "reason": o.reason,
                              "detail": o.detail if o.status != "killed" else ""}, **_identity(o.mutant))
                        for o in outcomes],
        }
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
    if args.fail_under is not None and score < args.fail_under:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
