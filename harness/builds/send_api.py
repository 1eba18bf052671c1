"""A profile's ``send_api``: how a scenario's ``send`` step reaches a build whose public API is
not ``window.<api>.send(category, action, label, value, meta)`` — an object call, a queue
array pushed before or after load, a DOM CustomEvent, or none at all (clicks only).

Validated like the rest of a profile (file, line, did-you-mean); a template must carry
``$category`` and ``$action`` so the harness can tell the event it sent from the build's own.
"""
from __future__ import annotations

import json
import re
from typing import Any

from yaml.nodes import Node

from harness.contract.adapter import DEFAULT_TEMPLATES, PLACEHOLDERS, SHAPES, SendApi
from harness.scenario.errors import did_you_mean
from harness.scenario.reader import BROKEN, Bad, Reader, join

KEYS = ("shape", "name", "method", "target", "args", "item", "detail")
TEMPLATE_KEY = {"call": "args", "object": "args", "queue": "item", "event": "detail"}
SHAPE_KEYS = {"call": ("name", "method", "args"), "object": ("name", "method", "args"),
              "queue": ("name", "item"), "event": ("name", "target", "detail"), "none": ()}
IDENTIFIER = r"[A-Za-z_$][\w$]*"
_PLACEHOLDER = re.compile(r"^\$[A-Za-z_]+$")


def read_send_api(r: Reader, node: Node) -> SendApi:
    entries = r.mapping(node, "send_api", allowed=KEYS)
    if "shape" not in entries:
        raise Bad(node, "send_api.shape", f"'shape' is required (one of: {', '.join(SHAPES)})")
    shape = r.string(entries["shape"], "send_api.shape", choices=SHAPES)
    for key, value in entries.items():
        if key != "shape" and key not in SHAPE_KEYS[shape]:
            allowed = ", ".join(SHAPE_KEYS[shape]) or "nothing else"
            r.report(value, join("send_api", key), f"not used with shape {shape!r} (it takes: {allowed})")
    name = method = None
    if "name" in entries:
        pattern = None if shape == "event" else IDENTIFIER
        name = r.collect(r.string, entries["name"], "send_api.name", pattern=pattern,
                         pattern_help="a global name of the page (letters, digits, _ and $)")
    if shape == "event" and "name" not in entries:
        r.report(node, "send_api.name", "'name' is required with shape 'event': the CustomEvent's type")
    if "method" in entries:
        method = r.collect(r.string, entries["method"], "send_api.method", pattern=IDENTIFIER,
                           pattern_help="a method name (letters, digits, _ and $)")
    target = "window"
    if "target" in entries:
        target = r.collect(r.string, entries["target"], "send_api.target", choices=("window", "document"))
    template = None
    key = TEMPLATE_KEY.get(shape)
    if key is not None and key in entries:
        value = r.collect(_template, r, entries[key], join("send_api", key), shape)
        template = json.dumps(value) if value is not BROKEN else None
    return SendApi(shape=shape, name=name if isinstance(name, str) else None,
                   method=method if isinstance(method, str) else None,
                   target=target if isinstance(target, str) else "window", template=template)


def _template(r: Reader, node: Node, field: str, shape: str) -> Any:
    value = r.json(node, field)
    if shape in ("call", "object") and not isinstance(value, list):
        raise Bad(node, field, f"the call's arguments as a list, e.g. {json.dumps(DEFAULT_TEMPLATES[shape])}")
    used: set[str] = set()
    _placeholders(value, used)
    unknown = sorted(used - set(PLACEHOLDERS))
    if unknown:
        raise Bad(node, field, f"unknown placeholder {unknown[0]!r}{did_you_mean(unknown[0], PLACEHOLDERS)} "
                               f"(known: {', '.join(PLACEHOLDERS)})")
    missing = [p for p in ("$category", "$action") if p not in used]
    if missing:
        raise Bad(node, field, f"must carry {' and '.join(missing)}: the harness tells the events it sent by them")
    return value


def _placeholders(x: Any, out: set[str]) -> None:
    if isinstance(x, str) and _PLACEHOLDER.match(x):
        out.add(x)
    elif isinstance(x, list):
        for v in x:
            _placeholders(v, out)
    elif isinstance(x, dict):
        for v in x.values():
            _placeholders(v, out)
