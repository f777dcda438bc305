"""pyACL callbacks (acl.rt.launch_callback, VDEC/VENC) run inside acllite's callback scope: an acllite object
released there is deferred (never released on the report thread, inside the callback), and acl.finalize() runs the
deferred releases first, so nothing shows in the leak report."""

from __future__ import annotations

import threading
from typing import Any, List

from conftest import ReportThread, requires_emulator

pytestmark = requires_emulator


def test_an_object_closed_in_a_pyacl_callback_is_released_later(uninitialized: Any) -> None:
    import acllite
    from acllite import _lifecycle
    from acllite import pyacl as acl

    assert acl.init() == 0
    assert acl.rt.set_device(0) == 0
    stream, ret = acl.rt.create_stream()
    assert ret == 0
    dev = acllite.Device(0)
    buf = dev.alloc_host(64)
    seen: List[Any] = []
    done = threading.Event()

    def callback(data: Any) -> None:
        seen.append((_lifecycle.may_release_here(), threading.current_thread().name))
        buf.close()  # deferred: this is the report thread, inside a callback
        seen.append(acllite.emulator_live_counts()["hostAllocations"])
        done.set()

    reporter = ReportThread()
    try:
        assert acl.rt.subscribe_report(reporter.ident, stream) == 0
        reporter.start_processing()
        assert acl.rt.launch_callback(callback, None, 1, stream) == 0
        assert acl.rt.synchronize_stream(stream) == 0
        assert done.wait(10)
        assert acl.rt.unsubscribe_report(reporter.ident, stream) == 0
    finally:
        reporter.stop()
    assert seen[0] == (False, "acl-report")
    assert seen[1] == 1  # still allocated while the callback ran
    assert buf.closed
    dev.close()  # a device still in use by the pyACL calls: only acllite's count of it drops
    assert acl.rt.destroy_stream(stream) == 0
    assert acl.rt.reset_device(0) == 0
    assert acl.finalize() == 0
    assert not any(acllite.emulator_leak_report().values()), acllite.emulator_leak_report()
    assert not _lifecycle.pending_releases()
