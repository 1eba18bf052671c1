"""One parser per step action: YAML step mapping → model step, every problem with its line.

A step is a mapping with exactly one action key (``click: tel``), optional common keys
(``tab``, ``context``, ``note``) and, for ``open``/``navigate``, the keys that belong to them.
"""
from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from yaml.nodes import MappingNode, Node, ScalarNode

from harness.scenario import bounds, faults, seeding, toxics
from harness.scenario import spec as S
from harness.scenario.errors import did_you_mean
from harness.scenario.model import (
    CLICK_TARGETS,
    PAGES,
    Advance,
    Click,
    Close,
    Crash,
    Db,
    Hook,
    Navigate,
    Open,
    ProxyEnabled,
    Reload,
    RestartBrowser,
    SeedOutbox,
    Send,
    SetOffline,
    Step,
    StepBase,
    Storage,
    StubFault,
    Toxic,
)
from harness.scenario.reader import BROKEN, TAG, Bad, Reader, describe, join, line_of

NAME_PATTERN = S.TAB_NAME.pattern
NAME_HELP = S.TAB_NAME.pattern_help
HOOK_PATTERN = S.HOOK_TARGET.pattern
COMMON_KEYS = tuple(S.COMMON_KEYS)
EXTRA_KEYS: dict[str, tuple[str, ...]] = {kind: tuple(k.extra) for kind, k in S.STEP_KINDS.items() if k.extra}
CLICK_HELP = ", ".join(CLICK_TARGETS) + ", or a CSS selector starting with # . or ["


@dataclass(frozen=True)
class BrokenStep:
    """Stands in for a step that failed validation, so later checks can avoid cascading errors."""

    line: int
    kinds: tuple[str, ...] | None  # the action(s) it was meant to be; None: cannot tell
    context: str
    tab: str


Parsed = Step | BrokenStep
Fields = dict[str, Any]
ActionParser = Callable[[Reader, Node, str, dict[str, Node]], tuple[type[StepBase], Fields]]


# -- helpers -----------------------------------------------------------------------------------
def _page(r: Reader, node: Node, field: str) -> str:
    page = r.string(node, field, max_len=bounds.MAX_STRING)
    if page in PAGES:
        return page
    if page.startswith("/"):
        if "?" in page:
            raise Bad(node, field, f"put the query string of {page!r} in `query:` instead")
        return page
    raise Bad(node, field, f"unknown page {page!r}{did_you_mean(page, PAGES)} (expected home, page2 or a path starting with /)")


def _query(r: Reader, node: Node | None, field: str) -> dict[str, str]:
    if node is None:
        return {}
    entries = r.keys(node, field, S.QUERY)
    return {k: r.collect(r.read, v, join(field, k), S.QUERY.values) for k, v in entries.items()}


# -- actions -----------------------------------------------------------------------------------
def _open(r: Reader, node: Node, field: str, extra: dict[str, Node]) -> tuple[type[StepBase], Fields]:
    page = r.collect(_page, r, node, field)
    query = r.collect(_query, r, extra.get("query"), join(field.rsplit(".", 1)[0], "query"))
    referrer: str | None = None
    if "referrer" in extra and extra["referrer"].tag != TAG + "null":
        rf = join(field.rsplit(".", 1)[0], "referrer")
        referrer = r.collect(r.string, extra["referrer"], rf)
        if referrer is not BROKEN:
            parts = urlsplit(referrer)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                r.report(extra["referrer"], rf, f"{referrer!r} is not an http(s) URL")
                referrer = BROKEN
    return Open, {"page": page, "query": query, "referrer": referrer}


def _navigate(r: Reader, node: Node, field: str, extra: dict[str, Node]) -> tuple[type[StepBase], Fields]:
    page = r.collect(_page, r, node, field)
    query = r.collect(_query, r, extra.get("query"), join(field.rsplit(".", 1)[0], "query"))
    return Navigate, {"page": page, "query": query}


def _switch(cls: type[StepBase], hint: str) -> ActionParser:
    def parse(r: Reader, node: Node, field: str, extra: dict[str, Node]) -> tuple[type[StepBase], Fields]:
        r.true(node, field, hint)
        return cls, {}

    return parse


def _close(r: Reader, node: Node, field: str, extra: dict[str, Node]) -> tuple[type[StepBase], Fields]:
    if isinstance(node, MappingNode):
        entries = r.keys(node, field, S.STEP_KINDS["close"].value.options[1])
        before = r.boolean(entries["before_unload"], join(field, "before_unload")) if "before_unload" in entries else True
        return Close, {"before_unload": before}
    r.true(node, field, "write `close: {before_unload: false}` to close without beforeunload")
    return Close, {}


def _click(r: Reader, node: Node, field: str, extra: dict[str, Node]) -> tuple[type[StepBase], Fields]:
    at_once = extra.get("at_once")
    fields: Fields = {"at_once": r.collect(r.boolean, at_once, join(field.rsplit(".", 1)[0], "at_once"))} \
        if at_once is not None else {}
    if isinstance(node, ScalarNode) and node.tag == TAG + "str":
        target = node.value.strip()
        if target in CLICK_TARGETS:
            return Click, {"target": target, "selector": CLICK_TARGETS[target], **fields}
        if target[:1] in ("#", ".", "[") and len(target) > 1:
            return Click, {"target": target, "selector": target, **fields}
        raise Bad(node, field, f"unknown target {target!r}{did_you_mean(target, CLICK_TARGETS)} (expected one of: {CLICK_HELP})")
    raise Bad(node, field, f"expected a target name or CSS selector, got {describe(node)} (expected one of: {CLICK_HELP})")


def _send(r: Reader, node: Node, field: str, extra: dict[str, Node]) -> tuple[type[StepBase], Fields]:
    decl = S.STEP_KINDS["send"].value
    entries = r.keys(node, field, decl)
    out: Fields = {k: BROKEN for k in decl.required if k not in entries}
    for key, value in entries.items():
        out[key] = r.collect(r.read, value, join(field, key), decl.keys[key])
    return Send, out


def _offline(value: bool) -> ActionParser:
    def parse(r: Reader, node: Node, field: str, extra: dict[str, Node]) -> tuple[type[StepBase], Fields]:
        flag = r.read(node, field, S.STEP_KINDS["offline"].value)
        return SetOffline, {"offline": flag if value else not flag}

    return parse


def _advance(mode: str) -> ActionParser:
    def parse(r: Reader, node: Node, field: str, extra: dict[str, Node]) -> tuple[type[StepBase], Fields]:
        return Advance, {"ms": r.read(node, field, S.STEP_KINDS["advance"].value), "mode": mode}

    return parse


def _stub(r: Reader, node: Node, field: str, extra: dict[str, Node]) -> tuple[type[StepBase], Fields]:
    return StubFault, {"spec": faults.parse_stub(r, node, field)}


def _toxic(r: Reader, node: Node, field: str, extra: dict[str, Node]) -> tuple[type[StepBase], Fields]:
    return Toxic, toxics.parse_toxic(r, node, field)


def _seed_outbox(r: Reader, node: Node, field: str, extra: dict[str, Node]) -> tuple[type[StepBase], Fields]:
    return SeedOutbox, seeding.parse_seed_outbox(r, node, field)


def _proxy(r: Reader, node: Node, field: str, extra: dict[str, Node]) -> tuple[type[StepBase], Fields]:
    entries = r.keys(node, field, S.STEP_KINDS["proxy"].value, what="a mapping like {enabled: false}")
    if "enabled" not in entries:
        return ProxyEnabled, {"enabled": BROKEN}
    return ProxyEnabled, {"enabled": r.boolean(entries["enabled"], join(field, "enabled"))}


def _storage(r: Reader, node: Node, field: str, extra: dict[str, Node]) -> tuple[type[StepBase], Fields]:
    return Storage, {"mode": r.read(node, field, S.STEP_KINDS["storage"].value)}


def _db(r: Reader, node: Node, field: str, extra: dict[str, Node]) -> tuple[type[StepBase], Fields]:
    word, call = S.STEP_KINDS["db"].value.options
    if isinstance(node, MappingNode):
        entries = r.keys(node, field, call)
        fn = r.collect(r.read, entries["call"], join(field, "call"), call.keys["call"]) if "call" in entries else BROKEN
        args: Any = ()
        if "args" in entries:
            got = r.collect(r.read, entries["args"], join(field, "args"), call.keys["args"])
            args = BROKEN if got is BROKEN else tuple(got)
        return Db, {"action": "call", "function": fn, "args": BROKEN if args is BROKEN or BROKEN in args else args}
    action = r.read(node, field, word)
    return Db, {"action": action}


def _hook(r: Reader, node: Node, field: str, extra: dict[str, Node]) -> tuple[type[StepBase], Fields]:
    short, long = S.STEP_KINDS["hook"].value.options
    if isinstance(node, MappingNode):
        entries = r.keys(node, field, long)
        target = r.collect(r.read, entries["target"], join(field, "target"), short) if "target" in entries else BROKEN
        args = r.collect(r.read, entries["args"], join(field, "args"), long.keys["args"]) if "args" in entries else {}
        return Hook, {"target": target, "args": args}
    return Hook, {"target": r.read(node, field, short)}


ACTIONS: dict[str, ActionParser] = {
    "open": _open,
    "navigate": _navigate,
    "reload": _switch(Reload, "remove the step to not reload"),
    "close": _close,
    "crash": _switch(Crash, "remove the step to not crash"),
    "click": _click,
    "send": _send,
    "offline": _offline(True),
    "online": _offline(False),
    "advance": _advance("run"),
    "jump": _advance("jump"),
    "stub": _stub,
    "toxic": _toxic,
    "proxy": _proxy,
    "seed_outbox": _seed_outbox,
    "storage": _storage,
    "restart_browser": _switch(RestartBrowser, "remove the step to not restart"),
    "db": _db,
    "hook": _hook,
}
SCOPE: dict[str, str] = {kind: k.scope for kind, k in S.STEP_KINDS.items()}
assert set(ACTIONS) == set(S.STEP_KINDS), "every declared step kind has a parser"
ALL_KEYS = tuple(ACTIONS) + COMMON_KEYS + tuple(sorted({k for ks in EXTRA_KEYS.values() for k in ks}))


def parse_step(r: Reader, node: Node, index: int) -> Parsed:
    """Validate one step; on any problem report it and return a ``BrokenStep``."""
    field = f"steps[{index}]"
    line = line_of(node)
    if isinstance(node, ScalarNode) and node.value in ACTIONS:
        r.report(node, field, f"a step is a mapping: write `{node.value}: ...` (e.g. `{node.value}: true`)")
        return BrokenStep(line, (node.value,), "main", "main")
    n_before = len(r.issues.items)
    entries = r.collect(r.mapping, node, field, allowed=ALL_KEYS, what="a step mapping with one action key")
    if entries is BROKEN:
        return BrokenStep(line, None, "main", "main")
    context = _common(r, entries, field, "context") or "main"
    tab = _common(r, entries, field, "tab") or "main"
    actions = [k for k in entries if k in ACTIONS]
    if not actions:
        unknown = [k.value for k, _ in node.value if isinstance(k, ScalarNode) and k.value not in ALL_KEYS]
        if not unknown:
            r.report(node, field, f"no action (expected one of: {', '.join(ACTIONS)})")
        guesses = [difflib.get_close_matches(k, ACTIONS, n=1, cutoff=0.6) for k in unknown]
        meant = tuple(g[0] for g in guesses if g) if all(guesses) else None
        return BrokenStep(line, meant, context, tab)
    if len(actions) > 1:
        r.report(r.key_line(node, actions[1]), field, f"two actions in one step: '{actions[0]}' and '{actions[1]}'; write one step per action")
        return BrokenStep(line, tuple(actions), context, tab)
    kind = actions[0]
    line = r.key_line(node, kind)
    where = join(field, kind)
    for key in entries:
        if key not in ACTIONS and key not in COMMON_KEYS and key not in EXTRA_KEYS.get(kind, ()):
            owners = " or ".join(k for k, v in EXTRA_KEYS.items() if key in v)
            r.report(r.key_line(node, key), join(field, key), f"'{key}' only goes with {owners}, not {kind}")
    scope = SCOPE[kind]
    for key in ("tab", "context"):
        if key in entries and (scope == "world" or (scope == "context" and key == "tab")):
            applies = "the whole browser context" if scope == "context" else "every context"
            r.report(r.key_line(node, key), join(field, key), f"'{key}' has no meaning for {kind} (it applies to {applies})")
    note = r.collect(r.read, entries["note"], join(field, "note"), S.COMMON_KEYS["note"]) if "note" in entries else None
    extra = {k: v for k, v in entries.items() if k in EXTRA_KEYS.get(kind, ())}
    result = r.collect(ACTIONS[kind], r, entries[kind], where, extra)
    if result is BROKEN or len(r.issues.items) > n_before:
        return BrokenStep(line, (kind,), context, tab)
    cls, fields = result
    if BROKEN in fields.values() or note is BROKEN:
        return BrokenStep(line, (kind,), context, tab)
    return cls(**fields, line=line, context=context, tab=tab, note=note)  # type: ignore[call-arg]


def _common(r: Reader, entries: dict[str, Node], field: str, key: str) -> str | None:
    if key not in entries:
        return None
    value = r.collect(r.read, entries[key], join(field, key), S.COMMON_KEYS[key])
    return None if value is BROKEN else value
