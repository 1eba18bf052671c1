"""A storage write the observer saw without the writer's stamp is dated by the page time the
harness clock stood at when the observer saw it (the observer page's own clock is not stepped)."""
from __future__ import annotations

import time

from harness.history.recorder import Recorder
from harness.history.seal import ReportGate
from harness.run.clock import VirtualClock
from tests.history.sealing import sealed


def test_page_time_at_a_wall_time_is_where_the_clock_stood_then() -> None:
    clock = VirtualClock(1000, lambda: [])
    before = time.time()
    clock._move(5000)
    moved = time.time()
    clock._move(9000)
    assert clock.page_time_at(before - 1) == 1000  # before any move: where it started
    assert clock.page_time_at(moved) in (5000, 9000)
    assert clock.page_time_at(time.time() + 1) == 9000


def test_an_unstamped_write_is_dated_by_when_the_observer_saw_it() -> None:
    recorder = Recorder("s", "outbox", None)
    recorder.clock = lambda: 1500  # the stamp below is within what the harness clock allows
    recorder.clock_at = lambda wall, context: 42 if wall < 1_000_000 else 7
    entry = {"id": "a", "ts": 1, "attempts": 0, "payload": {}}
    gate = ReportGate()
    recorder.on_storage("c", {"key": "outbox", "stamp": None, "w": 500_000, "added": [entry]}, gate)  # seen at wall 500 s
    recorder.on_storage("c", {"key": "outbox", "stamp": sealed(gate, 1234), "w": 500_000, "changed": [entry]}, gate)
    assert [w.t_page for w in recorder.writes] == [42, 1234]
