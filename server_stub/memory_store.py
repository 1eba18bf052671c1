"""The stub's default store: in memory, idempotent by ``meta.eid`` like the ingest ledger.

At-least-once transport + idempotent ingest = exactly-once at rest (SPEC §4), so a duplicate
eid is acknowledged (2xx) and not stored again; events without an eid are stored every time,
which is how a build that sends no ids shows its duplicates at rest.
"""
from __future__ import annotations

from typing import Any

from harness.contract.history import StoredEvent
from server_stub.store import IngestResult
from server_stub.sync_protocol import event_eid


class MemoryStore:
    """``Store`` over a list; ``sites`` are the known public site ids (others answer 404)."""

    name = "memory"

    def __init__(self, sites: set[str] | None = None) -> None:
        self._sites: dict[str, str] = {s: "" for s in (sites or set())}  # public_id -> domain
        self._rows: list[StoredEvent] = []
        self._eids: set[str] = set()

    async def ensure_site(self, public_id: str, domain: str) -> None:
        self._sites.setdefault(public_id, domain)

    @property
    def sites(self) -> set[str]:
        return set(self._sites)

    async def ingest(self, events: list[dict[str, Any]], raw: bytes, content_type: str) -> IngestResult:
        """Store one validated batch (one site); 404 when the site is unknown."""
        site = events[0].get("s") if events else None
        if not isinstance(site, str) or site not in self._sites:
            return IngestResult(404, {"ok": False, "error": f"unknown site {site!r}"})
        accepted = duplicates = 0
        for payload in events:
            eid = event_eid(payload)
            if eid is not None and eid in self._eids:
                duplicates += 1
                continue
            if eid is not None:
                self._eids.add(eid)
            self._rows.append(_stored(payload))
            accepted += 1
        return IngestResult(200, {"ok": True, "accepted": accepted, "duplicates": duplicates}, processed=True)

    async def rows(self, sites: set[str] | None = None) -> list[StoredEvent]:
        return [r for r in self._rows if sites is None or r.site in sites]

    async def close(self) -> None:
        return None


def _stored(payload: dict[str, Any]) -> StoredEvent:
    def text(key: str) -> str | None:
        value = payload.get(key)
        return value if isinstance(value, str) else None

    return StoredEvent(
        eid=event_eid(payload),
        site=str(payload.get("s")),
        session_id=text("sid"),
        session_month=text("sm"),
        ec=text("ec"),
        ea=text("ea"),
        payload=payload,
    )
