"""The histories a run records, as plain data.

Everything the checker judges comes through these types, so they are the contract between the
world that records (observer page, instrumentation, Sync stub, ingest) and the checker that
judges. They are deliberately free of Playwright and aiohttp types: unit tests build them by hand.

Times:
- ``t_page``: the page clock (ms since epoch, Playwright's fake clock), shared by every page of a
  browser context. All policy timing (5 s timeout, 24 h age, backoff) is judged in page time.
- ``t_wall``: ``time.time()`` in the harness process when the fact was recorded. Only used to
  order facts from different sources (journal vs. outbox vs. driver) when page time cannot.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.contract.codec import CodecError, decode, encode
from harness.contract.vocabulary import (
    OP_KINDS,
    AtRestSource,
    AttemptOutcome,
    GuaranteeId,
    JournalOutcome,
    JournalVia,
    OpKind,
    PageMessageKind,
    Transport,
    WriteKind,
)

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class Envelope:
    """One outbox (or dead-letter) entry as the build wrote it: ``{id, ts, payload, attempts}``.

    ``extra`` keeps every other field the build adds (``beaconed``, ``reason``, ``status`` …).
    Fields a broken build omits are ``None`` rather than an error: the checker reports them.
    """

    id: str
    ts: int | None = None
    attempts: int | None = None
    payload: JsonDict | None = None
    extra: JsonDict = field(default_factory=dict)

    @classmethod
    def from_json(cls, obj: Any) -> "Envelope | None":
        """Envelope from a parsed JSON item; ``None`` when the item has no usable id."""
        if not isinstance(obj, dict) or obj.get("id") in (None, ""):
            return None
        known = {"id", "ts", "payload", "attempts"}
        ts = obj.get("ts")
        attempts = obj.get("attempts")
        payload = obj.get("payload")
        return cls(
            id=str(obj["id"]),
            ts=int(ts) if isinstance(ts, (int, float)) and not isinstance(ts, bool) else None,
            attempts=int(attempts)
            if isinstance(attempts, (int, float)) and not isinstance(attempts, bool)
            else None,
            payload=payload if isinstance(payload, dict) else None,
            extra={k: v for k, v in obj.items() if k not in known},
        )

    def to_json(self) -> JsonDict:
        out: JsonDict = {"id": self.id, "ts": self.ts, "payload": self.payload, "attempts": self.attempts}
        out.update(self.extra)
        return out


@dataclass(frozen=True)
class OutboxWrite:
    """One write to a watched storage key (outbox or dead-letter), as a delta.

    The observer page diffs ``oldValue``/``newValue`` of each ``storage`` event in the browser
    and sends only the delta, so day-long runs with thousands of writes stay cheap.
    ``kind`` says where the write came from:
    - ``write``: a storage event (a page of the build wrote);
    - ``seed``: the harness pre-seeded the key before the build loaded;
    - ``snapshot``: the harness read the key (context start, browser restart, end of run) and
      found it differing from the folded history — writes the observer could not see.
    """

    seq: int
    t_page: int
    t_wall: float
    context: str
    key: str
    kind: WriteKind = "write"
    url: str | None = None
    added: tuple[Envelope, ...] = ()
    changed: tuple[Envelope, ...] = ()
    removed: tuple[str, ...] = ()
    length: int | None = None  # number of entries after the write; None when unparseable
    parse_error: str | None = None  # the new value is not a JSON array of envelopes
    raw_sample: str | None = None  # first bytes of an unparseable value, for the report
    writer: str | None = None  # the writing page load ("tab#load", from the instrumentation's stamp)


IDLESS = "entries without an id"
"""The end of ``OutboxWrite.parse_error`` for a list holding records without an id (kept by no delta)."""


@dataclass(frozen=True)
class Carried:
    """The page's send record for body events sharing one payload (without ``meta.eid``): the
    outbox entries holding that payload when the send started, as the instrumentation read them.

    ``events``: indices of those events in the body; ``entries``: the entries' ids (as the
    observer identifies them) in outbox order, ``positions`` their places in the outbox array.
    """

    events: tuple[int, ...]
    entries: tuple[str, ...] = ()
    positions: tuple[int, ...] = ()


@dataclass(frozen=True)
class Attempt:
    """One send the page made (fetch or sendBeacon), seen by the harness instrumentation.

    ``ids`` are the envelope ids found in the body (``meta.eid``) — empty for builds that send
    none. ``outcome``: ``ok`` (2xx), ``http_error`` (non-2xx), ``network_error`` (TypeError),
    ``abort`` (AbortError), ``pending`` (never settled), ``queued``/``refused`` (sendBeacon's
    return value). Attempts made while a page unloads may be missing; the journal is the
    server-side truth.
    """

    seq: int
    context: str
    page: str
    via: Transport
    t_page_start: int
    t_page_end: int | None
    outcome: AttemptOutcome
    status: int | None = None
    error: str | None = None
    ids: tuple[str, ...] = ()
    payloads: tuple[JsonDict, ...] = ()
    carried: tuple[Carried, ...] | None = None  # the send record (None: none made: every event had an eid, or an older history)


@dataclass(frozen=True)
class Intent:
    """An event the driver caused and expects the build to enqueue (e.g. a tel: click)."""

    intent_id: str
    context: str
    page: str
    ec: str
    ea: str
    el: str | None = None
    t_page: int = 0


@dataclass(frozen=True)
class PageMessage:
    """A page's console message, uncaught error or crash, as Playwright reported it.

    Kept so a build that throws at load, has a syntax error or logs why it gave up is seen in
    the report instead of showing up only as "N lost". ``page`` is the tab name (``?`` for a page
    the build opened itself). ``t_page`` is the scenario clock when the message reached the
    harness: exact between clock steps, the start of the step for messages emitted during one.
    ``kind``: ``console`` (``level`` = log, info, warning, error, debug, …), ``pageerror`` (an
    uncaught exception or a script that failed to parse; ``level`` = error), ``crash`` (the
    renderer died), ``dropped`` (``text`` says how many messages of this page were over the cap).
    """

    seq: int
    t_page: int
    t_wall: float
    context: str
    page: str
    kind: PageMessageKind
    level: str
    text: str
    page_url: str | None = None  # the page's address when the message came
    source: str | None = None  # where the script said it: ``url:line:column``
    stack: str | None = None


@dataclass(frozen=True)
class Op:
    """One step the driver or the nemesis performed, with the page time it happened at."""

    seq: int
    kind: OpKind
    t_page: int
    t_wall: float
    context: str | None = None
    page: str | None = None
    detail: JsonDict = field(default_factory=dict)
    intents: tuple[Intent, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in OP_KINDS:  # a misspelt kind would silently escape every rule that looks for it
            raise ValueError(f"unknown op kind {self.kind!r}; declared kinds: {', '.join(OP_KINDS)}")


@dataclass(frozen=True)
class JournalEvent:
    """One event inside a Sync request, as the endpoint parsed it."""

    index: int
    payload: JsonDict
    eid: str | None
    error: str | None = None  # why the endpoint rejected this event (422/400), None when valid


@dataclass(frozen=True)
class JournalEntry:
    """One request the Sync endpoint received, and what became of it.

    ``processed``: the events were recorded as received (stored / handed to ingest) — true for
    2xx answers and for the ``process_then_fail`` fault, false otherwise. ``status`` is what was
    answered (``None`` when no answer was sent: hang, close). ``via`` comes from the transport
    tag the instrumentation adds to the URL (``fetch``/``beacon``/``xhr``), ``unknown`` otherwise.
    """

    seq: int
    t_wall: float
    method: str
    path: str
    status: int | None
    outcome: JournalOutcome
    processed: bool
    via: JournalVia = "unknown"
    headers: dict[str, str] = field(default_factory=dict)
    body_size: int = 0
    body_sample: str = ""
    events: tuple[JournalEvent, ...] = ()
    error: str | None = None
    fault: str | None = None
    t_done: float | None = None
    upstream_status: int | None = None  # tap mode: what the upstream answered
    t_page: int | None = None  # page time the page sent it at (from the instrumentation's URL tag)
    t_page_done: int | None = None  # page time it ended at, when a page clock drives the stub
    context: str | None = None  # the browser context that sent it (the instrumentation's URL tag)
    # The page's id of the send (the instrumentation's ``_tank_a`` URL tag, fetches where the scenario
    # sets stub faults): a later request with the same id is a copy the browser re-sent by itself.
    send: str | None = None
    # SHA-256 (hex) of the raw body as read, beside ``body_size``: an unprocessed request keeps whole
    # payloads for 4 KB only, so a browser copy of a large batch is told by its bytes (None: no body
    # read, or an older history).
    body_sha256: str | None = None


@dataclass(frozen=True)
class StoredEvent:
    """One event at rest (in the stub's store or the ingest database)."""

    eid: str | None
    site: str
    session_id: str | None
    session_month: str | None
    ec: str | None
    ea: str | None
    payload: JsonDict = field(default_factory=dict)
    partition: str | None = None  # the PostgreSQL partition the row lives in, when known


@dataclass
class History:
    """Everything recorded in one scenario run: the checker's only input, saved and loaded whole.

    To add a fact, declare a field here (with a default, so older saved histories still load):
    the codec saves and loads it from the declaration.
    """

    scenario: str
    outbox_key: str
    deadletter_key: str | None
    writes: list[OutboxWrite] = field(default_factory=list)
    journal: list[JournalEntry] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    ops: list[Op] = field(default_factory=list)
    page_messages: list[PageMessage] = field(default_factory=list)
    at_rest: list[StoredEvent] | None = None  # None: not observable (tap mode without a query)
    at_rest_source: AtRestSource = "stub"
    # The site's rows include other runs' (``--site-id`` shared by every scenario): the checker
    # keeps the rows whose event id or session arrived in this history's journal.
    site_shared: bool = False
    t_page_end: int = 0
    t_wall_end: float = 0.0
    judges: tuple[GuaranteeId, ...] = ()  # what the scenario asked to be judged
    policy: JsonDict = field(default_factory=dict)  # the scenario's overrides of the checker's Policy ...
    profile_policy: JsonDict = field(default_factory=dict)  # ... laid over the build profile's, if any
    notes: list[str] = field(default_factory=list)  # what the run could not do or see (steps, reads)
    error: str | None = None  # a step could not run as written: the scenario fails whatever the verdict
    meta: JsonDict = field(default_factory=dict)  # site id, Sync URL, clock figures: shown, never judged

    def __repr__(self) -> str:
        """Counts, not contents: a history holds thousands of facts, and a test failure that shows
        one (pytest renders the objects it compares) must not spend minutes printing them."""
        counts = {f: len(getattr(self, f)) for f in ("writes", "journal", "attempts", "ops", "page_messages", "notes")}
        rest = "None" if self.at_rest is None else len(self.at_rest)
        shown = ", ".join(f"{k}={v}" for k, v in counts.items())
        return (f"History(scenario={self.scenario!r}, {shown}, at_rest={rest}, t_page_end={self.t_page_end}, "
                f"error={self.error!r})")

    def to_json(self) -> JsonDict:
        """The versioned JSON document of this history (``format_version`` first)."""
        return {"format_version": FORMAT_VERSION, **encode(self)}

    @classmethod
    def from_json(cls, doc: Any) -> "History":
        """A history from its JSON document; ``HistoryFormatError`` says what does not fit."""
        if not isinstance(doc, dict):
            raise HistoryFormatError(f"a history is a JSON object, got {type(doc).__name__}")
        version = doc.get("format_version")
        if version is None:
            raise HistoryFormatError("not a versioned history (no format_version): it was saved by an older "
                                     "tankharness or is not a history file; re-run the scenario with --out")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise HistoryFormatError(f"format_version must be a positive integer, got {version!r}")
        if version > FORMAT_VERSION:
            raise HistoryFormatError(f"history format {version} is newer than this tankharness reads "
                                     f"(up to {FORMAT_VERSION}): upgrade tankharness to judge it")
        body = {k: v for k, v in doc.items() if k != "format_version"}
        try:
            return decode(cls, body, "history")
        except CodecError as exc:
            raise HistoryFormatError(str(exc)) from exc


FORMAT_VERSION = 1
"""Bump when a change would make an older reader misread a history (a field renamed, removed, or
its meaning changed). Adding a field with a default needs no bump: older files load with it."""


class HistoryFormatError(ValueError):
    """A saved history cannot be read: wrong format, newer version, or a field that does not fit."""


def save_history(history: History, path: Path) -> None:
    """Write a history as versioned JSON (the file ``tankharness judge`` reads)."""
    path.write_text(json.dumps(history.to_json(), separators=(",", ":")))


def load_history(path: Path) -> History:
    """Read a history saved by ``save_history``; errors name the file and the field."""
    try:
        doc = json.loads(Path(path).read_text())
    except OSError as exc:
        raise HistoryFormatError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise HistoryFormatError(f"{path}: not JSON: {exc}") from exc
    try:
        return History.from_json(doc)
    except HistoryFormatError as exc:
        raise HistoryFormatError(f"{path}: {exc}") from exc
