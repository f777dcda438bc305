"""Compatibility path: the classifier of ``acllite classify`` lives in :mod:`acllite.tools.classify`."""

from .tools.classify import *  # noqa: F401,F403
from .tools.classify import __all__  # noqa: F401
