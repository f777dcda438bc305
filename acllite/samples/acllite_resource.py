"""The Ascend samples' ``acllite_resource``, for programs that import it by that name (its directory on sys.path):
this module *is* :mod:`acllite.samples._resource` (one module object however it is imported)."""

import sys

from acllite.samples import _resource

sys.modules[__name__] = _resource
