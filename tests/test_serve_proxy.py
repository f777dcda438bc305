"""``acllite serve --ingress proxy`` with a real Ray: Ray Serve's Python HTTP proxy (the default where Ray ships
no HAProxy, and the choice on any host) serving the same answers, batching, and surviving a killed replica. A
module of its own so that its Ray instance never runs next to tests/test_serve.py's (module-scoped servers live
until their module ends). Where HAProxy is not shipped, tests/test_serve.py already runs the proxy: skipped then.
"""

from __future__ import annotations

import concurrent.futures
from typing import Dict, Iterator, List, Tuple

import pytest

from test_serve import (Server, assert_stopped_cleanly, image_dir, images, kill_a_replica_mid_load,  # noqa: F401
                        matches, pytestmark, reference, replicas_seen, request)


@pytest.fixture(scope="module")
def proxy_server() -> Iterator[Server]:
    from acllite.tools.serve.ingress import default_ingress

    if default_ingress() == "proxy":
        pytest.skip("the default ingress is the proxy here: tests/test_serve.py runs it")
    s = Server(2, "auto", "--ingress", "proxy")
    s.wait_ready()
    yield s
    assert_stopped_cleanly(s, 2)


# images and reference are test_serve's module fixtures, imported above (the same files, the same reference run)
def test_proxy_ingress_answers_as_haproxy_does_and_batches(
        proxy_server: Server, images: Dict[str, bytes],  # noqa: F811
        reference: Dict[str, List[Tuple[int, float]]]) -> None:  # noqa: F811
    s = proxy_server
    assert "ingress: proxy" in s.stderr() and s.haproxy == [], s.haproxy
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


def test_proxy_ingress_answers_a_killed_replicas_requests_with_5xx(
        proxy_server: Server, images: Dict[str, bytes],  # noqa: F811
        reference: Dict[str, List[Tuple[int, float]]]) -> None:  # noqa: F811
    """The proxy does not resend a request whose replica died: those get a 5xx; the rest succeed."""
    results = kill_a_replica_mid_load(proxy_server, images, reference)
    assert sum(1 for r in results if r[1] == 200) >= 60, [r[1] for r in results if r[1] != 200]
