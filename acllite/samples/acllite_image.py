"""The Ascend samples' ``acllite_image``, for programs that import it by that name (its directory on sys.path):
this module *is* :mod:`acllite.samples._image` (one module object however it is imported)."""

import sys

from acllite.samples import _image

sys.modules[__name__] = _image
