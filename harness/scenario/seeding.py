"""The ``seed_outbox`` step: envelopes (or a raw string) already in storage when the build loads.

Seeded envelopes model what a customer's browser had left over — old, retried, or broken — so
the format lets a scenario set or leave out each envelope field, with the page clock as reference.
"""
from __future__ import annotations

from typing import Any

from yaml.nodes import MappingNode, Node, SequenceNode

from harness.scenario import spec as S
from harness.scenario.model import SeedEnvelope
from harness.scenario.reader import BROKEN, Bad, Reader, describe, join

ENVELOPE_FIELDS = S.ENVELOPE_FIELDS
PAYLOAD_KEYS = S.PAYLOAD_KEYS
E = S.ENVELOPE.keys


def _envelope(r: Reader, node: Node, field: str) -> SeedEnvelope:
    entries = r.keys(node, field, S.ENVELOPE, what="an envelope mapping (id, age | ts, attempts, payload, omit, extra)")
    out: dict[str, Any] = {}
    if "id" in entries:
        out["id"] = r.collect(r.read, entries["id"], join(field, "id"), E["id"])
    if "age" in entries:
        out["age_ms"] = r.collect(r.read, entries["age"], join(field, "age"), E["age"])
    if "ts" in entries:
        out["ts_ms"] = r.collect(r.read, entries["ts"], join(field, "ts"), E["ts"])
        if "age" in entries:
            r.report(r.key_line(node, "ts"), join(field, "ts"), "give age or ts, not both")
            out["ts_ms"] = BROKEN
    if "attempts" in entries:
        out["attempts"] = r.collect(r.read, entries["attempts"], join(field, "attempts"), E["attempts"])
    if "payload" in entries:
        out["payload"] = r.collect(_payload, r, entries["payload"], join(field, "payload"))
    if "extra" in entries:
        extra = r.collect(r.read, entries["extra"], join(field, "extra"), E["extra"])
        clash = [k for k in (extra if isinstance(extra, dict) else ()) if k in ENVELOPE_FIELDS]
        if clash:
            r.report(entries["extra"], join(field, "extra"), f"{clash[0]!r} is an envelope field; set it directly, not in extra")
            extra = BROKEN
        out["extra"] = extra
    if "omit" in entries:
        out["omit"] = r.collect(_omit, r, entries["omit"], join(field, "omit"), entries)
    if BROKEN in out.values():
        return BROKEN
    return SeedEnvelope(**out)


def _omit(r: Reader, node: Node, field: str, entries: dict[str, Node]) -> tuple[str, ...]:
    names = r.read(node, field, E["omit"])
    if BROKEN in names:
        return BROKEN
    for name in names:
        if name in entries or (name == "ts" and "age" in entries):
            given = "age" if name == "ts" and "age" in entries else name
            raise Bad(node, field, f"'{name}' is omitted but '{given}' is also given")
    return tuple(names)


def _payload(r: Reader, node: Node, field: str) -> dict[str, Any]:
    entries = r.keys(node, field, E["payload"], what="a payload mapping (s, u, sid, sm, ec, ea, el, ev, r, meta)")
    values = {k: r.collect(r.json, v, join(field, k)) for k, v in entries.items()}
    return BROKEN if BROKEN in values.values() or len(entries) != len(node.value) else values


def parse_seed_outbox(r: Reader, node: Node, field: str) -> dict[str, Any]:
    """A ``seed_outbox:`` step's fields: ``envelopes`` (a list) or ``raw``, and ``key``."""
    out: dict[str, Any] = {}
    items = node
    if isinstance(node, MappingNode):
        decl = S.SEED_OUTBOX.options[1]
        entries = r.keys(node, field, decl, what="a list of envelopes or {raw: ..}")
        if "key" in entries:
            out["key"] = r.collect(r.read, entries["key"], join(field, "key"), decl.keys["key"])
        if ("raw" in entries) == ("envelopes" in entries):
            if "raw" in entries:
                r.report(r.key_line(node, "envelopes"), join(field, "envelopes"), "give raw or envelopes, not both")
            else:
                r.report(node, field, "give `envelopes: [...]` or `raw: '...'`")
            out["raw"] = BROKEN
            return out
        if "raw" in entries:
            out["raw"] = r.collect(r.read, entries["raw"], join(field, "raw"), decl.keys["raw"])
            return out
        items, field = entries["envelopes"], join(field, "envelopes")
    if not isinstance(items, SequenceNode):
        raise Bad(items, field, f"expected a list of envelopes or {{raw: ..}}, got {describe(items)}")
    envelopes = [r.collect(_envelope, r, n, join(field, i))
                 for i, n in enumerate(r.sequence(items, field, max_items=S.ENVELOPES.max_items))]
    out["envelopes"] = BROKEN if BROKEN in envelopes else tuple(envelopes)
    return out
