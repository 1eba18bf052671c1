"""A page's stamp (``__tank_t``) dates a write only inside what the harness clock allows: a build
writing the stamp itself (stamp.js: 25 h ahead, another writer's name) cannot move a removal's page
time or name its writer; the write is dated by the harness clock and a tampering note says so."""
from __future__ import annotations

from harness.history.recorder import STAMP_SLACK_MS, Recorder
from harness.run.clock import VirtualClock

HOUR = 3_600_000
T = 1_767_225_600_000
ENTRY = {"id": "a", "ts": T, "attempts": 0, "payload": {}}


def _recorder(now: int = T, ceiling: int | None = None) -> Recorder:
    r = Recorder("s", "outbox", None)
    r.clock = lambda: now
    r.clock_at = lambda wall, context: now
    if ceiling is not None:
        r.clock_ceiling = lambda context: ceiling
    return r


def test_a_stamp_past_the_harness_clock_is_refused() -> None:
    """Before: the removal was dated +25 h and named writer forged#1."""
    r = _recorder()
    r.on_storage("c", {"key": "outbox", "t": T, "w": 1, "writer": "main#1", "added": [ENTRY]})
    r.on_storage("c", {"key": "outbox", "t": T + 25 * HOUR, "w": 1, "writer": "forged#1", "removed": ["a"]})
    assert [w.t_page for w in r.writes] == [T, T]
    assert [w.writer for w in r.writes] == ["main#1", None]
    notes = r.history(t_page_end=T).notes
    assert len(notes) == 1 and notes[0].startswith("tampering: context c:") and "forged#1" in notes[0]


def test_a_stamp_before_the_last_accepted_one_is_refused() -> None:
    """A page backdating its own write (to make an envelope look older) is dated by the harness."""
    r = _recorder()
    r.on_storage("c", {"key": "outbox", "t": T, "w": 1, "added": [ENTRY]})
    r.on_storage("c", {"key": "outbox", "t": T - 25 * HOUR, "w": 1, "changed": [{**ENTRY, "attempts": 1}]})
    assert [w.t_page for w in r.writes] == [T, T]
    assert "before the context's last accepted page time" in r.history(t_page_end=T).notes[0]


def test_stamps_within_the_bounds_are_kept_and_a_running_advance_lets_pages_ahead() -> None:
    """A page running its timers in bulk stamps ahead of ``now`` up to the advance's target."""
    r = _recorder(ceiling=T + HOUR)
    for i, t in enumerate((T, T + STAMP_SLACK_MS, T + HOUR, T + HOUR - STAMP_SLACK_MS)):
        r.on_storage("c", {"key": "outbox", "t": t, "w": 1, "changed" if i else "added": [{**ENTRY, "attempts": i}]})
    assert [w.t_page for w in r.writes] == [T, T + STAMP_SLACK_MS, T + HOUR, T + HOUR - STAMP_SLACK_MS]
    assert r.history(t_page_end=T).notes == []


def test_the_tab_channel_is_bounded_the_same_way() -> None:
    r = _recorder()
    r.on_value("c", "outbox", '[{"id": "a", "ts": 1, "attempts": 0, "payload": {}}]', T + 25 * HOUR, "forged#1", None, 1)
    assert r.writes[0].t_page == T and r.writes[0].writer is None


def test_the_clock_ceiling_is_an_advances_target_while_it_runs() -> None:
    clock = VirtualClock(T, lambda: [])
    assert clock.ceiling_in("c") == T
    clock._target = T + HOUR
    assert clock.ceiling_in("c") == T + HOUR


def test_flush_tokens_are_unguessable() -> None:
    """Before: the n-th token was f"{n:08d}", so a page could write the next one itself and end a
    flush before its own writes had arrived."""
    from harness.world.context import flush_token

    a, b = flush_token(7), flush_token(7)
    assert a != b and a.startswith("00000007-") and len(a) >= 8 + 1 + 16
