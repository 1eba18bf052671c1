"""SPEC §5 body rules: turn raw request bytes into validated payloads or a precise 4xx.

Pure functions (no aiohttp) so the rules can be unit-tested with garbage of every shape, and so
the ingest service can apply exactly the same rules as the stub.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from harness.contract import envelope
from harness.contract.history import JournalEvent
from harness.contract.sync import BATCH_KEYS, FIELD_LIMITS, MAX_BODY_BYTES, MAX_EVENTS, MIN_EVENTS


@dataclass(frozen=True)
class ParsedBody:
    """What the endpoint made of a body.

    ``status`` is ``None`` when the body is valid (the store decides the answer), otherwise the
    4xx to answer with ``error``. ``events`` are every event found (with a per-event ``error``
    for the poison ones), ``payloads`` only the valid ones, handed to the store.
    """

    status: int | None
    error: str | None = None
    events: tuple[JournalEvent, ...] = ()
    invalid: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status is None

    @property
    def payloads(self) -> list[dict[str, Any]]:
        return [e.payload for e in self.events if e.error is None]

    @property
    def site(self) -> str | None:
        """The batch's site id (only meaningful for a valid body)."""
        return self.events[0].payload.get("s") if self.events else None

    def answer_body(self) -> dict[str, Any]:
        """The JSON body of the 4xx answer (``invalid`` lists poison indices on 422)."""
        body: dict[str, Any] = {"ok": False, "error": self.error}
        if self.status == 422:
            body["invalid"] = list(self.invalid)
            body["errors"] = {str(e.index): e.error for e in self.events if e.error}
        return body


def too_large(size_hint: int) -> ParsedBody:
    """The 413 answer; ``size_hint`` is the declared or observed size in bytes."""
    return ParsedBody(413, f"body over {MAX_BODY_BYTES} bytes (at least {size_hint})")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def event_eid(payload: dict[str, Any]) -> str | None:
    """The envelope id the reference build sends as ``meta.eid`` (None when absent/not a string)."""
    meta = payload.get(envelope.META)
    eid = meta.get(envelope.EVENT_ID) if isinstance(meta, dict) else None
    return eid if isinstance(eid, str) else None


def event_error(event: Any) -> str | None:
    """Why one event breaks the schema, or ``None``. ``null`` optional fields count as absent."""
    if not isinstance(event, dict):
        return f"event is not an object (got {_json_type(event)})"
    for name, limit, required in FIELD_LIMITS:
        value = event.get(name)
        if value is None:
            if required:
                return f"{name}: required"
            continue
        if not isinstance(value, str):
            return f"{name}: must be a string (got {_json_type(value)})"
        if required and not value:
            return f"{name}: must not be empty"
        if len(value) > limit:
            return f"{name}: {len(value)} chars, limit {limit}"
    return storable_error(event)


MAX_DEPTH = 32  # nesting levels an event may have (the journal and PostgreSQL's jsonb stay safe)


_SM = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


def session_month(sm: Any) -> date:
    """The first day of the payload's session month (``YYYY-MM-01``; ``YYYY-MM[-DD]`` accepted);
    ``ValueError`` says why not."""
    if not isinstance(sm, str):
        raise ValueError("missing: the session month is required as 'YYYY-MM-01'")
    m = _SM.match(sm)
    if not m:
        raise ValueError(f"{sm[:40]!r} is not a month in the form 'YYYY-MM-01'")
    try:
        return date(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise ValueError(f"{sm[:40]!r} is not a valid month") from None


def _text_error(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"contains a lone surrogate at {exc.start} (not encodable as UTF-8)"
    return None


def storable_error(event: Any) -> str | None:
    """What no store can keep as sent — judged here once, so memory and PostgreSQL agree:
    a missing or malformed session month ``sm`` (a session's month comes from it, SPEC §6: no
    store may invent one, and resending cannot add it, so it is a 422, never a 200 or a 500), nesting deeper than ``MAX_DEPTH``, a NUL
    character or a lone surrogate (``"\\ud800"``) in a key or a value, a number that is not
    finite (``1e400``). Iterative: a hostile payload cannot exhaust the stack."""
    if isinstance(event, dict):  # missing included: SPEC §2 and §6, the month is the event's partition
        try:
            session_month(event.get("sm"))
        except ValueError as exc:
            return f"sm: {exc}"
    todo: list[tuple[Any, str, int]] = [(event, "event", 1)]
    while todo:
        value, path, depth = todo.pop()
        if isinstance(value, str):
            why = _text_error(value)
            if why is not None:
                return f"{path}: {why}"
        elif isinstance(value, float):
            if not math.isfinite(value):
                return f"{path}: {value} is not a finite number"
        elif isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                return f"{path}: nested deeper than {MAX_DEPTH} levels"
            pairs = value.items() if isinstance(value, dict) else enumerate(value)
            for k, v in pairs:
                why = _text_error(k) if isinstance(k, str) else None
                if why is not None:
                    return f"{path}: a key {why}"
                todo.append((v, f"{path}.{k}" if isinstance(value, dict) else f"{path}[{k}]", depth + 1))
    return None


def parse_body(raw: bytes) -> ParsedBody:
    """Apply SPEC §5 to a body already known to be within ``MAX_BODY_BYTES``.

    Order: UTF-8 → empty → JSON → shape (object, ``events``/``batch`` list of 1–100) → per-event
    schema → one site per batch. Mixed sites answer 400 even when some events are also invalid
    (the request itself is malformed); otherwise any invalid event answers 422 for the batch.
    """
    if len(raw) > MAX_BODY_BYTES:
        return too_large(len(raw))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ParsedBody(400, f"invalid UTF-8 at byte {exc.start}")
    if not text.strip():
        return ParsedBody(400, "empty body")
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        return ParsedBody(400, "bad JSON: nested too deeply")
    except ValueError as exc:  # JSONDecodeError, NaN/Infinity, oversized integers
        return ParsedBody(400, f"bad JSON: {exc}")
    items, shape_error = _items(doc)
    if shape_error is not None:
        return ParsedBody(400, shape_error)
    errors = [event_error(item) for item in items]
    events = tuple(
        JournalEvent(
            index=i,
            # A payload too deep to keep is journaled as {} (its error says why): nothing downstream recurses into it.
            payload=item if isinstance(item, dict) and not (err and "nested deeper" in err) else {},
            eid=event_eid(item) if isinstance(item, dict) else None,
            error=err,
        )
        for i, (item, err) in enumerate(zip(items, errors))
    )
    mixed = _mark_mixed_sites(events)
    if mixed is not None:
        return mixed
    invalid = tuple(e.index for e in events if e.error is not None)
    if invalid:
        first = events[invalid[0]]
        return ParsedBody(
            422, f"{len(invalid)} invalid event(s); first: event {first.index}: {first.error}", events, invalid
        )
    return ParsedBody(None, None, events)


def _items(doc: Any) -> tuple[list[Any], str | None]:
    """The events of a body: the object itself, or its ``events``/``batch`` list."""
    if not isinstance(doc, dict):
        return [], f"wrong shape: body must be a JSON object (got {_json_type(doc)})"
    keys = [k for k in BATCH_KEYS if k in doc]
    if not keys:
        return [doc], None
    if len(keys) == 2:
        return [], "wrong shape: both 'events' and 'batch' present"
    items = doc[keys[0]]
    if not isinstance(items, list):
        return [], f"wrong shape: '{keys[0]}' must be an array (got {_json_type(items)})"
    if not MIN_EVENTS <= len(items) <= MAX_EVENTS:
        return [], f"wrong shape: '{keys[0]}' has {len(items)} events, allowed {MIN_EVENTS}–{MAX_EVENTS}"
    return items, None


def _mark_mixed_sites(events: tuple[JournalEvent, ...]) -> ParsedBody | None:
    """400 when the batch names more than one site; the odd events carry the reason."""
    sites = [e.payload.get("s") for e in events]
    named = [s for s in sites if isinstance(s, str) and s]
    if len(set(named)) <= 1:
        return None
    first = named[0]
    marked = tuple(
        e if not isinstance(s, str) or not s or s == first or e.error
        else JournalEvent(e.index, e.payload, e.eid, f"s: site {s!r} differs from {first!r} of the batch")
        for e, s in zip(events, sites)
    )
    return ParsedBody(400, f"mixed sites in one batch: {sorted(set(named))}", marked)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__
