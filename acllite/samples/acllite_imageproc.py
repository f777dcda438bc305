"""The Ascend samples' ``acllite_imageproc``, for programs that import it by that name (its directory on sys.path):
this module *is* :mod:`acllite.samples._imageproc` (one module object however it is imported)."""

import sys

from acllite.samples import _imageproc

sys.modules[__name__] = _imageproc
