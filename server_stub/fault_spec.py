"""HTTP faults of the Sync stub (SPEC §7 "HTTP, in the stub"), scriptable and reproducible.

A fault is written as a small dict so scenario files, the control endpoint and Python share one
spelling, validated by ``parse_fault``. Exactly one *kind* key, plus modifiers:

- ``{"ok": true}`` — explicitly healthy (useful inside sequences);
- ``{"status": 503, "retry_after": 5, "body": {...}}`` — answer without processing;
- ``{"delay_ms": 200}`` — a slow server: handle normally (store the events) at once, answer after
  ``delay_ms``; a client that gives up first leaves it processed but unacknowledged. As a modifier
  on another kind (``{"ok": true, "delay_ms": 200}``, a delayed 503, …) it waits *before* that
  kind acts. Delays are page time when the harness drives the stub (``Holds``), else real time;
- ``{"hang": true}`` — hold until the client goes away, ``release_hung()`` (then handle normally)
  or the server stops;
- ``{"close": true}`` / ``{"close": "rst"}`` — close the connection without an answer (FIN / RST);
- ``{"process_then_fail": true | 502 | "close" | "rst"}`` — handle normally (store the events),
  then answer 500 / that status, or close without an answer (after ``delay_ms``, if given).
Modifiers: ``via: fetch|beacon|xhr`` (only requests with that transport tag), ``method: POST|OPTIONS``
(default POST: preflights pass through unless a fault names them).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from harness.contract.vocabulary import TRANSPORTS

FaultKind = Literal["ok", "status", "delay", "hang", "close", "process_then_fail"]
CloseMode = Literal["fin", "rst"]
KIND_KEYS: tuple[str, ...] = ("ok", "status", "hang", "close", "process_then_fail")
MODIFIER_KEYS: tuple[str, ...] = ("delay_ms", "retry_after", "body", "via", "method")
MAX_DELAY_MS = 30_000


class FaultSpecError(ValueError):
    """A fault spec that cannot be applied; the message names the key and the value."""


@dataclass(frozen=True)
class Fault:
    """One parsed fault. ``status`` is the answered status (``None`` when no answer is sent)."""

    kind: FaultKind
    status: int | None = None
    retry_after: int | None = None
    body: Any = None
    delay_ms: int = 0
    close: CloseMode | None = None  # close/process_then_fail: how to end without an answer
    via: str | None = None
    method: Literal["POST", "OPTIONS"] = "POST"

    def matches(self, method: str, via: str) -> bool:
        return method == self.method and (self.via is None or self.via == via)

    def to_spec(self) -> dict[str, Any]:
        """The dict form ``parse_fault`` reads back (round-trips)."""
        spec: dict[str, Any]
        if self.kind == "ok":
            spec = {"ok": True}
        elif self.kind == "status":
            spec = {"status": self.status}
        elif self.kind == "delay":
            spec = {}
        elif self.kind == "hang":
            spec = {"hang": True}
        elif self.kind == "close":
            spec = {"close": "rst" if self.close == "rst" else True}
        else:
            ending: Any = {"fin": "close", "rst": "rst"}.get(self.close or "", self.status)
            spec = {"process_then_fail": ending}
        if self.delay_ms or self.kind == "delay":
            spec["delay_ms"] = self.delay_ms
        if self.retry_after is not None:
            spec["retry_after"] = self.retry_after
        if self.body is not None:
            spec["body"] = self.body
        if self.via is not None:
            spec["via"] = self.via
        if self.method != "POST":
            spec["method"] = self.method
        return spec

    def describe(self) -> str:
        """Short label for the journal and reports, e.g. ``status 503 retry_after=5``."""
        if self.kind == "status":
            text = f"status {self.status}"
        elif self.kind == "close":
            text = f"close {self.close}"
        elif self.kind == "process_then_fail":
            text = f"process_then_fail {self.close or self.status}"
        elif self.kind == "delay":
            text = f"delay {self.delay_ms}ms"
        else:
            text = self.kind
        if self.retry_after is not None:
            text += f" retry_after={self.retry_after}"
        if self.delay_ms and self.kind != "delay":
            text += f" +delay {self.delay_ms}ms"
        if self.via:
            text += f" via={self.via}"
        if self.method != "POST":
            text += f" method={self.method}"
        return text


def parse_fault(spec: Any) -> Fault:
    """Validate one fault dict (see the module docstring) and return the ``Fault``.

    A ``Fault`` passes through unchanged so callers can accept either form.
    """
    if isinstance(spec, Fault):
        return spec
    if not isinstance(spec, Mapping):
        raise FaultSpecError(f"a fault must be an object, got {type(spec).__name__}: {spec!r}")
    unknown = sorted(str(k) for k in spec if k not in KIND_KEYS + MODIFIER_KEYS)
    if unknown:
        raise FaultSpecError(
            f"unknown fault key(s) {unknown}; allowed: {', '.join(KIND_KEYS + MODIFIER_KEYS)}"
        )
    kinds = [k for k in KIND_KEYS if k in spec]
    if len(kinds) > 1:
        raise FaultSpecError(f"a fault has exactly one kind, got {kinds}")
    delay_ms = _int_in(spec, "delay_ms", 0, MAX_DELAY_MS, default=0)
    method = spec.get("method", "POST")
    if method not in ("POST", "OPTIONS"):
        raise FaultSpecError(f"method: must be 'POST' or 'OPTIONS', got {method!r}")
    via = spec.get("via")
    if via is not None and via not in TRANSPORTS:
        raise FaultSpecError(f"via: must be {', '.join(map(repr, TRANSPORTS[:-1]))} or {TRANSPORTS[-1]!r}, got {via!r}")
    if not kinds:
        if "delay_ms" not in spec:
            raise FaultSpecError(f"a fault needs one of {', '.join(KIND_KEYS)} or delay_ms; got {dict(spec)!r}")
        kind: FaultKind = "delay"
    else:
        kind = kinds[0]  # type: ignore[assignment]
    fault = Fault(kind=kind, delay_ms=delay_ms, via=via, method=method, **_kind_fields(kind, spec))
    if fault.retry_after is not None and fault.status is None:
        raise FaultSpecError("retry_after: only allowed with an answered status (status, process_then_fail N)")
    if "body" in spec and fault.kind != "status":
        raise FaultSpecError("body: only allowed with status")
    if method == "OPTIONS" and kind == "process_then_fail":
        raise FaultSpecError("process_then_fail: a preflight has nothing to process (method OPTIONS)")
    return fault


def _kind_fields(kind: FaultKind, spec: Mapping[str, Any]) -> dict[str, Any]:
    """The kind-specific fields of a ``Fault``, validated."""
    out: dict[str, Any] = {}
    if "retry_after" in spec:
        out["retry_after"] = _int_in(spec, "retry_after", 0, 86_400)
    if kind in ("ok", "hang"):
        if spec[kind] is not True:
            raise FaultSpecError(f"{kind}: must be true, got {spec[kind]!r}")
    elif kind == "status":
        out["status"] = _int_in(spec, "status", 200, 599)
        body = spec.get("body")
        if body is not None and not isinstance(body, (dict, list, str)):
            raise FaultSpecError(f"body: must be an object, array or string, got {type(body).__name__}")
        out["body"] = body
    elif kind == "close":
        value = spec["close"]
        if value not in (True, "fin", "rst"):
            raise FaultSpecError(f"close: must be true, 'fin' or 'rst', got {value!r}")
        out["close"] = "rst" if value == "rst" else "fin"
    elif kind == "process_then_fail":
        value = spec["process_then_fail"]
        if value is True:
            out["status"] = 500
        elif value in ("close", "fin", "rst"):
            out["close"] = "rst" if value == "rst" else "fin"
        elif isinstance(value, int) and not isinstance(value, bool) and 400 <= value <= 599:
            out["status"] = value
        else:
            raise FaultSpecError(
                f"process_then_fail: must be true, a status 400–599, 'close' or 'rst', got {value!r}"
            )
    return out


def _int_in(spec: Mapping[str, Any], key: str, lo: int, hi: int, default: int | None = None) -> int:
    value = spec.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise FaultSpecError(f"{key}: must be an integer {lo}–{hi}, got {value!r}")
    return value
