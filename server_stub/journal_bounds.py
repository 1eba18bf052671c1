"""What the in-memory journal keeps of a request's parsed events, so its memory stays bounded.

A hostile or broken build can send 256 KB bodies forever. The journal must still say what
arrived (sizes, statuses, samples, each event's index, eid and error) without keeping the bodies:

- an event whose payload is larger than ``EVENT_PAYLOAD_MAX`` JSON characters keeps only its
  labels (site, session, category, action, label, eid; each cut to ``LABEL_MAX``) and
  ``_tank_trimmed`` = its size — normal events (a few hundred bytes) are kept whole, so builds
  without eids are still matched by payload;
- a request that was not processed (rejected, failed) keeps whole payloads for at most
  ``REJECTED_PAYLOADS_MAX`` characters in all (trimmed ones included); later events keep their
  labels as a trimmed payload does, with index, eid and error: a build without eids sends its
  refused batch again and again, and an event with nothing kept could be paired with no send of
  the page (the pairing reads every event's labels), so it read as never enqueued (signalq's
  25-heartbeat batches refused with 503 in ``drop_rule_live``: 3 'unexpected' events each);
- the unprocessed requests of one journal keep ``REJECTED_EVENTS_MAX`` such event records in all
  (a retry storm of a rejected 100-event batch would otherwise cost ~50 MB per 1,000 requests);
  past it their events are counted, not recorded, and the run's notes say so (``Journal``).

Accepted events of the memory store share their payload with the stored row, so keeping them
costs nothing more; the full body goes to the JSONL file only.
"""
from __future__ import annotations

import json
from typing import Any

from harness.contract import envelope
from harness.contract.history import JournalEvent

EVENT_PAYLOAD_MAX = 2048  # JSON characters of one payload kept whole
REJECTED_PAYLOADS_MAX = 4096  # JSON characters of whole payloads an unprocessed request keeps
REJECTED_EVENTS_MAX = 10_000  # event records all unprocessed requests of a journal keep (~300 B each, up to ~1.2 KB with labels of LABEL_MAX)
LABEL_MAX = 128  # characters of each label a trimmed payload keeps
TRIMMED = "_tank_trimmed"  # key of a trimmed payload: the original size in JSON characters
_LABELS = ("s", "sid", "sm", envelope.CATEGORY, envelope.ACTION, envelope.LABEL)


def payload_size(payload: Any) -> int | None:
    """JSON characters of a payload; ``None`` when it cannot be written (too deep, odd types)."""
    try:
        return len(json.dumps(payload, separators=(",", ":"), ensure_ascii=False))
    except (RecursionError, ValueError, TypeError):
        return None


def trimmed(payload: dict[str, Any], size: int | None) -> dict[str, Any]:
    """The labels of a payload too large to keep, and how large it was."""
    out: dict[str, Any] = {k: payload[k][:LABEL_MAX] for k in _LABELS if isinstance(payload.get(k), str)}
    meta = payload.get(envelope.META)
    eid = meta.get(envelope.EVENT_ID) if isinstance(meta, dict) else None
    if isinstance(eid, str):
        out[envelope.META] = {envelope.EVENT_ID: eid[:LABEL_MAX]}
    out[TRIMMED] = size if size is not None else -1
    return out


def bound_events(events: tuple[JournalEvent, ...], *, processed: bool) -> tuple[JournalEvent, ...]:
    """``events`` with large payloads trimmed; an unprocessed request's within its budget too."""
    budget = None if processed else REJECTED_PAYLOADS_MAX
    out: list[JournalEvent] = []
    for ev in events:
        payload = ev.payload
        if payload and TRIMMED not in payload:
            if budget is not None and budget <= 0:
                payload = trimmed(payload, payload_size(payload))
            else:
                size = payload_size(payload)
                if size is None or size > EVENT_PAYLOAD_MAX:
                    payload = trimmed(payload, size)
                    size = payload_size(payload) or 0
                if budget is not None:
                    budget -= size
        eid = ev.eid[:LABEL_MAX] if isinstance(ev.eid, str) else ev.eid
        out.append(ev if payload is ev.payload and eid == ev.eid else JournalEvent(ev.index, payload, eid, ev.error))
    return tuple(out)
