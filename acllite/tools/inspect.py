"""``acllite inspect MODEL``: what a model says about itself, without a device and without CANN.

* An OM file (``.om``, or any file starting with "IMOD") is read by :mod:`acllite.om`: header, partitions, inputs
  and outputs as ``aclmdlGetDesc`` reports them on a device, batch/image-size/dims gears, static AIPP, the
  platform and the ATC version where the file records them.
* A single-operator model written by ``acllite atc --singleop`` (:mod:`acllite.formats.singleop`): the operator,
  its inputs, outputs and attributes, and what the emulator computes it with.
* Any other file is read as an ONNX model and described the way the emulator describes it (its model engine's
  own reading, including what ``acllite atc`` records in the metadata: ``acllite.aipp.<input>`` and
  ``acllite.dynamic_batch``).

``describe(path)`` returns the report as a dict (the ``--json`` output); ``format_text(report)`` renders it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Dict, List, Optional, Sequence, Union

from ..formats import om, singleop
from ..formats.aipp import source_images_bytes
from ..formats import onnx as onnx_format
from ..formats.om._modeldef import tensor_bytes
from ..formats.om._types import dtype_name, format_name

__all__ = ["InspectError", "describe", "format_text", "main"]

PathLike = Union[str, "os.PathLike[str]"]
_NOT_RECORDED = "(not recorded)"


class InspectError(ValueError):
    """The file cannot be described; the message says why."""


def _is_om(path: str) -> bool:
    if path.lower().endswith(".om"):
        return True
    with open(path, "rb") as f:
        return f.read(4) == b"IMOD"


def _is_singleop(path: str) -> bool:
    with open(path, "rb") as f:
        return singleop.is_singleop(f.read(len(singleop.MAGIC)))


def _singleop_tensor(t: singleop.OpTensor) -> Dict[str, Any]:
    out: Dict[str, Any] = {"dtype": singleop.type_name(t.dtype), "acl_dtype": t.dtype,
                           "format": singleop.format_name(t.format), "acl_format": t.format, "dims": list(t.shape)}
    if t.shape_range:
        out["shape_range"] = [list(r) for r in t.shape_range]
    if t.const is not None:
        out["const_bytes"] = len(t.const)
    return out


def _describe_singleop(path: str) -> Dict[str, Any]:
    with open(path, "rb") as f:
        data = f.read()
    try:
        desc = singleop.decode(data)
    except singleop.SingleOpError as exc:
        raise InspectError("%s: %s" % (path, exc)) from None
    spec = singleop.OPERATORS[desc.op]
    return {"path": path, "kind": "singleop", "file_size": len(data), "op": desc.op,
            "inputs": [_singleop_tensor(t) for t in desc.inputs],
            "outputs": [_singleop_tensor(t) for t in desc.outputs],
            "attributes": {n: {"type": k, "value": v} for n, (k, v) in sorted(desc.attrs.items())},
            "dynamic": any(t.dynamic for t in desc.inputs + desc.outputs), "onnx": spec.onnx,
            "built_by": "acllite atc --singleop: runs on the emulator only (CANN cannot load it)"}


def _format_singleop(r: Dict[str, Any]) -> str:
    def row(i: int, t: Dict[str, Any]) -> str:
        extra = " range %s" % t["shape_range"] if "shape_range" in t else ""
        extra += " constant (%d bytes)" % t["const_bytes"] if "const_bytes" in t else ""
        return "  %d  %s  %s  [%s]%s" % (i, t["dtype"], t["format"], ", ".join(str(d) for d in t["dims"]), extra)

    lines = ["%s: single-operator model, %d bytes" % (r["path"], r["file_size"]),
             "built by:     %s" % r["built_by"],
             "operator:     %s%s (computed as ONNX %s)" % (r["op"], ", dynamic shape" if r["dynamic"] else "",
                                                          r["onnx"]),
             "inputs (%d):" % len(r["inputs"])] + [row(i, t) for i, t in enumerate(r["inputs"])]
    lines += ["outputs (%d):" % len(r["outputs"])] + [row(i, t) for i, t in enumerate(r["outputs"])]
    lines.append("attributes:" if r["attributes"] else "attributes:   none")
    lines += ["  %s (%s): %s" % (n, a["type"], json.dumps(a["value"])) for n, a in r["attributes"].items()]
    return "\n".join(lines)


def _describe_om(path: str) -> Dict[str, Any]:
    try:
        model = om.read(path)
    except om.OmError as exc:
        raise InspectError(str(exc)) from None
    report = model.to_dict()
    report["aipp"] = {t.name: t.aipp for t in model.inputs if t.aipp is not None}
    return report


def _onnx_tensor(t: onnx_format.TensorDesc, gears: Sequence[int] = ()) -> Dict[str, Any]:
    fmt = t.format
    batch_dynamic = t.batch_dynamic
    size = t.size or tensor_bytes(tuple(t.dims[1:]) if batch_dynamic else t.dims, t.acl_dtype)
    out = {"name": t.name, "dtype": dtype_name(t.acl_dtype), "acl_dtype": t.acl_dtype, "format": format_name(fmt),
           "acl_format": fmt, "dims": list(t.dims), "size": size}
    if batch_dynamic:
        out["size_per_batch_item"] = True
        if gears and size >= 0:  # what aclmdlGetInputSizeByIndex reports: buffers for the largest gear
            out["size_largest_gear"] = size * max(gears)
    return out


def _describe_onnx(path: str) -> Dict[str, Any]:
    with open(path, "rb") as f:
        data = f.read()
    try:
        d = onnx_format.describe(data)
    except onnx_format.OnnxError as exc:
        raise InspectError("%s: %s" % (path, exc)) from None
    problem = onnx_format.size_problem(d)  # what the emulator refuses at load, refused here too
    if problem:
        raise InspectError("%s: %s" % (path, problem))
    proto, inputs, outputs = d.proto, d.inputs, d.outputs
    g = d.shape_gears
    metadata: Dict[str, Any] = {}
    for prop in proto.metadata_props:
        try:
            metadata[prop.key] = json.loads(prop.value) if prop.key.startswith(onnx_format.META_AIPP) else prop.value
        except ValueError:
            metadata[prop.key] = prop.value
    report = {
        "path": path, "kind": "onnx", "file_size": len(data),
        "producer": (proto.producer_name + " " + proto.producer_version).strip(), "ir_version": proto.ir_version,
        "opset": {o.domain or "ai.onnx": o.version for o in proto.opset_import},
        "inputs": [_onnx_tensor(t, d.gears) for t in inputs], "outputs": [_onnx_tensor(t, d.gears) for t in outputs],
        "dynamic_batch": list(d.gears),
        "dynamic_hw": [list(v) for v in g.values] if g is not None and g.kind == onnx_format.GEARS_IMAGE_SIZE else [],
        "dynamic_dims": [list(v) for v in g.values] if g is not None and g.kind == onnx_format.GEARS_DIMS else [],
        "aipp": {t.name: t.aipp for t in inputs if t.aipp is not None}, "weight_bytes": d.weight_bytes,
        "metadata": metadata,
    }
    if g is not None:  # what aclmdlGetInputSizeByIndex reports: buffers for the largest gear
        for tensors, per_gear in ((report["inputs"], g.inputs), (report["outputs"], g.outputs)):
            for k, t in enumerate(tensors[:len(per_gear[0])]):
                aipp = inputs[k].aipp if tensors is report["inputs"] else None
                if aipp is not None and aipp.get("gear_sized"):  # source images [N, H, W, C] in the AIPP format
                    t["size"] = max(source_images_bytes(aipp["input_format"], shapes[k]) for shapes in per_gear)
                else:
                    t["size"] = max(tensor_bytes(tuple(shapes[k]), t["acl_dtype"]) for shapes in per_gear)
        report["inputs"][-1]["size"] = 8 * len(g.values[0])
    return report


def describe(path: PathLike) -> Dict[str, Any]:
    """The report of the model at path (raises InspectError when it cannot be described)."""
    source = os.fspath(path)
    if not os.path.isfile(source):
        twin = _twin_of_missing_om(source)
        if twin is None:
            raise InspectError("%s: no such file" % source)
        # The emulator serves X.om from X.onnx when there is no X.om (what acllite atc writes): describe that.
        report = _describe_onnx(twin)
        report["served_as"] = source
        return report
    if _is_singleop(source):
        return _describe_singleop(source)
    return _describe_om(source) if _is_om(source) else _describe_onnx(source)


def _twin_of_missing_om(path: str) -> Optional[str]:
    if not path.lower().endswith(".om"):
        return None
    twin, _how = om.twin_for(path)
    return twin if twin is not None and os.path.isfile(twin) else None


def _table(tensors: Sequence[Dict[str, Any]]) -> List[str]:
    rows = [["#", "name", "dtype", "format", "dims", "size"]]
    for i, t in enumerate(tensors):
        size = "dynamic" if t["size"] < 0 else "%d%s" % (t["size"], " per batch item" if t.get(
            "size_per_batch_item") else "")
        dims = "[%s]" % ", ".join(str(d) for d in t["dims"])
        if t.get("dims_v2"):
            dims += " (V2 %s)" % ("[%s]" % ", ".join(str(d) for d in t["dims_v2"]))
        if t.get("shape_range"):  # ATC --input_shape_range: [min~max] per dim, max -1 unbounded
            dims += " range [%s]" % ", ".join("%d~%s" % (lo, hi if hi >= 0 else "inf") for lo, hi in t["shape_range"])
        if t.get("aipp_mode") == "dynamic_aipp":
            dims += " dynamic AIPP"
        if t.get("op_type") == "AippData":
            dims += " (dynamic AIPP parameters)"
        rows.append([str(i), t["name"], t["dtype"], t["format"], dims, size])
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]


def _gears(report: Dict[str, Any]) -> List[str]:
    def show(gears: Sequence[Any]) -> str:
        return ", ".join("x".join(str(v) for v in g) if isinstance(g, list) else str(g) for g in gears) or "none"

    return ["dynamic batch:      %s" % show(report["dynamic_batch"]),
            "dynamic image size: %s" % show(report["dynamic_hw"]),
            "dynamic dims:       %s" % show(report["dynamic_dims"])]


def _om_head(r: Dict[str, Any]) -> List[str]:
    h = r["header"]
    attrs = r["attributes"]
    parts = []
    for s in r["submodels"]:
        listed = ", ".join("%s %d" % (p["type"], p["size"]) for p in s["partitions"])
        table = s["partitions"][0]["table"] if s["partitions"] else "?"
        parts.append("  sub-model %d%s: %s (%s table)" % (s["index"], " '%s'" % s["name"] if s["name"] else "",
                                                          listed, table))
    built_by = r["attributes"].get(om.EMULATOR_ONLY_ATTR)
    return [
        "%s: offline model (OM), %d bytes%s" % (r["path"], r["file_size"],
                                                "\nbuilt by:     %s" % built_by if built_by else ""),
        "model:        %s (graph %s), ModelDef version %d%s" % (
            r["name"], r["graph"], r["ir_version"], ", custom version " + r["custom_version"] if r["custom_version"]
            else ""),
        "header:       %s layout (version %s), model type %s, om_ir_version %d, %s" % (
            h["layout"], h["version"], h["model_type_name"], h["om_ir_version"],
            "encrypted" if h["is_encrypt"] else "not encrypted"),
        "platform:     platform_version %s, platform_type %d%s" % (
            h["platform_version"] or "''", h["platform_type"],
            ", target_type %s" % attrs["target_type"] if "target_type" in attrs else ""),
        "SoC version:  %s" % (r["soc_version"] or _NOT_RECORDED),
        "ATC version:  %s" % (r["atc_version"] or _NOT_RECORDED),
        "weights:      %d bytes" % r["weight_bytes"],
        "described by: %s" % r["described_by"],
        "partitions:",
    ] + parts


def _onnx_head(r: Dict[str, Any]) -> List[str]:
    lines = ["%s: ONNX model (as the emulator describes it), %d bytes" % (r["path"], r["file_size"])]
    if r.get("served_as"):
        lines.append("served as:    %s (no such file: the emulator loads this ONNX model for it)" % r["served_as"])
    return lines + [
        "producer:     %s" % (r["producer"] or _NOT_RECORDED),
        "IR version:   %d, opset %s" % (r["ir_version"], ", ".join("%s %d" % kv for kv in r["opset"].items())),
        "weights:      %d bytes" % r["weight_bytes"],
    ]


def format_text(report: Dict[str, Any]) -> str:
    """The report as ``acllite inspect`` prints it."""
    if report["kind"] == "singleop":
        return _format_singleop(report)
    lines = _om_head(report) if report["kind"] == "om" else _onnx_head(report)
    lines += ["inputs (%d):" % len(report["inputs"])] + _table(report["inputs"])
    lines += ["outputs (%d):" % len(report["outputs"])] + _table(report["outputs"])
    lines += _gears(report)
    if report["aipp"]:
        lines.append("AIPP:")
        for name, params in report["aipp"].items():
            lines.append("  input '%s': %s" % (name, json.dumps(params, sort_keys=True)))
    else:
        lines.append("AIPP:               none")
    if report.get("metadata"):
        lines.append("metadata:")
        lines += ["  %s: %s" % (k, json.dumps(v, sort_keys=True) if not isinstance(v, str) else v)
                  for k, v in sorted(report["metadata"].items())]
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    """The ``acllite inspect`` command (args: ``model``, ``json``)."""
    try:
        report = describe(args.model)
    except (InspectError, OSError) as exc:
        print("acllite inspect: %s" % exc, file=sys.stderr)
        return 1
    print(json.dumps(report, indent=2, sort_keys=False) if args.json else format_text(report))
    return 0
