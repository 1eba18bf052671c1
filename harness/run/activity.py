"""Facts counted per browser context, so one visitor's step can wait for its own network only.

The clock's "has anything moved?" counter (``ScenarioRun.activity``) moves whenever any context
does: with a hundred visitors something always moves, and a step that waits for quiet across the
whole run waits for everyone. This counts the same facts — Sync journal entries (tagged with the
sending context), outbox writes and send attempts — per context, incrementally.
"""
from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.run.state import ScenarioRun
    from server_stub.journal import JournalEntry


class ContextActivity:
    """A counter per context that moves whenever a fact of that context arrives.

    Journal entries without a context tag (a request the instrumentation did not tag) move every
    context's counter: the conservative reading, since nobody can tell whose they are."""

    def __init__(self, run: "ScenarioRun") -> None:
        self._run = run  # its journal and recorder are read at the first question
        self._counts: Counter[str | None] = Counter()
        self._writes = 0  # how far recorder.writes and recorder.attempts were counted (append-only lists)
        self._attempts = 0
        self._listening = False  # subscribed at the first question: counters only ever compare with themselves

    def _on_entry(self, entry: "JournalEntry") -> None:
        """Every new or changed entry moves its context's counter. The context tag is set just
        after arrival (same event-loop turn); an entry without one counts once it is answered."""
        if entry.context is not None:
            self._counts[entry.context] += 1
        elif entry.t_done is not None:
            self._counts[None] += 1

    def __call__(self, context: str) -> int:
        """The counter of ``context`` (moves with its own facts and with untagged journal entries)."""
        if not self._listening:
            self._run.stub.journal.subscribe(self._on_entry)
            self._listening = True
        writes, attempts = self._run.recorder.writes, self._run.recorder.attempts
        for w in writes[self._writes:]:
            self._counts[w.context] += 1
        for a in attempts[self._attempts:]:
            self._counts[a.context] += 1
        self._writes, self._attempts = len(writes), len(attempts)
        return self._counts[context] + self._counts[None]
