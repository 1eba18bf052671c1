"""Turning validated Sync payloads into database rows, and refusing what cannot be stored.

The stub has already checked the SPEC §5 shapes (lengths, types of ``el``/``u``/``r``/``s``).
What remains is what PostgreSQL itself would refuse — a NUL character, NaN/Infinity in JSON,
a missing or malformed session month ``sm`` — which is permanent, so it is answered with a 422
naming the event and the field instead of a 500 the tracker would retry forever.
"""
from __future__ import annotations

import json
import math
from typing import Any

from server_stub.sync_protocol import session_month


class Unstorable(ValueError):
    """An event PostgreSQL cannot store as sent (answered 422, never retried)."""

    def __init__(self, index: int, field: str, reason: str) -> None:
        super().__init__(f"event {index}: {field}: {reason}")
        self.index = index
        self.field = field
        self.reason = reason


def event_id(payload: dict[str, Any]) -> str | None:
    """``meta.eid`` as text; ``None`` when absent or empty (the event cannot be de-duplicated)."""
    meta = payload.get("meta")
    eid = meta.get("eid") if isinstance(meta, dict) else None
    if eid is None or eid == "" or isinstance(eid, bool):
        return None
    return eid if isinstance(eid, str) else json.dumps(eid, sort_keys=True)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def _number(value: Any) -> int | float | None:
    """``ev`` for the numeric column: numbers and numeric strings; anything else is NULL
    (the payload column keeps the original)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            f = float(value)
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def _check_storable(value: Any, path: str, index: int) -> None:
    """Raise Unstorable for NUL characters (text/jsonb refuse them) and NaN/Infinity (jsonb)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise Unstorable(index, path, "contains a NUL character, which PostgreSQL cannot store")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise Unstorable(index, path, f"{value} is not a JSON number PostgreSQL can store")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_storable(k, f"{path}.<key>", index)
            _check_storable(v, f"{path}.{k}", index)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_storable(v, f"{path}[{i}]", index)


def to_row(index: int, payload: dict[str, Any]) -> dict[str, Any]:
    """One payload as the JSON record the batch statement reads (see ``queries.INGEST``)."""
    if not isinstance(payload, dict):
        raise Unstorable(index, "event", f"is a {type(payload).__name__}, not an object")
    _check_storable(payload, "payload", index)
    try:
        month = session_month(payload.get("sm"))
    except ValueError as e:
        raise Unstorable(index, "sm", str(e)) from None
    meta = payload.get("meta")
    meta = meta if isinstance(meta, dict) else {}
    return {
        "ord": index,
        "eid": event_id(payload),
        "session_id": _text(payload.get("sid")),
        "session_month": month.isoformat(),
        "category": _text(payload.get("ec")),
        "action": _text(payload.get("ea")),
        "label": _text(payload.get("el")),
        "value": _number(payload.get("ev")),
        "url": _text(payload.get("u")),
        "referrer": _text(payload.get("r")),
        "gclid": _text(meta.get("gclid")),
        "fingerprint": _text(meta.get("fp")),
        "metadata": meta,
        "payload": payload,
    }


def to_rows(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """All payloads of a request, or Unstorable for the first one that cannot be stored."""
    return [to_row(i, ev) for i, ev in enumerate(events)]
