"""cffi build script of the binding (API mode). Run by setup.py through ``cffi_modules``."""

import os
import sys
from pathlib import Path

from cffi import FFI

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "csrc"))
import apigen  # type: ignore[import-not-found]  # noqa: E402  (csrc/ is not a package)

api = apigen.load_api()
ffibuilder = FFI()
ffibuilder.cdef(apigen.cdef_text(api))

_flags = ["-std=c11", "-D_DEFAULT_SOURCE", "-fvisibility=hidden", "-Wall", "-Wextra", "-Werror", "-O2"]
_link = ["-ldl"]
if os.environ.get("ACLLITE_SANITIZE") == "1":
    _san = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"]
    _flags += _san + ["-O1", "-g"]
    _link += _san

ffibuilder.set_source(
    "acllite._acl_cffi",
    apigen.binding_source(api),
    include_dirs=[str(ROOT / "csrc" / "api")],
    extra_compile_args=_flags,
    extra_link_args=_link,
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
