"""A wall budget per scenario and a watchdog for builds that stop the run from moving.

A build under test can keep a scenario from ever ending: a busy loop (at load or in a timer)
leaves every page call unanswered, a ``setTimeout(0)`` storm keeps the page clock from moving,
a flood of requests keeps the stub and proxy busy. The watchdog runs beside the scenario's steps
and stops them — with the cause in words and how far the scenario got — when:

- the scenario's wall budget (``--scenario-timeout``) is spent;
- a page has not answered a trivial evaluation for ``STALL_S`` seconds while the clock did not
  step and no fact (outbox write, attempt, request) arrived (busy loop) — one evaluation kept in
  flight per page (asked again ``STALL_S / PINGS_PER_STALL`` after it was sent), so a page that
  answers slowly (a starved CPU) is not mistaken for one that never answers;
- the Sync endpoint receives more than ``FLOOD_PER_S`` requests per second (flood); a page that
  stops answering while requests keep arriving at a tenth of that rate is flooding too (on a
  starved CPU a flood's own page stops answering before the rate is reached);
- the clock keeps stepping but page time does not move for ``STALL_S`` seconds, or timers fire
  back to back for ``STALL_S`` seconds (``STORM_TIMERS`` or more, ``STORM_PER_PAGE_MS`` or more per
  page millisecond per open page, and half of that count as densely in the window's second half:
  still going, not a burst that ended; a window with nothing since its middle waits for the next
  counts, which come in lumps when contexts run apart): a timer storm. A ``setTimeout(0)`` storm run in bulk moves page
  time 1 ms per timer, thousands of timers a second, and stops the clock rarely: by stops alone
  it ran to the wall budget.

A window decided by a lump of timers as dense as a storm's by ``STORM_PER_PAGE_MS`` but not back to
back (under ``STORM_HELD_PER_PAGE_MS``: a finished burst looks the same) names nothing, but says
so once, live (``say``) and in the history's notes (``notes``): "slow: N timers in W page-ms", with
the pages open and the window. Lumps arriving every 40 s at 0.4 timers a page ms held every window
and were never named: the run went on to its wall budget (300 s) without a word. Contexts running
apart hand their timers over only when their advance ends: one advance of a storming build could
outlast the budget with nothing counted. Their timers are read live too (``apart_progress``): as
many as ``STORM_TIMERS`` in a window at ``STORM_PER_PAGE_MS`` or more per page ms of those contexts
say "slow: …" the same way (a word, never a storm: their page time is each context's own).

The run's history up to that point is judged as usual; the scenario is reported as an error.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from harness.history import pagecall

# Seen on a 2-core machine at load average ~20: legitimate work (an observer page catching up on a
# 1,000-entry outbox, a page issuing thousands of fetches) kept a page silent for 10 s.
STALL_S = 30.0
FLOOD_PER_S = 500
TICK_S = 0.5
PINGS_PER_STALL = 6  # an answered page is asked again after STALL_S / 6, not at every tick: each
# evaluation is a protocol round trip in the harness, the driver and the page (a tenth of the calls a
# run made); a loop that starts just after an answer is named at most STALL_S / 6 later
CANCEL_WAIT_S = 5.0
STORM_TIMERS = 10_000  # timers fired in STALL_S: fewer are never a storm (a burst, a start-up)
STORM_PER_PAGE_MS = 0.25  # ... and as dense as one per 4 ms of page time in every open page: a
# setTimeout(0) chain fires one per page ms in its page; an animation frame (16 ms) or a 10 ms poll
# in every page of a hundred visitors stays far under it
STORM_HELD_PER_PAGE_MS = 0.75  # a held window's deciding lump (below) says the timers still fire only
# as dense as this: back to back (a setTimeout(0) chain: one a page ms) through most of its page time


@dataclass
class Progress:
    """How far a scenario got (updated by the runner as it goes)."""

    step: int = 0
    total: int = 0
    line: int | None = None
    what: str = "setup"

    def describe(self) -> str:
        at = f" (line {self.line})" if self.line else ""
        return f"step {self.step}/{self.total}{at}: {self.what}"


class Stopped(Exception):
    """The watchdog stopped the scenario; ``cause`` says what the build did."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


class Watchdog:
    """Watches one scenario: ``run.pages()``, ``run.clock`` and the stub's journal."""

    def __init__(self, run: Any, budget_s: float, pages: Callable[[], list[Any]],
                 clock: Callable[[], float] | None = None, say: Callable[[str], None] | None = None) -> None:
        self.run = run
        self.budget_s = budget_s
        self.pages = pages
        self.say = say  # what the watchdog notes, live (the run's progress)
        self.notes: list[str] = []  # ... and for the history
        # Real time, on the clock the harness's page calls are stamped with (pagecall.clock): a test
        # gives both a fake one and calls ``check`` itself, so a slow page and a stalled one differ
        # by exactly what the thresholds say, whatever the machine's load.
        self.clock = clock or pagecall.clock
        self.started = self.clock()
        self._pings: dict[int, _Ping] = {}  # page → its unanswered evaluation
        self._seen: dict[int, float] = {}  # page → when the watchdog first saw it
        self._clock_mark = (self.started, -1, -1)  # (wall, steps, page time) at the stepping window's start
        self._timer_mark = (self.started, -1, -1)  # (wall, timers fired, page time) at the timers' window's start
        self._half_mark: tuple[int, int] | None = None  # (timers fired, page time) at its middle
        self._held = False  # the window's second half was empty at its end: held open for the next counts
        self._window_pages = 0  # the most pages open at once in the window
        self._journal_mark = (self.started, 0)
        self._apart_mark = (self.started, -1, 0)  # (wall, timers, page ms) of the contexts running apart

    async def guard(self, work: Awaitable[None]) -> None:
        """Run ``work``; raise :class:`Stopped` (work cancelled) when the watchdog fires."""
        task = asyncio.ensure_future(work)
        try:
            while not task.done():
                done, _ = await asyncio.wait({task}, timeout=TICK_S)
                if done:
                    break
                cause = await self.check()
                if cause is not None:
                    await _cancel(task)
                    raise Stopped(cause)
            task.result()
        finally:
            if not task.done():
                await _cancel(task)
            for ping in self._pings.values():
                ping.task.cancel()

    async def check(self) -> str | None:
        now = self.clock()
        if now - self.started > self.budget_s:
            clock = self.run.clock
            return (f"the scenario's wall budget of {self.budget_s:g} s (--scenario-timeout) was spent; the clock "
                    f"had stepped {clock.steps} times (a build whose timers keep rescheduling needs many steps)")
        self._apart_slow(now)
        return self._flood(now) or self._timer_storm(now) or await self._busy(now)

    def _flood(self, now: float) -> str | None:
        count = self.run.stub.journal.received
        t0, n0 = self._journal_mark
        if now - t0 >= 2.0:
            self._journal_mark = (now, count)
            rate = (count - n0) / (now - t0)
            if rate > FLOOD_PER_S:
                return (f"request flood: the build sent {rate:.0f} requests/s to the Sync endpoint "
                        f"({count} in the journal)")
        return None

    def _timer_storm(self, now: float) -> str | None:
        """The clock stepping while page time stands, or timers fired back to back (``_timers_storm``),
        each over ``STALL_S`` windows of its own."""
        clock = self.run.clock
        wall, steps, page = self._clock_mark
        if steps < 0 or now - wall >= STALL_S:
            self._clock_mark = (now, clock.steps, clock.now)
            moved = clock.now - page
            if steps >= 0 and clock.steps - steps > 50 and moved < 1000:
                return (f"timer storm: page time moved {moved} ms in {now - wall:.0f} s while the clock "
                        f"stepped {clock.steps - steps} times (timers rescheduling themselves, e.g. setTimeout(0))")
        return self._timers_storm(now)

    def _timers_storm(self, now: float) -> str | None:
        """Timers fired back to back over a window of ``STALL_S`` or more (a storm the clock runs in
        bulk: page time moves a ms per timer, the clock stops rarely), and still going: as dense
        after the window's middle. A finished burst of timers followed by slow page time — a request
        held in real time — is no storm; naming it would end a sound scenario as an error.

        The run clock's counts may come in lumps: with contexts apart, timers and page time move
        together when an advance ends, which can be more than half a window apart. A window with
        nothing since its middle is held open until the counts move again, and what came then is
        what says whether the timers still fire — otherwise lumps landing in the first half of
        every window were never named (the scenario ran to its wall budget). A lump does not say
        when in its page time its timers fired: a finished burst followed by page time alone comes
        in the same lump. So the lump that decides a held window must be nearly back to back
        (``STORM_HELD_PER_PAGE_MS``), not merely dense: two finished bursts (11,800 timers in
        20,120 page ms each) 30 s apart are no storm, a setTimeout(0) chain's lumps still are.
        The density counts the most pages open at once in the window, not those left at its end."""
        clock = self.run.clock
        open_pages = sum(1 for p in self.pages() if not p.is_closed())
        wall, timers, page = self._timer_mark
        if timers < 0:
            self._timer_mark, self._half_mark, self._window_pages = (now, clock.timers, clock.now), None, open_pages
            return None
        self._window_pages = max(self._window_pages, open_pages)
        if self._half_mark is None and now - wall >= STALL_S / 2:
            self._half_mark = (clock.timers, clock.now)
        if now - wall < STALL_S:
            return None
        half = self._half_mark or (timers, page)
        late_fired, late_moved = clock.timers - half[0], clock.now - half[1]
        if late_fired == 0 and late_moved == 0:
            self._held = True
            return None  # nothing has come since the middle: wait for the next counts
        pages, held = max(1, self._window_pages), self._held
        self._timer_mark, self._half_mark, self._window_pages, self._held = (now, clock.timers, clock.now), None, open_pages, False
        moved, fired = clock.now - page, clock.timers - timers
        late_density = STORM_HELD_PER_PAGE_MS if held else STORM_PER_PAGE_MS
        dense = (fired >= STORM_TIMERS and fired >= STORM_PER_PAGE_MS * max(1, moved) * pages
                 and late_fired >= STORM_TIMERS / 2 and late_fired >= STORM_PER_PAGE_MS * max(1, late_moved) * pages)
        if dense and late_fired >= late_density * max(1, late_moved) * pages:
            return (f"timer storm: page time moved {moved} ms in {now - wall:.0f} s while {fired} timers fired "
                    f"({fired / max(1, moved):.1f} a page ms in {pages} page(s): timers rescheduling themselves, "
                    "e.g. setTimeout(0))")
        if dense and not self.notes:
            self._note(f"slow: {fired} timers in {moved} page-ms ({fired / max(1, moved) / pages:.2f} a page ms in each of "
                       f"{pages} page(s), a window of {now - wall:.0f} s of wall time ending {now - self.started:.0f} s into "
                       f"the run); their counts came in lumps of {late_fired / max(1, late_moved) / pages:.2f}, under "
                       f"{STORM_HELD_PER_PAGE_MS:g}, so not named a timer storm (a finished burst looks the same): the "
                       f"scenario may run to its wall budget of {self.budget_s:g} s")
        return None

    def _apart_slow(self, now: float) -> None:
        """Timers of contexts running apart inside an advance, not yet counted by the run clock, as
        dense as a storm's over a window: said once (see the module's docstring)."""
        progress = getattr(self.run.clock, "apart_progress", None)
        if progress is None or self.notes:
            return
        contexts, timers, moved = progress()
        wall, timers0, moved0 = self._apart_mark
        if timers0 < 0 or timers < timers0 or moved < moved0:  # the first look, or a new advance
            self._apart_mark = (now, timers, moved)
            return
        if now - wall < STALL_S:
            return
        self._apart_mark = (now, timers, moved)
        fired, ms = timers - timers0, moved - moved0
        if fired >= STORM_TIMERS and fired >= STORM_PER_PAGE_MS * max(1, ms):
            self._note(f"slow: {fired} timers in {ms} page-ms ({fired / max(1, ms):.2f} a page ms of each of {contexts} "
                       f"context(s) running apart, on average; a window of {now - wall:.0f} s of wall time ending "
                       f"{now - self.started:.0f} s into the run), their advance not over: counted when it ends, so not "
                       f"named a timer storm: the scenario may run to its wall budget of {self.budget_s:g} s")

    def _note(self, text: str) -> None:
        self.notes.append(text)
        if self.say is not None:
            self.say(text)

    async def _busy(self, now: float) -> str | None:
        steps, requests, facts = self.run.clock.steps, self.run.stub.journal.received, self.run.activity()
        for page in [p for p in self.pages() if not p.is_closed()]:
            ping = self._pings.get(id(page))
            if ping is None or ping.task.done():  # answered (or first seen): ask again, in a while
                if ping is not None and now - ping.sent < STALL_S / PINGS_PER_STALL:
                    continue
                # A page just opened counts as answering when first seen: it is asked first a ping
                # interval later, if nothing of the harness's reached it meanwhile (an evaluation
                # per page opened — every visitor's observer and tab — went mostly for nothing).
                answer = max(pagecall.last_answer(page) or 0.0, self._seen.setdefault(id(page), now))
                if now - answer < STALL_S / PINGS_PER_STALL:
                    continue  # it answered a clock run or probe meanwhile: not stalled
                self._pings[id(page)] = _Ping(asyncio.ensure_future(_ping(page)), now, steps, requests, facts, now)
                continue
            if steps != ping.steps:  # a long clock call keeps it busy, not a loop
                ping.since, ping.steps, ping.requests, ping.facts = now, steps, requests, facts
                continue
            if now - ping.since >= STALL_S:
                url = getattr(page, "url", "?")
                sent = requests - ping.requests
                if sent / (now - ping.since) >= FLOOD_PER_S / 10:  # the page is busy sending: a flood
                    return (f"request flood: the page {url} stopped answering for {now - ping.since:.0f} s "
                            f"while the Sync endpoint received {sent} requests from it")
                if facts != ping.facts:  # writes and attempts keep arriving: slow, not looping
                    ping.since, ping.requests, ping.facts = now, requests, facts
                    continue
                return (f"the page {url} stopped answering for {now - ping.since:.0f} s "
                        "(a busy loop at load or in a timer?)")
        return None


@dataclass
class _Ping:
    """A trivial evaluation in flight: when it was sent (or progress was last seen), and the clock's
    steps, the Sync requests received and the facts recorded (``run.activity()``) then."""

    task: "asyncio.Future[None]"
    since: float
    steps: int
    requests: int
    facts: int
    sent: float


async def _cancel(task: "asyncio.Future[None]") -> None:
    """Cancel the steps; a call stuck in an unanswering page is left to the context's close."""
    task.cancel()
    await asyncio.wait({task}, timeout=CANCEL_WAIT_S)
    if task.done() and not task.cancelled():
        task.exception()  # retrieved: never "exception was never retrieved"
    elif not task.done():
        task.add_done_callback(lambda t: t.cancelled() or t.exception())


# The ping: a function that touches nothing of the page, called as the harness's calls are
# (``pagecall.evaluate``: over the tab's own CDP session where it has one). Through Playwright a
# build's ``eval`` is on the way, and one returning a promise that never settles held the ping (and
# the run) until the stall was named — a page that answered everything else, taken for a busy loop.
PING_JS = "() => 0"


async def _ping(page: Any) -> None:
    """Ends when the page answers (or is navigating or closing: not a stall)."""
    try:
        await pagecall.evaluate(page, PING_JS, None)
    except Exception:  # noqa: BLE001
        pass
