"""Copies the browser made of one page send, told apart from the build's own re-sends.

Chromium re-sends a POST by itself when the reused keep-alive socket it went out on closes before
an answer — e.g. the stub holds the answer past the page's abort — one to three times as real
time goes. The page made one send; the stub journals each copy, processes it (a delayed answer
stores at once) and would count it as a delivery and a duplicate, so duplicate counts moved from
run to run (soak: 328, 329, 330) and the build was blamed for what the browser did.

A copy carries its send's id: the instrumentation tags each fetch's and XHR's URL with ``_tank_a`` (a page
load's random id and the send's number in it, only where the scenario sets stub faults) and the
stub journals it as ``send``. The first request of a send (by arrival) with its events is the
page's; later ones are the browser's copies. Whether a copy comes is real time's, so a copy never makes a delivery or
a duplicate (``Facts.deliveries``): with a hung send the page aborted and then retried, the copy
would otherwise count as the first delivery and the retry as a duplicate in some runs only — unless
a copy is all that got an event stored, which then is its one delivery. A build's own retry is a new send with a new id, so it is never taken
for a copy. Beacons and untagged requests (no stub faults) carry no id: their copies, if any,
still count as the build's duplicates (docs/scenarios.md says so). At rest nothing changes: a
copy stored twice is the build's to de-duplicate by event id (SPEC §3.10, ``exactly_once``).
"""
from __future__ import annotations

from collections.abc import Iterable

from harness.contract.history import JournalEntry
from harness.contract.vocabulary import ANSWERED

SendKey = tuple[str | None, str]  # (context, the page's send id)


def send_key(entry: JournalEntry) -> SendKey | None:
    """The page send a POST request came from, or ``None`` when it carries no send id (or was not
    tagged as a fetch or an XHR: only the instrumentation's wrappers of those set the id)."""
    if entry.send is None or entry.method != "POST" or entry.via not in ANSWERED:
        return None
    return entry.context, entry.send


def _same_body(a: JournalEntry, b: JournalEntry) -> bool:
    """A copy is the browser re-sending its send's bytes: the same hash of the raw body and the same
    size — the journaled payloads of an unprocessed request are trimmed past 4 KB, so a large held
    batch never equals its processed copy by them. A history without the hash (older) compares the
    events and the size."""
    if a.body_size != b.body_size:
        return False
    if a.body_sha256 is not None and b.body_sha256 is not None:
        return a.body_sha256 == b.body_sha256
    return [e.payload for e in a.events] == [e.payload for e in b.events]


def copy_of(journal: Iterable[JournalEntry]) -> dict[int, int]:
    """Journal seq of each copy the browser re-sent → seq of the first request of its send.

    A build is untrusted and can send through paths the instrumentation does not tag (a worker, a
    form): a request is taken for a copy only when it carries its send's very body, so a request
    with a borrowed id but other events is matched as the build's own; one that repeats the send
    byte for byte is counted as a copy whoever made it (docs/isolation.md). When the first request
    journaled no events (the client went away while sending), the first later one with events is
    the send's arrival, matched as the page's own, and the ones after it are its copies."""
    first: dict[SendKey, JournalEntry] = {}
    out: dict[int, int] = {}
    for e in sorted(journal, key=lambda e: e.seq):
        key = send_key(e)
        if key is None:
            continue
        if key not in first or (not first[key].events and e.events):
            first[key] = e  # a first request without events anchors nothing: the first with them does
        elif _same_body(first[key], e):
            out[e.seq] = first[key].seq
    return out

