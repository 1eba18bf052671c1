"""The delivery journal (SPEC §8 history b): every request the Sync endpoint received.

Entries are immutable ``JournalEntry`` values. A request is journaled when it *arrives* (outcome
``in_flight``, or ``hung`` once a hang fault holds it) so a test can wait for it, and the entry is
replaced (``dataclasses.replace``) as the request progresses and when it ends (``t_done`` set).
With a path, each finished entry is appended to a JSONL file with its full body — one line per
request, written once: while the harness may still correct an entry's page times (``hold``; a
bulk clock run learns them only when it returns) finished entries wait, and ``release`` writes them
as they are then.
"""
from __future__ import annotations

import asyncio
import bisect
import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from harness.contract.history import JournalEntry
from server_stub.journal_bounds import REJECTED_EVENTS_MAX, bound_events
from server_stub.journal_codec import entry_to_json

log = logging.getLogger(__name__)

IN_FLIGHT = "in_flight"  # transient outcome until the request ends
Listener = Callable[[JournalEntry], None]


class Journal:
    """In-memory, append-only (by ``seq``) record of requests, optionally mirrored to JSONL."""

    def __init__(self, path: Path | None = None, *, sample_chars: int = 2048,
                 rejected_events_max: int = REJECTED_EVENTS_MAX) -> None:
        self.path = path
        self.sample_chars = sample_chars
        self.rejected_events_max = rejected_events_max  # per-event records unprocessed requests may keep in all
        self._rejected_kept = 0
        self.events_not_kept = 0  # events of unprocessed requests past that bound (in the file only)
        self.requests_short = 0  # requests that lost event records to it
        self._entries: list[JournalEntry] = []
        self._index: dict[int, int] = {}  # seq -> position in _entries
        self._bodies: dict[int, bytes] = {}  # full bodies of unfinished entries, for the file
        self._seq = 0
        self._listeners: list[Listener] = []
        self._changed = asyncio.Event()
        self._file: TextIO | None = None
        self._held: dict[int, bytes | None] | None = None  # finished while held: seq -> full body
        self._holders = 0  # ``hold`` calls not yet released (contexts running apart each hold)
        # Set by the harness: the page time now of a browser context (the entry's ``context`` tag;
        # contexts' clocks may run apart), or of the run (None: an untagged entry), for ``t_page_done``.
        self.page_clock: Callable[[str | None], int] | None = None

    # -- recording (used by the Sync app) ------------------------------------------------
    def begin(self, *, method: str, path: str, via: str = "unknown", headers: dict[str, str] | None = None,
              t_wall: float | None = None) -> JournalEntry:
        """Journal an arriving request (outcome ``in_flight``) and return it with its ``seq``."""
        self._seq += 1
        entry = JournalEntry(
            seq=self._seq,
            t_wall=time.time() if t_wall is None else t_wall,
            method=method,
            path=path,
            status=None,
            outcome=IN_FLIGHT,
            processed=False,
            via=via,
            headers=dict(headers or {}),
        )
        self._index[entry.seq] = len(self._entries)
        self._entries.append(entry)
        self._notify(entry)
        return entry

    def set_body(self, seq: int, body: bytes) -> JournalEntry | None:
        """Record the body read for a request (size, hash, sample; the full body goes to the file)."""
        self._bodies[seq] = body
        return self.update(seq, body_size=len(body), body_sha256=hashlib.sha256(body).hexdigest(),
                           body_sample=self.sample(body))

    def update(self, seq: int, **changes: Any) -> JournalEntry | None:
        """Replace an entry with changed fields; ``None`` when it was cleared meanwhile."""
        pos = self._index.get(seq)
        if pos is None:
            return None
        entry = dataclasses.replace(self._entries[pos], **changes)
        self._entries[pos] = entry
        self._notify(entry)
        return entry

    def finish(self, seq: int, *, outcome: str, status: int | None = None, **changes: Any) -> JournalEntry | None:
        """End a request: set outcome, status, ``t_done``; append it to the file.

        Finishing twice is a no-op (the first end wins), so cleanup paths may call it blindly.
        """
        pos = self._index.get(seq)
        current = self._entries[pos] if pos is not None else None
        if current is not None and current.t_done is not None:
            return current
        body = self._bodies.pop(seq, None)
        changes.update(outcome=outcome, status=status, t_done=time.time())
        if current is not None and current.events:  # the body's events, bounded from now on
            processed = bool(changes.get("processed", current.processed))
            events = bound_events(changes.get("events", current.events), processed=processed)
            changes["events"] = events if processed else self._within_budget(events)
        if self.page_clock is not None and current is not None:
            # Page time stands still while a request is exchanged, unless the clock released it later.
            changes["t_page_done"] = max(self.page_clock(current.context), current.t_page or 0)
        entry = self.update(seq, **changes)
        if entry is not None:
            if self._held is not None:
                self._held[seq] = body
            else:
                self._write(entry, body)
        return entry

    def hold(self) -> None:
        """Keep the file lines of requests that finish from now on until ``release``: their page
        times may still be corrected (``update``), and a line once written stays as it is. Holds
        nest: the lines are written at the last ``release``."""
        self._holders += 1
        if self._held is None:
            self._held = {}

    def release(self, *, every: bool = False) -> None:
        """Write the lines held back, with each entry as it is now (arrival order), once every
        ``hold`` is released; with ``every``, now, whatever holds are left (``clear``, ``close``:
        a hold a failed run never released must not keep its lines, or the next scenario's, back)."""
        self._holders = 0 if every else max(0, self._holders - 1)
        if self._holders:
            return
        held, self._held = self._held, None
        for seq, body in sorted((held or {}).items()):
            entry = self.get(seq)
            if entry is not None:
                self._write(entry, body)

    def _within_budget(self, events: tuple[Any, ...]) -> tuple[Any, ...]:
        """An unprocessed request's event records, as many as the journal's budget still allows."""
        room = max(0, self.rejected_events_max - self._rejected_kept)
        if len(events) > room:
            self.events_not_kept += len(events) - room
            self.requests_short += 1
            events = events[:room]
        self._rejected_kept += len(events)
        return events

    def notes(self) -> list[str]:
        """What the in-memory journal did not keep (for the run's notes); empty normally."""
        if not self.events_not_kept:
            return []
        where = f"in the journal file {self.path}" if self.path else "nowhere (no journal file)"
        return [f"journal: {self.events_not_kept} event(s) of {self.requests_short} refused or failed request(s) "
                f"past the bound of {self.rejected_events_max} kept records were not recorded one by one "
                f"(their bodies are {where}); the verdict cannot attribute them"]

    def sample(self, body: bytes) -> str:
        """The in-memory sample: text when UTF-8, escaped bytes otherwise; truncated.

        Only the head is decoded (a UTF-8 character has at most 4 bytes), so a large body is
        never copied whole; a character cut at the end of the head is dropped."""
        head = body[: self.sample_chars * 4]
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if len(head) < len(body) and exc.start >= len(head) - 3:
                text = head[: exc.start].decode("utf-8")
            else:
                text = body[: self.sample_chars].decode("utf-8", "backslashreplace")
        return text[: self.sample_chars]

    # -- reading ---------------------------------------------------------------------------
    def entries(self) -> list[JournalEntry]:
        """A copy of all entries in arrival order."""
        return list(self._entries)

    def since(self, seq: int) -> list[JournalEntry]:
        """Entries with ``seq`` greater than the given one (0 = all); found by bisection (entries are
        in ``seq`` order), so a caller asking for the last few does not scan the whole journal."""
        return self._entries[bisect.bisect_right(self._entries, seq, key=lambda e: e.seq):]

    @property
    def received(self) -> int:
        """Requests received since the journal started (``clear`` does not reset it): read at every
        watchdog tick, so it costs nothing however long the journal."""
        return self._seq

    def get(self, seq: int) -> JournalEntry | None:
        pos = self._index.get(seq)
        return self._entries[pos] if pos is not None else None

    def clear(self) -> None:
        """Forget entries in memory (``seq`` keeps counting; the file is not truncated) after writing
        the lines still held back."""
        self.release(every=True)
        self._entries.clear()
        self._index.clear()
        self._rejected_kept = 0

    async def wait_for(self, predicate: Callable[[JournalEntry], bool], timeout: float = 5.0) -> JournalEntry:
        """The first entry (present or future, including updates) matching ``predicate``.

        Raises ``TimeoutError`` naming how many entries were seen.
        """
        try:
            async with asyncio.timeout(timeout):
                while True:
                    for entry in self._entries:
                        if predicate(entry):
                            return entry
                    await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(
                f"no journal entry matched within {timeout}s ({len(self._entries)} entries)"
            ) from None

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` on every new or replaced entry; returns the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def close(self) -> None:
        self.release(every=True)
        if self._file is not None:
            self._file.close()
            self._file = None

    # -- internals -------------------------------------------------------------------------
    def _notify(self, entry: JournalEntry) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
        for listener in list(self._listeners):
            try:
                listener(entry)
            except Exception:  # a broken listener must not break the endpoint
                log.exception("journal listener failed")

    def _write(self, entry: JournalEntry, body: bytes | None) -> None:
        if self.path is None:
            return
        try:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("a", encoding="utf-8")
            self._file.write(json.dumps(entry_to_json(entry, body)) + "\n")
            self._file.flush()
        except (OSError, TypeError, ValueError):
            log.exception("cannot append journal entry %s to %s", entry.seq, self.path)
