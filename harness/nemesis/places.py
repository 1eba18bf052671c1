"""Where faults live — browser, proxy, stub, database — behind one small protocol.

Each place answers four questions: heal what the scenario left (``heal``); which page fetches it
holds now — of every context, or of one (``context``: a visitor's step settles its own context
only) — and when the first of them is due in page time (``held``); lets due ones go
(``release_due``, of one context when asked); and whether what is in place ties the contexts
together in page time (``couples``: then one clock stop brings all of them to the same time). The
step handlers apply faults; healing, the clock's "is this request held on purpose?", its "when
must I stop?" and its "may contexts run apart?" all come from here, so a new kind of fault is one class.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

from harness.contract.vocabulary import ANSWERED
from harness.run.clock import Held
from harness.toxiproxy.pagetime import PAGE_TIME_TOXICS

if TYPE_CHECKING:
    from harness.run.state import ScenarioRun
    from harness.world.context import ContextSession

class Place(Protocol):
    name: str

    def held(self, run: "ScenarioRun", context: str | None = None) -> Held: ...

    def release_due(self, run: "ScenarioRun", now: int, context: str | None = None) -> int: ...

    def couples(self, run: "ScenarioRun") -> str | None: ...

    async def heal(self, run: "ScenarioRun") -> None: ...


async def set_online(run: "ScenarioRun", session: "ContextSession", online: bool, *, heal: bool = False) -> None:
    """The one writer of a context's network state (a step or the heal)."""
    session.offline = not online
    detail = {"online": online, **({"heal": True} if heal else {})}
    run.op("online" if online else "offline", session=session, detail=detail)
    await session.context.set_offline(not online)


class BrowserPlace:
    """Offline contexts. They refuse requests at once: nothing is held."""

    name = "browser"

    def held(self, run: "ScenarioRun", context: str | None = None) -> Held:
        return Held()

    def release_due(self, run: "ScenarioRun", now: int, context: str | None = None) -> int:
        return 0

    def couples(self, run: "ScenarioRun") -> str | None:
        return None  # an offline context refuses at once, whatever the others' page time

    async def heal(self, run: "ScenarioRun") -> None:
        for session in run.live_sessions():
            if session.offline:
                await set_online(run, session, True, heal=True)


class ProxyPlace:
    """Toxics and ``enabled`` on this run's Toxiproxy listener.

    In the embedded proxy with the run's page clock, every toxic duration (latency, bandwidth
    slices, slicer pauses, slow close, timeout and reset_peer countdowns) is a hold in page time (due
    when the clock reaches it, ``harness.toxiproxy.pagetime``); every toxic of a real Toxiproxy
    holds bytes in real time."""

    name = "proxy"

    def held(self, run: "ScenarioRun", context: str | None = None) -> Held:
        """Per context: the proxy sees bytes, not contexts, so it names no held fetch of one
        (``real_time``: the caller counts a request that makes no progress as held after the quiet time)."""
        types = {run.faults.toxic_types.get(n, "") for n in run.faults.toxics}
        clock = run.proxy_clock
        if clock is None:
            return Held(real_time=bool(types), can_hold=bool(types))
        if context is not None:
            return Held(real_time=bool(types), can_hold=bool(types))
        fetches, due = clock.held()
        moving = clock.moving()
        # Page-time holds give the clock its dues, and a request whose bytes the proxy is carrying
        # between two holds is moving. A request no place holds (in the browser, or in the stub)
        # is on its way: page time waits for it, as with no toxic — unless a held connection no
        # page waits for any more is counted (a keepalive fetch of a page that navigated away):
        # the proxy counts connections, not sends, so the count cannot say whose a hold is
        # (``by_count``; trusting it made ten visitors behind a 5 ms latency wait the 30 s cap at
        # every clock stop). A toxic with no page-time duration (limit_data) keeps the quiet rule.
        return Held(fetches, due, real_time=bool(types - PAGE_TIME_TOXICS), can_hold=bool(types), moving=moving,
                    by_count=bool(types))

    def release_due(self, run: "ScenarioRun", now: int, context: str | None = None) -> int:
        if context is not None:
            return 0  # bytes, not contexts: never asked while contexts run apart (``couples``)
        return 0 if run.proxy_clock is None else run.proxy_clock.release_due(now)

    def couples(self, run: "ScenarioRun") -> str | None:
        """A toxic dates the bytes of every context by one clock (the proxy's ``PageClock``, or real
        time): a context running ahead would push its neighbours' bytes past their hold."""
        if run.faults.toxics:
            return "a toxic is in place on the proxy"
        if run.proxy_clock is not None and run.proxy_clock.held() != (0, None):
            return "the proxy holds bytes"
        return None

    async def heal(self, run: "ScenarioRun") -> None:
        client = run.world.proxy_client
        if run.proxy_name is None or client is None:
            return
        for t in await asyncio.to_thread(client.toxics, run.proxy_name):
            name = t["name"] if isinstance(t, dict) else getattr(t, "name")
            await asyncio.to_thread(client.remove_toxic, run.proxy_name, name)
        await asyncio.to_thread(client.set_enabled, run.proxy_name, True)
        run.faults.toxics.clear()
        run.faults.toxic_types.clear()
        run.faults.proxy_disabled = False


class StubPlace:
    """HTTP faults of the Sync stub: hung requests (until healed) and late answers (page time)."""

    name = "stub"

    def held(self, run: "ScenarioRun", context: str | None = None) -> Held:
        holds = run.stub.faults.holds
        holds.abandon(run.recorder.ended_sends)  # a send its page aborted is not held any more
        return Held(sum(holds.count(via, context) for via in ANSWERED), holds.next_due(context),
                    real_time=not holds.page_clock and holds.count() > 0, can_hold=run.stub.faults.holding())

    def release_due(self, run: "ScenarioRun", now: int, context: str | None = None) -> int:
        return run.stub.faults.holds.release_due(now, context)

    def couples(self, run: "ScenarioRun") -> str | None:
        """Queued faults go to requests in arrival order (a context ahead would take its neighbour's);
        delays without a page clock are real time; a held request of no live context (closed, or
        untagged) is due by the run's clock. The default and the random rule draw by what a request
        is, whenever it comes."""
        plan = run.stub.faults
        if plan.state()["queue"]:
            return "stub faults are queued (they go to requests in arrival order)"
        holds = plan.holds
        if holds.count() and not holds.page_clock:
            return "the stub holds requests in real time"
        if holds.contexts() - {s.name for s in run.live_sessions()}:
            return "the stub holds a request of no open context"
        return None

    async def heal(self, run: "ScenarioRun") -> None:
        run.stub.faults.clear()
        run.stub.faults.release_hung()


class DatabasePlace:
    """The ingest database. While stopped the store answers 503 at once: nothing is held."""

    name = "database"

    def held(self, run: "ScenarioRun", context: str | None = None) -> Held:
        return Held()

    def release_due(self, run: "ScenarioRun", now: int, context: str | None = None) -> int:
        return 0

    def couples(self, run: "ScenarioRun") -> str | None:
        """A rate limit is one bucket for every context's requests (a stopped database answers 503
        at once, whichever context asks)."""
        if getattr(run.stub.store, "rate_limited", False):
            return "the ingest store rate-limits requests"
        return None

    async def heal(self, run: "ScenarioRun") -> None:
        if run.faults.db_stopped:
            await start_database(run)


async def start_database(run: "ScenarioRun") -> None:
    """Start the stopped database again (a step, or the heal at the end of a scenario)."""
    await run.world.pg.start_server()
    store = run.world.pg_store
    store.set_down(False)
    await store.check()  # replace pooled connections that died with the server
    run.faults.db_stopped = False


PLACES: tuple[Place, ...] = (BrowserPlace(), ProxyPlace(), StubPlace(), DatabasePlace())


def held(run: "ScenarioRun", context: str | None = None) -> Held:
    """What every place holds now (of one browser context's requests when ``context`` is given)."""
    total = Held()
    for place in PLACES:
        total = total + place.held(run, context)
    return total


def release_due(run: "ScenarioRun", now: int, context: str | None = None) -> int:
    """Let held requests due by ``now`` go (of one browser context's requests when ``context`` is given)."""
    return sum(place.release_due(run, now, context) for place in PLACES)


def couples(run: "ScenarioRun") -> str | None:
    """Why the contexts must share one clock stop now (the first place that says so), or None:
    nothing in place ties one context's page time to another's."""
    return next((why for place in PLACES if (why := place.couples(run)) is not None), None)


async def heal(run: "ScenarioRun") -> None:
    """Heal every place, network first so the stub's released requests can answer."""
    for place in (PLACES[1], PLACES[3], PLACES[2], PLACES[0]):
        await place.heal(run)
