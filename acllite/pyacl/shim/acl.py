"""acllite's opt-in ``acl`` module: ``import acl`` gives :mod:`acllite.pyacl`.

This file is found only when its directory is on ``sys.path``, which happens only when asked for::

    export PYTHONPATH="$(acllite pyacl --print-path)${PYTHONPATH:+:$PYTHONPATH}"

Put it after CANN's directory in PYTHONPATH to let a real pyACL win, before it to prefer acllite's. With
``ACLLITE_PYACL=real`` (or ``0``) this shim steps aside and imports the real pyACL (the next ``acl`` on sys.path).
"""


from acllite.pyacl.__main__ import import_real_pyacl, install_acllite, mode_from_env

if mode_from_env() == "real":
    _module, _where = import_real_pyacl()
    if _module is None:
        raise ImportError("ACLLITE_PYACL=real, but " + _where)
else:
    install_acllite()  # sys.modules["acl"] is acllite.pyacl: the import statement returns it
