"""``acllite bench serve``: the classifier over HTTP on Ray Serve, next to the in-process Classifier, same run.

* baseline, ``in-process``: one :class:`acllite.tools.classify.Classifier` (the demo model, batch 1) in this
  process; C client threads hand it their images through a queue and one worker classifies them in arrival
  order, so its throughput is the sequential one and its latency includes the wait in the queue, as a server
  without batching would have;
* ``serve, R replica(s)``: ``acllite serve --replicas R`` (a local Ray instance in a child process, R emulated
  NPUs, requests batched into the gears of the model) and C client threads, each with a keep-alive HTTP
  connection, posting the same images.

For each replica count, round and concurrency C (1, 8, 32): the baseline's images, then the server's (the
baseline's rounds are pooled over the replica counts). A record per (path, replicas, concurrency, metric):
throughput (images/s), p50 and p99 latency (ms), each the median of the rounds. The client threads run on the
same cores as the server: their cost is part of what HTTP costs here.

The server runs with ``acllite serve``'s default ingress, HAProxy where Ray ships it (else Ray Serve's Python
proxy); the environment passes through, so ``RAY_SERVE_ENABLE_HA_PROXY=0 acllite bench serve`` measures the
Python proxy instead. At concurrency 1 the
replicas' own timer (GET /model: the time spent in the device work, decode to top-k) is read before and after
each round: the client's latency minus it is what HTTP and Ray Serve add per request.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import _timing as T

BASELINE = "in-process Classifier"
CONCURRENCY = (1, 8, 32)
UNITS = {"throughput": "images/s", "p50": "ms", "p99": "ms"}


def _percentile(values: Sequence[float], q: float) -> float:
    return T.percentile(sorted(values), q)


def _drive(call: Callable[[int], None], count: int, concurrency: int) -> Tuple[float, List[float]]:
    """``count`` calls from ``concurrency`` threads: (images/s, per-call latencies in ms)."""
    latencies: List[float] = []
    lock = threading.Lock()
    next_index = [0]
    errors: List[BaseException] = []

    def worker() -> None:
        while True:
            with lock:
                k = next_index[0]
                next_index[0] += 1
            if k >= count or errors:
                return
            t0 = time.perf_counter()
            try:
                call(k)
            except BaseException as exc:  # reported below
                errors.append(exc)
                return
            dt = (time.perf_counter() - t0) * 1000.0
            with lock:
                latencies.append(dt)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return count / elapsed, latencies


class _InProcess:
    """One Classifier serving client threads in arrival order (a queue and one worker), as a server without
    batching would: a request's latency is its wait in the queue plus its own classification."""

    def __init__(self, paths: List[str]):
        import queue

        from ..classify import Classifier, prepare_demo_model

        self.clf = Classifier(prepare_demo_model())
        self.paths = paths
        self.jobs: "queue.Queue[Optional[Tuple[int, threading.Event, List[BaseException]]]]" = queue.Queue()
        self.worker = threading.Thread(target=self._work, daemon=True)
        self.worker.start()

    def _work(self) -> None:
        self.clf.device.make_current()
        while True:
            job = self.jobs.get()
            if job is None:
                return
            k, done, errors = job
            try:
                self.clf.classify(self.paths[k % len(self.paths)])
            except BaseException as exc:  # handed to the client thread
                errors.append(exc)
            done.set()

    def __call__(self, k: int) -> None:
        done, errors = threading.Event(), []  # type: ignore[var-annotated]
        self.jobs.put((k, done, errors))
        done.wait()
        if errors:
            raise errors[0]

    def close(self) -> None:
        self.jobs.put(None)
        self.worker.join()
        self.clf.close()


class _Server:
    """``acllite serve`` in a child process, and a keep-alive HTTP connection per client thread."""

    def __init__(self, replicas: int, max_batch: int, images: List[bytes]):
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        env = dict(os.environ, ACLLITE_EMU_DEVICES=str(replicas), RAY_USAGE_STATS_ENABLED="0")
        for var in ("ASCEND_RT_VISIBLE_DEVICES", "ASCEND_VISIBLE_DEVICES", "RAY_ADDRESS"):
            env.pop(var, None)
        # acllite serve's default ingress: HAProxy where Ray ships it (RAY_SERVE_ENABLE_HA_PROXY in env chooses)
        self.proc = subprocess.Popen([sys.executable, "-m", "acllite", "serve", "--replicas", str(replicas),
                                      "--max-batch", str(max_batch), "--port", str(self.port)], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.err: List[str] = []
        threading.Thread(target=lambda: self.err.extend(self.proc.stderr), daemon=True).start()  # type: ignore
        box: List[str] = []
        reader = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()), daemon=True)  # type: ignore
        reader.start()
        reader.join(300)
        if not box or not box[0].strip():
            self.stop()
            raise RuntimeError("acllite serve did not start:\n" + "".join(self.err))
        self.images = images
        self.local = threading.local()

    @property
    def ingress(self) -> str:
        """What ``acllite serve`` said it uses (haproxy or proxy)."""
        m = re.search(r"ingress: (\w+)", "".join(self.err))
        return m.group(1) if m else "?"

    def device_time(self) -> Tuple[float, int]:
        """(seconds of device work, images) summed over the replicas that answer GET /model (one per call, so
        with several replicas this samples one of them: use it with 1 replica)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("GET", "/model")
            r = conn.getresponse()
            body = json.loads(r.read())
        finally:
            conn.close()
        return float(body["busy_seconds"]), int(body["images"])

    def __call__(self, k: int) -> None:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request("POST", "/classify", body=self.images[k % len(self.images)],
                      headers={"Content-Type": "application/octet-stream"})
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise RuntimeError("POST /classify: %d %r" % (r.status, body[:200]))

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        time.sleep(0.2)
        return "".join(self.err)


def run(args: argparse.Namespace) -> List[Dict[str, Any]]:
    try:
        import ray  # noqa: F401
        from ray import serve  # noqa: F401
    except ImportError:
        T.note("serve: skipped, Ray Serve is not installed (pip install 'acllite[serve]')")
        return []
    from .pipeline import _images

    os.environ["ACLLITE_EMU_ORT_SPINNING"] = "0"  # as the replicas run their model engine
    images = _images(getattr(args, "image_dir", None))
    quick = bool(getattr(args, "quick", False))
    replica_counts = [int(x) for x in str(getattr(args, "replicas", None) or ("1" if quick else "1,2")).split(",")]
    count = getattr(args, "images", None) or 160
    repeat = args.repeat or 3
    max_batch = 8
    import tempfile

    with tempfile.TemporaryDirectory(prefix="acllite-bench-serve-") as tmp:
        paths = []
        for i, data in enumerate(images):
            path = os.path.join(tmp, "%d.jpg" % i)
            with open(path, "wb") as f:
                f.write(data)
            paths.append(path)
        try:
            inproc = _InProcess(paths)
        except Exception as exc:  # the demo model's weights are an optional package (acllite[demo])
            T.note("serve: skipped, the demo model is unavailable: %s" % str(exc).splitlines()[0])
            return []
        return _measure(inproc, images, replica_counts, count, repeat, max_batch)


def _measure(inproc: "_InProcess", images: List[bytes], replica_counts: List[int], count: int, repeat: int,
             max_batch: int) -> List[Dict[str, Any]]:
    samples: Dict[Tuple[str, int, int], Dict[str, List[float]]] = {}

    def add(path: str, replicas: int, c: int, rate: float, lat: List[float]) -> None:
        s = samples.setdefault((path, replicas, c), {"throughput": [], "p50": [], "p99": []})
        s["throughput"].append(rate)
        s["p50"].append(_percentile(lat, 0.5))
        s["p99"].append(_percentile(lat, 0.99))

    T.progress.start("serve", len(replica_counts) * (repeat + 1))
    try:
        _drive(inproc, 4, 1)
        for replicas in replica_counts:
            T.progress.step("starting acllite serve --replicas %d" % replicas)
            server = _Server(replicas, max_batch, images)
            device_ms: List[float] = []
            try:
                _drive(server, max(48, 8 * max_batch), 8)  # warm-up: every gear shape runs once
                for r in range(repeat):
                    T.progress.step("%d replica(s), round %d" % (replicas, r + 1))
                    for c in CONCURRENCY:
                        n = max(count // 2, 4 * c) if c == 1 else max(count, 4 * c)
                        add("in-process", 0, c, *_drive(inproc, n, c))  # interleaved with every server's rounds
                        before = server.device_time() if c == 1 and replicas == 1 else None
                        add("serve", replicas, c, *_drive(server, n, c))
                        if before is not None:
                            after = server.device_time()
                            if after[1] > before[1]:
                                device_ms.append((after[0] - before[0]) * 1000.0 / (after[1] - before[1]))
            finally:
                log = server.stop()
            if device_ms:
                p50 = T.stats(samples[("serve", replicas, 1)]["p50"]).median
                T.note("serve: ingress %s; 1 replica, C=1: the replica's device work (decode to top-k) %.1f ms per "
                       "request, the client's p50 %.1f ms: HTTP and Ray Serve add %.1f ms" % (
                           server.ingress, T.stats(device_ms).median, p50, p50 - T.stats(device_ms).median))
            else:
                T.note("serve: ingress %s" % server.ingress)
            released = re.findall(r"leak report: (\S+)", log)
            if not released or any(x != "empty" for x in released):
                T.note("serve: %d replica(s): the shutdown did not report clean releases:\n%s" % (replicas, log))
    finally:
        T.progress.finish()
        inproc.close()
    return _records(samples, replica_counts, repeat, count)


def _records(samples: Dict[Tuple[str, int, int], Dict[str, List[float]]], replica_counts: List[int], repeat: int,
             count: int) -> List[Dict[str, Any]]:
    records: List[Dict[str, Any]] = []
    rows = []
    for c in CONCURRENCY:
        base = {m: T.stats(v).median for m, v in samples[("in-process", 0, c)].items()}
        for path, replicas in [("in-process", 0)] + [("serve", r) for r in replica_counts]:
            row = ["%s (C=%d)" % (BASELINE if path == "in-process" else "serve, %d replica(s)" % replicas, c)]
            for metric in ("throughput", "p50", "p99"):
                st = T.stats(samples[(path, replicas, c)][metric])
                name = "%s, C=%d, %s" % (BASELINE if path == "in-process" else "serve %d replica(s)" % replicas, c,
                                         metric)
                records.append(T.record("serve", name, "median", st.median, UNITS[metric],
                                        "%s, C=%d, %s" % (BASELINE, c, metric), base[metric], p10=st.p10, p90=st.p90,
                                        repeat=repeat, path=path, replicas=replicas, concurrency=c,
                                        metric=metric, requests=count,
                                        description="%s at concurrency %d (median of %d rounds)" % (metric, c,
                                                                                                   repeat)))
                row.append(T.fmt(st.median) + ("" if path == "in-process" else " (%.2fx)" % (st.median /
                                                                                             base[metric])))
            rows.append(row)
    print("acllite bench serve: %s" % T.banner())
    print(T.format_table(["path (concurrency)", "images/s", "p50 ms", "p99 ms"], rows))
    print("medians of %d rounds; (x) against the in-process Classifier at the same concurrency." % repeat)
    for line in target_lines(records):
        print(line)
    return records


def _find(records: List[Dict[str, Any]], path: str, replicas: int, c: int, metric: str) -> Optional[Dict[str, Any]]:
    for r in records:
        if (r.get("path"), r.get("replicas"), r.get("concurrency"), r.get("metric")) == (path, replicas, c, metric):
            return r
    return None


def target_lines(records: List[Dict[str, Any]]) -> List[str]:
    """The issue's targets read off one run's records, and the throughput per replica."""
    out = []
    tp = _find(records, "serve", 1, 8, "throughput")
    if tp:
        out.append("target throughput, 1 replica, C=8 >= 0.8x in-process: %.2fx (%s)" % (
            tp["ratio"], "met" if tp["ratio"] >= 0.8 else "MISSED"))
    p50 = _find(records, "serve", 1, 1, "p50")
    if p50:
        extra = p50["value"] - p50["baseline_value"]
        out.append("target p50 latency, 1 replica, C=1 <= in-process + 5 ms: +%.1f ms (%s)" % (
            extra, "met" if extra <= 5.0 else "MISSED"))
    for r in records:
        if r.get("path") == "serve" and r.get("metric") == "throughput" and r.get("concurrency") == 32:
            out.append("scaling: %d replica(s), C=32: %.1f images/s, %.1f per replica (%.2fx in-process)" % (
                r["replicas"], r["value"], r["value"] / r["replicas"], r["ratio"]))
    return out
