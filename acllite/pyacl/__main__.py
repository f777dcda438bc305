"""``acllite pyacl``: run a pyACL program with ``import acl`` resolving to acllite's module.

::

    acllite pyacl [--force | --real] [--samples] SCRIPT [ARGS...]
    acllite pyacl [--force | --real] [--samples] -m MODULE [ARGS...]
    acllite pyacl --print-path          # the directory of the opt-in acl.py, for PYTHONPATH
    python -m acllite.pyacl ...         # the same

Which ``acl`` the program gets (``--force``/``--real``, else ``$ACLLITE_PYACL``: ``auto`` (default), ``acllite``
or ``1``, ``real`` or ``0``):

* ``auto``: a real pyACL that the program would import anyway (found on ``sys.path``, e.g. put there by CANN's
  ``set_env.sh``, and importable by this Python) is used, and the runner says so on stderr; otherwise acllite's.
* ``acllite`` (``--force``): acllite's, even when a real pyACL is importable.
* ``real`` (``--real``): the real pyACL, or exit with status 2 saying why it cannot be imported.

The program then runs as ``python SCRIPT ARGS`` would run it: ``__name__ == "__main__"``, ``sys.argv`` =
``[SCRIPT, ARGS...]``, the script's directory first on ``sys.path``. ``--samples`` also puts the Ascend samples'
acllite names (``acllite_resource``, ``acllite_model``, ``acllite_image``, ``acllite_imageproc``, ``constants``,
``acllite_utils``, ``acllite_logger``: :mod:`acllite.samples`) on ``sys.path``, after the program's own entries,
so a copy of the samples' library that the program adds itself still wins.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import runpy
import sys
from typing import List, Optional, Sequence, Tuple

USAGE = """usage: acllite pyacl [--force | --real] [--samples] SCRIPT [ARGS...]
       acllite pyacl [--force | --real] [--samples] -m MODULE [ARGS...]
       acllite pyacl --print-path

Run a pyACL program with `import acl` resolving to acllite's pyACL-compatible module.

  --force       use acllite's acl even when a real pyACL is importable (ACLLITE_PYACL=acllite)
  --real        use the real pyACL; fail when it cannot be imported (ACLLITE_PYACL=real)
  --samples     also provide the Ascend samples' acllite modules (acllite_resource, acllite_model, ...)
  --print-path  print the directory holding the opt-in acl.py shim, for PYTHONPATH, and exit

Default (ACLLITE_PYACL unset or auto): a real pyACL that is importable wins; otherwise acllite's.
"""

MODES = {"auto": "auto", "": "auto", "acllite": "acllite", "1": "acllite", "force": "acllite", "real": "real",
         "0": "real", "pyacl": "real"}


def shim_dir() -> str:
    """The directory holding the opt-in ``acl.py`` (put it on PYTHONPATH to make ``import acl`` give acllite's)."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "shim")


def samples_dir() -> str:
    """The directory of the Ascend samples' acllite modules (acllite_resource.py, ...)."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")


def mode_from_env() -> str:
    value = os.environ.get("ACLLITE_PYACL", "auto").strip().lower()
    if value not in MODES:
        raise ValueError("ACLLITE_PYACL=%r: expected auto, acllite (1) or real (0)" % value)
    return MODES[value]


def _search_path() -> List[str]:
    """sys.path without the opt-in shim's directory (the shim is ours, not a real pyACL)."""
    ours = os.path.realpath(shim_dir())
    return [p for p in sys.path if os.path.realpath(p or os.getcwd()) != ours]


def find_real_pyacl() -> Optional[importlib.machinery.ModuleSpec]:
    """The spec of the ``acl`` module Python would import if acllite were not there, or None."""
    return importlib.machinery.PathFinder.find_spec("acl", _search_path())


def import_real_pyacl() -> Tuple[Optional[object], str]:
    """(module, where) of the real pyACL, installed as sys.modules["acl"]; (None, why) when it cannot be had."""
    spec = find_real_pyacl()
    if spec is None or spec.loader is None:
        return None, "no module named 'acl' on sys.path"
    module = importlib.util.module_from_spec(spec)
    sys.modules["acl"] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # e.g. built for another Python, or CANN's libraries missing
        sys.modules.pop("acl", None)
        return None, "%s cannot be imported: %s: %s" % (spec.origin, type(exc).__name__, exc)
    return module, str(spec.origin)


def install_acllite() -> object:
    """Make ``import acl`` give acllite's module."""
    import acllite.pyacl as ours

    sys.modules["acl"] = ours
    return ours


def select(mode: str, quiet: bool = False) -> str:
    """Install the ``acl`` the mode asks for; return "acllite" or "real". Raises SystemExit(2) for an
    impossible ``real``."""
    if mode in ("auto", "real"):
        module, where = import_real_pyacl()
        if module is not None:
            if mode == "auto" and not quiet:
                sys.stderr.write("acllite pyacl: using the real pyACL at %s (--force or ACLLITE_PYACL=acllite to use "
                                 "acllite's)\n" % where)
            return "real"
        if mode == "real":
            sys.stderr.write("acllite pyacl: --real / ACLLITE_PYACL=real, but %s\n" % where)
            raise SystemExit(2)
    install_acllite()
    return "acllite"


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        mode = mode_from_env()
    except ValueError as exc:
        sys.stderr.write("acllite pyacl: %s\n" % exc)
        return 2
    samples = False
    module_name = None
    while args and args[0].startswith("-"):
        opt = args.pop(0)
        if opt in ("-h", "--help"):
            sys.stdout.write(USAGE)
            return 0
        if opt == "--print-path":
            print(shim_dir())
            return 0
        if opt == "--force":
            mode = "acllite"
        elif opt == "--real":
            mode = "real"
        elif opt == "--samples":
            samples = True
        elif opt == "-m" and args:
            module_name = args.pop(0)
            break
        elif opt == "--":
            break
        else:
            sys.stderr.write("acllite pyacl: unknown option %r\n%s" % (opt, USAGE))
            return 2
    if module_name is None and not args:
        sys.stderr.write(USAGE)
        return 2

    # The program's view of the interpreter, as `python SCRIPT` / `python -m MODULE` gives it.
    if module_name is None:
        script = args[0]
        if not os.path.exists(script):
            sys.stderr.write("acllite pyacl: can't open file %r: no such file\n" % script)
            return 2
        sys.argv = list(args)
        first = os.path.dirname(os.path.abspath(script))
    else:
        sys.argv = [module_name] + list(args)
        first = os.getcwd()
    if sys.path:
        sys.path[0] = first
    else:
        sys.path.append(first)

    select(mode)
    if samples:
        sys.path.append(samples_dir())
    if module_name is None:
        runpy.run_path(sys.argv[0], run_name="__main__")
    else:
        runpy.run_module(module_name, run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
