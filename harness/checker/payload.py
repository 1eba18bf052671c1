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
    REFERRER,
    SESSION,
    SITE,
    URL,
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


IDENTITY = (SITE, URL, SESSION, CATEGORY, ACTION, LABEL, VALUE, REFERRER)
"""Contract fields that say which event a payload is (SPEC §2). ``sm`` is left to the
``session_month`` rule (a month stamped at send time is that rule's finding, not a swap); fields a
build adds (attempt counters, sent-at times) are per-send bookkeeping and never compared."""
_TRIMMED_KEPT = (SITE, SESSION, CATEGORY, ACTION, LABEL)  # what a trimmed journal payload keeps, each cut


def altered(queued: Any, received: Any) -> list[str]:
    """The identity fields on which what arrived differs from what was queued (``meta.<key>``
    for each of the queued ``meta`` keys but the eid); ``[]`` when they agree or the journal kept
    too little to tell (older histories kept no payload for a refused request's events past its
    budget; a large payload, and now those, keep their labels only, cut)."""
    if not isinstance(queued, dict) or not isinstance(received, dict) or not received:
        return []
    if TRIMMED in received:
        return [k for k in _TRIMMED_KEPT if isinstance(queued.get(k), str) and k in received
                and queued[k][:LABEL_MAX] != received[k]]
    out = [k for k in IDENTITY if k in queued and received.get(k) != queued[k]]
    qm, rm = queued.get(META), received.get(META)
    if isinstance(qm, dict):
        rm = rm if isinstance(rm, dict) else {}
        out += [f"{META}.{k}" for k, v in qm.items() if k != EVENT_ID and rm.get(k) != v]
    return out
