"""Build acllite's compiled parts with the machine's C compiler.

* ``acllite._acl_cffi``: the cffi binding (API mode). Its C source (dispatch table, trampolines) is generated
  from csrc/api/*.h by csrc/apigen.py.
* ``acllite/libacllite_emu.so``: the emulator, a plain shared object exporting the real AscendCL symbol names.

``ACLLITE_SANITIZE=1`` builds both with AddressSanitizer and UBSan (see docs/DEVELOPING.md for running it).
"""

import os
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
VERSION = "0.1.0"
WARNINGS = ["-Wall", "-Wextra", "-Werror"]
C_FLAGS = ["-std=c11", "-D_DEFAULT_SOURCE", "-fvisibility=hidden", "-O2"]
LINK_FLAGS = []
SANITIZE = os.environ.get("ACLLITE_SANITIZE") == "1"
# Sanitizer and normal builds never share objects: pip builds in the source tree, and setuptools would otherwise
# link the ASan objects a sanitizer build left in build/ into a later normal build.
BUILD_BASE = os.path.join("build", "sanitize" if SANITIZE else "release")
if SANITIZE:
    sanitize = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined"]
    C_FLAGS += sanitize + ["-O1", "-g"]
    LINK_FLAGS += sanitize

EMULATOR = "acllite._emulator"


class BuildExt(build_ext):
    """Builds the emulator as libacllite_emu.so (no Python module suffix: it is loaded with dlopen)."""

    def get_ext_filename(self, ext_name):
        # distutils asks with the last component of the name, setuptools with the full name.
        if ext_name == EMULATOR:
            return os.path.join("acllite", "libacllite_emu.so")
        if ext_name == EMULATOR.rsplit(".", 1)[1]:
            return "libacllite_emu.so"
        return super().get_ext_filename(ext_name)

    def get_export_symbols(self, ext):
        return [] if ext.name == EMULATOR else super().get_export_symbols(ext)


emulator = Extension(
    EMULATOR,
    sources=sorted(str(p.relative_to(ROOT)) for p in (ROOT / "csrc" / "emu").glob("*.c")),
    include_dirs=["csrc/api", "csrc/emu"],
    define_macros=[("ACLLITE_EMU_VERSION", '"%s"' % VERSION)],
    extra_compile_args=C_FLAGS + WARNINGS,
    extra_link_args=LINK_FLAGS + ["-lpthread", "-lm"],
)


def binding_extension():
    """The cffi binding as a setuptools Extension (its C source generated into build/cffi)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_build_binding", ROOT / "acllite" / "_build_binding.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ffibuilder.distutils_extension(tmpdir=os.path.join(BUILD_BASE, "cffi"))  # relative: setuptools wants it


setup(
    version=VERSION,
    ext_modules=[emulator, binding_extension()],
    cmdclass={"build_ext": BuildExt},
    options={"build": {"build_base": BUILD_BASE}},
)
