"""Where accepted Sync events go: the seam between the Sync endpoint and what stores events.

The stub validates a request (SPEC §5: 400/413/422) and journals it; only then does it hand the
events to a ``Store``. The store decides the rest of the answer: 404 unknown site, 500 missing
partition, 503 dependency down, 429 rate limit, or 2xx — and whether the events were processed.
Implementations: ``MemoryStore`` (idempotent by ``meta.eid``, like ingest), the PostgreSQL ingest
store, and the tap store that forwards to an upstream Sync URL.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from harness.contract.history import StoredEvent


@dataclass(frozen=True)
class IngestResult:
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    retry_after: int | None = None  # seconds, sent as Retry-After on 429/503
    processed: bool = False  # the events were recorded (stored or acknowledged as duplicates)


class Store(Protocol):
    """What the Sync endpoint needs from a store."""

    name: str  # "memory", "postgres", "tap" — shown in reports

    async def ingest(self, events: list[dict[str, Any]], raw: bytes, content_type: str) -> IngestResult:
        """Store already-validated payloads (1–100, one site) atomically; never raise for bad data."""
        ...

    async def rows(self, sites: set[str] | None = None) -> list[StoredEvent] | None:
        """Everything at rest for these sites; ``None`` when rows cannot be observed (tap mode)."""
        ...

    async def ensure_site(self, public_id: str, domain: str) -> None:
        """Make ``public_id`` a known site (idempotent), so its events are not answered 404."""
        ...

    async def close(self) -> None: ...
