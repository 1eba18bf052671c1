"""Toxic specs a scenario may write, checked against Toxiproxy's toxic table (SPEC §9).

Checked at load time so a typo in an attribute fails in a second, not minutes into a run where
Toxiproxy would silently default the missing attribute to 0.
"""
from __future__ import annotations

from typing import Any

from yaml.nodes import Node

from harness.scenario.reader import BROKEN, Bad, Reader, join
from harness.toxiproxy.spec import SPEC_TYPES, validate_toxic_spec
from harness.toxiproxy.toxics import REGISTRY, STREAMS

NAME_HELP = "letters, digits, _, . and - only"

TOXIC_ATTRIBUTES: dict[str, dict[str, str]] = {
    t: {f.name: f.metadata["unit"] for f in REGISTRY[t].attribute_fields()} for t in SPEC_TYPES
}
"""Toxic type → attribute → unit, read from the embedded proxy's toxic classes (one declaration)."""

REQUIRED_ATTRIBUTE: dict[str, str] = {
    t: f.name for t in SPEC_TYPES for f in REGISTRY[t].attribute_fields() if f.metadata["required"]
}
"""The attribute without which a toxic of that type does nothing useful (Toxiproxy would use 0)."""

MINIMUM: dict[tuple[str, str], int] = {
    (t, f.name): f.metadata["minimum"] for t in SPEC_TYPES for f in REGISTRY[t].attribute_fields()
}
NAME_PATTERN = r"[A-Za-z0-9_.\-]+"


def external_check(spec: dict[str, Any]) -> str | None:
    """The embedded Toxiproxy's own check (same declarations as the server); error text or None."""
    try:
        validate_toxic_spec(spec)
    except (ValueError, TypeError, KeyError) as exc:
        return str(exc)
    return None


def _toxic_attributes(r: Reader, node: Node, field: str, toxic_type: str | None) -> dict[str, int]:
    allowed = TOXIC_ATTRIBUTES.get(toxic_type or "")
    entries = r.mapping(node, field, allowed=allowed)
    return {k: r.collect(r.integer, v, join(field, k), min=0) for k, v in entries.items()}


def parse_toxic(r: Reader, node: Node, field: str) -> dict[str, Any]:
    """A ``toxic:`` step's fields (``op``, ``name``, ``type``, ``stream``, ``toxicity``, ``attributes``)."""
    entries = r.mapping(node, field, allowed=("add", "remove", "update"), what="a mapping with add, remove or update")
    ops = list(entries)
    if len(ops) > 1:
        raise Bad(r.key_line(node, ops[1]), field, f"one toxic operation per step, not '{ops[0]}' and '{ops[1]}'")
    if not ops:
        if not node.value:
            raise Bad(node, field, "give one of add, remove, update")
        return {"op": BROKEN}  # the unknown key is reported already
    op = ops[0]
    where = join(field, op)
    if op == "remove":
        name = r.string(entries[op], where, pattern=NAME_PATTERN, pattern_help=NAME_HELP)
        return {"op": op, "name": name, "stream": None, "toxicity": None}
    if op == "add":
        return _toxic_add(r, entries[op], where)
    return _toxic_update(r, entries[op], where)


def _toxic_add(r: Reader, node: Node, field: str) -> dict[str, Any]:
    """``add``: type required; name, stream and toxicity get Toxiproxy's defaults."""
    spec = r.mapping(node, field, allowed=("name", "type", "stream", "toxicity", "attributes"), required=("type",))
    if "type" not in spec:
        return {"op": "add", "type": BROKEN}
    ttype = r.string(spec["type"], join(field, "type"), choices=tuple(TOXIC_ATTRIBUTES))
    stream = r.collect(r.string, spec["stream"], join(field, "stream"), choices=STREAMS) if "stream" in spec else "downstream"
    out: dict[str, Any] = {"op": "add", "type": ttype, "stream": stream}
    if "name" in spec:
        out["name"] = r.collect(r.string, spec["name"], join(field, "name"), pattern=NAME_PATTERN, pattern_help=NAME_HELP)
    elif isinstance(stream, str):
        out["name"] = f"{ttype}_{stream}"
    if "toxicity" in spec:
        out["toxicity"] = r.collect(r.number, spec["toxicity"], join(field, "toxicity"), min=0.0, max=1.0)
    attrs_node = spec.get("attributes")
    attrs = r.collect(_toxic_attributes, r, attrs_node, join(field, "attributes"), ttype) if attrs_node else {}
    out["attributes"] = attrs
    required = REQUIRED_ATTRIBUTE.get(ttype)
    if isinstance(attrs, dict) and required and required not in attrs:
        unit = TOXIC_ATTRIBUTES[ttype][required]
        raise Bad(attrs_node or node, join(field, "attributes"), f"a {ttype} toxic needs attributes.{required} ({unit})")
    if BROKEN not in out.values():
        problem = external_check({"toxicity": 1.0, **out})
        if problem:
            raise Bad(node, field, problem)
    return out


def _toxic_update(r: Reader, node: Node, field: str) -> dict[str, Any]:
    """``update``: by name; the type (for checking attributes) comes from the earlier ``add``."""
    spec = r.mapping(node, field, allowed=("name", "toxicity", "attributes"), required=("name",))
    out: dict[str, Any] = {"op": "update", "stream": None, "toxicity": None}
    out["name"] = r.collect(r.string, spec["name"], join(field, "name"), pattern=NAME_PATTERN, pattern_help=NAME_HELP) if "name" in spec else BROKEN
    if "toxicity" not in spec and "attributes" not in spec:
        raise Bad(node, field, "update needs toxicity or attributes")
    if "toxicity" in spec:
        out["toxicity"] = r.collect(r.number, spec["toxicity"], join(field, "toxicity"), min=0.0, max=1.0)
    if "attributes" in spec:
        out["attributes"] = r.collect(_toxic_attributes, r, spec["attributes"], join(field, "attributes"), None)
    return out
