"""Build profiles: how to drive a build and where it differs from the contract by design.

A profile (YAML, validated with file and line like a scenario) holds the adapter options and the
build's declared differences: timeout, backoff schedule, batch shape and window, dead-letter key and entry
shape, the send API's shape, which events it emits on its own, click debounce, side endpoints. Declared differences
change how the contract guarantees are judged (a 15 s timeout is judged as 15 s) and are listed
as deviations; data loss and duplication are always judged against "no lead is ever lost".
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yaml.nodes import Node

from harness.builds.send_api import read_send_api
from harness.checker.policy import Policy
from harness.contract.adapter import Adapter
from harness.scenario.document import Kind, read_file, read_top
from harness.scenario.reader import BROKEN, Reader, join

TOP_KEYS = ("name", "description", "adapter", "send_api", "timeout", "backoff", "batch", "dead_letter", "emits",
            "click_debounce", "side_endpoints", "overflow", "policy")
ADAPTER_KEYS = ("site_attr", "api_attr", "outbox_key", "deadletter_key", "api_name", "attrs")
BACKOFF_KEYS = ("base", "cap", "jitter", "scope")
BACKOFF_SCOPES = ("envelope", "queue")
BATCH_KEYS = ("max", "content_type", "wrapper", "window")
DEAD_KEYS = ("key", "id", "payload")
OVERFLOW_KEYS = ("cap",)
EMITS = {"page_view": ("interaction", "view"), "clicks": None, "phone": ("conversion", "phone_call"),
         "whatsapp": ("conversion", "whatsapp"), "forms": ("conversion", "form_submit"), "scroll": None,
         "heartbeat": ("system", "heartbeat"), "session_end": ("system", "session_end")}
CONTRACT = {"timeout_ms": 5000, "backoff_base_ms": 5000, "backoff_cap_ms": 300_000, "backoff_jitter": 0.2,
            "batch_max": 20, "content_type": "application/json", "wrapper": "events",
            "deadletter_key": "opsmantik_deadletter_v2"}
PROFILE = Kind("profile", TOP_KEYS, "a build profile mapping (name, adapter, …)", "at least one declaration (adapter, timeout, …)")


@dataclass(frozen=True)
class Profile:
    name: str
    path: str
    adapter: Adapter
    policy: dict[str, Any] = field(default_factory=dict)  # Policy overrides (harness/checker/policy.py)
    deviations: tuple[str, ...] = ()  # declared differences from the contract, in words
    side_endpoints: tuple[str, ...] = ()


def load_profile(path: Path | str) -> Profile:
    return parse_profile(read_file(path, PROFILE), str(path))


def parse_profile(text: str, filename: str) -> Profile:
    """Validate a profile; every problem is reported with its line (``ScenarioError`` format)."""
    doc = read_top(text, filename, PROFILE)
    issues, r, top = doc.issues, doc.reader, doc.entries
    policy: dict[str, Any] = {}
    deviations: list[str] = []
    name = r.collect(r.string, top["name"], "name") if "name" in top else Path(filename).stem
    adapter = r.collect(_adapter, r, top["adapter"]) if "adapter" in top else Adapter()
    if "send_api" in top:
        send_api = r.collect(read_send_api, r, top["send_api"])
        if send_api is not BROKEN and adapter is not BROKEN:
            adapter = dataclasses.replace(adapter, send_api=send_api)
    if "timeout" in top:
        ms = r.collect(r.duration, top["timeout"], "timeout")
        if ms is not BROKEN:
            policy["timeout_ms"] = ms  # declared: what the build does, even at the contract's value
        if ms is not BROKEN and ms != CONTRACT["timeout_ms"]:
            deviations.append(f"timeout {ms / 1000:g} s (contract {CONTRACT['timeout_ms'] / 1000:g} s)")
    if "backoff" in top:
        r.collect(_backoff, r, top["backoff"], policy, deviations)
    if "batch" in top:
        r.collect(_batch, r, top["batch"], policy, deviations)
    if "dead_letter" in top:
        r.collect(_dead_letter, r, top["dead_letter"], policy, deviations)
    if "emits" in top:
        r.collect(_emits, r, top["emits"], policy, deviations)
    if "click_debounce" in top:
        ms = r.collect(r.duration, top["click_debounce"], "click_debounce")
        if ms is not BROKEN and ms:
            policy["click_debounce_ms"] = ms
            deviations.append(f"repeated clicks on one target within {ms / 1000:g} s are ignored (debounce)")
    if "overflow" in top:
        entries = r.mapping(top["overflow"], "overflow", allowed=OVERFLOW_KEYS)
        if "cap" in entries:
            cap = r.collect(r.integer, entries["cap"], "overflow.cap", min=1)
            if cap is not BROKEN:
                policy["outbox_cap"] = cap  # the length a shed is believed "at a cap" from (checker.dropproof)
    sides: tuple[str, ...] = ()
    if "side_endpoints" in top:
        items = [r.collect(r.string, n, join("side_endpoints", i)) for i, n in enumerate(r.sequence(top["side_endpoints"], "side_endpoints"))]
        for i, item in enumerate(items):
            if item is not BROKEN and not item.startswith("/"):
                r.report(top["side_endpoints"].value[i], join("side_endpoints", i), f"a path of the Sync origin starting with '/', got {item!r}")
        sides = tuple(i for i in items if i is not BROKEN)
        if sides:
            policy["side_endpoints"] = sides
            deviations.append(f"calls side endpoint(s) of the Sync origin: {', '.join(sides)}")
    if "policy" in top:
        raw = r.collect(_policy, r, top["policy"])
        if raw is not BROKEN:
            policy.update(raw)
            deviations += [f"checker limit {k} = {v} (declared)" for k, v in raw.items()]
    issues.raise_if_any()
    return Profile(name, filename, adapter, policy, tuple(deviations), sides)


def _adapter(r: Reader, node: Node) -> Adapter:
    entries = r.mapping(node, "adapter", allowed=ADAPTER_KEYS)
    values: dict[str, Any] = {}
    for key in ("site_attr", "api_attr", "outbox_key", "api_name"):
        if key in entries:
            values[key] = r.collect(r.string, entries[key], join("adapter", key))
    if "deadletter_key" in entries:
        dk = r.collect(r.string, entries["deadletter_key"], join("adapter", "deadletter_key"))
        values["deadletter_key"] = None if dk in ("none", BROKEN) else dk
    if "attrs" in entries:
        attrs = r.collect(r.json_mapping, entries["attrs"], join("adapter", "attrs"))
        values["extra_attrs"] = {str(k): str(v) for k, v in attrs.items()} if attrs is not BROKEN else {}
    if BROKEN in values.values():
        return BROKEN
    return Adapter(**values)


def _backoff(r: Reader, node: Node, policy: dict[str, Any], deviations: list[str]) -> None:
    entries = r.mapping(node, "backoff", allowed=BACKOFF_KEYS)
    words = []
    if "base" in entries:
        base = r.collect(r.duration, entries["base"], "backoff.base")
        if base is not BROKEN:
            policy["backoff_base_ms"] = base
        if base is not BROKEN and base != CONTRACT["backoff_base_ms"]:
            words.append(f"first retry after {base / 1000:g} s")
    if "cap" in entries:
        cap = r.collect(r.duration, entries["cap"], "backoff.cap")
        if cap is not BROKEN:
            policy["backoff_cap_ms"] = cap
            policy["retry_window_ms"] = cap * 1.1
        if cap is not BROKEN and cap != CONTRACT["backoff_cap_ms"]:
            words.append(f"capped at {cap / 1000:g} s")
    if "jitter" in entries:
        jitter = r.collect(r.number, entries["jitter"], "backoff.jitter", min=0, max=1)
        if jitter is not BROKEN:
            policy["backoff_jitter"] = jitter
        if jitter is not BROKEN and jitter != CONTRACT["backoff_jitter"]:
            words.append(f"jitter ±{jitter:.0%}")
    if "scope" in entries:
        scope = r.collect(r.string, entries["scope"], "backoff.scope")
        if scope is not BROKEN and scope not in BACKOFF_SCOPES:
            r.report(entries["scope"], "backoff.scope", f"one of {', '.join(BACKOFF_SCOPES)}, got {scope!r}")
        elif scope == "queue":
            policy["backoff_scope"] = "queue"
            words.append("one pause for the whole queue (failures in a row of any send)")
    if words:
        deviations.append("backoff: " + ", ".join(words) + " (contract 5 s doubling to 5 min, ±20 %)")


def _batch(r: Reader, node: Node, policy: dict[str, Any], deviations: list[str]) -> None:
    entries = r.mapping(node, "batch", allowed=BATCH_KEYS)
    if "window" in entries:
        # Events wait this long to leave together, and load and `online` open the same window:
        # the triggers are judged on the contract's allowance after it.
        ms = r.collect(r.duration, entries["window"], "batch.window")
        if ms is not BROKEN and ms:
            within = Policy().trigger_within_ms + ms
            policy["trigger_within_ms"] = within
            policy["batch_window_ms"] = ms
            deviations.append(f"events wait up to {ms / 1000:g} s to leave together, after load and `online` "
                              f"too (a trigger is judged within {within / 1000:g} s)")
    if "max" in entries:
        n = r.collect(r.integer, entries["max"], "batch.max", min=1, max=100)
        if n is not BROKEN and n != CONTRACT["batch_max"]:
            deviations.append(f"batches of at most {n} event(s) (contract 20)")
    if "content_type" in entries:
        ct = r.collect(r.string, entries["content_type"], "batch.content_type")
        if ct is not BROKEN and ct != CONTRACT["content_type"]:
            deviations.append(f"batches sent as {ct} (contract {CONTRACT['content_type']})")
    if "wrapper" in entries:
        w = r.collect(r.string, entries["wrapper"], "batch.wrapper")
        if w is not BROKEN and w != CONTRACT["wrapper"]:
            deviations.append(f"batch body {{{w}: […]}} (contract {{events: […]}})")


def _dead_letter(r: Reader, node: Node, policy: dict[str, Any], deviations: list[str]) -> None:
    entries = r.mapping(node, "dead_letter", allowed=DEAD_KEYS)
    if "key" in entries:
        key = r.collect(r.string, entries["key"], "dead_letter.key")
        if key is not BROKEN and key != CONTRACT["deadletter_key"]:
            deviations.append(f"dead letters under {key!r} (contract {CONTRACT['deadletter_key']!r})")
    for part in ("id", "payload"):
        if part in entries:
            kept = r.collect(r.boolean, entries[part], join("dead_letter", part))
            if kept is False:
                deviations.append(f"dead-letter records without the envelope {part}")
                if part == "payload":
                    policy["deadletter_payload"] = False


def _emits(r: Reader, node: Node, policy: dict[str, Any], deviations: list[str]) -> None:
    entries = r.mapping(node, "emits", allowed=tuple(EMITS))
    silent = []
    for key, value in entries.items():
        on = r.collect(r.boolean, value, join("emits", key))
        if on is False:
            deviations.append(f"does not emit {key.replace('_', ' ')} events")
            if EMITS[key] is not None:
                silent.append(EMITS[key])
            elif key == "clicks":
                silent += [EMITS["phone"], EMITS["whatsapp"]]
    if silent:
        policy["silent_events"] = tuple(silent)


def _policy(r: Reader, node: Node) -> dict[str, Any]:
    """Raw checker limits (the names of a scenario's ``policy:``), for what the keys above miss."""
    from harness.scenario import POLICY_FIELDS

    out: dict[str, Any] = {}
    for key, value in r.mapping(node, "policy", allowed=tuple(POLICY_FIELDS)).items():
        kind, where = POLICY_FIELDS[key], join("policy", key)
        if kind == "duration":
            out[key] = r.collect(r.duration, value, where)
        elif kind == "count":
            out[key] = r.collect(r.integer, value, where, min=0)
        else:
            out[key] = r.collect(r.number, value, where, min=0, max=1)
    return BROKEN if BROKEN in out.values() else out
