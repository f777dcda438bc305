"""The Ascend samples' acllite names (``AclLiteResource``, ``AclLiteModel``, ``AclLiteImage``,
``AclLiteImageProc``, the ``constants`` module...) on acllite's own objects.

Sample programs import these modules by their bare names (``from acllite_resource import AclLiteResource``,
``import constants as const``), so this directory goes on ``sys.path``: ``acllite pyacl --samples SCRIPT`` does
it, or a program does ``sys.path.append(os.path.dirname(acllite.samples.__file__))``. They can also be imported
from here: ``from acllite.samples import AclLiteResource, AclLiteModel, AclLiteImage, AclLiteImageProc``.
See docs/PYACL.md for the differences from the samples' library.
"""

import os

#: The directory to put on sys.path for ``from acllite_resource import AclLiteResource``.
PATH = os.path.dirname(os.path.abspath(__file__))

_EXPORTS = {"AclLiteResource": "_resource", "resource_list": "_resource", "AclLiteModel": "_model",
            "AclLiteImage": "_image", "AclLiteImageProc": "_imageproc"}
__all__ = sorted(_EXPORTS) + ["PATH"]


def __getattr__(name):  # imported on first use: `import acllite.samples` alone stays cheap
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module("acllite.samples." + _EXPORTS[name]), name)
    raise AttributeError("module 'acllite.samples' has no attribute %r" % name)
