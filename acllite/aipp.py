"""Compatibility path: the AIPP configuration parser and arithmetic live in :mod:`acllite.formats.aipp`."""

from .formats.aipp import *  # noqa: F401,F403
from .formats.aipp import __all__  # noqa: F401
