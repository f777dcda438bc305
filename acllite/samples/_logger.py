"""acllite_logger: the samples' log functions, on Python's logging (logger ``acllite.samples``).

The samples print every message and also send it to acl.app_log. Here a message goes to the logger only:
errors and warnings reach stderr through Python's default handling, info and debug stay quiet unless logging is
configured (``logging.basicConfig(level=logging.INFO)``). Each record names the caller (file:line function).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

logger = logging.getLogger("acllite.samples")

_ACL_DEBUG = 0
_ACL_INFO = 1
_ACL_WARNING = 2
_ACL_ERROR = 3
_LEVELS = {_ACL_DEBUG: logging.DEBUG, _ACL_INFO: logging.INFO, _ACL_WARNING: logging.WARNING,
           _ACL_ERROR: logging.ERROR}


def _log(level: int, parts: Any) -> None:
    if not logger.isEnabledFor(_LEVELS[level]):
        return
    caller = sys._getframe(2)
    logger.log(_LEVELS[level], "[%s:%d %s]%s", caller.f_code.co_filename, caller.f_lineno, caller.f_code.co_name,
               "".join(str(p) for p in parts))


def log_error(*log_msg: Any) -> None:
    _log(_ACL_ERROR, log_msg)


def log_warning(*log_msg: Any) -> None:
    _log(_ACL_WARNING, log_msg)


def log_info(*log_msg: Any) -> None:
    _log(_ACL_INFO, log_msg)


def log_debug(*log_msg: Any) -> None:
    _log(_ACL_DEBUG, log_msg)
