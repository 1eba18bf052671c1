"""Reading payloads the way the checker compares them: without ``meta.eid``, key order ignored.

Builds that send no eid, or mint a fresh one per attempt, can only be matched by payload; the
eid is therefore left out of the comparison (and an emptied ``meta`` counts as absent, because
a build may add ``meta`` only on the wire).
"""
from __future__ import annotations

import json
from typing import Any

from harness.contract.envelope import (
    ACTION,
    CATEGORY,
    EVENT_ID,
    LABEL,
    META,
    SESSION,
    SITE,
    VALUE,
)
from server_stub.journal_bounds import LABEL_MAX, TRIMMED


def canonical(payload: Any) -> str:
    """Stable text of a payload for equality: sorted keys, no ``meta.eid``, no empty ``meta``."""
    if isinstance(payload, dict):
        meta = payload.get(META)
        if isinstance(meta, dict) and EVENT_ID in meta:
            payload = dict(payload)
            rest = {k: v for k, v in meta.items() if k != EVENT_ID}
            if rest:
                payload[META] = rest
            else:
                del payload[META]
        elif meta == {}:
            payload = {k: v for k, v in payload.items() if k != META}
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def eid_of(payload: Any) -> str | None:
    """``meta.eid`` of a payload, as text; ``None`` when absent."""
    if isinstance(payload, dict):
        meta = payload.get(META)
        if isinstance(meta, dict) and meta.get(EVENT_ID) not in (None, ""):
            return str(meta[EVENT_ID])
    return None


def labels(payload: Any) -> tuple[str | None, str | None, str | None]:
    """(category, action, label) = (``ec``, ``ea``, ``el``) of a payload, ``None`` when missing."""
    if not isinstance(payload, dict):
        return None, None, None
    ec, ea, el = payload.get(CATEGORY), payload.get(ACTION), payload.get(LABEL)
    return (ec if ec is None or isinstance(ec, str) else str(ec),
            ea if ea is None or isinstance(ea, str) else str(ea),
            el if el is None or isinstance(el, str) else str(el))


IDENTITY = (SITE, SESSION, CATEGORY, ACTION, LABEL, VALUE)
"""Contract fields that say which event a payload is (SPEC §2). Left out: ``u`` and ``r`` (real
builds strip query strings or fragments on send), ``sm`` (a month stamped at send time is the
``session_month`` rule's finding, not a swap) and every ``meta`` key: the driver sets none on its
intents, and builds add per-send bookkeeping there (send counters, sent-at times)."""
_TRIMMED_KEPT = (SITE, SESSION, CATEGORY, ACTION, LABEL)  # what a trimmed journal payload keeps, each cut

Identity = tuple[str, ...]


def text(v: Any) -> str:
    """A field as text: missing, ``null`` and ``''`` alike; ``5``, ``5.0`` and ``"5"`` alike."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(int(v)) if float(v).is_integer() else repr(float(v))
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def identity(payload: Any) -> Identity | None:
    """Which event a payload is: its ``IDENTITY`` fields normalised (``_text``); ``None`` for no
    object. The one key of the content check and of twins: compute it once per state or arrival."""
    if not isinstance(payload, dict):
        return None
    return tuple(text(payload.get(k)) for k in IDENTITY)


def altered(queued: Any, received: Any) -> list[str]:
    """The identity fields on which what arrived differs from what was queued; ``[]`` when they
    agree or the journal kept too little to tell (older histories kept no payload for a refused
    request's events past its budget; a large payload, and now those, keep their labels only, cut)."""
    if not isinstance(queued, dict) or not isinstance(received, dict) or not received:
        return []
    if TRIMMED in received:
        return [k for k in _TRIMMED_KEPT if isinstance(queued.get(k), str) and k in received
                and queued[k][:LABEL_MAX] != received[k]]
    return [k for k in IDENTITY if text(queued.get(k)) != text(received.get(k))]
