"""The one way the emulator's C calls into Python: :func:`extern` registers a cffi ``extern "Python"`` function
wrapped so that no exception ever crosses into C (cffi would print "Exception ignored from cffi callback" and
return a bare error code) and no release runs inside it.

Every exception the function lets escape becomes an aclError code and a message: an exception carrying an int
``code`` (EngineError, OnnxError, OmError) gives its own, any other the callback's ``code`` with "<what failed>:
<type>: <text>". The message goes into the callback's ``message``/``message_len`` arguments when it has them (the C
side puts it in aclGetRecentErrMsg()); a callback without them logs it at ERROR on ``acllite.emulator``. A
KeyboardInterrupt (Ctrl-C during a synchronous execution, whose callback runs on the main thread) is turned into a
failure of the call and delivered again to the main thread once the callback has returned.

The body runs inside :func:`acllite._lifecycle.callback_scope`: a finalizer that the collector runs there (any
allocation may start a collection) queues its release instead of destroying, say, the very stream whose worker
thread is running the callback.
"""

from __future__ import annotations

import _thread
import functools
import inspect
import logging
import threading
from typing import Any, Callable, Optional

from .. import _lifecycle
from .._acl_cffi import ffi

__all__ = ["extern", "REGISTERED"]

logger = logging.getLogger("acllite.emulator")

#: name -> the undecorated function, for every callback registered (tests read it).
REGISTERED: dict = {}


def _write(buf: Any, size: int, text: str) -> None:
    raw = text.encode("utf-8", "replace")[: max(0, int(size) - 1)]
    if size > 0:
        ffi.memmove(buf, raw + b"\0", len(raw) + 1)


def _code_of(exc: BaseException, default: int) -> int:
    code = getattr(exc, "code", None)
    if isinstance(code, int) and not isinstance(code, bool) and 0 < code < 2 ** 31:
        return code
    return default


def extern(error: Optional[int], what: str, code: Optional[int] = None) -> Callable[[Callable[..., Any]], Any]:
    """Register the decorated function as the ``extern "Python"`` function of its name.

    ``error``: the value returned when even the wrapper fails (None for a function returning void); ``what``:
    the message's prefix; ``code``: the code of an exception without one (default ``error``)."""
    default = (error if code is None else code) or 0

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        params = list(inspect.signature(fn).parameters)
        msg_at = params.index("message") if "message" in params else None
        len_at = params.index("message_len") if "message_len" in params else None

        def fail(args: tuple, exc: BaseException) -> Any:
            text = "%s: %s: %s" % (what, type(exc).__name__, exc) if _code_of(exc, 0) == 0 else str(exc)
            if msg_at is not None and len_at is not None:
                try:
                    _write(args[msg_at], args[len_at], text)
                except Exception:  # a message buffer that cannot be written: the log still has it
                    logger.error("%s (and the message buffer could not be written)", text)
            else:
                logger.error("%s", text)
            return None if error is None else _code_of(exc, default)

        scope = _lifecycle.callback_scope()

        @functools.wraps(fn)
        def wrapper(*args: Any) -> Any:
            try:
                with scope:
                    return fn(*args)
            except KeyboardInterrupt as exc:
                if threading.current_thread() is threading.main_thread():
                    _thread.interrupt_main()  # raised again in the main thread once C has returned
                return fail(args, exc)
            except BaseException as exc:  # noqa: BLE001  (nothing may cross into C)
                return fail(args, exc)

        def last_resort(exc_type: Any, exc: Any, tb: Any) -> Any:
            logger.error("%s: %s: %s (escaped the callback's wrapper)", what, getattr(exc_type, "__name__", exc_type),
                         exc)
            return error

        if error is None:
            ffi.def_extern(name=fn.__name__, onerror=last_resort)(wrapper)
        else:
            ffi.def_extern(name=fn.__name__, error=error, onerror=last_resort)(wrapper)
        REGISTERED[fn.__name__] = fn
        return wrapper

    return register
