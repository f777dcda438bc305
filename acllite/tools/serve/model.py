"""The served model: the demo EfficientNet-Lite0 with AIPP and batch gears, prepared once per host.

``acllite atc --dynamic_batch_size`` makes the gears; the replicas pack concurrent requests into them. Preparing is
idempotent and safe when several replicas of one host start at once (a lock file in the model directory, and the
converted model is written under a temporary name and renamed).
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import Callable, List, Optional

from ..classify import AIPP_CONFIG, DEMO_MODEL_STEM, model_dir

__all__ = ["gears_for", "prepare_serving_model", "DEFAULT_MAX_BATCH"]

logger = logging.getLogger("acllite.serve")

DEFAULT_MAX_BATCH = 8
MAX_GEAR = 64  # a replica holds max_batch decoded pictures at once; beyond this, batching only adds latency


def gears_for(max_batch: int) -> List[int]:
    """Batch gears up to ``max_batch``: the powers of two below it, and itself (8: 1,2,4,8; 6: 1,2,4,6). Every
    batch from 1 to ``max_batch`` is then a sum of gears, so nothing is padded."""
    if not 1 <= max_batch <= MAX_GEAR:
        raise ValueError("--max-batch must be 1 to %d, got %d" % (MAX_GEAR, max_batch))
    gears = []
    g = 1
    while g < max_batch:
        gears.append(g)
        g *= 2
    return gears + [max_batch]


def prepare_serving_model(max_batch: int = DEFAULT_MAX_BATCH, directory: Optional[Path] = None,
                          announce: Optional[Callable[[str], None]] = None) -> Path:
    """The demo model with AIPP and the gears of ``max_batch``; returns the path of the ``.om`` acllite atc
    wrote (it runs on the emulator only). Raises :class:`acllite.demo.efficientnet.WeightsMissing` without the
    weights."""
    from .. import atc
    from ...demo import efficientnet

    gears = gears_for(max_batch)
    directory = Path(directory or model_dir())
    directory.mkdir(parents=True, exist_ok=True)
    stem = "%s_b%s" % (DEMO_MODEL_STEM, "-".join(str(g) for g in gears))
    converted = directory / (stem + ".om")
    stamp = directory / (stem + ".source")
    with open(directory / ".acllite-serve.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one preparer per host at a time; the others then find it done
        if announce is not None and not efficientnet.is_prepared(directory):
            announce("preparing the demo model in %s (once)..." % directory)
        plain = efficientnet.prepare(directory)
        source = "%s %s gears=%s" % (plain.stat().st_mtime_ns, AIPP_CONFIG.read_text(), gears)
        if not converted.exists() or not stamp.exists() or stamp.read_text() != source:
            if announce is not None:
                announce("converting the demo model with AIPP and batch gears %s, once..." % gears)
            logger.info("converting %s with AIPP (%s) and gears %s", plain, AIPP_CONFIG, gears)
            partial = directory / ("%s.partial-%d" % (stem, os.getpid()))
            written = atc.convert(str(plain), str(partial), insert_op_conf=str(AIPP_CONFIG),
                                  input_shape="input:-1,3,224,224",
                                  dynamic_batch_size=",".join(str(g) for g in gears), soc_version="Ascend310",
                                  command="acllite serve (acllite atc --dynamic_batch_size=%s)" %
                                  ",".join(str(g) for g in gears))
            os.replace(written, converted)
            stamp.write_text(source)
    return converted
