"""The Ascend samples' ``acllite_model``, for programs that import it by that name (its directory on sys.path):
this module *is* :mod:`acllite.samples._model` (one module object however it is imported)."""

import sys

from acllite.samples import _model

sys.modules[__name__] = _model
