"""Virtual time: advance the page clock of every context, stopping exactly where the network acts.

Playwright's ``clock.run_for`` fires due timers back to back without waiting for the network
I/O they start, so a fetch started by a retry timer would complete "after" hours of page time.
Instead the harness runs the clock to the next due timer — or to the page time a request held by
a fault is due (``Held.due``: a late answer of the stub), whichever comes first — lets the work
that started settle in real time, and repeats. Page time stands still while a request is open,
unless every open request is held on purpose by a fault (``held``): then the clock moves on, and
a held answer is released when page time reaches its due, before the timers of that instant.

With one page running a build, its timers run in bulk inside the page (``pagetime.run_bulk``):
each timer's work still settles before the next fires, but without a Python round trip per
timer. Nothing waits real seconds for a tracker timer.

Contexts apart: browser contexts share nothing a page can see but the network, so when nothing in
place ties one context's page time to another's (``couples``: no toxic dating every context's bytes
by one clock, no queued stub faults taken in arrival order, no rate limit shared by all), an
advance gives each context a clock of its own (a child ``VirtualClock`` over that one session, its
own held answers, activity and journal catch-up) and runs them side by side to the target: a
lone tab runs its timers in bulk even while other contexts have work, and no context stops where
another's request starts. The run's ``now`` is the least page time any context has reached; what
dates a fact of one context (the journal's ``t_page_done``, console messages, unstamped writes)
reads that context's own clock (``now_in``, ``page_time_at``). Otherwise the advance runs in
lockstep, one clock stop for all; ``modes`` counts which ran (the history's notes and meta say so).
"""
from __future__ import annotations

import asyncio
import bisect
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from harness.run import pagetime
from harness.world.context import ContextSession

APART = True  # contexts may run apart inside an advance when nothing couples them (tests switch it off to compare)
MAX_STEPS = 2_000_000
MOVES_KEPT = 4096  # page-time moves kept for dating writes (a batch arrives within ms of its writes)
FALLBACK_SLICE_MS = 250  # when the page clock's timer queue cannot be read
TRAVEL_WAIT_MS = 50  # a settle's probe while a request is on its way: the page answers when its work changes, or after this
HELD_WATCH_S = 0.002  # meanwhile, how soon the fault places are first asked whether they now hold the request
# ... and then ever less often, to this: a hundred contexts with requests on their way each asking
# every 2 ms took the harness's process (where the stub and the proxy run) with ~12,000 asks a
# second, so requests stayed on their way longer and more contexts asked — one advance of the
# 100-visitor soak in most runs spent 35-50 s of wall and 20 CPU-s asking (bench/pagetime.py's
# "fault places asked"). A hold is noticed at most this late, in real time: page time stands.
HELD_WATCH_MAX_S = 0.032
# Chromium opens at most this many connections to one host per browser context (its socket pool's
# per-group limit); a further fetch waits inside the browser, where no fault place sees it. When the
# places hold every connection the contexts' fetches can have open, the rest wait behind the holds.
CONNECTIONS_PER_HOST = 6


ONE_CONTEXT = "one context"  # an advance with fewer than two contexts: lockstep and apart are the same


def _at(moves: deque[tuple[float, int]], wall: float) -> int:
    """Where page time stood at wall time ``wall`` by a list of (wall, page) moves."""
    i = bisect.bisect_right(moves, wall, key=lambda m: m[0])
    return moves[max(0, i - 1)][1]


class ProbeSuperseded(Exception):
    """A whole-run probe a newer one replaced (``_ask`` leaves a waiting probe when the fault places
    change): what it saw is older than the newer probe's answer, so it has no answer to give."""


@dataclass(frozen=True)
class Held:
    """What fault places hold now: page fetches, the first page-time due, whether some end in real
    time, and whether a fault in place could hold the next request at all."""

    fetches: int = 0
    due: int | None = None
    real_time: bool = False
    can_hold: bool = False  # a fault in place may hold the next request
    # Page fetches a place is carrying right now, unheld (the embedded proxy: bytes read and not yet
    # at a hold, or let go and not yet passed on): moving in real time, so never "quiet" however
    # slow the machine is.
    moving: int = 0
    # Some of ``fetches`` are known only by count, not by send (the embedded proxy holds bytes of
    # connections): a held one no page waits for any more (an orphan) cannot be told from one a page
    # waits for, so while the settle counts an orphan, a request that makes no progress counts as
    # held after the quiet time (as under ``real_time``); with no orphan it is on its way.
    by_count: bool = False

    def __add__(self, other: "Held") -> "Held":
        dues = [d for d in (self.due, other.due) if d is not None]
        return Held(self.fetches + other.fetches, min(dues) if dues else None, self.real_time or other.real_time,
                    self.can_hold or other.can_hold, self.moving + other.moving, self.by_count or other.by_count)


@dataclass
class VirtualClock:
    """Page time shared by all contexts of a scenario (ms since epoch)."""

    now: int
    sessions: Callable[[], Sequence[ContextSession]]
    activity: Callable[[], int] = lambda: 0  # a counter that moves when the network does (journal size)
    held: Callable[[], Held] = lambda: Held()  # what the fault places hold now
    release_due: Callable[[int], int] = lambda now: 0  # let held requests due by then go
    held_in: Callable[[str], Held] = lambda context: Held()  # what the fault places hold of one context's requests
    activity_in: Callable[[str], int] = lambda context: 0  # a counter that moves when one context's network does
    quiet_s: float = 0.1  # with real-time holds in place: real time without progress after which work counts as held
    settle_max_s: float = 3.0  # pending Web Locks (no request open): real time waited before page time moves
    travel_max_s: float = 30.0  # a request no fault holds (on its way): real time waited before giving up
    bulk: bool = True  # run a lone page's timers in bulk
    # Told before a bulk run which context runs; the function it returns is called when the run
    # returns, with the page time it stopped at because a request started (``now`` lags the page
    # until then), else None.
    on_bulk: Callable[[str], Callable[[int | None], None]] = lambda context: lambda t: None
    # Whether a step still to come may open a document (a tab, a navigation, a reload): without
    # one, ``log_time`` adds no init script (each piles up, and every later document runs them all).
    opens_later: Callable[[], bool] = lambda: True
    # Per context, for contexts running apart: let that context's held requests due by then go.
    release_due_in: Callable[[str, int], int] = lambda context, now: 0
    # Why the contexts must share one clock stop now (the fault places' ``couples``), or None. The
    # default keeps lockstep: a clock that was not told what couples contexts assumes something does.
    couples: Callable[[], str | None] = lambda: "the clock was not told what couples contexts"
    apart: bool = field(default_factory=lambda: APART)  # False: always lockstep
    modes: Counter[str] = field(default_factory=Counter)  # advances of several contexts: "apart", or why lockstep
    parent: "VirtualClock | None" = field(default=None, repr=False)  # the run's clock, for a context's own
    steps: int = 0  # clock stops (Python round trips)
    timers: int = 0  # page timers fired
    fallback_used: bool = False
    notes: list[str] = field(default_factory=list)
    # Why settles ended, and the real seconds they waited, by reason (``settled``): what a slow
    # advance spent its wall on (bench/pagetime.py prints it per advance and per context).
    settle_ends: Counter[str] = field(default_factory=Counter)
    settle_wall: Counter[str] = field(default_factory=Counter)
    _logged: dict[int, int] = field(default_factory=dict, repr=False)  # context id -> time logged for new documents
    _no_bulk: set[int] = field(default_factory=set, repr=False)
    _open: bool = field(default=False, repr=False)  # the last settle left work open (held on purpose)
    _orphans: int = field(default=0, repr=False)  # held fetches no page waits for any more
    _orphans_in: dict[str, int] = field(default_factory=dict, repr=False)  # the same, per context (scoped settles)
    orphan_wait_s: float = 1.0
    _target: int | None = field(default=None, repr=False)  # the running advance's target (``ceiling_in``)
    _seen: dict[int, tuple[int, int, int | None, int]] = field(default_factory=dict, repr=False)  # last probe per context
    _unchanged: set[int] = field(default_factory=set, repr=False)  # contexts not stepped since their last probe
    # Sends in flight per context, as the last whole-run probe saw them (``_behind_holds``).
    _inflight_by_context: list[int] = field(default_factory=list, repr=False)
    _probes: int = field(default=0, repr=False)  # probes of the whole run begun: a left waiting one records nothing
    # (wall time, page time) each time ``now`` moved: dates a storage write the observer saw without
    # the writer's stamp (``page_time_at``); the observer page's own clock is not stepped.
    _moves: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=MOVES_KEPT), repr=False)
    _moves_in: dict[str, deque[tuple[float, int]]] = field(default_factory=dict, repr=False)  # the same, per context apart
    _children: dict[str, "VirtualClock"] = field(default_factory=dict, repr=False)  # contexts running apart now
    _apart_from: int = field(default=0, repr=False)  # page time their advance started at
    _counted: int = field(default=0, repr=False)  # a context's stops already counted in the run's clock

    def __post_init__(self) -> None:
        self._moves.append((time.time(), self.now))

    def _move(self, t: int) -> None:
        """Page time is ``t`` from now on (wall time noted)."""
        if t != self.now:
            self.now = t
            self._moves.append((time.time(), t))
            if self.parent is not None:
                self.parent._follow()

    def _follow(self) -> None:
        """A context running apart moved: the run's page time is the least any context reached."""
        if self._children:
            self._move(min(c.now for c in self._children.values()))

    def apart_progress(self) -> tuple[int, int, int]:
        """(contexts, timers fired, page ms moved summed over them) of the contexts running apart in
        the advance under way: counted in ``timers`` only when it ends (the watchdog reads them
        live); (0, 0, 0) when none runs apart."""
        kids = list(self._children.values())
        return len(kids), sum(c.timers for c in kids), sum(c.now - self._apart_from for c in kids)

    def now_in(self, context: str | None) -> int:
        """The page time of ``context`` now: its own clock's while contexts run apart, else (and for
        None: no context) ``now``."""
        child = self._children.get(context)
        return self.now if child is None else child.now

    def ceiling_in(self, context: str | None) -> int:
        """The page time ``context`` may have reached now: while an advance runs, its target (a page
        runs its timers ahead of ``now`` in bulk), else ``now_in``. A page's stamp past it is forged."""
        now = self.now_in(context)
        return now if self._target is None else max(now, self._target)

    def page_time_at(self, wall: float, context: str | None = None) -> int:
        """The page time at wall time ``wall`` (``time.time()``): where ``now`` stood then (the
        oldest kept, for a time before it) — of ``context``, where its clock ran ahead of ``now``."""
        at = _at(self._moves, wall)
        mine = self._moves_in.get(context) if context is not None else None
        if mine and wall >= mine[0][0]:  # its own clock is never behind the run's
            at = max(at, _at(mine, wall))
        return at

    async def advance(self, ms: int, mode: str = "run") -> None:
        """Move page time forward by ``ms``: ``run`` fires timers one by one, ``jump`` like a sleeping laptop."""
        if ms < 0:
            raise ValueError("page time only moves forward")
        target = self.now + ms
        self._target = target
        try:
            if mode == "jump":
                await self.log_time()
                await asyncio.gather(*(s.run_clock(ms, "jump") for s in self.sessions()))
                self._move(target)
                self._logged.clear()  # Playwright logged the jump itself
                await self.settle()
                return
            why = self._lockstep_why()
            if why is not None and why != ONE_CONTEXT:
                self.modes[why] += 1
            try:
                if why is None:
                    self.modes["apart"] += 1
                    await self._run_apart(target)
                else:
                    await self._run_until(target)
            finally:
                await self.log_time()
        finally:
            self._target = None

    def _lockstep_why(self) -> str | None:
        """Why this advance must bring every context to each clock stop together, or None when each
        context may run on its own clock (see the module docstring)."""
        tabbed = [s for s in self.sessions() if any(not p.is_closed() for p in s.tabs.values())]
        if len(tabbed) < 2:
            return ONE_CONTEXT
        if not self.apart:
            return "per-context clocks are off"
        return self.couples()

    async def _run_apart(self, target: int) -> None:
        """Each context on a clock of its own to ``target``, side by side; then the run's clock is
        there too, with the contexts' stops, timers and notes counted in it."""
        self._apart_from = self.now  # ``now`` follows the least context from here on
        self._children = {s.name: self._child(s) for s in self.sessions()}
        children = list(self._children.values())
        tasks = [asyncio.ensure_future(c._run_until(target)) for c in children]
        try:
            await asyncio.gather(*tasks)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._children = {}
            for c in children:
                self.steps += c.steps - c._counted
                self.timers += c.timers
                self.fallback_used |= c.fallback_used
                self.settle_ends.update(c.settle_ends)
                self.settle_wall.update(c.settle_wall)
                self.notes.extend(c.notes)
                self._seen.update(c._seen)
                self._orphans_in[c.sessions()[0].name] = c._orphans
            self._orphans = sum(c._orphans for c in children)  # the whole run's, as a lockstep settle counts them
            self._move(min((c.now for c in children), default=target))

    def _child(self, session: ContextSession) -> "VirtualClock":
        """A clock over one context: its own page time, held answers, activity and journal catch-up."""
        name = session.name
        child = VirtualClock(
            self.now, lambda: [session], activity=lambda: self.activity_in(name), held=lambda: self.held_in(name),
            release_due=lambda now: self.release_due_in(name, now), held_in=self.held_in, activity_in=self.activity_in,
            quiet_s=self.quiet_s, settle_max_s=self.settle_max_s, travel_max_s=self.travel_max_s, bulk=self.bulk,
            on_bulk=self.on_bulk, opens_later=self.opens_later, apart=False, parent=self,
            orphan_wait_s=self.orphan_wait_s,
            _moves=self._moves_in.setdefault(name, deque(maxlen=MOVES_KEPT)))
        child._no_bulk = self._no_bulk  # a build found writing without setItem is stepped in every mode
        child._orphans = child._orphans_in[name] = self._orphans_in.get(name, 0)
        return child

    def mode_notes(self) -> list[str]:
        """What the history says of how advances of several contexts ran (none for one context)."""
        if not self.modes:
            return []
        apart = self.modes.get("apart", 0)
        why = [f"{n} because {reason}" for reason, n in self.modes.items() if reason != "apart"]
        return [f"clock: {apart} advance(s) of several contexts ran with a clock per context (contexts apart)"
                + (f", {sum(self.modes.values()) - apart} in lockstep: " + "; ".join(why) if why else "")]

    async def _run_until(self, target: int) -> None:
        due = await self.settle()
        while True:
            held = self.held()
            if held.due is not None and held.due <= self.now:
                self.release_due(self.now)
                due = await self.settle()
                continue
            if due == -1:
                self.fallback_used = True
                due = min(target, self.now + FALLBACK_SLICE_MS)
            horizon = min(d for d in (held.due, target) if d is not None)
            stop = min(d for d in (due, horizon) if d is not None)
            # A held answer and a timer due at once: the answer wins the tie by 1 ms — pages run to the
            # millisecond before and the answer goes there (waiting for page time to reach it would
            # meet the same tie again at every stop and never move).
            tie = held.due is not None and held.due == stop and due == stop and stop > self.now
            if tie:
                stop = horizon = stop - 1
            await self._run_to(stop, horizon)
            if held.due is not None and self.now >= held.due - (1 if tie else 0):
                self.release_due(max(self.now, held.due))
            due = await self.settle()
            if self.now >= target and (due is None or due > target):
                return

    async def _run_to(self, stop: int, horizon: int) -> None:
        """Bring every page to ``stop``; in bulk, a lone page runs towards ``horizon`` until a request stays open."""
        self.steps += 1
        if self.parent is not None and self.now <= self.parent.now:
            # Counted live while this context holds the run back (its ``now`` is the least): the
            # watchdog names a timer storm by stops against the run's page time, and stops of
            # contexts ahead would look like one. The others are added when the advance ends.
            self.parent.steps += 1
            self._counted += 1
        if self.steps > MAX_STEPS or self.timers > MAX_STEPS:
            raise RuntimeError(f"the page clock stopped more than {MAX_STEPS} times in one run: a timer loop?")
        sessions = list(self.sessions())
        tabs = [(s, name, p) for s in sessions for name, p in s.tabs.items() if not p.is_closed()]
        lone, limit = self._lone(sessions, tabs, stop, horizon)
        bulk_ran, reached = 0, None
        held = self.held()
        # Not under a toxic: the proxy stamps a request's bytes with ``now`` when they arrive, and in
        # bulk ``now`` lags the page until the run returns (a latency would be cut short by the lag).
        if (self.bulk and lone is not None and not self._open and id(lone[0]) not in self._no_bulk
                and limit > self.now and not held.real_time):
            session, tab, page = lone
            # With no fault able to hold a request, work that stays open is slow, not held: wait longer.
            budget = 30.0 if held.can_hold else self.settle_max_s * 1000
            caught_up = self.on_bulk(session.name)
            run = None
            try:  # released however the run ends: raised, or cancelled with a sibling context's clock
                run = await pagetime.run_bulk(page, limit, session.adapter.watched_keys(), budget_ms=budget)
            finally:
                caught_up(run.t if run is not None and run.why == "request" else None)
            if run is not None:
                bulk_ran = id(session)
                self._record(session, tab, run)
                if run.why == "unstamped":
                    self._no_bulk.add(id(session))
                    self.notes.append(f"context {session.name}: the build writes storage without setItem; "
                                      "its timers were stepped one by one (slower, same fidelity)")
                stop = max(self.now, run.t)
                if run.due_after and run.t == stop:
                    reached = (page, pagetime.PageRun(run.t, probe=run.probe))
        # Only contexts with work due by ``stop`` are stepped; the others stay behind and the next
        # probes reuse what they said. A stop at the horizon brings every context to it.
        due = {id(s) for s in sessions if stop >= horizon or id(s) == bulk_ran or self._has_work(s, stop)}
        self._move(max(self.now, stop))  # before the timers fire: a request they start is stamped with their time
        # The tabs only: the observer page runs no timers and dates nothing by its own clock.
        stepped = [(s, name, p) for s, name, p in tabs if id(s) in due]
        runs = await self._tabs_to(stepped, stop, reached)
        self.timers += sum(r.fired for r in runs if r is not None)
        self._unchanged = ({id(s) for s in sessions} - due) | self._left_idle(tabs, stepped, runs)

    async def _tabs_to(self, stepped: list, stop: int, reached: tuple | None) -> list:  # noqa: ANN001
        """Run the tabs to ``stop``: contexts side by side, the tabs of one context one after another
        in the order they opened. Two tabs of a context with timers due at one page time share an
        outbox: run at once, the one whose timer ran first in real time took the Web Lock, wrote its
        event first and sent the batch — the batch's order (what a seeded random fault draws by) and
        the sender changed from run to run. One after another, the first tab's timers have run (and
        asked for the lock) before the second's start: either order is one a browser may take; this
        one repeats. Returns the runs in ``stepped``'s order."""
        async def one(s, name: str, p):  # noqa: ANN001, ANN202
            return await (self._reached(reached) if reached and p is reached[0] else self._page_to(s, name, p, stop))

        async def in_turn(group: list) -> list:
            out = []
            for i, t in enumerate(group):
                if i:  # the previous tab's lock, writes and send go first, whatever real time does
                    await self.settle(t[0])
                out.append(await one(*t))
            return out

        async def several(groups: list) -> list:  # one scoped settle at a time: a newer probe supersedes
            return [await in_turn(g) for g in groups]

        groups: dict[int, list] = {}
        for t in stepped:
            groups.setdefault(id(t[0]), []).append(t)
        alone = [g for g in groups.values() if len(g) == 1]
        shared = [g for g in groups.values() if len(g) > 1]
        done_alone, done_shared = await asyncio.gather(asyncio.gather(*(in_turn(g) for g in alone)), several(shared))
        by_tab = {id(t[2]): r for g, rs in zip([*alone, *shared], [*done_alone, *done_shared]) for t, r in zip(g, rs)}
        return [by_tab[id(p)] for _, _, p in stepped]

    def _left_idle(self, tabs: list, stepped: list, runs: list) -> set[int]:  # noqa: ANN001
        """Contexts of one tab whose run left nothing open: what the run read at its end is their
        probe (``PageRun.probe``, read after the last timer's task, as the next probe would), so
        the settle that follows does not ask them again — one page call per context and stop
        instead of two. A context with work open, or with two tabs (one tab's run may start work
        in the other through storage events), is probed as before."""
        tabs_of = Counter(id(s) for s, _, _ in tabs)
        idle: set[int] = set()
        for (s, _, _), run in zip(stepped, runs):
            if run is not None and run.idle and run.probe is not None and tabs_of[id(s)] == 1:
                self._seen[id(s)] = run.probe
                idle.add(id(s))
        return idle

    def _lone(self, sessions: list[ContextSession], tabs: list, stop: int,  # noqa: ANN001
              horizon: int) -> tuple[tuple | None, int]:
        """The one page with work due by ``stop``, if it is alone in its context, and how far it may
        run in bulk: up to the horizon, short of the next timer any other context has due."""
        if len(tabs) == 1:
            return tabs[0], horizon
        busy = [s for s in sessions if self._has_work(s, stop)]
        if len(busy) != 1:
            return None, horizon
        mine = [t for t in tabs if t[0] is busy[0]]
        others = [d for s in sessions if s is not busy[0] and (d := self._seen[id(s)][2]) is not None]
        return (mine[0] if len(mine) == 1 else None), min([horizon, *(d - 1 for d in others)])

    def _has_work(self, session: ContextSession, stop: int) -> bool:
        """Whether a context must be stepped to ``stop``: a timer due by then, work open, or unknown.

        Contexts are separate browser profiles: a page runs code only on its own timers, its own
        network and its context's storage events, so a context with none of these due by ``stop``
        can stay behind (paused) until then without any difference a page could see."""
        seen = self._seen.get(id(session))
        if seen is None:
            return True
        inflight, locks, due, granting = seen
        return inflight + locks + granting > 0 or due == -1 or (due is not None and due <= stop)

    @staticmethod
    async def _reached(reached: tuple) -> pagetime.PageRun:  # noqa: ANN001
        """The page a bulk run left at ``stop`` with no timer due by then and no lock open: a run to
        ``stop`` would fire nothing, and what the bulk run read at its end is what it would read (only
        a request's answer can run page code meanwhile, in real time — as it could between the bulk
        run and that run). Skips a page call per bulk run."""
        return reached[1]

    async def _page_to(self, session: ContextSession, tab: str, page, stop: int):  # noqa: ANN001, ANN202
        if page is None or page.is_closed():
            return None
        run = await pagetime.run_to(page, stop)
        if run is not None and tab:
            self._record(session, tab, run, count=False)
        return run

    def _record(self, session: ContextSession, tab: str, run: pagetime.PageRun, count: bool = True) -> None:
        if count:
            self.timers += run.fired
        for t, text, stack in run.errors:
            session.recorder.on_page_message(session.name, tab, "pageerror", "error", text,
                                             stack=stack or None, t_page=int(t))

    async def log_time(self) -> None:
        """Documents opened from now on start at the current page time (one init script per advance,
        when a step still to come may open one)."""
        self._unchanged.clear()  # the run is over: steps and faults may change any context now
        if not self.opens_later():
            return
        for s in self.sessions():
            if self._logged.get(id(s.context)) != self.now:
                try:
                    await s.context.add_init_script(pagetime.log_script(self.now))
                except Exception:  # noqa: BLE001 - a context closing
                    continue
                self._logged[id(s.context)] = self.now

    async def _probe(self, wait_ms: int = 0) -> tuple[int, int, int | None, int]:
        sessions = list(self.sessions())
        fresh = [s for s in sessions if id(s) not in self._unchanged or id(s) not in self._seen]
        self._probes += 1
        mine = self._probes
        answers = await asyncio.gather(*(self._probe_one(s, wait_ms) for s in fresh))
        if mine != self._probes:  # a waiting probe left for a newer one (``_ask``): what it saw is older
            raise ProbeSuperseded(f"probe {mine} replaced by probe {self._probes}")
        for s, r in zip(fresh, answers):
            self._seen[id(s)] = r
        results = [self._seen[id(s)] for s in sessions]
        self._inflight_by_context = [r[0] for r in results]
        inflight = sum(r[0] for r in results)
        locks = sum(r[1] for r in results)
        dues = [r[2] for r in results if r[2] is not None]
        due = -1 if -1 in dues else (min(dues) if dues else None)
        return inflight, locks, due, sum(r[3] for r in results)

    async def settle(self, session: ContextSession | None = None) -> int | None:
        """Wait (real time) until the work the last timers started has settled.

        With ``session``, only that context's work, held requests and facts count (a visitor's
        step while other visitors' requests are in flight or held): page time does not move in a
        step, and contexts share nothing a page could see but the network, so the others' work
        settles on its own and the next clock stop waits for all of it.

        Settled: no send in flight and no Web Lock pending in any page; or every fetch in flight
        is held on purpose by a fault place, or queued in the browser behind held connections
        (``_behind_holds``), twice in a row with nothing moving; or, while a place
        holds requests in real time (toxics), nothing has moved for ``quiet_s``. Work that is
        always progressing is waited for however slow the machine is — up to ``travel_max_s``, and
        a note says so if that cap is ever hit: a page fetch no place holds while no real-time
        fault is in place (on its way to the stub, or a released answer on its way back), and a
        Web Lock request no held lock blocks (its grant is on its way). Locks held with nothing in
        flight may wait for page time (a build's timer): they are not waited for. After
        ``settle_max_s`` the settle ends whatever still moves; ``settle_ends`` names it by what the
        cap cut short: ``lock cap`` with Web Locks pending, else ``held`` (every request held, the
        second look not taken: one probe of a loaded machine can outlast the cap) or ``quiet``.
        Returns the next due timer seen.
        """
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + self.settle_max_s
        last: tuple[int, ...] | None = None
        since = started
        orphan_since: float | None = None
        probe, held_now, activity = self._scope(session)
        orphans = self._orphans if session is None else self._orphans_in.get(session.name, 0)
        orphan_waited = 0.0
        travelling = False  # the last probe saw a request or lock grant on its way: the next one waits in the page
        while True:
            inflight, locks, due, granting = await self._ask(probe, held_now, TRAVEL_WAIT_MS if travelling else 0)
            travelling = False
            if session is None:
                self._open = inflight + locks > 0
            held = held_now()
            orphans = min(orphans, held.fetches)
            now = loop.time()
            if held.fetches - orphans > inflight:
                # A held request no page waits for: the page aborted it and the stub has not heard
                # yet. Wait for that (briefly, from when it is first seen), or its late answer would
                # look received.
                orphan_since = now if orphan_since is None else orphan_since
                orphan_waited = now - orphan_since
                if orphan_waited < self.orphan_wait_s:
                    await asyncio.sleep(0.002)
                    continue
                orphans = held.fetches - inflight  # e.g. a keepalive fetch of a closed page
            else:
                orphan_since = None
            self._keep_orphans(session, orphans)
            if inflight + locks == 0:
                return self._settled("idle", started, orphan_waited, due)
            holding = held.fetches - orphans
            if not held.moving:  # bytes on the wire: a connection no place holds
                holding = self._behind_holds(holding, inflight, session)
            # The quiet rule is for requests a real-time fault may hold, or a hold known only by
            # count may hide (an orphan counted); one a place is carrying is on its way (under
            # load its next hold can be 0.1 s of real time away).
            real_time = (held.real_time or (held.by_count and orphans > 0)) and not held.moving
            mark = (inflight, locks, held.fetches, activity())
            if mark != last:
                last, since = mark, now
            if (inflight > holding and not real_time) or granting:
                if now - started < self.travel_max_s:
                    travelling = True
                    await asyncio.sleep(0.002)
                    continue
                self._travel_note(max(0, inflight - holding) + granting, now - started)
                return self._settled("travel cap", started, orphan_waited, due)
            if since < now and inflight <= holding:
                return self._settled("held", started, orphan_waited, due)
            if real_time and now - since >= self.quiet_s:
                return self._settled("quiet", started, orphan_waited, due)
            if now >= deadline:  # labelled by what it cut short: a lock pending, or a held or quiet rule's wait
                why = "lock cap" if locks else "held" if inflight <= holding else "quiet"
                return self._settled(why, started, orphan_waited, due)
            await asyncio.sleep(0.002)

    def _behind_holds(self, holding: int, inflight: int, session: ContextSession | None) -> int:
        """Fetches held, counting those that wait inside the browser behind the holds: a context
        opens at most ``CONNECTIONS_PER_HOST`` connections to the stub, so when the places hold as
        many fetches as the contexts can have on the wire (each context's in flight, up to that
        limit), every other fetch in flight is queued in the browser for a held connection — held
        too, not on its way (ten parallel fetches with six held waited the 30 s cap at every stop).
        While fewer are held, a fetch on the wire may be one no place holds: it is waited for."""
        if session is None:
            per_context = self._inflight_by_context  # as the probe that gave ``inflight`` saw them
        else:
            per_context = [inflight]
        wire = sum(min(n, CONNECTIONS_PER_HOST) for n in per_context)
        return inflight if holding >= wire and inflight > holding else holding

    def _settled(self, why: str, started: float, orphan_waited: float, due: int | None) -> int | None:
        """Count a settle's end: why it ended and the real seconds it took (the part spent waiting
        for an aborted request's hold to end apart, as ``orphan wait``). Returns ``due``."""
        self.settle_ends[why] += 1
        self.settle_wall[why] += asyncio.get_running_loop().time() - started
        if orphan_waited:
            self.settle_ends["orphan wait"] += 1
            self.settle_wall["orphan wait"] += orphan_waited
        return due

    @staticmethod
    async def _ask(probe: Callable[[int], Awaitable[tuple[int, int, int | None, int]]], held_now: Callable[[], Held],
                   wait_ms: int) -> tuple[int, int, int | None, int]:
        """A probe; with ``wait_ms``, one the pages answer when their work changes (a request on its
        way: one round trip instead of one every few ms). A request the fault places take hold of
        meanwhile changes nothing in the page: then the waiting answer is left and the pages are
        asked again at once (a held request ends a settle as soon as it did with plain probes)."""
        if not wait_ms:
            return await probe(0)
        answer = asyncio.ensure_future(probe(wait_ms))
        mark = held_now()
        watch = HELD_WATCH_S
        while True:
            done, _ = await asyncio.wait({answer}, timeout=watch)
            if done:
                return answer.result()
            watch = min(2 * watch, HELD_WATCH_MAX_S)
            if held_now() != mark:
                answer.add_done_callback(lambda t: t.cancelled() or t.exception())  # nobody waits for it
                return await probe(0)

    def _scope(self, session: ContextSession | None) -> tuple[
            Callable[[int], Awaitable[tuple[int, int, int | None, int]]], Callable[[], Held], Callable[[], int]]:
        """What a settle probes, asks the fault places and watches: the whole run, or one context."""
        if session is None:
            return self._probe, self.held, self.activity
        name = session.name
        return (lambda wait_ms: self._probe_one(session, wait_ms), lambda: self.held_in(name),
                lambda: self.activity_in(name))

    def _probe_one(self, session: ContextSession, wait_ms: int) -> Awaitable[tuple[int, int, int | None, int]]:
        """One context's probe; a waiting one is told how many of its requests the places hold
        (those need not be waited for)."""
        return session.probe_detail(wait_ms, self.held_in(session.name).fetches if wait_ms else 0)

    def _keep_orphans(self, session: ContextSession | None, orphans: int) -> None:
        if session is None:
            self._orphans = orphans
        else:
            self._orphans_in[session.name] = orphans

    def _travel_note(self, count: int, waited: float) -> None:
        """Page time moves on while work is still on its way: say so."""
        self.notes.append(f"page time {self.now}: {count} request(s) or lock grant(s) no fault holds were still on their way after "
                          f"{waited:.0f} s of real time; the clock moved on (outcomes from here may be distorted "
                          "by a slow machine, not the build)")

    async def quiet(self, quiet_s: float = 0.08, max_s: float = 2.0, context: str | None = None) -> None:
        """Wait (real time) until no new fact has arrived for ``quiet_s``: beacons and unload writes,
        which no page is left to probe. With ``context``, only that context's facts count (its
        own unload; other visitors' traffic never stops)."""
        activity = self.activity if context is None else (lambda: self.activity_in(context))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_s
        mark, since = activity(), loop.time()
        while loop.time() < deadline:
            await asyncio.sleep(0.01)
            now_mark = activity()
            if now_mark != mark:
                mark, since = now_mark, loop.time()
            elif loop.time() - since >= quiet_s:
                return
