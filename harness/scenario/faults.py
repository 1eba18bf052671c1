"""Checking the ``stub`` step's HTTP fault dicts (SPEC §7) with the stub's own parser.

``server_stub.faults.parse_fault`` owns the fault format; using it here means a scenario that
loads is one the stub accepts, and a typo fails at load time with a line number. If the stub
package cannot be imported (a trimmed install), a structural check stands in.
"""
from __future__ import annotations

import re
from typing import Any

from yaml.nodes import Node

from harness.scenario import bounds
from harness.scenario import spec as S
from harness.scenario.errors import did_you_mean
from harness.scenario.reader import BROKEN, TAG, Bad, Reader, join

try:
    from server_stub.faults import parse_fault
except ImportError:  # pragma: no cover - the stub ships with the harness
    parse_fault = None

KIND_KEYS, MODIFIER_KEYS = S.KIND_KEYS, S.MODIFIER_KEYS
FAULT_KEYS: tuple[str, ...] = tuple(S.FAULT.keys)
FAULT_SHAPES = (
    "{status: 503, retry_after?: 2, body?: ..}, {delay_ms: 6000}, {hang: true}, {close: true|rst}, "
    "{process_then_fail: true|502|close|rst}, {ok: true}; modifiers delay_ms, via, method"
)
STUB_KEYS: tuple[str, ...] = tuple(S.STUB.keys)
RANDOM_KEYS: tuple[str, ...] = tuple(S.STUB.keys["random"].keys)


def fault_problem(fault: dict[str, Any]) -> str | None:
    """Why the stub would refuse this fault dict (its own message, ``key: …``), or None."""
    if parse_fault is not None:
        try:
            parse_fault(fault)
        except ValueError as exc:
            return str(exc)
        return None
    kinds = [k for k in KIND_KEYS if k in fault]
    if len(kinds) > 1:
        return f"a fault has exactly one kind, got {kinds}"
    if not kinds and "delay_ms" not in fault:
        return f"a fault needs one of {', '.join(KIND_KEYS)} or delay_ms ({FAULT_SHAPES})"
    return None


def _fault(r: Reader, node: Node, field: str) -> dict[str, Any]:
    """One stub fault dict as the stub's ``parse_fault`` reads it (``delay_ms`` also takes '6s')."""
    entries = r.mapping(node, field, allowed=FAULT_KEYS, what=f"a fault mapping ({FAULT_SHAPES})")
    out: dict[str, Any] = {}
    for key, value_node in entries.items():
        where = join(field, key)
        out[key] = r.collect(r.read, value_node, where, S.FAULT.keys[key])
    if BROKEN in out.values() or len(entries) != len(node.value):
        return BROKEN
    problem = fault_problem(out)
    if problem:
        key = problem.split(":", 1)[0]
        if key in entries:  # the stub names the key first: point at its line
            raise Bad(entries[key], join(field, key), problem.split(":", 1)[1].strip() + _suggest(out[key], problem))
        raise Bad(node, field, problem)
    return out


def _suggest(value: Any, problem: str) -> str:
    """A did-you-mean for a misspelt word, among the words the stub's own message offers."""
    if not isinstance(value, str):
        return ""
    offered = re.findall(r"'([^']+)'", problem.rsplit(", got", 1)[0])
    return did_you_mean(value, offered)


def _fault_list(r: Reader, node: Node, field: str) -> list[dict[str, Any]]:
    items = [r.collect(_fault, r, n, join(field, i))
             for i, n in enumerate(r.sequence(node, field, nonempty=True, max_items=bounds.MAX_FAULTS))]
    return BROKEN if any(i is BROKEN for i in items) else items


def parse_stub(r: Reader, node: Node, field: str) -> dict[str, Any]:
    """A ``stub:`` step, normalized to the stub control body ``{clear?, default?, random?, push?,
    release?}`` (``sequence`` and ``fault`` × ``times`` become ``push``)."""
    entries = r.mapping(node, field, allowed=STUB_KEYS, what="a mapping of stub fault settings")
    if not node.value:
        raise Bad(node, field, f"says nothing; give one of: {', '.join(STUB_KEYS)}")
    given = [k for k in ("push", "sequence", "fault") if k in entries]
    if len(given) > 1:
        r.report(r.key_line(node, given[1]), join(field, given[1]), f"give one of push, sequence, fault — not '{given[0]}' and '{given[1]}'")
    if "times" in entries and "fault" not in entries:
        r.report(r.key_line(node, "times"), join(field, "times"), "times repeats a single `fault:`; add one")
    spec: dict[str, Any] = {}
    for key in ("clear", "release"):
        if key in entries:
            spec[key] = r.collect(r.true, entries[key], join(field, key), "leave the key out instead")
            spec[key] = BROKEN if spec[key] is BROKEN else True
    if "default" in entries:
        node_d = entries["default"]
        spec["default"] = None if node_d.tag == TAG + "null" else r.collect(_fault, r, node_d, join(field, "default"))
    if "random" in entries:
        spec["random"] = r.collect(_random, r, entries["random"], join(field, "random"))
    for key in ("push", "sequence"):
        if key in entries:
            spec["push"] = r.collect(_fault_list, r, entries[key], join(field, key))
    if "fault" in entries:
        fault = r.collect(_fault, r, entries["fault"], join(field, "fault"))
        times = r.collect(r.read, entries["times"], join(field, "times"), S.STUB.keys["times"]) if "times" in entries else 1
        spec["push"] = BROKEN if BROKEN in (fault, times) else [dict(fault) for _ in range(times)]
    return spec


def _random(r: Reader, node: Node, field: str) -> dict[str, Any]:
    """``{p, fault, seed?}``; ``fault: null`` turns the random rule off."""
    entries = r.mapping(node, field, allowed=RANDOM_KEYS, required=("p", "fault"))
    out: dict[str, Any] = {"p": BROKEN, "fault": BROKEN, "seed": None}
    if "p" in entries:
        out["p"] = r.collect(r.read, entries["p"], join(field, "p"), S.STUB.keys["random"].keys["p"])
    if "fault" in entries:
        fnode = entries["fault"]
        out["fault"] = None if fnode.tag == TAG + "null" else r.collect(_fault, r, fnode, join(field, "fault"))
    if "seed" in entries:
        out["seed"] = r.collect(r.read, entries["seed"], join(field, "seed"), S.STUB.keys["random"].keys["seed"])
    return BROKEN if BROKEN in out.values() else out
