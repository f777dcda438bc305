"""The ownership ground floor: what every Python object that owns a native handle needs to know about the C
runtime's state, so that a release never runs twice, never runs after the C side released the handle itself, and
never runs on a thread where it must not run.

**One handle, one release.** A :class:`Resource` is a native handle and the call that releases it; it runs at
most once. :class:`Owned` is the base of the objects that own one (``close()``, ``with``, and a
``weakref.finalize`` holding only the Resource as the collector's fallback).

**Parents.** The C side releases handles on its own in three cases, and the Python objects learn of each:

* ``aclFinalize`` releases everything, and the last ``aclrtResetDevice`` of a device everything of that device.
  Every Resource holds the :class:`Token` of the runtime state it was made in (the generation, and for device
  resources the device's epoch); those calls kill the token, so the Resource and every object over it count as
  released at once (``closed`` is true, methods raise, ``close()`` and the collector do nothing).
* A Resource may have a parent Resource (a context's streams and events): releasing the parent releases its live
  children first, newest first, through their own release calls, so nothing depends on what the C side does to
  a context's children, and no child ever releases a recycled address later.

**Where a release may run.** Not on a thread the C side owns (an emulator stream worker running a codec or model
callback, or a CANN callback thread), not inside a callback (``callback_scope()``: every callback acllite
registers enters it; a program's own host callbacks may too), and not in the middle of a garbage collection
(finalizers then run in an arbitrary order, on whatever thread allocated). There a release is *deferred*: the
handle counts as released at once and the call is queued. The queue is drained, streams first (their queued work
runs to its end before the memory it uses is freed) and devices last, at the end of the collection, by the next
acllite object created or closed on a normal thread, before a device reset or ``aclFinalize``, and at exit.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import gc
import logging
import os
import threading
import weakref
from typing import Any, Callable, Dict, Iterator, List, Optional

from .errors import AclNotInitializedError

logger = logging.getLogger("acllite")

__all__ = ["Token", "Resource", "Owned", "callback_scope", "may_release_here", "drain", "pending_releases",
           "exit_close", "closed_error", "token", "generation", "epoch", "alive", "initialized", "is_initialized",
           "finalized", "device_opened", "device_closed", "device_users", "live_views"]

ACL_ERROR_UNINITIALIZE = 100001

# Release order when the queue is drained: a stream's destroy runs its queued work to the end, so streams go
# before the memory and descriptions that work uses; the device and the runtime go last.
PRIORITY_STREAM, PRIORITY_DEFAULT, PRIORITY_CONTEXT, PRIORITY_DEVICE, PRIORITY_RUNTIME = 0, 1, 2, 3, 4


class Token:
    """The liveness of one runtime state (a generation, or a device's epoch in it): killed when the C side
    releases everything made in it."""

    __slots__ = ("live", "why")

    def __init__(self) -> None:
        self.live = True
        self.why = ""

    def kill(self, why: str) -> None:
        self.why = why
        self.live = False


_lock = threading.Lock()


class _Local(threading.local):
    callbacks = 0  # depth of callback_scope()
    collecting = False  # inside a gc collection
    busy = 0  # holding the state lock
    foreign: Optional[bool] = None  # a thread Python did not start (found once per thread)


_local = _Local()
_generation = 0  # bumped by every aclFinalize
_device_epoch: Dict[int, int] = {}  # bumped when a device's last Device object is closed
_initialized = False  # between a successful aclInit and aclFinalize (or a fork)
_device_users: Dict[int, int] = {}  # open Device objects per device (mirrors the C reference count)
_root = Token()  # the generation's
_device_tokens: Dict[int, Token] = {}


@contextlib.contextmanager
def _critical() -> Iterator[None]:
    """Hold the state lock; a collection that runs inside (any allocation may start one) queues its releases
    instead of running them here, where one would need the lock again."""
    _local.busy += 1
    try:
        with _lock:
            yield
    finally:
        _local.busy -= 1


def token(device: int = -1) -> Token:
    """The live token of a device's resources now (device -1: the process's, killed by aclFinalize only)."""
    if device < 0:
        return _root
    t = _device_tokens.get(device)
    if t is None:
        fresh = Token()
        with _critical():
            t = _device_tokens.setdefault(device, fresh)
    return t


def generation() -> int:
    return _generation


def epoch(device: int) -> int:
    return _device_epoch.get(device, 0)


def alive(gen: int, device: int = -1, dev_epoch: int = 0) -> bool:
    """True while a resource created at (gen, device epoch) has not been released by the C runtime."""
    return gen == _generation and (device < 0 or _device_epoch.get(device, 0) == dev_epoch)


def initialized() -> None:
    """aclInit succeeded (through acllite.init or the pyACL module)."""
    global _initialized
    _initialized = True


def is_initialized() -> bool:
    return _initialized


def finalized() -> None:
    """aclFinalize ran (or a fork made the runtime unusable): everything made before is released."""
    global _generation, _initialized, _root
    _initialized = False
    fresh = Token()
    with _critical():
        _generation += 1
        _device_users.clear()
        old, _root = _root, fresh
        tokens = list(_device_tokens.values())
        _device_tokens.clear()
    old.kill("aclFinalize released it")
    for t in tokens:
        t.kill("aclFinalize released it")


def device_opened(device: int) -> None:
    with _critical():
        _device_users[device] = _device_users.get(device, 0) + 1


def device_users(device: int) -> int:
    """Open Device objects of a device (its next close is the last when this is 1)."""
    return _device_users.get(device, 0)


def device_closed(device: int) -> None:
    with _critical():
        n = _device_users.get(device, 0) - 1
        _device_users[device] = max(n, 0)
        dead = None
        if n <= 0:
            _device_epoch[device] = _device_epoch.get(device, 0) + 1
            dead = _device_tokens.pop(device, None)
    if dead is not None:
        dead.kill("the reset of device %d released it" % device)


# ------------------------------------------------------------------------------------ where releases may run



class callback_scope:  # noqa: N801  (used as a function: ``with callback_scope(): ...``)
    """Mark the calling thread as running a callback (a host callback, a codec or model-engine callback): no
    release runs until it ends; finalizers that fire inside are deferred (CANN: callbacks must not release
    resources or synchronize)."""

    __slots__ = ()

    def __enter__(self) -> None:
        _local.callbacks += 1

    def __exit__(self, *exc: Any) -> None:
        _local.callbacks -= 1


def _foreign_thread() -> bool:
    """A thread Python did not start (a C worker calling back into Python)."""
    active = getattr(threading, "_active", None)
    dummy = getattr(threading, "_DummyThread", None)
    if active is None or dummy is None:  # another Python: ask the public API
        return type(threading.current_thread()).__name__ == "_DummyThread"
    t = active.get(threading.get_ident())
    return t is None or isinstance(t, dummy)


def may_release_here() -> bool:
    """Whether a release may run on the calling thread now."""
    local = _local
    if local.callbacks or local.collecting or local.busy:
        return False
    foreign = local.foreign
    if foreign is None:
        foreign = local.foreign = _foreign_thread()
    return not foreign


_deferred: "collections.deque[Resource]" = collections.deque()


def pending_releases() -> int:
    """Releases queued until a thread where they may run (see the module's documentation)."""
    return sum(1 for r in list(_deferred) if r.state == Resource.QUEUED)


def drain() -> None:
    """Run the queued releases now, if the calling thread may (streams first, devices and the runtime last)."""
    if not _deferred or not may_release_here():
        return
    batch: List[Resource] = []
    while True:
        try:
            batch.append(_deferred.popleft())
        except IndexError:
            break
    batch.sort(key=lambda r: r.priority)
    for r in batch:
        try:
            r._run()
        except Exception:  # a release must not stop the others (nor escape a gc callback)
            logger.exception("deferred release of %s failed", r.handle)


def _gc_phase(phase: str, info: Dict[str, Any]) -> None:
    if phase == "start":
        _local.collecting = True
    else:
        _local.collecting = False
        if _deferred:
            drain()


gc.callbacks.append(_gc_phase)
atexit.register(drain)


# ------------------------------------------------------------------------------------------------ resources


class Resource:
    """A native handle and the call that releases it, run at most once (see the module's documentation).

    ``release(handle)`` returns an aclError code (logged when not 0) or None; ``after()`` runs once it has.
    """

    LIVE, QUEUED, DONE = 0, 1, 2
    __slots__ = ("fn", "name", "handle", "token", "parent", "children", "state", "priority", "after", "views",
                 "cause", "kind", "hold", "wanted", "__weakref__")

    def __init__(self, fn: Callable[[Any], Any], name: str, handle: Any, device: int = -1,
                 parent: Optional["Resource"] = None, priority: int = PRIORITY_DEFAULT,
                 after: Optional[Callable[[], None]] = None, hold: Optional[Callable[[], int]] = None):
        self.fn = fn
        self.name = name
        self.handle = handle
        self.token = token(device)
        self.parent = parent
        self.children: Optional[Dict[int, Resource]] = None
        self.state = Resource.LIVE
        self.priority = priority
        self.after = after
        self.views: Optional[List["weakref.ref[Any]"]] = None
        self.cause = ""  # what released it, when its parent did
        self.kind = name  # what its children's messages call it ("Context")
        self.hold = hold  # while it returns non-zero (live views of the memory), a release waits
        self.wanted = False  # a release waits for the views to go
        if parent is not None:
            if parent.children is None:
                parent.children = {}
            parent.children[id(self)] = self

    @property
    def released(self) -> bool:
        """Released, queued for release, or released by the C side (with its device, or by aclFinalize)."""
        if self.parent is None:
            return self.state != Resource.LIVE or not self.token.live
        r: Optional[Resource] = self
        while r is not None:
            if r.state != Resource.LIVE or not r.token.live:
                return True
            r = r.parent
        return False

    def why_released(self) -> str:
        """"" (closed), or what released it: "aclFinalize released it", "the reset of device 0 released it"..."""
        r: Optional[Resource] = self
        while r is not None:
            if not r.token.live:
                return r.token.why
            if r.cause:
                return r.cause
            if r is not self and r.state != Resource.LIVE:
                return "its %s was closed" % r.kind
            r = r.parent
        return ""

    def release(self) -> None:
        """Release now, or queue the release when the calling thread may not run it (see may_release_here), or,
        while views of the memory it would free are alive, when the last of them goes."""
        if self.state != Resource.LIVE:
            return
        if self.hold is not None and self.token.live and self.hold():
            if not self.wanted:
                self.wanted = True
                _held_back.append(self)
            return
        if may_release_here():
            self._run()
            return
        self.state = Resource.QUEUED
        _deferred.append(self)

    def _run(self) -> None:
        with _state_lock:
            if self.state == Resource.DONE:
                return
            self.state = Resource.DONE
        children = self.children
        if children:
            for child in reversed(list(children.values())):
                if child.state != Resource.DONE:
                    child.cause = "its %s was closed" % self.kind
                child._run()  # children first, newest first
            children.clear()
        parent = self.parent
        if parent is not None:
            self.parent = None
            if parent.children is not None:
                parent.children.pop(id(self), None)
        if not self.token.live:
            return  # the C runtime released it already (device reset or finalize)
        rc = self.fn(self.handle)
        if rc:
            logger.warning("%s failed with %d while releasing %s", self.name, rc, self.handle)
        if self.after is not None:
            self.after()

    # -- views of the memory it owns (HostBuffer.numpy/memoryview) --------------------------------------------
    def add_view(self, view: Any) -> None:
        """Track a view's exporter: its memory stays allocated while it lives. (Nothing the view holds may lead
        back to a Python object a program can put in a cycle: numpy arrays are invisible to the collector, so
        such a cycle could never be collected.)"""
        refs = [r for r in (self.views or []) if r() is not None]
        refs.append(weakref.ref(view, _view_gone))
        self.views = refs
        _viewed[id(self)] = self

    def live_views(self) -> int:
        n = sum(1 for r in (self.views or []) if r() is not None)
        if not n:
            self.views = None
            _viewed.pop(id(self), None)
        return n


_state_lock = threading.Lock()  # held for a check-and-set only: nothing inside allocates, so no collection runs
_viewed: Dict[int, Resource] = {}  # resources that exported views, until the views are gone
_held_back: List[Resource] = []  # releases waiting for views to go


def _view_gone(_ref: Any = None) -> None:
    """A view died: run the releases that were waiting for it (on this thread if it may, else queued)."""
    for r in list(_held_back):
        if r.state != Resource.LIVE or not r.token.live or not r.hold or not r.hold():
            try:
                _held_back.remove(r)
            except ValueError:
                continue  # another thread got it
            r.wanted = False
            r.release()


def live_views(device: Optional[int] = None) -> int:
    """Views (numpy arrays, memoryviews) alive of memory that the last reset of ``device`` (None: aclFinalize)
    would release."""
    n = 0
    for r in list(_viewed.values()):
        if r.released:
            continue
        if device is None or r.token is _device_tokens.get(device):
            n += r.live_views()
    return n


class Owned:
    """The base of an object owning one native handle: ``close()`` (idempotent), ``with``, ``closed``."""

    _res: Optional[Resource] = None
    _finalizer: Optional[weakref.finalize] = None

    def _own(self, fn: Callable[[Any], Any], name: str, handle: Any, device: int,
             parent: Optional[Resource] = None, priority: int = PRIORITY_DEFAULT,
             after: Optional[Callable[[], None]] = None) -> Resource:
        if _deferred:
            drain()
        res = Resource(fn, name, handle, device, parent, priority, after)
        self._res = res
        self._finalizer = weakref.finalize(self, res.release)
        return res

    @property
    def closed(self) -> bool:
        return self._res is None or self._res.released

    def close(self) -> None:
        """Release the handle now (idempotent; queued when this thread may not release, see _lifecycle)."""
        if self._finalizer is not None:
            self._finalizer()
        if _deferred:
            drain()

    def _closed_error(self, what: Optional[str] = None) -> Exception:
        """The exception a method of a released object raises."""
        what = what or type(self).__name__
        return closed_error(self._res, type(self).__name__, "%s is closed" % what)

    def _check_open(self) -> None:
        if self.closed:
            raise self._closed_error()

    def __enter__(self):
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        exit_close(self.close, exc_type, type(self).__name__)


def closed_error(res: Optional[Resource], kind: str, text: str) -> Exception:
    """What a method of an object whose handle is released raises: ValueError(text, and why), or, when aclFinalize
    released it and AscendCL is not initialized now (a forked child too), the AclNotInitializedError a call would
    give."""
    why = res.why_released() if res is not None else ""
    if why.startswith("aclFinalize") and not _initialized:
        return AclNotInitializedError(ACL_ERROR_UNINITIALIZE, "acllite.%s" % kind, None,
                                      "AscendCL is not initialized (aclFinalize released this %s)" % kind)
    return ValueError("%s%s" % (text, " (%s)" % why if why else ""))


def exit_close(close: Callable[[], None], exc_type: Any, what: str) -> None:
    """``close()`` at the end of a with block: its errors propagate when the block ended normally; when an
    exception is in flight they are logged and the block's exception propagates unchanged."""
    if exc_type is None:
        close()
        return
    try:
        close()
    except Exception as exc:  # never mask the user's exception
        logger.warning("closing %s after %s failed: %s", what, getattr(exc_type, "__name__", exc_type), exc)


def _after_fork_in_child() -> None:
    """A child forked while AscendCL was initialized cannot use it (the emulator refuses every call there, as CANN
    does not support fork): the objects it inherited must not try to release anything."""
    global _lock, _state_lock
    _lock = threading.Lock()  # another thread may have held it at the fork
    _state_lock = threading.Lock()
    _deferred.clear()
    del _held_back[:]
    finalized()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
