"""The mutation runner's own parts (tests/mutation): the C mutant generator stays conservative, every mutated
file has tests mapped that exist, and the equivalent list is well formed. The runner itself is exercised by the
CI sample (docs/RELIABILITY.md, "Mutation testing")."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "mutation"))

import cmutants  # noqa: E402
import targets  # noqa: E402

SAMPLE = r'''#include <stdio.h>
#define LIMIT(x) ((x) < 4 ? \
                  (x) : 4)
static int table[] = {1, 2, 3};
/* if (a < b) return 1; -- a comment */
static int f(int a, int b, const char *s) {
    int n = a < b ? a : b;
    if (a <= b && s[0] != '<') return emu_fail(ACL_ERROR_INVALID_PARAM, "f", "a < b: %d", a);
    g(a, "x > y");
    b = a + 1;
    return n;
}
'''


def _by_kind(text: str) -> dict:
    out: dict = {}
    for m in cmutants.mutants("x.c", text):
        out.setdefault(m.kind, []).append((m.line, m.after.strip()))
    return out


def test_c_generator_mutates_code_only() -> None:
    kinds = _by_kind(SAMPLE)
    assert kinds["rel"] == [(7, "int n = a <= b ? a : b;"),
                            (8, "if (a < b && s[0] != '<') return emu_fail(ACL_ERROR_INVALID_PARAM, \"f\", "
                                "\"a < b: %d\", a);"),
                            (8, "if (a <= b && s[0] == '<') return emu_fail(ACL_ERROR_INVALID_PARAM, \"f\", "
                                "\"a < b: %d\", a);")]
    assert [after for _, after in kinds["logic"]] == [
        "if (a <= b || s[0] != '<') return emu_fail(ACL_ERROR_INVALID_PARAM, \"f\", \"a < b: %d\", a);"]
    assert kinds["check"] == [(8, "if (0 && (a <= b && s[0] != '<')) return emu_fail(ACL_ERROR_INVALID_PARAM, "
                                  "\"f\", \"a < b: %d\", a);")]
    assert [after for _, after in kinds["code"]] == [
        "if (a <= b && s[0] != '<') return emu_fail(ACL_ERROR_RT_PARAM_INVALID, \"f\", \"a < b: %d\", a);"]
    assert kinds["drop"] == [(9, ";"), (10, ";")]  # not the declaration of n, not the return
    # nothing in comments, strings, macros or top-level initializers
    assert {line for ms in kinds.values() for line, _ in ms} == {7, 8, 9, 10}


def test_c_mutants_apply_to_their_line_only() -> None:
    text = SAMPLE
    for m in cmutants.mutants("x.c", text):
        mutated = m.apply(text).split("\n")
        original = text.split("\n")
        assert [i for i, (a, b) in enumerate(zip(original, mutated)) if a != b] == [m.line - 1]


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_a_sample_of_emulator_mutants_compiles() -> None:
    """The generator's output is C: 12 random mutants of csrc/emu pass gcc -fsyntax-only."""
    rng = random.Random(7)
    sources = sorted((ROOT / "csrc" / "emu").glob("*.c"))
    # a file of declarations only (nothing to mutate) is skipped, not drawn
    mutable = [(s, m) for s in sources for m in [list(cmutants.mutants(str(s.relative_to(ROOT)), s.read_text()))] if m]
    assert len(mutable) >= len(sources) - 3
    for _ in range(12):
        src, candidates = rng.choice(mutable)
        mutant = rng.choice(candidates)
        proc = subprocess.run(["gcc", "-std=c11", "-D_DEFAULT_SOURCE", '-DACLLITE_EMU_VERSION="0.1.0"',
                               "-fsyntax-only", "-w", "-Icsrc/api",
                               "-Icsrc/emu", "-x", "c", "-"], input=mutant.apply(src.read_text()), cwd=ROOT,
                              capture_output=True, text=True)
        assert proc.returncode == 0, "%s:\n%s" % (mutant.description, proc.stderr[-2000:])


def test_every_mutated_file_has_existing_tests() -> None:
    for group, members in targets.GROUPS.items():
        for member in members:
            path = ROOT / member
            files = [path] if path.is_file() else [p for p in path.rglob("*") if p.suffix in (".py", ".c")]
            assert files, (group, member)
            for f in files:
                for test in targets.tests_for(str(f.relative_to(ROOT))):
                    assert (ROOT / test).is_file(), (f, test)
    for test_id in targets.DESELECT:
        assert (ROOT / test_id.split("::")[0]).is_file(), test_id


def test_equivalent_mutants_say_why() -> None:
    data = json.loads((ROOT / "tests" / "mutation" / "equivalent.json").read_text())
    for e in data["mutants"]:
        assert (ROOT / e["file"]).is_file(), e
        assert e["before"].strip() != e["after"].strip() and len(e["reason"]) > 20, e
        assert e["before"].strip() in (ROOT / e["file"]).read_text(), "no longer in %s: %s" % (e["file"], e["before"])
