"""The JSON format of ``acllite bench --json`` (``schema.json`` beside this module, JSON Schema 2020-12) and a small
validator of the part of JSON Schema it uses, so that validating needs no extra package.

Supported keywords: ``type`` (one or a list), ``enum``, ``const``, ``required``, ``properties``,
``additionalProperties`` (false or a schema), ``items``, ``minimum``, ``exclusiveMinimum``, ``minLength``,
``pattern``, ``$ref`` (``#/$defs/...`` only), ``allOf``, ``if``/``then``. Annotations (``title``,
``description``, ``$schema``) are ignored. A keyword outside this list raises, so the schema cannot silently
outgrow its validator. The test suite also checks the documents with the ``jsonschema`` package when it is
installed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List

__all__ = ["SCHEMA_ID", "schema", "validate", "check"]

SCHEMA_ID = "acllite-bench/1"
_ANNOTATIONS = {"title", "description", "$schema", "$defs", "$id", "$comment"}
_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_SCHEMA: Dict[str, Any] = {}


def schema() -> Dict[str, Any]:
    """The schema document (loaded once)."""
    if not _SCHEMA:
        _SCHEMA.update(json.loads((Path(__file__).resolve().parent / "schema.json").read_text()))
    return _SCHEMA


def validate(doc: Any, root: Any = None) -> List[str]:
    """Every violation of the schema in ``doc``, as "path: message" strings (empty: valid)."""
    root = schema() if root is None else root
    errors: List[str] = []
    _check(doc, root, root, "$", errors)
    return errors


def check(doc: Any) -> None:
    """Raise ValueError listing the first violations when ``doc`` does not follow the schema."""
    errors = validate(doc)
    if errors:
        more = "" if len(errors) <= 10 else "\n... and %d more" % (len(errors) - 10)
        raise ValueError("bench results do not follow %s:\n%s%s" % (SCHEMA_ID, "\n".join(errors[:10]), more))


def _resolve(ref: str, root: Dict[str, Any]) -> Dict[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError("only local $ref are supported, got %r" % ref)
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _check(value: Any, sch: Dict[str, Any], root: Dict[str, Any], path: str, errors: List[str]) -> None:
    for key, arg in sch.items():
        if key in _ANNOTATIONS or key in ("then", "additionalProperties"):
            continue  # handled with "if" and "properties"
        if key == "$ref":
            _check(value, _resolve(arg, root), root, path, errors)
        elif key == "type":
            types = arg if isinstance(arg, list) else [arg]
            if not any(_TYPES[t](value) for t in types):
                errors.append("%s: %r is not of type %s" % (path, _short(value), " or ".join(types)))
                return  # the other keywords would only repeat it
        elif key == "enum":
            if not any(_same(value, a) for a in arg):
                errors.append("%s: %r is not one of %s" % (path, _short(value), arg))
        elif key == "const":
            if not _same(value, arg):
                errors.append("%s: %r is not %r" % (path, _short(value), arg))
        elif key == "required":
            if isinstance(value, dict):
                errors += ["%s: %r is required" % (path, k) for k in arg if k not in value]
        elif key == "properties":
            if isinstance(value, dict):
                extra = sch.get("additionalProperties", True)
                for k, v in value.items():
                    if k in arg:
                        _check(v, arg[k], root, "%s.%s" % (path, k), errors)
                    elif extra is False:
                        errors.append("%s: unexpected property %r" % (path, k))
                    elif isinstance(extra, dict):
                        _check(v, extra, root, "%s.%s" % (path, k), errors)
        elif key == "items":
            if isinstance(value, list):
                for i, v in enumerate(value):
                    _check(v, arg, root, "%s[%d]" % (path, i), errors)
        elif key == "minimum":
            if _TYPES["number"](value) and value < arg:
                errors.append("%s: %r is less than %r" % (path, value, arg))
        elif key == "exclusiveMinimum":
            if _TYPES["number"](value) and not value > arg:
                errors.append("%s: %r is not greater than %r" % (path, value, arg))
        elif key == "minLength":
            if isinstance(value, str) and len(value) < arg:
                errors.append("%s: %r is shorter than %d" % (path, value, arg))
        elif key == "pattern":
            if isinstance(value, str) and not re.search(arg, value):
                errors.append("%s: %r does not match %r" % (path, value, arg))
        elif key == "allOf":
            for sub in arg:
                _check(value, sub, root, path, errors)
        elif key == "if":
            probe: List[str] = []
            _check(value, arg, root, path, probe)
            if not probe and "then" in sch:
                _check(value, sch["then"], root, path, errors)
        else:
            raise ValueError("schema keyword %r at %s is not supported by this validator" % (key, path))
    if "additionalProperties" in sch and "properties" not in sch and isinstance(value, dict):
        extra = sch["additionalProperties"]
        for k, v in value.items():
            if extra is False:
                errors.append("%s: unexpected property %r" % (path, k))
            elif isinstance(extra, dict):
                _check(v, extra, root, "%s.%s" % (path, k), errors)


def _same(a: Any, b: Any) -> bool:
    # JSON equality: 1 == 1.0, but True is not 1.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _short(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return type(value).__name__
    return value
