"""The Ascend samples' ``acllite_utils``, for programs that import it by that name (its directory on sys.path):
this module *is* :mod:`acllite.samples._utils` (one module object however it is imported)."""

import sys

from acllite.samples import _utils

sys.modules[__name__] = _utils
