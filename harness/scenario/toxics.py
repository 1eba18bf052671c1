"""Toxic specs a scenario may write, checked against Toxiproxy's toxic table (SPEC §9).

Checked at load time so a typo in an attribute fails in a second, not minutes into a run where
Toxiproxy would silently default the missing attribute to 0.
"""
from __future__ import annotations

from typing import Any

from yaml.nodes import Node

from harness.scenario import spec as S
from harness.scenario.reader import BROKEN, Bad, Reader, join
from harness.toxiproxy.spec import SPEC_TYPES, validate_toxic_spec
from harness.toxiproxy.toxics import REGISTRY

NAME_HELP = S.TOXIC_NAME.pattern_help

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
NAME_PATTERN = S.TOXIC_NAME.pattern


def external_check(spec: dict[str, Any]) -> str | None:
    """The embedded Toxiproxy's own check (same declarations as the server); error text or None."""
    try:
        validate_toxic_spec(spec)
    except (ValueError, TypeError, KeyError) as exc:
        return str(exc)
    return None


def _toxic_attributes(r: Reader, node: Node, field: str, toxic_type: str | None) -> dict[str, int]:
    decl = S.TOXIC_ATTRIBUTES.get(toxic_type or "")
    entries = r.mapping(node, field, allowed=decl.allowed if decl else None)
    got = {k: r.collect(r.read, v, join(field, k), decl.keys[k] if decl else S.TOXIC_UPDATE.keys["attributes"].values)
           for k, v in entries.items()}
    return BROKEN if BROKEN in got.values() else got


def parse_toxic(r: Reader, node: Node, field: str) -> dict[str, Any]:
    """A ``toxic:`` step's fields (``op``, ``name``, ``type``, ``stream``, ``toxicity``, ``attributes``)."""
    entries = r.keys(node, field, S.TOXIC, what="a mapping with add, remove or update")
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
        name = r.read(entries[op], where, S.TOXIC.keys["remove"])
        return {"op": op, "name": name, "stream": None, "toxicity": None}
    if op == "add":
        return _toxic_add(r, entries[op], where)
    return _toxic_update(r, entries[op], where)


def _toxic_add(r: Reader, node: Node, field: str) -> dict[str, Any]:
    """``add``: type required; name, stream and toxicity get Toxiproxy's defaults."""
    d = S.TOXIC_ADD
    spec = r.keys(node, field, d)
    if "type" not in spec:
        return {"op": "add", "type": BROKEN}
    ttype = r.collect(r.read, spec["type"], join(field, "type"), d.keys["type"])
    stream = r.collect(r.read, spec["stream"], join(field, "stream"), d.keys["stream"]) if "stream" in spec else "downstream"
    if ttype is BROKEN:  # reported; the stream was still checked
        return {"op": "add", "type": BROKEN}
    out: dict[str, Any] = {"op": "add", "type": ttype, "stream": stream}
    if "name" in spec:
        out["name"] = r.collect(r.read, spec["name"], join(field, "name"), d.keys["name"])
    elif isinstance(stream, str):
        out["name"] = f"{ttype}_{stream}"
    if "toxicity" in spec:
        out["toxicity"] = r.collect(r.read, spec["toxicity"], join(field, "toxicity"), d.keys["toxicity"])
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
    d = S.TOXIC_UPDATE
    spec = r.keys(node, field, d)
    out: dict[str, Any] = {"op": "update", "stream": None, "toxicity": None}
    out["name"] = r.collect(r.read, spec["name"], join(field, "name"), d.keys["name"]) if "name" in spec else BROKEN
    if "toxicity" not in spec and "attributes" not in spec:
        raise Bad(node, field, "update needs toxicity or attributes")
    if "toxicity" in spec:
        out["toxicity"] = r.collect(r.read, spec["toxicity"], join(field, "toxicity"), d.keys["toxicity"])
    if "attributes" in spec:
        out["attributes"] = r.collect(_toxic_attributes, r, spec["attributes"], join(field, "attributes"), None)
    return out
