"""The Ray Serve application: one replica per NPU, each on the device Ray gave it, requests batched into gears.

Routes (HTTP, under the application's route prefix, "/" by default):

* ``POST /classify[?top=K]`` with a JPEG or PNG body -> ``{"predictions": [{"label", "name", "confidence"}...]}``;
* ``GET /health`` -> ``{"status": "ok", ...}`` (this replica: its device, process, ASCEND_RT_VISIBLE_DEVICES);
* ``GET /model`` -> the model (gears, input) and this replica's counts (requests per batch, gear runs).

Errors are JSON ``{"error": message[, "acl_error": {"code", "name"}]}``: 400 empty body, not an image or an image
that does not decode; 413 too large (MAX_BODY_BYTES); 415 another image format or a JPEG that DVPP does not
decode; 404/405 other routes and methods; 500 device errors with the AscendCL code and message; 503 a replica whose
device failed.

``build_app(args)`` is the application builder for Ray Serve config files and ``serve run``::

    serve run acllite.tools.serve.app:build_app replicas=2 max_batch=8
    # or in a config file: import_path: acllite.tools.serve.app:build_app, args: {replicas: 2}

Each replica requests ``{"NPU": 1}`` (Ray's built-in accelerator resource; Ray sets ASCEND_RT_VISIBLE_DEVICES for
the replica's process, so its device is device 0 there) and no CPU: the NPU is what it occupies.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import time
from typing import Any, Dict, List, Optional, Tuple

from ray import serve
from starlette.requests import Request
from starlette.responses import JSONResponse

from .engine import (MAX_BODY_BYTES, BatchClassifier, ImageRejected, RequestError, check_image, declared_length,
                     device_error, parse_top)
from .model import DEFAULT_MAX_BATCH, prepare_serving_model

__all__ = ["Classifier", "build_app", "deployment_options", "DEFAULT_BATCH_WAIT_S"]

# Ray Serve's replica log is the "ray.serve" logger's (logs/serve/replica_*.log in the Ray session directory).
logger = logging.getLogger("ray.serve")

LANES = 2  # batches in flight per replica: one decodes on DVPP while the other runs the model
DEFAULT_BATCH_WAIT_S = 0.0  # no waiting for more requests: a batch takes what queued while the device worked
APP_NAME = "acllite"
# No access log line per request (it costs the replica and the proxy CPU on every request); errors are logged.
LOGGING = {"enable_access_log": False}


def _json(status: int, body: Dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status)


@serve.deployment(name="Classifier", ray_actor_options={"resources": {"NPU": 1}, "num_cpus": 0})
class Classifier:
    """One replica: the device work runs on threads of its own (LANES of them), never on the event loop."""

    def __init__(self, model: Optional[str] = None, max_batch: int = DEFAULT_MAX_BATCH,
                 batch_wait_s: float = DEFAULT_BATCH_WAIT_S, top: int = 5):
        # Idle onnxruntime threads (the emulator's model engine) must not spin on the cores the HTTP proxy and the
        # decoder need between batches.
        os.environ.setdefault("ACLLITE_EMU_ORT_SPINNING", "0")
        self._thread = concurrent.futures.ThreadPoolExecutor(LANES, thread_name_prefix="acllite-device")
        self._top = top
        self._visible = os.environ.get("ASCEND_RT_VISIBLE_DEVICES")
        self._engine: Optional[BatchClassifier] = None
        self._failed: Optional[RequestError] = None
        path = model or str(prepare_serving_model(max_batch))
        try:
            # Ray made the NPU it gave this replica the process's only device: device 0.
            self._engine = self._thread.submit(BatchClassifier, path, 0, max_batch, LANES).result()
        except BaseException:
            self._thread.shutdown(wait=True)
            raise  # Ray Serve reports the constructor's exception (the AscendCL code and message) as the reason
        engine = self._engine
        self._classify_batch.set_max_batch_size(engine.max_batch)  # type: ignore[attr-defined]  # serve.batch's
        self._classify_batch.set_batch_wait_timeout_s(batch_wait_s)  # type: ignore[attr-defined]
        logger.info("acllite replica ready: pid %d, ASCEND_RT_VISIBLE_DEVICES=%s, %s on %s (%s), gears %s, max batch "
                    "%d", os.getpid(), self._visible, engine.model_path, engine.soc, engine.backend, engine.gears,
                    engine.max_batch)

    async def __call__(self, request: Request) -> JSONResponse:
        path = request.scope.get("path", "/")
        prefix = request.scope.get("root_path", "")  # the application's route prefix, when it is not "/"
        if prefix and path.startswith(prefix):
            path = path[len(prefix):]
        path = "/" + path.strip("/")
        routes = {"/classify": ("POST", self._post_classify), "/health": ("GET", self._get_health),
                  "/model": ("GET", self._get_model)}
        if path not in routes:
            return _json(404, {"error": "no route %s: POST /classify, GET /health, GET /model" % request.url.path})
        method, handler = routes[path]
        if request.method != method:
            return _json(405, {"error": "%s %s: use %s" % (request.method, path, method)})
        try:
            return await handler(request)
        except RequestError as exc:
            return _json(exc.status, exc.to_json())

    # -- routes -------------------------------------------------------------------------------------------------
    async def _post_classify(self, request: Request) -> JSONResponse:
        top = self._top
        if "top" in request.query_params:
            top = parse_top(request.query_params["top"])
        data = await _read_body(request)
        check_image(data)
        if self._failed is not None:
            raise self._failed
        result = await self._classify_batch((data, top))
        if isinstance(result, RequestError):
            raise result
        return _json(200, {"predictions": [{"label": p.label, "name": p.name, "confidence": p.confidence}
                                           for p in result]})

    async def _get_health(self, request: Request) -> JSONResponse:
        if self._failed is not None:
            return _json(503, self._failed.to_json())
        return _json(200, {"status": "ok", "pid": os.getpid(), "ascend_rt_visible_devices": self._visible,
                           "device": 0})

    async def _get_model(self, request: Request) -> JSONResponse:
        assert self._engine is not None
        info = self._engine.describe()
        info.update(pid=os.getpid(), ascend_rt_visible_devices=self._visible)
        return _json(200, info)

    # -- batching -----------------------------------------------------------------------------------------------
    @serve.batch(max_batch_size=DEFAULT_MAX_BATCH, batch_wait_timeout_s=DEFAULT_BATCH_WAIT_S,
                 max_concurrent_batches=LANES)
    async def _classify_batch(self, items: List[Tuple[bytes, int]]) -> List[Any]:
        """Requests that arrived together, run as one call on a device thread (the event loop stays free; LANES
        batches run at once)."""
        assert self._engine is not None
        top = max(t for _, t in items)
        loop = asyncio.get_running_loop()
        try:
            results = await loop.run_in_executor(self._thread, self._engine.classify_batch, [d for d, _ in items],
                                                 top)
        except Exception as exc:  # the engine itself failed: this replica cannot serve any more
            self._failed = device_error(exc, "the replica")
            self._failed.status = 503
            logger.error("acllite replica failed: %s", self._failed.message)
            return [self._failed] * len(items)
        return [r if isinstance(r, RequestError) else r[:t] for r, (_, t) in zip(results, items)]

    def check_health(self) -> None:
        """Ray Serve's health check: a replica whose device failed is replaced."""
        if self._failed is not None:
            raise RuntimeError(self._failed.message)

    async def __del__(self) -> None:
        """Graceful shutdown (Ray Serve calls this): release everything and log the emulator's leak report."""
        engine, self._engine = self._engine, None
        if engine is None:
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, engine.close)
        self._thread.shutdown(wait=True)
        import acllite

        if acllite.backend_info().name == "emulator":
            left = {k: v for k, v in acllite.emulator_leak_report().items() if v}
            logger.info("acllite replica %d released in order; leak report: %s", os.getpid(),
                        "empty" if not left else left)
        else:
            logger.info("acllite replica %d released in order", os.getpid())


async def _read_body(request: Request) -> bytes:
    """The body, or 413 when it passes MAX_BODY_BYTES. Past the limit nothing more is kept, but the rest is still
    read (and dropped): a client that sends its whole body before reading the answer then gets the 413 instead of
    a reset connection."""
    length = declared_length(request.headers.get("content-length"))
    too_large = length is not None and length > MAX_BODY_BYTES
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            too_large = True
        if not too_large:
            chunks.append(chunk)
    if too_large:
        raise ImageRejected(413, "the body is %d bytes; the limit is %d (%d MiB)" % (max(size, length or 0),
                                                                                   MAX_BODY_BYTES,
                                                                                   MAX_BODY_BYTES >> 20))
    return b"".join(chunks)


def deployment_options(replicas: int, health_check_period_s: Optional[float] = None) -> Dict[str, Any]:
    """The Serve options of ``replicas`` replicas, each holding one NPU."""
    opts: Dict[str, Any] = {"num_replicas": replicas, "max_ongoing_requests": 4 * DEFAULT_MAX_BATCH,
                            "ray_actor_options": {"resources": {"NPU": 1}, "num_cpus": 0},
                            "logging_config": LOGGING,
                            # a model that does not load will not load on the next try either: give up soon
                            "max_constructor_retry_count": 3}
    if health_check_period_s is not None:
        opts["health_check_period_s"] = health_check_period_s
    return opts


def build_app(args: Dict[str, Any]) -> Any:
    """The application builder (``serve run acllite.tools.serve.app:build_app key=value ...``).

    Arguments (all optional): ``model`` (a model with AIPP and batch gears; default the demo model, prepared on
    each replica's host), ``replicas`` (a number, or ``auto``: one per NPU in the cluster; default auto),
    ``max_batch`` (default 8), ``batch_wait_s`` (default 0.002), ``top`` (default 5),
    ``max_ongoing_requests``, ``health_check_period_s``.
    """
    import ray

    ensure_acl()  # `serve run module:build_app` starts Ray after building: its NPU detection then finds the devices
    npus = npus_in_cluster()
    replicas = args.get("replicas", "auto")
    replicas = npus if replicas == "auto" else int(replicas)
    if replicas < 1 or (ray.is_initialized() and replicas > npus):  # replicas without NPUs would wait forever
        raise RuntimeError("%s replica(s) need as many NPUs; the Ray cluster has %d: see docs/SERVING.md (Ray "
                           "detects NPUs through `import acl`: PYTHONPATH=$(acllite pyacl --print-path) where Ray "
                           "starts)" % (replicas or "some", npus))
    opts = deployment_options(replicas, _float(args.get("health_check_period_s")))
    if args.get("max_ongoing_requests") is not None:
        opts["max_ongoing_requests"] = int(args["max_ongoing_requests"])
    max_batch = int(args.get("max_batch", DEFAULT_MAX_BATCH))
    opts["max_ongoing_requests"] = max(opts["max_ongoing_requests"], 2 * LANES * max_batch)
    deployment: Any = Classifier  # a serve.Deployment (the decorator's result), not the class mypy sees
    return deployment.options(**opts).bind(model=args.get("model"), max_batch=max_batch,
                                           batch_wait_s=float(args.get("batch_wait_s", DEFAULT_BATCH_WAIT_S)),
                                           top=int(args.get("top", 5)))


def _float(value: Any) -> Optional[float]:
    return None if value is None else float(value)


def ensure_acl() -> str:
    """Make ``import acl`` work in this process as ``acllite pyacl`` does (a real pyACL when one imports, else
    acllite's), so that a Ray instance started here detects the NPUs; returns "real" or "acllite"."""
    import sys

    from ...pyacl.__main__ import mode_from_env, select

    if "acl" in sys.modules:
        return "acllite" if getattr(sys.modules["acl"], "__name__", "") == "acllite.pyacl" else "real"
    return select(mode_from_env(), quiet=True)


def npus_in_cluster() -> int:
    """The NPUs of the Ray cluster this process is connected to (waiting a moment for nodes that are joining), or,
    before Ray is started here (``serve run`` builds the application first), those Ray will detect on this host:
    ``acl.rt.get_device_count()``, as Ray counts them."""
    import ray

    if not ray.is_initialized():
        ensure_acl()
        import acl  # type: ignore[import-not-found]

        count, ret = acl.rt.get_device_count()
        return int(count) if ret == 0 else 0
    deadline = time.monotonic() + 2.0
    while True:
        n = int(ray.cluster_resources().get("NPU", 0))
        if n or time.monotonic() > deadline:
            return n
        time.sleep(0.1)
