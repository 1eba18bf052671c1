"""The part of a history that belongs to its own run.

With one site shared by every scenario (``--site-id``), the store holds other runs' rows too;
judging them would blame this build for another run's events. A view, never an edit.
"""
from __future__ import annotations

import dataclasses

from harness.contract.history import History, StoredEvent


def rows_of_run(rows: list[StoredEvent], history: History) -> list[StoredEvent]:
    """Rows whose event id (or, without one, whose session) arrived in this history's journal."""
    eids = {ev.eid for e in history.journal for ev in e.events if ev.eid}
    sessions = {ev.payload.get("sid") for e in history.journal for ev in e.events}
    return [r for r in rows if (r.eid in eids if r.eid else r.session_id in sessions)]


def own_run(history: History) -> History:
    """The history with only its own rows at rest (the same object when nothing is shared)."""
    if not history.site_shared or history.at_rest is None:
        return history
    return dataclasses.replace(history, at_rest=rows_of_run(history.at_rest, history))
