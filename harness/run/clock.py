"""Virtual time: advance the page clock of every context, timer by timer.

Playwright's ``clock.run_for`` fires due timers back to back without waiting for the network
I/O they start, so a fetch started by a retry timer would complete "after" hours of page time.
Instead the harness asks every page for its next due timer, runs the clock exactly to it, lets
the network settle in real time (briefly), and repeats. Requests deliberately held by a fault
stay in flight; their abort timers fire when the clock reaches them. Nothing waits real seconds
for a tracker timer.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from harness.world.context import ContextSession, merge_probes

MAX_STEPS = 500_000
FALLBACK_SLICE_MS = 250  # when the page clock's timer queue cannot be read


@dataclass
class VirtualClock:
    """Page time shared by all contexts of a scenario (ms since epoch)."""

    now: int
    sessions: Callable[[], Sequence[ContextSession]]
    activity: Callable[[], int] = lambda: 0  # a counter that moves when the network does (journal size)
    faults_active: Callable[[], bool] = lambda: True  # a fault that may hold requests is in place
    quiet_s: float = 0.1  # with a fault in place: real time without progress after which work counts as held
    settle_max_s: float = 3.0
    steps: int = 0
    fallback_used: bool = False
    _zero_steps: int = field(default=0, repr=False)

    async def advance(self, ms: int, mode: str = "run") -> None:
        """Move page time forward by ``ms``: ``run`` fires timers one by one, ``jump`` like a sleeping laptop."""
        if ms < 0:
            raise ValueError("page time only moves forward")
        target = self.now + ms
        if mode == "jump":
            await asyncio.gather(*(s.run_clock(ms, "jump") for s in self.sessions()))
            self.now = target
            await self.settle()
            return
        due = await self.settle()
        while True:
            if due == -1:
                self.fallback_used = True
                due = min(target, self.now + FALLBACK_SLICE_MS)
            final = due is None or due >= target
            await self._run_for(target - self.now if final else max(0, due - self.now))
            due = await self.settle()
            if final:
                return

    async def _probe(self) -> tuple[int, int | None]:
        return merge_probes(await asyncio.gather(*(s.probe() for s in self.sessions())))

    async def _run_for(self, step: int) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise RuntimeError(f"the page clock fired more than {MAX_STEPS} timers in one run: a timer loop?")
        self._zero_steps = self._zero_steps + 1 if step == 0 else 0
        if self._zero_steps > 1000:  # a build rescheduling setTimeout(0) forever: push time on
            step, self._zero_steps = 1, 0
        # Contexts share nothing but time: advance them together.
        await asyncio.gather(*(s.run_clock(step) for s in self.sessions()))
        self.now += step

    async def settle(self) -> int | None:
        """Wait (real time, briefly) until the work the last timers started has settled.

        Settled: no send in flight and no Web Lock pending in any page; or, while a fault that can
        hold requests is in place, nothing has moved for ``quiet_s`` (held requests must not stall
        the run). Without such a fault a slow server is waited for, up to ``settle_max_s``.
        Returns the next due timer seen by the last probe.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settle_max_s
        last: tuple[int, int] | None = None
        since = loop.time()
        while True:
            busy, due = await self._probe()
            if busy == 0:
                return due
            mark = (busy, self.activity())
            now = loop.time()
            if now >= deadline:
                return due
            if mark != last:
                last, since = mark, now
            elif now - since >= (self.quiet_s if self.faults_active() else self.settle_max_s):
                return due
            await asyncio.sleep(0.002)
