"""Exceptions: every failing AscendCL call raises an :class:`AclError` carrying the code, its symbolic name, the
function and the runtime's recent error message. Subclasses group the codes by what went wrong and, where one
fits, also derive from the matching builtin (an invalid parameter is a ``ValueError`` too)."""

from __future__ import annotations

from typing import Dict, Optional, Tuple, Type

__all__ = [
    "AclError", "AclInvalidParamError", "AclInvalidHandleError", "AclNotInitializedError", "AclStateError",
    "AclContextError", "AclDeviceError", "AclMemoryError", "AclTimeoutError", "AclFileError", "AclModelError",
    "AclNotSupportedError", "AclFunctionUnavailable", "error_name", "raise_for", "check",
]


class AclError(Exception):
    """An AscendCL call failed."""

    def __init__(self, code: int, function: str, message: Optional[str] = None, detail: Optional[str] = None):
        self.code = code
        self.name = error_name(code)
        self.function = function
        self.message = message  #: aclGetRecentErrMsg() right after the failure
        self.detail = detail
        text = "%s failed: %s (%d)" % (function, self.name, code)
        if detail:
            text += ": " + detail
        if message:
            text += "\n  " + message
        super().__init__(text)


class AclInvalidParamError(AclError, ValueError):
    """An argument was rejected (ACL_ERROR_INVALID_PARAM, ACL_ERROR_RT_PARAM_INVALID, ...)."""


class AclInvalidHandleError(AclError, ValueError):
    """A handle (stream, event, context, model id...) is not live."""


class AclDeviceError(AclError, ValueError):
    """The device id does not exist."""


class AclNotInitializedError(AclError, RuntimeError):
    """aclInit has not been called (or aclFinalize has)."""


class AclStateError(AclError, RuntimeError):
    """The call does not fit the runtime's state (repeated init/finalize, subscriptions...)."""


class AclContextError(AclError, RuntimeError):
    """The calling thread has no current context."""


class AclMemoryError(AclError, MemoryError):
    """An allocation failed."""


class AclTimeoutError(AclError, TimeoutError):
    """A wait ran out of time."""


class AclFileError(AclError):
    """A file could not be opened, read or parsed."""


class AclModelError(AclError):
    """Model loading, description or execution failed."""


class AclNotSupportedError(AclError, NotImplementedError):
    """The backend does not support the call."""


class AclFunctionUnavailable(AclNotSupportedError):
    """The loaded backend lacks the function (an older CANN, or an emulator-only function on CANN)."""

    def __init__(self, function: str, backend: str, library: str, version: Tuple[int, int, int]):
        detail = "%s is not in %s (backend %s, AscendCL %d.%d.%d)" % (function, library, backend, *version)
        super().__init__(200001, function, None, detail)


_CODES: Dict[int, str] = {}


def _load_codes() -> None:
    from ._acl_cffi import lib

    for name in dir(lib):
        if name.startswith("ACL_ERROR_") or name in ("ACL_SUCCESS", "ACL_RT_SUCCESS"):
            code = getattr(lib, name)
            if isinstance(code, int) and (code not in _CODES or _CODES[code] == "ACL_ERROR_NONE"):
                _CODES[code] = name
    _CODES[0] = "ACL_SUCCESS"


def error_name(code: int) -> str:
    """The symbolic name of a status code ("ACL_ERROR_INVALID_PARAM"), or "code N" when unknown."""
    if not _CODES:
        _load_codes()
    return _CODES.get(code, "code %d" % code)


_FAMILIES: Dict[int, Type[AclError]] = {}
# Codes without a family (internal errors, hardware faults, queue states...) raise AclError itself.
for _cls, _codes in (
    (AclInvalidParamError, (100000, 107000, 145000, 100017, 100018, 148052, 200003, 107008, 145020, 145021, 145022,
                            145012, 145013,
                            100009, 100010, 100020, 100021, 100022, 100023, 100027, 148048, 200004, 107005, 107016,
                            107018, 145011, 145014, 145016, 107039, 107042, 107043, 107044, 507040)),
    (AclInvalidHandleError, (107017, 200005, 100011, 145003, 148053, 100032, 145008)),
    (AclDeviceError, (107001, 200002, 207004)),
    (AclNotInitializedError, (100001, 145001)),
    (AclStateError, (100002, 100037, 100033, 100034, 100035, 148051, 507006, 107006, 107007,
                     100028, 100030, 100031, 100040, 100041, 100042, 100043, 100044, 100045, 148046, 148047, 107011,
                     107012, 107013, 107014, 107015, 107021, 207015, 507004, 507910, 507911, 145009, 107037, 507025,
                     507041,
                     # stream capture out of sequence
                     107024, 107025, 107026, 107027, 107028, 107029, 107031, 107032, 107036, 107038, 107041, 107046,
                     507903)),
    (AclContextError, (107002, 107003, 107004)),
    (AclMemoryError, (200000, 207001, 207018, 207005, 245000, 300000, 207007, 207008, 207009, 207010, 207011, 207012)),
    (AclTimeoutError, (507046, 507047, 100036, 107019, 107020, 207020, 545601,
                       507012, 507014, 507017, 507034, 507048, 507905, 507915)),
    (AclFileError, (100003, 100004, 100005, 100006, 100007, 100008, 107009, 107010, 148049, 145019)),
    (AclModelError, (100012, 100013, 100014, 100015, 100016, 100019, 145002, 145006, 145007, 507011, 545001,
                     100024, 100025, 100029, 100038, 145015, 145017, 145018, 545002, 545003, 545004, 545005, 545006,
                     545008, 545009, 107040)),
    (AclNotSupportedError, (200001, 200006, 207000, 100026, 100039, 148050, 200007, 207019, 507009, 107030, 107045,
                           507008)),
):
    for _code in _codes:
        assert _code not in _FAMILIES, "error code %d is in two families" % _code
        _FAMILIES[_code] = _cls


def _recent_message() -> Optional[str]:
    from ._acl_cffi import ffi, lib

    p = lib.aclGetRecentErrMsg()
    return ffi.string(p).decode(errors="replace") if p != ffi.NULL else None


def raise_for(code: int, function: str, detail: Optional[str] = None) -> None:
    """Raise the :class:`AclError` subclass for a failed call's code (reads aclGetRecentErrMsg)."""
    raise _FAMILIES.get(code, AclError)(code, function, _recent_message(), detail)


def check(code: int, function: str) -> None:
    """Raise for a non-zero status code; the one error path of every checked call."""
    if code:
        raise_for(code, function)
