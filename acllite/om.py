"""Compatibility path: the OM reader lives in :mod:`acllite.formats.om` (kept for ``acllite.om.read``,
``acllite.om.set_twin`` and the rest of its documented names)."""

from .formats.om import *  # noqa: F401,F403
from .formats.om import __all__  # noqa: F401
