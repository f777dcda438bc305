"""What the mutation runner mutates and which tests are run against each source file.

Groups are what a run samples from evenly (``--sample``); TESTS maps a source file (or the folder it lives in) to
the test files that cover it: a mutant is run against those only, stopping at the first failure.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

#: group -> source files or folders (relative to the repository root)
GROUPS: Dict[str, Tuple[str, ...]] = {
    "emulator": ("csrc/emu",),
    "objects": ("acllite/runtime.py", "acllite/memory.py", "acllite/image.py", "acllite/dvpp.py", "acllite/model.py"),
    "pyacl": ("acllite/pyacl",),
    "atc": ("acllite/tools/atc.py", "acllite/formats/aipp.py"),
    "om": ("acllite/formats/om",),
}

_MATRIX = "tests/test_bad_input_matrix.py"
#: run for every mutant (last: it is quick): tests written for earlier survivors, across modules
ALWAYS = "tests/test_mutation_kills.py"

#: source file or folder -> tests (the most specific key wins)
TESTS: Dict[str, Tuple[str, ...]] = {
    # the emulator's C
    "csrc/emu": ("tests/test_runtime_emulator.py", _MATRIX),
    "csrc/emu/init.c": ("tests/test_runtime_emulator.py", _MATRIX, "tests/test_lifecycle.py"),
    "csrc/emu/json_check.c": ("tests/test_runtime_emulator.py", _MATRIX),
    "csrc/emu/stream.c": ("tests/test_runtime_emulator.py", "tests/test_threads.py", _MATRIX),
    "csrc/emu/memory.c": ("tests/test_runtime_emulator.py", _MATRIX, "tests/test_fuzz_regressions.py"),
    "csrc/emu/memapi.c": ("tests/test_runtime_emulator.py", _MATRIX, "tests/test_objects.py"),
    "csrc/emu/model.c": ("tests/test_model.py", "tests/test_gear_order.py", "tests/test_atc.py", _MATRIX,
                         "tests/test_om.py"),
    "csrc/emu/dataset.c": ("tests/test_model.py", _MATRIX, "tests/test_pyacl.py"),
    "csrc/emu/databuf.c": ("tests/test_model.py", "tests/test_runtime_emulator.py", _MATRIX),
    "csrc/emu/dvpp_codec.c": ("tests/test_dvpp_emulator.py", "tests/test_reference_tables.py",
                              "tests/test_dvpp_image.py", _MATRIX, "tests/test_fuzz_regressions.py"),
    "csrc/emu/dvpp_vpc.c": ("tests/test_dvpp_emulator.py", "tests/test_reference_tables.py",
                            "tests/test_dvpp_image.py", _MATRIX),
    "csrc/emu/dvpp_objects.c": ("tests/test_dvpp_emulator.py", "tests/test_dvpp_image.py", _MATRIX),
    # the objects
    "acllite/runtime.py": ("tests/test_objects.py", _MATRIX, "tests/test_lifecycle.py"),
    "acllite/memory.py": ("tests/test_objects.py", _MATRIX, "tests/test_dvpp_image.py"),
    "acllite/image.py": ("tests/test_dvpp_image.py", "tests/test_reference_tables.py", "tests/test_objects.py",
                         _MATRIX),
    "acllite/dvpp.py": ("tests/test_dvpp_image.py", "tests/test_reference_tables.py", _MATRIX,
                        "tests/test_classify.py"),
    "acllite/model.py": ("tests/test_model.py", "tests/test_gear_order.py", _MATRIX, "tests/test_objects.py"),
    "acllite/errors.py": ("tests/test_error_families.py", "tests/test_objects.py", _MATRIX),
    # pyACL
    "acllite/pyacl": ("tests/test_pyacl.py", _MATRIX),
    # atc and AIPP
    "acllite/tools/atc.py": ("tests/test_atc.py", "tests/test_gear_order.py", "tests/test_reference_tables.py",
                             _MATRIX),
    "acllite/formats/aipp.py": ("tests/test_atc.py", "tests/test_reference_tables.py",
                                "tests/test_fuzz_regressions.py"),
    # the OM reader
    "acllite/formats/om": ("tests/test_om.py", "tests/test_reference_tables.py", "tests/test_gear_order.py",
                           "tests/test_fuzz_regressions.py"),
}


#: tests that cannot pass in the scratch copy (they depend on where the checkout is), with why
DESELECT = {
    "tests/test_pyacl.py::test_environment_wide_opt_in": "the shim's import fallback searches the original tree",
}


def tests_for(source: str) -> List[str]:
    """The tests run against mutants of ``source`` (a path relative to the repository root)."""
    best = None
    for key in TESTS:
        if source == key or source.startswith(key.rstrip("/") + "/"):
            if best is None or len(key) > len(best):
                best = key
    if best is None:
        raise KeyError("no tests are mapped to %s: add it to tests/mutation/targets.py" % source)
    return list(TESTS[best]) + [ALWAYS]
