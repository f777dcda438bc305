"""Which physical device each of this process's devices is: ``acllite info`` shows both numberings.

The runtime (CANN's, or the emulator's: csrc/emu/device.c) applies the visibility settings; this module only
labels the devices it reports. ``ASCEND_VISIBLE_DEVICES`` (Ascend Docker Runtime: the physical devices a container
has, ids and ranges such as ``0,2-3``) gives the container's devices in ascending physical order;
``ASCEND_RT_VISIBLE_DEVICES`` (CANN: ids among those, ascending, read up to the first invalid id or other
character) gives the process's devices 0..k-1. The runtime's device count says how many ids of the list it read, so
the list's invalid tail never needs judging here. docs/SERVING.md has the rules and their sources.
"""

from __future__ import annotations

import os
import re
from typing import List, Mapping, Optional, Set

__all__ = ["physical_ids", "container_devices", "process_devices"]


def container_devices(text: Optional[str]) -> Optional[List[int]]:
    """The physical ids ``ASCEND_VISIBLE_DEVICES`` mounts, ascending (None when unset or not ids and ranges)."""
    if text is None:
        return None
    if text in ("", "void"):
        return []
    ids: Set[int] = set()
    for item in text.split(","):
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", item)
        if not m:
            return None
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) is not None else first
        ids.update(range(first, last + 1))
    return sorted(ids)


def process_devices(text: Optional[str], count: int) -> List[int]:
    """The container-level ids of the process's ``count`` devices: the first ``count`` ids of
    ``ASCEND_RT_VISIBLE_DEVICES`` (all of 0..count-1 when it is unset)."""
    if text is None:
        return list(range(count))
    return [int(t) for t in re.findall(r"\d+", re.match(r"[\d,]*", text).group(0))][:count]  # type: ignore[union-attr]


def physical_ids(count: int, environ: Optional[Mapping[str, str]] = None) -> List[Optional[int]]:
    """For each of the ``count`` devices the runtime reports, its physical id (None where it cannot be told)."""
    env = os.environ if environ is None else environ
    ids = process_devices(env.get("ASCEND_RT_VISIBLE_DEVICES"), count)
    mounted = env.get("ASCEND_VISIBLE_DEVICES")
    container = container_devices(mounted)
    if mounted is None:
        return list(ids) + [None] * (count - len(ids))
    if container is None:  # another syntax (e.g. a device plugin's names): the mapping is unknown
        return [None] * count
    out: List[Optional[int]] = [container[i] if i < len(container) else None for i in ids]
    return out + [None] * (count - len(out))
