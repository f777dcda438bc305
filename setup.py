"""Build acllite's compiled parts with the machine's C compiler.

* ``acllite._acl_cffi``: the cffi binding (API mode). Its C source (dispatch table, trampolines) is generated
  from csrc/api/*.h by csrc/apigen.py.
* ``acllite/libacllite_emu.so``: the emulator, a plain shared object exporting the real AscendCL symbol names;
  the functions it does not emulate (csrc/emu/not_emulated.txt) get generated stubs that fail with a message.
* ``acllite/_acl_cffi.pyi`` and ``acllite/binding.pyi``: type stubs generated from the declaration, written
  beside the built modules (and into the source tree for in-place and editable builds).

``ACLLITE_SANITIZE=1`` builds both with AddressSanitizer and UBSan (see docs/DEVELOPING.md for running it).
"""

import os
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "csrc"))
import apigen  # noqa: E402

VERSION = "0.1.0"
WARNINGS = ["-Wall", "-Wextra", "-Werror"]
C_FLAGS = ["-std=c11", "-D_DEFAULT_SOURCE", "-fvisibility=hidden", "-O2"]
LINK_FLAGS = []
SANITIZE = os.environ.get("ACLLITE_SANITIZE") == "1"
# Sanitizer and normal builds never share objects: pip builds in the source tree, and setuptools would otherwise
# link the ASan objects a sanitizer build left in build/ into a later normal build.
BUILD_BASE = os.path.join("build", "sanitize" if SANITIZE else "release")
GENERATED = ROOT / BUILD_BASE / "generated"
if SANITIZE:
    sanitize = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined"]
    C_FLAGS += sanitize + ["-O1", "-g"]
    LINK_FLAGS += sanitize

EMULATOR = "acllite._emulator"


def _write_if_changed(path, text):
    """Write text to path unless it already holds it (so an unchanged file does not trigger a rebuild)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)


def emulator_stub_source():
    """Generate the emulator's stubs for csrc/emu/not_emulated.txt; the path of the C file, relative to ROOT.
    A name that is not a bound function, or listed twice, stops the build here."""
    api = apigen.load_api()
    path = GENERATED / "not_emulated.c"
    _write_if_changed(path, apigen.not_emulated_source(api, apigen.read_not_emulated()))
    return str(path.relative_to(ROOT))


def write_type_stubs(directory):
    """The type stubs of acllite._acl_cffi and acllite.binding, generated from the declaration."""
    api = apigen.load_api()
    _write_if_changed(directory / "_acl_cffi.pyi", apigen.cffi_stub(api))
    _write_if_changed(directory / "binding.pyi", apigen.binding_stub(api))


class BuildExt(build_ext):
    """Builds the emulator as libacllite_emu.so (no Python module suffix: it is loaded with dlopen), then writes
    the type stubs beside the built package (and into the source tree for in-place and editable builds)."""

    def run(self):
        super().run()
        targets = {Path(self.build_lib).resolve() / "acllite"}
        if self.inplace or getattr(self, "editable_mode", False):
            targets.add(ROOT / "acllite")
        for directory in sorted(targets):
            write_type_stubs(directory)

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
    sources=sorted(str(p.relative_to(ROOT)) for p in (ROOT / "csrc" / "emu").glob("*.c")) + [emulator_stub_source()],
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
