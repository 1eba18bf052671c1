"""The JSON Schema of scenario files, generated from the declarations in ``harness.scenario.spec``.

Editors (the YAML language server, VS Code, JetBrains) complete and check scenario files with it:
``tankharness schema > scenario.schema.json`` or the committed ``docs/scenario.schema.json``. It is
draft-07 for the widest editor support. It reads YAML the way editors do (YAML 1.2: ``00:05:00``
and unquoted dates are strings). It says everything about shapes, names, choices and numeric
bounds; the cross-step rules and bounds on written durations are the loader's alone
(docs/scenarios.md, "What only `check` catches").
"""
from __future__ import annotations

import json
from typing import Any

from harness.scenario import spec as S

SCHEMA_ID = "https://tank-harness.invalid/scenario.schema.json"
_NUM = r"\d+(?:\.\d+)?\s*"
_PARTS = rf"(?=\d)(?:{_NUM}d)?(?:\s*{_NUM}h)?(?:\s*{_NUM}m(?!s))?(?:\s*{_NUM}s)?(?:\s*{_NUM}ms)?"
_CLOCK = r"\d+:[0-5]\d:[0-5]\d(?:\.\d+)?"
INSTANT_PATTERN = r"^\s*\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)\s*$"


def duration_pattern(allow_negative: bool) -> str:
    sign = r"-?\s*" if allow_negative else ""
    return rf"^\s*{sign}(?:{_CLOCK}|{_PARTS})\s*$"


def _full(pattern: str) -> str:
    return f"^(?:{pattern})$"


def to_schema(decl: S.Decl) -> dict[str, Any]:
    """The JSON Schema of one declaration."""
    out = _schema(decl)
    if decl.doc:
        out = {"description": decl.doc, **out}
    return out


def _schema(d: S.Decl) -> dict[str, Any]:  # noqa: C901 - one branch per declaration type
    if isinstance(d, S.Str):
        out: dict[str, Any] = {"type": "string", "maxLength": d.max_len}
        if d.choices is not None:
            out["enum"] = list(d.choices)
        elif d.pattern is not None:
            out["pattern"] = _full(d.pattern)
        elif d.nonempty:
            out["pattern"] = r"\S"
        return out
    if isinstance(d, S.Text):
        return {"type": ["string", "number", "boolean"], "maxLength": d.max_len}
    if isinstance(d, S.Int):
        return {"type": "integer", **_range(d.min, d.max)}
    if isinstance(d, S.Num):
        return {"type": "number", **_range(d.min, d.max)}
    if isinstance(d, S.Bool):
        return {"type": "boolean"}
    if isinstance(d, S.TrueOnly):
        return {"const": True}
    if isinstance(d, S.Null):
        return {"type": "null"}
    if isinstance(d, S.Duration):
        low = -d.max_ms if d.allow_negative else 0
        return {"anyOf": [{"type": "integer", "minimum": low, "maximum": d.max_ms},
                          {"type": "string", "pattern": duration_pattern(d.allow_negative)}]}
    if isinstance(d, S.Instant):
        text = {"type": "string", "pattern": INSTANT_PATTERN}
        return {"anyOf": [text, {"type": "integer", "minimum": 0}]} if d.allow_int else text
    if isinstance(d, S.Json):
        return {"type": "object"} if d.object else {}
    if isinstance(d, S.Map):
        return _map(d)
    if isinstance(d, S.List):
        out = {"type": "array", "maxItems": d.max_items, "items": to_schema(d.item)}  # bound first: fails fast
        if d.min_items:
            out["minItems"] = d.min_items
        if d.unique:
            out["uniqueItems"] = True
        return out
    if isinstance(d, S.Either):
        return {"anyOf": [to_schema(o) for o in d.options]}
    return {}


def _range(low: float | None, high: float | None) -> dict[str, Any]:
    return {k: v for k, v in (("minimum", low), ("maximum", high)) if v is not None}


def _map(d: S.Map) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "maxProperties": d.max_keys}
    if d.values is not None:
        out["additionalProperties"] = to_schema(d.values)
        if d.key_pattern:
            out["propertyNames"] = {"pattern": _full(d.key_pattern)}
    else:
        out["properties"] = {k: to_schema(v) for k, v in d.keys.items()}
        out["additionalProperties"] = False
    if d.min_keys:
        out["minProperties"] = d.min_keys
    if d.required:
        out["required"] = list(d.required)
    if d.one_of_keys:
        out["oneOf"] = [{"required": [k]} for k in d.one_of_keys]
    if d is S.TOXIC_ADD:  # the attributes a toxic takes depend on its type
        out["allOf"] = [
            {"if": {"properties": {"type": {"const": t}}, "required": ["type"]},
             "then": {"properties": {"attributes": to_schema(attrs)}, **({"required": ["attributes"]} if attrs.required else {})}}
            for t, attrs in S.TOXIC_ATTRIBUTES.items()
        ]
    if d is S.TOXIC_UPDATE:
        out["anyOf"] = [{"required": ["toxicity"]}, {"required": ["attributes"]}]
    return out


_SCOPE_KEYS = {"tab": ("tab", "context", "note"), "context": ("context", "note"), "world": ("note",),
               "any": ("tab", "context", "note")}


def step_schema(kind: str, k: S.StepKind) -> dict[str, Any]:
    props = {kind: to_schema(k.value), **{c: to_schema(S.COMMON_KEYS[c]) for c in _SCOPE_KEYS[k.scope]},
             **{e: to_schema(v) for e, v in k.extra.items()}}
    out: dict[str, Any] = {"type": "object", "required": [kind], "properties": props, "additionalProperties": False}
    return {"title": kind, **({"description": k.doc} if k.doc else {}), **out}


def build_schema() -> dict[str, Any]:
    """The whole scenario file."""
    props = {k: to_schema(v) for k, v in S.TOP.items()}
    props["steps"]["items"] = {"anyOf": [step_schema(kind, k) for kind, k in S.STEP_KINDS.items()]}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "Tank harness scenario",
        "description": "A scenario file (docs/scenarios.md), generated from harness/scenario/spec.py.",
        "type": "object",
        "properties": props,
        "additionalProperties": False,
        "required": ["judges"],
        "anyOf": [{"required": ["visitors"]}, {"required": ["steps"], "properties": {"steps": {"minItems": 1}}}],
        "not": {"required": ["tracker", "tracker_attrs"]},
    }


def schema_text() -> str:
    """The schema as committed in docs/scenario.schema.json."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"
