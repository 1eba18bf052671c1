"""Held requests in page time: due ones go when the clock says so, aborted ones end at once."""
from __future__ import annotations

import asyncio

from server_stub.holds import Holds


async def test_page_time_holds_wait_for_the_clock_not_for_real_time() -> None:
    holds = Holds()
    holds.follow_page_clock()
    late = asyncio.ensure_future(holds.delay(1_000, 3_000, key="a.1"))
    hung = asyncio.ensure_future(holds.hold(None, key="a.2"))
    await asyncio.sleep(0.05)
    assert not late.done() and holds.next_due() == 4_000 and holds.count("fetch") == 2
    assert holds.release_due(3_999) == 0
    assert holds.release_due(4_000) == 1 and await late == "released"
    assert holds.next_due() is None and holds.hung_count() == 1
    assert holds.abandon({"a.2"}) == 1 and await hung == "gone"


async def test_without_a_page_clock_a_delay_is_real_time() -> None:
    holds = Holds()
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await holds.delay(1_000, 50) == "released"
    assert loop.time() - started >= 0.045 and holds.count() == 0


async def test_stop_ends_every_hold() -> None:
    holds = Holds()
    holds.follow_page_clock()
    late = asyncio.ensure_future(holds.delay(0, 10))
    await asyncio.sleep(0)
    holds.stop()
    assert await late == "stopped" and await holds.hold() == "stopped"


async def test_held_requests_are_counted_per_browser_context() -> None:
    holds = Holds()
    holds.follow_page_clock()
    a = asyncio.ensure_future(holds.delay(0, 3_000, key="a.1", context="visitor1"))
    b = asyncio.ensure_future(holds.hold(None, key="b.1", context="visitor2"))
    untagged = asyncio.ensure_future(holds.hold(None, via="beacon"))
    await asyncio.sleep(0)
    assert holds.count() == 3 and holds.count("fetch") == 2
    assert holds.count("fetch", "visitor1") == 1 and holds.count(context="visitor2") == 1
    assert holds.count(context="visitor3") == 0
    holds.release_all()
    assert {await a, await b, await untagged} == {"released"} and holds.count(context="visitor1") == 0


async def test_dues_are_found_and_released_per_browser_context() -> None:
    """A context whose clock runs ahead of the others stops at its own held answers and lets only
    those go: another context's answer due earlier waits for that context's clock."""
    holds = Holds()
    holds.follow_page_clock()
    a = asyncio.ensure_future(holds.delay(1_000, 3_000, key="a.1", context="visitor1"))
    b = asyncio.ensure_future(holds.delay(1_000, 2_000, key="b.1", context="visitor2"))
    await asyncio.sleep(0)
    assert holds.next_due() == 3_000 and holds.next_due("visitor1") == 4_000 and holds.next_due("visitor3") is None
    assert holds.contexts() == {"visitor1", "visitor2"}
    assert holds.release_due(10_000, "visitor1") == 1 and await a == "released" and not b.done()
    assert holds.next_due() == 3_000 and holds.next_due("visitor1") is None
    assert holds.release_due(2_999, "visitor2") == 0 and holds.release_due(3_000, "visitor2") == 1
    assert await b == "released" and holds.contexts() == set()
