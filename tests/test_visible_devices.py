"""ASCEND_RT_VISIBLE_DEVICES and ASCEND_VISIBLE_DEVICES on the emulator, as CANN and Ascend Docker Runtime apply them.

The emulator reads its configuration once per process, so every case runs in a child process. The rules (and
where they come from) are in docs/SERVING.md; the cases marked "documented" are the examples of CANN's
environment-variable reference.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import Any, Dict, Optional

import pytest

from acllite.tools.devices import container_devices, physical_ids, process_devices

CHILD = r"""
import json, sys
from acllite.binding import ffi, lib

def message():
    p = lib.aclGetRecentErrMsg()
    return ffi.string(p).decode() if p != ffi.NULL else ""

out = {}
n = ffi.new("uint32_t *")
rc = lib.aclrtGetDeviceCount(n)                      # before aclInit, as Ray calls it
out["early"] = [rc, int(n[0]) if rc == 0 else None, message() if rc else ""]
soc = lib.aclrtGetSocName()
out["early_soc"] = ffi.string(soc).decode() if soc != ffi.NULL else None
rc = lib.aclInit(ffi.NULL)
out["init"] = [rc, message() if rc else ""]
if rc == 0:
    rc = lib.aclrtGetDeviceCount(n)
    count = int(n[0]) if rc == 0 else 0
    out["count"] = [rc, count, message() if rc else ""]
    sets = []
    for d in range(count + 1):                          # every visible device, and one past the end
        rc = lib.aclrtSetDevice(d)
        entry = [rc, message() if rc else ""]
        if rc == 0:
            cell = ffi.new("void **")
            entry.append(lib.aclrtMalloc(cell, 1024, 0))   # the renumbered device has memory of its own
            entry.append(lib.aclrtFree(cell[0]))
            entry.append(lib.aclrtResetDevice(d))
        sets.append(entry)
    out["set"] = sets
    from acllite.tools.devices import physical_ids
    out["physical"] = physical_ids(count)
    out["finalize"] = lib.aclFinalize()
    import acllite
    out["leaks"] = {k: v for k, v in acllite.emulator_leak_report().items() if v}
print(json.dumps(out))
"""


def run(physical: int = 4, rt: Optional[str] = None, container: Optional[str] = None) -> Dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in ("ASCEND_RT_VISIBLE_DEVICES", "ASCEND_VISIBLE_DEVICES")}
    env.update(ACLLITE_BACKEND="emulator", ACLLITE_EMU_DEVICES=str(physical))
    if rt is not None:
        env["ASCEND_RT_VISIBLE_DEVICES"] = rt
    if container is not None:
        env["ASCEND_VISIBLE_DEVICES"] = container
    proc = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120,
                          cwd=tempfile.gettempdir())  # outside the checkout: the installed acllite
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


VISIBLE_CASES = [
    # (ACLLITE_EMU_DEVICES, ASCEND_RT_VISIBLE_DEVICES, ASCEND_VISIBLE_DEVICES, physical ids of devices 0..k-1)
    (4, None, None, [0, 1, 2, 3]),
    (8, "1", None, [1]),                 # documented: one device, index 0 is device 1
    (8, "1,2,3", None, [1, 2, 3]),       # documented
    (8, "1, 2,3", None, [1]),            # documented: a space ends the list
    (8, "1,3,8", None, [1, 3]),          # documented: 8 is not a device, the ids before it are read
    (4, "0,2,x", None, [0, 2]),
    (4, "2,", None, [2]),
    (4, "0,,3", None, [0]),
    (4, None, "1-2", [1, 2]),            # a container with two of the host's devices
    (4, "1", "1-2", [2]),                # the process's device 0 is the container's device 1: physical 2
    (4, None, "3,0", [0, 3]),            # the container's devices are in physical order
    (4, "0,1", "0-1,3", [0, 1]),
    (4, "1,2", "0-1,3", [1, 3]),
    (64, None, None, list(range(64))),   # the emulator's most devices, each seen
    (64, "0,63", None, [0, 63]),
]


@pytest.mark.parametrize("physical, rt, container, expected", VISIBLE_CASES)
def test_visible_devices_are_renumbered_from_zero(physical: int, rt: Optional[str], container: Optional[str],
                                                  expected: list) -> None:
    r = run(physical, rt, container)
    k = len(expected)
    assert r["early"] == [0, k, ""] and r["early_soc"] == "Ascend310"
    assert r["init"] == [0, ""] and r["count"] == [0, k, ""]
    for d in range(k):
        assert r["set"][d] == [0, "", 0, 0, 0], (d, r["set"][d])
    rc, msg = r["set"][k]
    assert rc == 107001 and msg == ("aclrtSetDevice: device %d does not exist: %d device(s) visible "
                                    "(ACLLITE_EMU_DEVICES, ASCEND_RT_VISIBLE_DEVICES)" % (k, k))
    assert r["physical"] == expected  # what acllite info shows
    assert r["finalize"] == 0 and r["leaks"] == {}


NO_DEVICE_CASES = [
    (4, "", None, "ASCEND_RT_VISIBLE_DEVICES= names no usable device (ids 0 to 3, separated by commas)"),
    (4, "abc", None, "ASCEND_RT_VISIBLE_DEVICES=abc names no usable device (ids 0 to 3, separated by commas)"),
    (4, "-1", None, "ASCEND_RT_VISIBLE_DEVICES=-1 names no usable device"),
    (2, "4", None, "ASCEND_RT_VISIBLE_DEVICES=4 names no usable device (ids 0 to 1, separated by commas)"),
    (4, "99999999999999999999", None, "names no usable device"),
    (8, "0,2,4,6,1,3,5,7", None, "ASCEND_RT_VISIBLE_DEVICES=0,2,4,6,1,3,5,7: the device ids must be in ascending "
     "order"),
    (4, "1,1", None, "ASCEND_RT_VISIBLE_DEVICES=1,1: the device ids must be in ascending order"),
    (4, "3,1", None, "must be in ascending order"),
    (4, "1," * 3000, None, "ASCEND_RT_VISIBLE_DEVICES is longer than 4096 characters"),
    (4, None, "void", "no device is mounted in this container (ASCEND_VISIBLE_DEVICES=void)"),
    (4, None, "", "no device is mounted in this container (ASCEND_VISIBLE_DEVICES=)"),
    (4, "3", "1-2", "ASCEND_RT_VISIBLE_DEVICES=3 names no usable device (ids 0 to 1, separated by commas)"),
]


@pytest.mark.parametrize("physical, rt, container, reason", NO_DEVICE_CASES)
def test_a_list_that_leaves_no_device_gives_no_device(physical: int, rt: Optional[str], container: Optional[str],
                                                      reason: str) -> None:
    r = run(physical, rt, container)
    rc, count, msg = r["early"]
    assert rc == 207004 and msg.startswith("aclrtGetDeviceCount: no device: ") and reason in msg, r["early"]
    assert r["init"] == [0, ""]  # aclInit succeeds; the device calls say there is no device
    assert r["count"][0] == 207004 and reason in r["count"][2]
    rc, msg = r["set"][0]
    assert rc == 207004 and msg.startswith("aclrtSetDevice: no device: ") and reason in msg
    assert r["physical"] == [] and r["finalize"] == 0 and r["leaks"] == {}


@pytest.mark.parametrize("container", ["x", "5", "1,1", "2-1", "1-", "0-9", "-1", "1;2", "0 ,1", "1-2-3"])
def test_a_container_setting_docker_would_refuse_fails_at_init(container: str) -> None:
    r = run(4, None, container)
    expected = ("aclInit: ASCEND_VISIBLE_DEVICES=%s: expected device ids and ranges such as 0,2-3 (each once) of the "
                "4 emulated device(s) (ACLLITE_EMU_DEVICES): Ascend Docker Runtime would not start a container with "
                "it" % container)
    assert r["early"] == [100000, None, expected]
    assert r["early_soc"] is None
    assert r["init"] == [100000, expected]


def test_acllite_info_shows_both_numberings() -> None:
    env = dict(os.environ, ACLLITE_BACKEND="emulator", ACLLITE_EMU_DEVICES="4", ASCEND_VISIBLE_DEVICES="1-3",
               ASCEND_RT_VISIBLE_DEVICES="0,2")
    cli = [sys.executable, "-m", "acllite"]
    text = subprocess.run(cli + ["info"], env=env, capture_output=True, text=True, timeout=120, cwd=tempfile.gettempdir())
    assert text.returncode == 0, text.stderr
    lines = [ln.strip() for ln in text.stdout.splitlines()]
    assert "devices:       2" in text.stdout
    assert [ln.split(":")[0] for ln in lines if ln.startswith("device ")] == ["device 0 -> physical 1",
                                                                               "device 1 -> physical 3"]
    js = subprocess.run(cli + ["info", "--json"], env=env, capture_output=True, text=True, timeout=120, cwd=tempfile.gettempdir())
    report = json.loads(js.stdout)
    assert [(d["id"], d["physical_id"]) for d in report["devices"]] == [(0, 1), (1, 3)]
    env["ASCEND_RT_VISIBLE_DEVICES"] = "2,0"
    bad = subprocess.run(cli + ["info", "--json"], env=env, capture_output=True, text=True, timeout=120, cwd=tempfile.gettempdir())
    report = json.loads(bad.stdout)
    assert report["device_count"] == 0 and report["devices"] == []
    assert "ACL_ERROR_RT_NO_DEVICE (207004)" in report["no_device"]
    assert "ASCEND_RT_VISIBLE_DEVICES=2,0: the device ids must be in ascending order" in report["no_device"]


def test_the_labels_follow_the_runtime_count() -> None:
    assert container_devices(None) is None and container_devices("void") == [] and container_devices("") == []
    assert container_devices("3,0-1") == [0, 1, 3] and container_devices("Ascend910-1") is None
    assert process_devices(None, 3) == [0, 1, 2] and process_devices("1, 2,3", 1) == [1]
    assert process_devices("1,3,8", 2) == [1, 3]
    assert physical_ids(2, {"ASCEND_RT_VISIBLE_DEVICES": "1,3"}) == [1, 3]
    assert physical_ids(1, {"ASCEND_VISIBLE_DEVICES": "4-7", "ASCEND_RT_VISIBLE_DEVICES": "2"}) == [6]
    assert physical_ids(2, {"ASCEND_VISIBLE_DEVICES": "Ascend910-4"}) == [None, None]  # a name: unknown
    assert physical_ids(3, {}) == [0, 1, 2]
