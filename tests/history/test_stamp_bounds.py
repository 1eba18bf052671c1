"""A page's stamp (``__tank_t``) dates a write only when the instrumentation sealed it, and only
inside what the harness clock allows: a build writing the stamp itself (stamp.js: 25 h ahead,
another writer's name) cannot move a removal's page time or name its writer; the write is dated by
the harness clock and a tampering note says so."""
from __future__ import annotations

import pytest

from harness.history.recorder import STAMP_SLACK_MS, Recorder
from harness.history.seal import ReportGate
from harness.run.clock import VirtualClock
from tests.history.sealing import sealed

HOUR = 3_600_000
T = 1_767_225_600_000
ENTRY = {"id": "a", "ts": T, "attempts": 0, "payload": {}}


GATE = ReportGate()  # replaced for each test (autouse fixture below): counters start again


@pytest.fixture(autouse=True)
def _fresh_gate() -> None:
    global GATE
    GATE = ReportGate()


def _recorder(now: int = T, ceiling: int | None = None) -> Recorder:
    r = Recorder("s", "outbox", None)
    r.clock = lambda: now
    r.clock_at = lambda wall, context: now
    if ceiling is not None:
        r.clock_ceiling = lambda context: ceiling
    return r


def _write(r: Recorder, stamp: str | None, i: int = 0, gate: ReportGate | None | str = "GATE") -> None:
    r.on_storage("c", {"key": "outbox", "stamp": stamp, "w": 1, "changed" if i else "added": [{**ENTRY, "attempts": i}]},
                 GATE if gate == "GATE" else gate)  # type: ignore[arg-type]


def test_a_stamp_past_the_harness_clock_is_refused() -> None:
    """Even sealed (the second check): a stamp past what the harness let the context reach."""
    r = _recorder()
    _write(r, sealed(GATE, T, "main#1", 1))
    _write(r, sealed(GATE, T + 25 * HOUR, "main#1", 2), 1)
    assert [w.t_page for w in r.writes] == [T, T]
    assert [w.writer for w in r.writes] == ["main#1", None]
    notes = r.history(t_page_end=T).notes
    assert len(notes) == 1 and notes[0].startswith("tampering: context c:") and "+89999.000 s past" in notes[0]


def test_a_stamp_before_the_last_accepted_one_is_refused() -> None:
    """A page backdating its own write (to make an envelope look older) is dated by the harness."""
    r = _recorder()
    _write(r, sealed(GATE, T, n=1))
    _write(r, sealed(GATE, T - 25 * HOUR, n=2), 1)
    assert [w.t_page for w in r.writes] == [T, T]
    assert "before the context's last accepted page time" in r.history(t_page_end=T).notes[0]


def test_stamps_within_the_bounds_are_kept_and_a_running_advance_lets_pages_ahead() -> None:
    """A page running its timers in bulk stamps ahead of ``now`` up to the advance's target."""
    r = _recorder(ceiling=T + HOUR)
    for i, t in enumerate((T, T + STAMP_SLACK_MS, T + HOUR, T + HOUR - STAMP_SLACK_MS)):
        _write(r, sealed(GATE, t, n=i + 1), i)
    assert [w.t_page for w in r.writes] == [T, T + STAMP_SLACK_MS, T + HOUR, T + HOUR - STAMP_SLACK_MS]
    assert r.history(t_page_end=T).notes == []


def test_the_tab_channel_is_bounded_the_same_way() -> None:
    r = _recorder()
    r.on_value("c", "outbox", '[{"id": "a", "ts": 1, "attempts": 0, "payload": {}}]', sealed(GATE, T + 25 * HOUR),
               None, 1, GATE)
    assert r.writes[0].t_page == T and r.writes[0].writer is None


FORGERIES = {
    "no_mac": lambda: f"{T + HOUR}|forged#1|0.5",  # what a page writes (stamp.js)
    "other_key": lambda: sealed(ReportGate(), T + HOUR, "forged#1"),  # another context's key
    "mac_changed": lambda: sealed(GATE, T + HOUR, "forged#1")[:-1] + "x",  # one digit changed
    "other_time": lambda: sealed(GATE, T, "forged#1").replace(str(T), str(T + HOUR), 1),  # the time moved under the MAC
}


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_stamp_the_instrumentation_did_not_seal_dates_nothing(forge) -> None:  # noqa: ANN001
    """Inside a running advance (ceiling +25 h) a page's own stamp of +1 h fits the bounds: before,
    it dated the write +1 h and named its writer."""
    stamp = forge()
    r = _recorder(ceiling=T + 25 * HOUR)
    _write(r, stamp)
    _write(r, stamp + "x", 1, gate=None)  # and nothing is taken without the context's gate
    assert [(w.t_page, w.writer) for w in r.writes] == [(T, None), (T, None)]
    notes = r.history(t_page_end=T).notes
    assert len(notes) == 1 and notes[0].startswith("tampering: context c: 2 write(s) came with a stamp"), notes
    assert "did not seal" in notes[0] and f"page time {T + HOUR}" in notes[0] and "'forged#1'" in notes[0]


def test_a_sealed_stamp_dates_the_write_and_names_its_writer() -> None:
    r = _recorder(ceiling=T + 25 * HOUR)
    _write(r, sealed(GATE, T + HOUR, "main#1", 7))
    assert [(w.t_page, w.writer) for w in r.writes] == [(T + HOUR, "main#1")]
    assert r.history(t_page_end=T).notes == []


def test_a_sealed_stamp_used_again_dates_nothing() -> None:
    """A page can read the last stamp back from storage and write it again before its own write."""
    r = _recorder(ceiling=T + 25 * HOUR)
    stamp = sealed(GATE, T + HOUR, "main#1", 7)
    _write(r, stamp)
    _write(r, stamp, 1)
    _write(r, sealed(GATE, T + HOUR, "main#1", 6), 2)  # an older one of the same page load
    _write(r, sealed(GATE, T + HOUR, "main#2", 1), 3)  # another page load counts from 1
    assert [w.writer for w in r.writes] == ["main#1", None, None, "main#2"]
    assert "2 write(s) came with a stamp" in r.history(t_page_end=T).notes[0]


def test_honest_writes_after_a_forged_stamp_are_not_flagged() -> None:
    """Before: the forged +25 h stamp was taken inside the advance and raised the context's lower
    bound, so every honest write after it (+1 min) was refuted, re-dated and noted one by one."""
    r = _recorder(ceiling=T + 25 * HOUR)
    _write(r, sealed(GATE, T, n=1))
    _write(r, f"{T + 25 * HOUR}|main#1|99", 1)
    for i in range(2, 7):
        _write(r, sealed(GATE, T + 60_000 + i, n=i), i)
    assert [w.t_page for w in r.writes] == [T, T, *(T + 60_000 + i for i in range(2, 7))]
    assert all(w.writer == "main#L" for w in r.writes[2:])
    notes = r.history(t_page_end=T).notes
    assert len(notes) == 1 and "1 write(s) came with a stamp" in notes[0], notes


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
