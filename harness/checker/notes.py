"""What a verdict must say beside the guarantees: the limits of what could be judged.

Derived from the history alone (the run's own notes travel in ``History.notes``), so a saved
history re-judged later carries the same remarks as the live run.
"""
from __future__ import annotations

from collections import Counter

from harness.checker.copies import copy_of
from harness.contract.history import History
from harness.contract.vocabulary import ANSWERED


def browser_resends(history: History) -> int:
    """Arrivals of an envelope by fetch or XHR beyond the sends the page made with it that way.

    Chromium re-sends a POST on a reused keep-alive socket that was reset (docs/contract.md,
    weak spot 10); only the server sees it."""
    sent = Counter(i for a in history.attempts if a.via in ANSWERED for i in a.ids)
    arrived = Counter(ev.eid for e in history.journal if e.method == "POST" and e.via in ANSWERED
                      for ev in e.events if ev.eid is not None)
    return sum(max(0, n - sent[i]) for i, n in arrived.items() if i in sent)


def unseen_sends(history: History) -> int:
    """Sync requests carrying events that arrived without the instrumentation's transport tag: sent
    where the harness's page scripts do not run (a worker, a service worker, another program), so
    the page's side of them — the attempt, its timeout, when it was retried — was never recorded."""
    return sum(1 for e in history.journal if e.via == "unknown" and e.events)


def history_notes(history: History, tagged: int | None = None) -> list[str]:
    """The run's notes, then what the history itself shows could not be judged. ``tagged``: the
    requests the matching took for browser copies (``Matches.copies``); None: counted here."""
    notes = list(history.notes)
    no_eid = sum(1 for e in history.journal if e.processed for ev in e.events if ev.eid is None)
    if no_eid:
        notes.append(f"de-duplication was not possible for {no_eid} delivered event(s) without meta.eid")
    resent = browser_resends(history)
    tagged = len(copy_of(history.journal)) if tagged is None else tagged
    if resent or tagged:
        notes.append(f"{max(resent, tagged)} request(s) arrived more often than the page sent them: "
                     "the browser re-sent them by itself (SPEC §3.10), visible only server-side"
                     + (f"; {tagged} carried their send's id: their events count as browser_copies, "
                        "not as the build's duplicates" if tagged else ""))
    unseen = unseen_sends(history)
    if unseen:
        notes.append(f"{unseen} Sync request(s) with events arrived without the instrumentation's tags: sent where "
                     "the harness's page scripts do not run (a worker, a service worker, another program), so the "
                     "page's side of them (attempts, timeouts, when they were retried) was not recorded; retry, "
                     "timeout and backoff are judged on the sends the page made itself, and vacuous without them")
    if history.at_rest is None:
        notes.append("rows at rest were not observable (tap mode without --tap-query): exactly_once not judged")
    return notes
