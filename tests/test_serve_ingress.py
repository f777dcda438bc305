"""``acllite serve``'s ingress settings (acllite.tools.serve.ingress): what a local Ray instance is given, without
Ray. tests/test_serve.py runs the server with them."""

from __future__ import annotations

import os
import socket

import pytest

from acllite.tools.serve import ingress as ing
from acllite.tools.serve.cli import build_parser


def test_haproxy_settings_are_private_to_the_run_and_removed_after() -> None:
    a, b = ing.LocalIngress("haproxy"), ing.LocalIngress("haproxy")
    try:
        sa, sb = a.settings(), b.settings()
        assert sa["RAY_SERVE_ENABLE_HA_PROXY"] == "1"
        assert a.directory and b.directory and a.directory != b.directory and os.path.isdir(a.directory)
        for key in ("RAY_SERVE_HAPROXY_CONFIG_FILE_LOC", "RAY_SERVE_HAPROXY_SOCKET_PATH",
                    "RAY_SERVE_HAPROXY_SERVER_STATE_FILE", "RAY_SERVE_HAPROXY_METRICS_SOCKET_PATH"):
            assert os.path.dirname(sa[key]) == a.directory
            # Ray adds a directory named by the node id (56 hex digits); HAProxy refuses longer socket paths
            d, f = os.path.split(sa[key])
            assert len(os.path.join(d, "f" * ing.NODE_ID_CHARS, f)) <= ing.SOCKET_PATH_MAX
        assert sa["RAY_SERVE_HAPROXY_SERVER_STATE_BASE"] == a.directory
        assert float(sa["RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S"]) < 30
        assert sa["RAY_SERVE_HAPROXY_RETRY_ON"].split() == ["conn-failure", "empty-response"]
        assert int(sa["RAY_SERVE_HAPROXY_TUNE_BUFSIZE"]) == 256 << 10
        ports = [int(s[k]) for s in (sa, sb) for k in ("RAY_SERVE_HAPROXY_STATS_PORT",
                                                        "RAY_SERVE_HAPROXY_METRICS_PORT")]
        assert all(1024 <= p < 65536 for p in ports) and 8404 not in ports and 9101 not in ports
        for p in ports[:2]:  # free when chosen
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", p))
    finally:
        a.close()
        b.close()
    assert a.directory is None and not os.path.exists(sa["RAY_SERVE_HAPROXY_SOCKET_PATH"])
    a.close()  # idempotent


def test_a_long_temporary_directory_falls_back_to_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    deep = os.path.join(str(tmp_path), "d" * 60)
    os.makedirs(deep)
    monkeypatch.setenv("TMPDIR", deep)
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    i = ing.LocalIngress("haproxy")
    try:
        path = i.settings()["RAY_SERVE_HAPROXY_METRICS_SOCKET_PATH"]
        assert path.startswith("/tmp/acllite-ha-")
        d, f = os.path.split(path)
        assert len(os.path.join(d, "f" * ing.NODE_ID_CHARS, f)) <= ing.SOCKET_PATH_MAX
    finally:
        i.close()


def test_apply_keeps_what_the_user_set_except_for_an_explicit_proxy() -> None:
    env = {"RAY_SERVE_HAPROXY_RETRY_ON": "conn-failure", "RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S": "30"}
    i = ing.LocalIngress("haproxy")
    try:
        assert i.apply(env) == "haproxy"
        assert env["RAY_SERVE_HAPROXY_RETRY_ON"] == "conn-failure"
        assert env["RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S"] == "30"
        assert env["RAY_SERVE_ENABLE_HA_PROXY"] == "1"
    finally:
        i.close()
    off = {"RAY_SERVE_ENABLE_HA_PROXY": "0"}
    i = ing.LocalIngress("haproxy")
    try:
        assert i.apply(off) == "proxy"  # the user's switch wins over the default, and is reported
    finally:
        i.close()
    on = {"RAY_SERVE_ENABLE_HA_PROXY": "1"}
    p = ing.LocalIngress("proxy")
    assert p.apply(on) == "proxy" and on == {"RAY_SERVE_ENABLE_HA_PROXY": "0"} and p.directory is None


def test_ingress_option_and_default() -> None:
    assert build_parser().parse_args([]).ingress is None
    assert build_parser().parse_args(["--ingress", "proxy"]).ingress == "proxy"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--ingress", "nginx"])
    with pytest.raises(ValueError):
        ing.LocalIngress("nginx")
    assert ing.DEFAULT_INGRESS == "proxy"


def test_ingress_with_a_cluster_address_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from acllite.tools.serve.cli import main

    assert main(["--address", "127.0.0.1:1", "--ingress", "haproxy"]) == 2
    assert "--ingress applies to a local Ray instance" in capsys.readouterr().err
