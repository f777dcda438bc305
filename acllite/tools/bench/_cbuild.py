"""Small cffi API-mode modules the benchmarks build at run time (C baselines), compiled once and cached.

A module is compiled with the machine's C compiler into ``$XDG_CACHE_HOME/acllite/bench`` (default
``~/.cache/acllite/bench``), under a name derived from its source, the libraries it links, the Python ABI, the
machine and cffi's version; later runs load the cached file. Without a compiler (or with a read-only cache) the
build fails and the caller skips its C rows with the reason returned here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional, Sequence, Tuple

__all__ = ["cache_dir", "build"]


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "acllite" / "bench"


def build(prefix: str, cdef: str, source: str, link: Sequence[str] = ()) -> Tuple[Optional[Tuple[Any, Any]], str]:
    """((ffi, lib), "") of the module, built or taken from the cache; or (None, why it is unavailable).

    ``link``: shared libraries to link (absolute paths); each directory becomes an rpath so that a library
    with a SONAME is found again at load time (the loader then reuses a copy already loaded).
    """
    try:
        import cffi
    except ImportError as e:  # pragma: no cover - cffi is a dependency
        return None, "cffi is not importable: %s" % e
    libs = [os.path.realpath(p) for p in link]
    key = "\0".join([cdef, source] + libs + [sys.implementation.cache_tag or "", platform.machine(),
                                             cffi.__version__])
    name = "%s_%s" % (prefix, hashlib.sha256(key.encode()).hexdigest()[:16])
    where = cache_dir()
    built = next(where.glob(name + ".*so"), None) if where.is_dir() else None
    if built is None:
        try:
            where.mkdir(parents=True, exist_ok=True)
            tmp = tempfile.mkdtemp(prefix="build-", dir=str(where))
            try:
                builder = cffi.FFI()
                builder.cdef(cdef)
                link_args = []
                for lib_path in libs:
                    link_args += [lib_path, "-Wl,-rpath," + os.path.dirname(lib_path)]
                builder.set_source(name, source, extra_compile_args=["-O2"], extra_link_args=link_args)
                out = Path(builder.compile(tmpdir=tmp, verbose=False))
                built = where / out.name
                os.replace(out, built)  # atomic: a concurrent run sees the whole file or none
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        except Exception as e:  # no compiler, no headers, read-only cache...
            why = str(e).strip().splitlines()
            return None, "cannot build %s (%s: %s)" % (prefix, type(e).__name__, why[-1] if why else "")
    try:
        spec = importlib.util.spec_from_file_location(name, str(built))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception as e:
        return None, "cannot load %s (%s: %s)" % (built, type(e).__name__, e)
    return (module.ffi, module.lib), ""
