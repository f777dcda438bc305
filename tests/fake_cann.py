"""A stand-in CANN that exports every bound function, generated from the declaration (csrc/api, via apigen).

``build(root)`` compiles one shared library per library group (``libascendcl.so``, ``libacl_dvpp.so``,
``libacl_op_compiler.so``, ``libmsprofiler.so``) into ``root/lib64``, where acllite's loader finds them from
``ASCEND_TOOLKIT_HOME=root``. Every function writes nothing through its pointers (it cannot know their sizes) and
returns a recognisable value of its return type (:data:`RET` for ``aclError``, :data:`POINTER` for pointers,
``"fake"`` for C strings, :data:`NUMBER` for numbers); each library logs the names of the functions called, read
with ``calls(path)`` through ctypes and cleared with ``reset(path)``.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "csrc") not in sys.path:
    sys.path.insert(0, str(ROOT / "csrc"))
import apigen  # noqa: E402

RET = 7321  #: what every aclError function returns (not a real code: proves the value came from the stand-in)
POINTER = 0x7E57000  #: what every function returning a pointer or handle returns
NUMBER = 73  #: what every function returning a number returns (fits every integer type)
FLOAT = 7.5

_LOG = r"""
#include <stdio.h>
#include <string.h>
static char fake_log[1 << 16];
static size_t fake_len;
__attribute__((visibility("default"))) const char *fake_calls(void) { return fake_log; }
__attribute__((visibility("default"))) void fake_reset(void) { fake_len = 0; fake_log[0] = 0; }
static void fake_note(const char *name) {
    size_t n = strlen(name);
    if (fake_len + n + 2 >= sizeof fake_log) fake_len = 0; /* a long session: start over */
    memcpy(fake_log + fake_len, name, n);
    fake_len += n;
    fake_log[fake_len++] = '\n';
    fake_log[fake_len] = 0;
}
"""


def _return(f: "apigen.Function") -> str:
    ret = f.return_type
    if ret == "void":
        return ""
    if ret == "aclError":
        return " return %d;" % RET
    if ret in ("const char *", "char *"):
        return ' return (%s)"fake";' % ret
    if ret.endswith("*"):
        return " return (%s)(uintptr_t)0x%x;" % (ret, POINTER)
    if ret in ("float", "double"):
        return " return %r;" % FLOAT
    return " return (%s)%d;" % (ret, NUMBER)


#: Functions the stand-in gives a behaviour, so callbacks can be observed: a VDEC/VENC channel description keeps
#: its callback, and sending a frame calls it at once (on the caller's thread; CANN calls it on the report
#: thread) with the frame's descriptions and userData; a host callback runs at once.
SPECIAL = {
    "aclvdecSetChannelDescCallback": "fake_vdec_cb = callback; (void)channelDesc; return 0;",
    "aclvdecSendFrame": "(void)channelDesc; (void)config; if (fake_vdec_cb) fake_vdec_cb(input, output, userData); "
                        "return 0;",
    "aclvencSetChannelDescCallback": "fake_venc_cb = callback; (void)channelDesc; return 0;",
    "aclvencSendFrame": "(void)channelDesc; (void)reserve; (void)config; "
                        "if (fake_venc_cb) fake_venc_cb(input, (acldvppStreamDesc *)(uintptr_t)0x5E0, userdata); "
                        "return 0;",
    "aclrtLaunchCallback": "(void)blockType; (void)stream; fn(userData); return 0;",
}
_STATE = {"acl_dvpp": "static aclvdecCallback fake_vdec_cb; static aclvencCallback fake_venc_cb;"}


def sources(api: "apigen.Api") -> Dict[str, str]:
    """C source per library group (the emulator's own extensions are not part of CANN)."""
    by_group: Dict[str, List[str]] = {}
    for f in api.functions:
        if f.library == "emulator":
            continue
        unused = "".join(" (void)%s;" % p.name for p in f.param_list)
        body = '%s fake_note("%s");%s' % (unused, f.name, _return(f))
        if f.name in SPECIAL:
            body = ' fake_note("%s"); %s' % (f.name, SPECIAL[f.name])
        by_group.setdefault(f.library, []).append('__attribute__((visibility("default"))) %s {%s }'
                                                  % (f.prototype(), body))
    head = ["#include <stdint.h>", "#include <stddef.h>"] + ['#include "%s"' % h for h in apigen.API_FILES] + [_LOG]
    return {group: "\n".join(head + [_STATE.get(group, "")] + fns) + "\n" for group, fns in by_group.items()}


def build(root: Path) -> Dict[str, Path]:
    """Compile the libraries into root/lib64; returns group -> library path."""
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        raise RuntimeError("no C compiler")
    api = apigen.load_api()
    sonames = {g.name: g.soname for g in apigen.LIBRARY_GROUPS}
    lib64 = root / "lib64"
    lib64.mkdir(parents=True, exist_ok=True)
    out: Dict[str, Path] = {}
    for group, text in sources(api).items():
        src = root / ("fake_%s.c" % group)
        src.write_text(text)
        so = lib64 / sonames[group]
        proc = subprocess.run([gcc, "-std=c11", "-shared", "-fPIC", "-w", "-I%s" % apigen.API_DIR, "-o", str(so),
                               str(src)], capture_output=True, text=True)
        if proc.returncode:
            raise RuntimeError("building %s failed:\n%s" % (so.name, proc.stderr[-4000:]))
        out[group] = so
    return out


def calls(path: str) -> List[str]:
    """The functions called in a library since the last reset."""
    lib = ctypes.CDLL(path)
    lib.fake_calls.restype = ctypes.c_char_p
    return lib.fake_calls().decode().split()


def reset(path: str) -> None:
    ctypes.CDLL(path).fake_reset()
