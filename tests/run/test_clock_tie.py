"""A held answer due at the very millisecond a timer is due: the answer goes 1 ms before the timer
fires, and page time moves on (no browser; scripted context and fault place)."""
from __future__ import annotations

import asyncio

from harness.run.clock import Held, VirtualClock

DUE = 5_000


class Context:
    """A context with one timer at DUE (fired once the clock reaches it) and no pages."""

    name = "visitor1"
    tabs: dict = {}
    observer = None
    context = None

    def __init__(self) -> None:
        self.clock: VirtualClock | None = None

    async def probe_detail(self, wait_ms: int = 0, held: int = 0) -> tuple[int, int, int | None, int]:
        assert self.clock is not None
        return 0, 0, (DUE if self.clock.now < DUE else None), 0


async def test_an_answer_tied_with_a_timer_goes_first_and_time_moves_on() -> None:
    ctx = Context()
    released: list[int] = []

    def held() -> Held:
        return Held() if released else Held(fetches=1, due=DUE, can_hold=True)

    def release_due(now: int) -> int:
        if now >= DUE and not released:
            released.append(clock.now)  # the page time the answer is let go at
            return 1
        return 0

    clock = VirtualClock(0, lambda: [ctx], held=held, release_due=release_due)  # type: ignore[list-item]
    ctx.clock = clock
    clock.orphan_wait_s = 0.01  # the held fetch no page waits for: no need to wait for the page to hear
    await asyncio.wait_for(clock.advance(DUE + 1_000), timeout=20)  # the tie used to stop the clock for good
    assert released == [DUE - 1], released  # the answer first, 1 ms before the timer's instant
    assert clock.now == DUE + 1_000 and clock.steps < 10, clock.steps
