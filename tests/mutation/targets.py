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
    # round two (issues 12-17): the code added since the first run; a file in one of these and in a group above
    # belongs to the most specific member (csrc/emu/op.c is r2_c_op, not emulator)
    "r2_c_runtime": ("csrc/emu/base.c", "csrc/emu/device_info.c", "csrc/emu/peer.c", "csrc/emu/exception.c",
                     "csrc/emu/settings.c", "csrc/emu/files.c"),
    "r2_c_op": ("csrc/emu/op.c", "csrc/emu/tensor_desc.c"),
    "r2_c_video": ("csrc/emu/dvpp_vdec.c", "csrc/emu/dvpp_venc.c", "csrc/emu/dvpp_video.c", "csrc/emu/dvpp_vpc.c"),
    "r2_emulator_py": ("acllite/emulator/engine.py", "acllite/emulator/ops.py", "acllite/emulator/video.py",
                       "acllite/emulator/codec.py", "acllite/emulator/checks.py", "acllite/emulator/_extern.py"),
    "r2_formats": ("acllite/formats/singleop.py", "acllite/formats/om/_writer.py"),
    "r2_video": ("acllite/video.py",),
    "r2_lifecycle": ("acllite/_lifecycle.py",),
    # the model and VPC code that landed after round two's run (issues 15 and 16: load options, shape gears,
    # dynamic AIPP, the remaining VPC operations)
    "r2_models": ("csrc/emu/model_load.c", "csrc/emu/model_dynamic.c", "csrc/emu/model_aipp.c",
                  "csrc/emu/dvpp_vpc_ops.c", "acllite/tools/atc_gears.py"),
}

#: names that stand for several groups on the command line (``--groups round2``)
GROUP_SETS: Dict[str, Tuple[str, ...]] = {
    "round2": tuple(g for g in GROUPS if g.startswith("r2_")),
}

_MATRIX = "tests/test_bad_input_matrix.py"
#: tests written for the survivors of round two's run (first: quick, and they target these files)
_R2 = "tests/test_mutation_kills_r2.py"
#: run for every mutant (last: it is quick): tests written for earlier survivors, across modules
ALWAYS = "tests/test_mutation_kills.py"

#: source file or folder -> tests (the most specific key wins)
TESTS: Dict[str, Tuple[str, ...]] = {
    # the emulator's C
    "csrc/emu": ("tests/test_runtime_emulator.py", _MATRIX),
    "csrc/emu/init.c": ("tests/test_runtime_emulator.py", _MATRIX, "tests/test_lifecycle.py"),
    "csrc/emu/device.c": ("tests/test_runtime_emulator.py", "tests/test_visible_devices.py", _MATRIX),
    "csrc/emu/json_check.c": ("tests/test_runtime_emulator.py", "tests/test_reliability_c.py", _MATRIX),
    "csrc/emu/stream.c": ("tests/test_runtime_emulator.py", "tests/test_threads.py", _MATRIX),
    "csrc/emu/memory.c": ("tests/test_runtime_emulator.py", _MATRIX, "tests/test_fuzz_regressions.py"),
    "csrc/emu/memapi.c": ("tests/test_runtime_emulator.py", _MATRIX, "tests/test_objects.py"),
    "csrc/emu/model.c": ("tests/test_model.py", "tests/test_gear_order.py", "tests/test_atc.py", _MATRIX,
                         "tests/test_om.py"),
    "csrc/emu/dataset.c": ("tests/test_model.py", _MATRIX, "tests/test_pyacl.py"),
    "csrc/emu/databuf.c": ("tests/test_model.py", "tests/test_runtime_emulator.py", _MATRIX),
    "csrc/emu/dvpp_codec.c": ("tests/test_dvpp_emulator.py", "tests/test_reference_tables.py",
                              "tests/test_dvpp_image.py", _MATRIX, "tests/test_fuzz_regressions.py"),
    "csrc/emu/dvpp_vpc.c": (_R2, "tests/test_dvpp_emulator.py", "tests/test_reference_tables.py",
                            "tests/test_dvpp_image.py", _MATRIX, "tests/test_video_objects.py"),
    "csrc/emu/dvpp_objects.c": ("tests/test_dvpp_emulator.py", "tests/test_dvpp_image.py", _MATRIX),
    # round two's C
    "csrc/emu/base.c": (_R2, "tests/test_runtime_more.py"),
    "csrc/emu/device_info.c": (_R2, "tests/test_runtime_more.py", "tests/test_runtime_emulator.py", _MATRIX),
    "csrc/emu/peer.c": (_R2, "tests/test_runtime_more.py", "tests/test_runtime_emulator.py"),
    "csrc/emu/exception.c": (_R2, "tests/test_runtime_more.py", "tests/test_runtime_emulator.py"),
    "csrc/emu/settings.c": (_R2, "tests/test_runtime_more.py", "tests/test_runtime_emulator.py"),
    "csrc/emu/files.c": (_R2, "tests/test_reliability_c.py", "tests/test_runtime_emulator.py", "tests/test_model.py"),
    "csrc/emu/tensor_desc.c": (_R2, "tests/test_tensor_desc.py", "tests/test_single_op_flows.py", _MATRIX),
    "csrc/emu/op.c": (_R2, "tests/test_single_op_flows.py", "tests/test_single_op_operators.py", _MATRIX),
    "csrc/emu/dvpp_vdec.c": (_R2, "tests/test_video_vdec.py", "tests/test_video_objects.py", _MATRIX),
    "csrc/emu/dvpp_venc.c": (_R2, "tests/test_video_vdec.py", "tests/test_video_objects.py", _MATRIX),
    "csrc/emu/dvpp_video.c": (_R2, "tests/test_video_vdec.py", "tests/test_video_objects.py", _MATRIX),
    "csrc/emu/model_load.c": (_R2, "tests/test_model_load.py", "tests/test_om_atc.py", _MATRIX),
    "csrc/emu/model_dynamic.c": (_R2, "tests/test_model_dynamic.py", "tests/test_gear_order.py", _MATRIX,
                                 "tests/test_model.py"),
    "csrc/emu/model_aipp.c": (_R2, "tests/test_model_dynamic_aipp.py", "tests/test_model_dynamic.py", _MATRIX),
    "csrc/emu/dvpp_vpc_ops.c": (_R2, "tests/test_dvpp_vpc_ops.py", "tests/test_dvpp_null_data.py", _MATRIX),
    # round two's Python
    "acllite/emulator": (_R2, "tests/test_model.py", "tests/test_reliability_py.py", _MATRIX),
    "acllite/emulator/engine.py": (_R2, "tests/test_model.py", "tests/test_model_dynamic.py",
                                   "tests/test_model_dynamic_aipp.py", "tests/test_reliability_py.py", _MATRIX),
    "acllite/emulator/ops.py": (_R2, "tests/test_single_op_flows.py", "tests/test_single_op_operators.py", _MATRIX),
    "acllite/emulator/video.py": (_R2, "tests/test_video_vdec.py", "tests/test_video_objects.py", _MATRIX),
    "acllite/emulator/codec.py": (_R2, "tests/test_dvpp_emulator.py", "tests/test_dvpp_image.py",
                                  "tests/test_reliability_c.py", _MATRIX),
    "acllite/formats/singleop.py": (_R2, "tests/test_single_op_flows.py", "tests/test_single_op_operators.py",
                                    "tests/test_tensor_desc.py", _MATRIX),
    "acllite/formats/om/_writer.py": (_R2, "tests/test_om_writer.py", "tests/test_om.py"),
    "acllite/video.py": (_R2, "tests/test_video_objects.py", "tests/test_video_vdec.py"),
    "acllite/dynamic_aipp.py": (_R2, "tests/test_model_dynamic_aipp.py"),
    "acllite/_lifecycle.py": (_R2, "tests/test_lifecycle.py", "tests/test_reliability_py.py", "tests/test_objects.py"),
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
    "acllite/tools/atc_gears.py": (_R2, "tests/test_gear_order.py", "tests/test_model_dynamic.py",
                                   "tests/test_om_atc.py", "tests/test_atc.py"),
    "acllite/tools/atc.py": ("tests/test_atc.py", "tests/test_gear_order.py", "tests/test_reference_tables.py",
                             "tests/test_model_dynamic_aipp.py", "tests/test_model_dynamic.py", _MATRIX),
    "acllite/formats/aipp.py": (_R2, "tests/test_atc.py", "tests/test_reference_tables.py",
                                "tests/test_model_dynamic_aipp.py", "tests/test_fuzz_regressions.py"),
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
