"""The Ascend samples' ``acllite_logger``, for programs that import it by that name (its directory on sys.path):
this module *is* :mod:`acllite.samples._logger` (one module object however it is imported)."""

import sys

from acllite.samples import _logger

sys.modules[__name__] = _logger
