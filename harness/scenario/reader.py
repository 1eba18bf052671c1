"""Read YAML nodes (not constructed objects) so every value keeps the line it was written on.

``yaml.safe_load`` forgets positions, silently keeps the last of two duplicate keys and turns
``00:05:00`` into the integer 300 (YAML 1.1 base 60). Walking the composed node tree avoids all
three: errors carry ``node.start_mark.line``, duplicates are reported, and durations are read from
the text as written.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Collection, Iterable
from datetime import datetime, timezone
from typing import Any, TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from harness.scenario import bounds
from harness.scenario import spec as S
from harness.scenario.durations import format_ms, parse_duration
from harness.scenario.errors import Issues, did_you_mean

T = TypeVar("T")
TAG = "tag:yaml.org,2002:"
_TYPE_NAMES = {
    "str": "a string", "int": "an integer", "float": "a number", "bool": "true/false",
    "null": "null", "timestamp": "a date/time", "binary": "binary data", "map": "a mapping",
    "seq": "a list", "set": "a set", "omap": "an ordered map", "pairs": "pairs",
}


class Bad(Exception):
    """A value is invalid; ``Reader.collect`` turns it into an issue and parsing carries on."""

    def __init__(self, node: Node | int, field: str, message: str) -> None:
        super().__init__(message)
        self.line = node if isinstance(node, int) else line_of(node)
        self.field = field
        self.message = message


class _Broken:
    """The marker ``collect`` returns for a value that was reported as invalid."""

    def __repr__(self) -> str:
        return "BROKEN"


BROKEN: Any = _Broken()


def line_of(node: Node) -> int:
    """1-based line where ``node`` starts."""
    return node.start_mark.line + 1


def describe(node: Node) -> str:
    """Short human description of a node's type and value, for error messages."""
    tag = node.tag.removeprefix(TAG)
    kind = _TYPE_NAMES.get(tag, f"tag {node.tag}")
    if isinstance(node, ScalarNode):
        return f"{kind} {node.value!r}" if tag != "null" else "null"
    return kind


def join(path: str, key: str | int) -> str:
    """Field path: ``steps[3]``, ``steps[3].click``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def misspelled(node: Node, key: str, allowed: Collection[str] | None) -> bool:
    """Whether ``node`` has an unknown key whose "did you mean" is ``key`` (already reported,
    so a "'key' is required" on top would only repeat it)."""
    if not isinstance(node, MappingNode) or allowed is None:
        return False
    for key_node, _ in node.value:
        name = getattr(key_node, "value", None)
        if isinstance(name, str) and name not in allowed and did_you_mean(name, allowed) == f" (did you mean '{key}'?)":
            return True
    return False


class Reader:
    """Typed accessors over YAML nodes that report invalid values with file, line and field."""

    def __init__(self, issues: Issues) -> None:
        self.issues = issues
        self._constructor = yaml.constructor.SafeConstructor()

    # -- flow control ------------------------------------------------------------------------
    def collect(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a field parser; a ``Bad`` becomes an issue and the result is ``BROKEN``."""
        try:
            return fn(*args, **kwargs)
        except Bad as bad:
            self.issues.add(bad.line, bad.field, bad.message)
            return BROKEN

    def report(self, node: Node | int, field: str, message: str) -> None:
        self.issues.add(node if isinstance(node, int) else line_of(node), field, message)

    def construct(self, node: Node) -> Any:
        """The Python value PyYAML's safe loader makes of ``node`` (types already checked)."""
        return self._constructor.construct_object(node, deep=True)

    # -- containers --------------------------------------------------------------------------
    def mapping(
        self,
        node: Node,
        field: str,
        allowed: Collection[str] | None = None,
        required: Iterable[str] = (),
        what: str = "a mapping",
    ) -> dict[str, Node]:
        """The entries of a mapping by key. Unknown, duplicate and missing keys are reported
        (and the entry skipped); only a node that is not a mapping at all raises ``Bad``."""
        if not isinstance(node, MappingNode) or node.tag != TAG + "map":
            raise Bad(node, field, f"expected {what}, got {describe(node)}")
        if len(node.value) > bounds.MAX_KEYS:
            raise Bad(node, field, f"has {len(node.value)} keys; at most {bounds.MAX_KEYS} are allowed")
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == TAG + "merge":
                self.report(key_node, join(field, "<<"), "merge keys (<<) are not supported; write the keys out")
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag != TAG + "str":
                self.report(key_node, field, f"keys must be names, got {describe(key_node)}")
                continue
            key = key_node.value
            where = join(field, key)
            if key in out:
                first = line_of(out[key])
                self.report(key_node, where, f"duplicate key '{key}' (first given on line {first})")
                continue
            if allowed is not None and key not in allowed:
                self.report(key_node, where, f"unknown key '{key}'{did_you_mean(key, allowed)}")
                continue
            out[key] = value_node
        for key in required:
            if key not in out and not misspelled(node, key, allowed):
                self.report(node, join(field, key), f"'{key}' is required")
        return out

    def key_line(self, mapping_node: Node, key: str) -> int:
        """Line of ``key`` inside ``mapping_node`` (where unknown/conflicting keys are reported)."""
        if isinstance(mapping_node, MappingNode):
            for key_node, _ in mapping_node.value:
                if isinstance(key_node, ScalarNode) and key_node.value == key:
                    return line_of(key_node)
        return line_of(mapping_node)

    def sequence(self, node: Node, field: str, *, nonempty: bool = False, max_items: int = bounds.MAX_LIST) -> list[Node]:
        if not isinstance(node, SequenceNode) or node.tag != TAG + "seq":
            raise Bad(node, field, f"expected a list, got {describe(node)}")
        if nonempty and not node.value:
            raise Bad(node, field, "must not be empty")
        if len(node.value) > max_items:
            raise Bad(node, field, f"has {len(node.value)} items; at most {max_items} are allowed")
        return list(node.value)

    # -- scalars -----------------------------------------------------------------------------
    def _scalar(self, node: Node, field: str, tags: Collection[str], expected: str) -> Any:
        if not isinstance(node, ScalarNode) or node.tag.removeprefix(TAG) not in tags:
            hint = ""
            if isinstance(node, ScalarNode) and "str" in tags and node.tag.startswith(TAG):
                hint = " (quote it to make it a string)"
            raise Bad(node, field, f"expected {expected}, got {describe(node)}{hint}")
        return self._constructor.construct_object(node, deep=True)

    def string(
        self,
        node: Node,
        field: str,
        *,
        choices: Collection[str] | None = None,
        pattern: str | None = None,
        pattern_help: str = "",
        nonempty: bool = True,
        max_len: int = bounds.MAX_STRING,
    ) -> str:
        if choices is not None and isinstance(node, ScalarNode) and node.value not in choices:
            shown = ", ".join(choices)
            raise Bad(node, field, f"unknown value {node.value!r}{did_you_mean(node.value, choices)} (expected one of: {shown})")
        value: str = self._scalar(node, field, ("str",), "a string")
        if len(value) > max_len:
            raise Bad(node, field, f"is {len(value)} characters long; at most {max_len} are allowed")
        if nonempty and not value.strip():
            raise Bad(node, field, "must not be empty")
        if pattern is not None and not re.fullmatch(pattern, value):
            raise Bad(node, field, f"{value!r} is not valid: {pattern_help or 'must match ' + pattern}")
        return value

    def text(self, node: Node, field: str, max_len: int = bounds.MAX_STRING) -> str:
        """A scalar as written (``0123`` stays ``"0123"``): for query values and attributes."""
        if not isinstance(node, ScalarNode) or node.tag == TAG + "null":
            raise Bad(node, field, f"expected a text value, got {describe(node)}")
        if len(node.value) > max_len:
            raise Bad(node, field, f"is {len(node.value)} characters long; at most {max_len} are allowed")
        return node.value

    def boolean(self, node: Node, field: str) -> bool:
        return bool(self._scalar(node, field, ("bool",), "true or false"))

    def true(self, node: Node, field: str, hint: str) -> None:
        """A switch-like step (``reload: true``): anything but ``true`` is a mistake."""
        if not self.boolean(node, field):
            raise Bad(node, field, f"only `true` makes sense here; {hint}")

    def integer(self, node: Node, field: str, *, min: int | None = None, max: int | None = None) -> int:
        value: int = self._scalar(node, field, ("int",), "an integer")
        if min is not None and value < min:
            raise Bad(node, field, f"must be ≥ {min}, got {value}")
        if max is not None and value > max:
            raise Bad(node, field, f"must be ≤ {max}, got {value}")
        return value

    def number(self, node: Node, field: str, *, min: float | None = None, max: float | None = None) -> float:
        value = float(self._scalar(node, field, ("int", "float"), "a number"))
        if not math.isfinite(value):
            raise Bad(node, field, "must be a finite number")
        if (min is not None and value < min) or (max is not None and value > max):
            raise Bad(node, field, f"must be between {min} and {max}, got {value:g}")
        return value

    def duration(self, node: Node, field: str, *, allow_negative: bool = False,
                 max_ms: int = bounds.MAX_DURATION_MS) -> int:
        if not isinstance(node, ScalarNode) or node.tag.removeprefix(TAG) not in ("int", "float", "str"):
            raise Bad(node, field, f"expected a duration, got {describe(node)}")
        raw: Any
        if node.tag == TAG + "str" or ":" in node.value:
            raw = node.value  # YAML 1.1 reads 00:05:00 as the int 300; keep the text
        else:
            raw = self._constructor.construct_object(node)
        try:
            ms = parse_duration(raw, allow_negative=allow_negative)
        except ValueError as exc:
            raise Bad(node, field, str(exc)) from None
        if abs(ms) > max_ms:
            raise Bad(node, field, f"{node.value} is longer than the {format_ms(max_ms)} a scenario may ask for")
        return ms

    def instant_ms(self, node: Node, field: str, *, allow_int: bool = False) -> int:
        """An ISO 8601 instant with a timezone (or, where allowed, an int of ms since epoch) → ms."""
        if allow_int and isinstance(node, ScalarNode) and node.tag == TAG + "int":
            return self.integer(node, field, min=0, max=bounds.MAX_INSTANT_MS)
        value: Any
        if isinstance(node, ScalarNode) and node.tag == TAG + "timestamp":
            value = self.construct(node)
        else:
            if not isinstance(node, ScalarNode) or node.tag != TAG + "str":
                ints = " or an integer of ms since epoch" if allow_int else ""
                raise Bad(node, field, f"expected an ISO 8601 time like '2026-03-10T09:00:00Z'{ints}, got {describe(node)}")
            text = self.string(node, field)
            try:
                value = datetime.fromisoformat(text.strip())
            except ValueError:
                raise Bad(node, field, f"{text!r} is not an ISO 8601 time like '2026-03-10T09:00:00Z'") from None
        if not isinstance(value, datetime):  # a bare date
            raise Bad(node, field, f"{node.value!r} is a date; give a time with a timezone, like '{value}T09:00:00Z'")
        if value.tzinfo is None:
            raise Bad(node, field, f"{node.value!r} has no timezone; add 'Z' or '+03:00' so runs are reproducible")
        if not bounds.MIN_YEAR <= value.astimezone(timezone.utc).year <= bounds.MAX_YEAR:
            raise Bad(node, field, f"{node.value!r} is outside the years {bounds.MIN_YEAR}–{bounds.MAX_YEAR}")
        return int(value.timestamp() * 1000)

    # -- declared values -----------------------------------------------------------------------
    def read(self, node: Node, field: str, decl: S.Decl) -> Any:
        """A value as ``harness.scenario.spec`` declares it (a leaf, or a list of leaves)."""
        if isinstance(decl, S.Str):
            return self.string(node, field, choices=decl.choices, pattern=decl.pattern, pattern_help=decl.pattern_help,
                               nonempty=decl.nonempty, max_len=decl.max_len)
        if isinstance(decl, S.Text):
            return self.text(node, field, decl.max_len)
        if isinstance(decl, S.Int):
            return self.integer(node, field, min=decl.min, max=decl.max)
        if isinstance(decl, S.Num):
            return self.number(node, field, min=decl.min, max=decl.max)
        if isinstance(decl, S.Bool):
            return self.boolean(node, field)
        if isinstance(decl, S.TrueOnly):
            self.true(node, field, decl.hint)
            return True
        if isinstance(decl, S.Duration):
            return self.duration(node, field, allow_negative=decl.allow_negative, max_ms=decl.max_ms)
        if isinstance(decl, S.Instant):
            return self.instant_ms(node, field, allow_int=decl.allow_int)
        if isinstance(decl, S.Json):
            return self.json_mapping(node, field) if decl.object else self.json(node, field)
        if isinstance(decl, S.List):
            items = self.sequence(node, field, nonempty=decl.min_items > 0, max_items=decl.max_items)
            return [self.collect(self.read, n, join(field, i), decl.item) for i, n in enumerate(items)]
        raise TypeError(f"no reader for {type(decl).__name__} at {field}")

    def keys(self, node: Node, field: str, decl: S.Map, what: str = "a mapping") -> dict[str, Node]:
        """The entries of a declared mapping: unknown, duplicate and missing keys reported."""
        return self.mapping(node, field, allowed=decl.allowed, required=decl.required, what=what)

    # -- data --------------------------------------------------------------------------------
    def json(self, node: Node, field: str) -> Any:
        """Plain JSON data (payloads, meta, args): maps with string keys, lists, scalars, bounded
        in nesting and in size (``bounds.MAX_JSON_DEPTH``, ``MAX_JSON_BYTES``)."""
        value = self._json(node, field, 0)
        size = len(json.dumps(value, ensure_ascii=False).encode())
        if size > bounds.MAX_JSON_BYTES:
            raise Bad(node, field, f"is {size} bytes as JSON; at most {bounds.MAX_JSON_BYTES} are allowed")
        return value

    def _json(self, node: Node, field: str, depth: int) -> Any:
        if depth > bounds.MAX_JSON_DEPTH:
            raise Bad(node, field, f"nested more than {bounds.MAX_JSON_DEPTH} levels deep")
        if isinstance(node, MappingNode):
            entries = self.mapping(node, field)
            return {k: self._json(v, join(field, k), depth + 1) for k, v in entries.items()}
        if isinstance(node, SequenceNode):
            items = self.sequence(node, field, max_items=bounds.MAX_JSON_BYTES)
            return [self._json(v, join(field, i), depth + 1) for i, v in enumerate(items)]
        tag = node.tag.removeprefix(TAG)
        if tag == "timestamp":
            raise Bad(node, field, f"{node.value!r} reads as a date; quote it to make it a string")
        if tag not in ("str", "int", "float", "bool", "null"):
            raise Bad(node, field, f"expected JSON data, got {describe(node)}")
        value = self._constructor.construct_object(node)
        if isinstance(value, float) and not math.isfinite(value):
            raise Bad(node, field, "JSON has no NaN or infinity")
        if isinstance(value, str) and len(value) > bounds.MAX_JSON_BYTES:
            raise Bad(node, field, f"is {len(value)} characters long; at most {bounds.MAX_JSON_BYTES} are allowed")
        return value

    def json_mapping(self, node: Node, field: str) -> dict[str, Any]:
        if not isinstance(node, MappingNode) or node.tag != TAG + "map":
            raise Bad(node, field, f"expected a mapping, got {describe(node)}")
        return self.json(node, field)
