"""``VirtualClock.settle(session)`` and ``quiet(context=…)``: a visitor's step waits for its own
context's work only (no browser). Another context's request on its way, its held requests and its
traffic do not keep the step waiting; the context's own request on its way is still waited for,
and a request held for another context does not pass for one of its own."""
from __future__ import annotations

import asyncio
import itertools

from harness.run.clock import Held, VirtualClock
from tests.run.test_settle import LAND_S, World

GUARD_S = 25.0  # a hang guard, not a timing assertion: every case here ends long before it


class Session:
    """A context with one scripted page; counts how often the clock probed it."""

    def __init__(self, name: str, world: World) -> None:
        self.name, self.world, self.probes = name, world, 0

    async def probe_detail(self, wait_ms: int = 0, held: int = 0) -> tuple[int, int, int | None, int]:
        self.probes += 1
        return self.world.probe()


def clock(a: Session, b: Session, **activity: int) -> VirtualClock:
    by_name = {s.name: s for s in (a, b)}
    c = VirtualClock(0, lambda: [a, b], held=lambda: a.world.held + b.world.held,  # type: ignore[list-item]
                     held_in=lambda name: by_name[name].world.held,
                     activity_in=lambda name: activity.get(name, 0))
    c.settle_max_s, c.orphan_wait_s = 0.02, 0.02
    return c


def landing(world: World, after_s: float) -> World:
    world.land_at = asyncio.get_running_loop().time() + after_s
    return world


async def settle(c: VirtualClock, session: Session) -> None:
    await asyncio.wait_for(c.settle(session), GUARD_S)  # type: ignore[arg-type]


async def test_another_contexts_request_on_its_way_does_not_hold_a_step() -> None:
    a, b = Session("visitor1", World()), Session("visitor2", landing(World(inflight=1), 60))
    await settle(clock(a, b), a)
    assert b.probes == 0 and b.world.inflight == 1  # never asked about, still on its way


async def test_the_contexts_own_request_on_its_way_is_still_waited_for() -> None:
    a, b = Session("visitor1", landing(World(inflight=1), LAND_S)), Session("visitor2", World())
    c = clock(a, b)
    await settle(c, a)
    assert a.world.inflight == 0 and c.notes == []  # it landed before the step ended


async def test_a_request_held_for_the_context_lets_its_step_end() -> None:
    a = Session("visitor1", landing(World(inflight=1, held=Held(fetches=1, due=3000, can_hold=True)), 60))
    await settle(clock(a, Session("visitor2", World())), a)
    assert a.world.inflight == 1  # still held: the step did not wait for its answer


async def test_a_request_held_for_another_context_does_not_pass_for_one_of_this_contexts() -> None:
    a = Session("visitor1", landing(World(inflight=1), LAND_S))
    b = Session("visitor2", World(inflight=1, held=Held(fetches=1, due=3000, can_hold=True)))
    await settle(clock(a, b), a)
    assert a.world.inflight == 0  # waited for its own request, though the run holds one fetch


async def test_quiet_for_one_context_ignores_the_others_traffic() -> None:
    a, b = Session("visitor1", World()), Session("visitor2", World())
    ticks = itertools.count()
    c = VirtualClock(0, lambda: [a, b], activity=lambda: next(ticks),  # type: ignore[list-item]
                     activity_in=lambda name: next(ticks) if name == "visitor2" else 7)
    await asyncio.wait_for(c.quiet(0.01, max_s=600, context="visitor1"), GUARD_S)
    other = asyncio.ensure_future(c.quiet(0.01, max_s=600, context="visitor2"))
    await asyncio.sleep(0.3)
    assert not other.done()  # visitor2's own traffic never stops: its quiet is still waiting
    other.cancel()
