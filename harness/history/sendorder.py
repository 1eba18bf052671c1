"""Where each send goes in a run's order: at its marker's place among the page's storage writes.

The id-less matcher credits the outbox entry the build touched first after a send
(``harness/checker/sendrecord.py``), reading send reports against storage writes in the order the
recorder numbered them. The two travel apart — a send report as one CDP event of its tab, writes
through the observer page, gathered for 10 ms — so a write made just before a send would be numbered
after it. Each send therefore writes a marker to the flush key as it starts (js/instrument.js); one
page's storage events reach the observer in order, so the marker arrives among that page's writes
exactly where the send happened, and the send is numbered there, whichever of the two came first.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.history.recorder import Recorder

MARK_PREFIX = "s"  # a marker on the flush key; flush tokens are digits (context.py)
MAX_PLACES = 10_000  # places kept for markers whose report has not come (a page that died sending)


def is_marker(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(MARK_PREFIX)


@dataclass
class SendOrder:
    """One context's send reports, numbered at their markers."""

    recorder: Recorder
    context: str
    _held: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # marker -> report waiting for it
    _places: dict[str, int] = field(default_factory=dict)  # marker -> its place, the report not there yet
    released: int = 0  # reports numbered by arrival because their marker never came

    def report(self, tab: str, record: dict[str, Any]) -> None:
        """A send report of ``tab``: numbered now, at its marker's place, or when the marker comes."""
        mark = record.get("mark")
        if not is_marker(mark) or record.get("type") not in ("start", "beacon"):
            self.recorder.on_attempt(self.context, tab, record)
            return
        place = self._places.pop(mark, None)
        if place is None:
            self._held[mark] = (tab, record)
        else:
            self.recorder.on_attempt(self.context, tab, record, seq=place)

    def marker(self, mark: str) -> None:
        """A marker seen by the observer, in order with the writes around it."""
        held = self._held.pop(mark, None)
        if held is not None:
            self.recorder.on_attempt(self.context, *held)
            return
        if len(self._places) >= MAX_PLACES:
            del self._places[next(iter(self._places))]
        self._places[mark] = self.recorder.next_seq()

    def waiting(self) -> frozenset[str]:
        """The markers of the reports held now."""
        return frozenset(self._held)

    def release(self, marks: frozenset[str] | None = None) -> int:
        """Number the held reports (``marks``: those of them; default: all) whose marker never came
        (the observer gone): in arrival order, now. Called once every page's writes up to their
        sends are in: after a flush (for the reports held when it began: a send started during the
        flush may still have its marker on the way), the final read, the close."""
        due = [m for m in self._held if marks is None or m in marks]
        for mark in due:
            tab, record = self._held.pop(mark)
            self.recorder.on_attempt(self.context, tab, record)
        self.released += len(due)
        return len(due)

    def note(self) -> str | None:
        """What the report should say when sends were numbered without their marker."""
        if not self.released:
            return None
        return (f"context {self.context}: {self.released} send report(s) numbered by arrival: their storage "
                "marker never reached the observer (the page's storage events stopped); an id-less build's "
                "sends may be credited to a neighbouring identical outbox entry")
