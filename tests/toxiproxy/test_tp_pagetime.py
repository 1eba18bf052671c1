"""The embedded proxy's page clock (in-process; the HTTP API stays Toxiproxy's): latency and
bandwidth hold data until the harness's page clock lets it go, whatever the real time; without a
page clock they stay real time; the harness's proxy place reports page-time holds and dues."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace

import aiohttp
import pytest

from harness.nemesis.places import ProxyPlace
from harness.toxiproxy import EmbeddedToxiproxy
from harness.toxiproxy.pagetime import PageClock, sniff_via
from tests.toxiproxy.tp_support import SHORT, Api, Upstream, connect, port_of

REQUEST = b"POST /sync?_tank_via=fetch HTTP/1.1\r\nHost: x\r\n\r\n"


async def _held_until(clock: PageClock, fetches: int) -> tuple[int, int | None]:
    """Poll (another thread holds the data) until ``fetches`` connections are held."""
    async with asyncio.timeout(SHORT):
        while clock.held()[0] != fetches:
            await asyncio.sleep(0.005)
    return clock.held()


@asynccontextmanager
async def _through_toxic(clock: PageClock, toxic: str, attributes: dict[str, int]) -> AsyncIterator[tuple[Upstream, asyncio.StreamReader, asyncio.StreamWriter]]:
    """An embedded proxy with ``clock`` attached and one upstream toxic; a connection through it."""
    upstream = await Upstream().start()
    with EmbeddedToxiproxy(seed=1) as tp:
        async with aiohttp.ClientSession() as session:
            api = Api(tp.url, session)
            proxy = await api.create(upstream.address)
            await asyncio.to_thread(tp.attach_page_clock, proxy["name"], clock)
            await api.toxic(proxy["name"], toxic, attributes, stream="upstream")
            reader, writer = await connect(port_of(proxy))
            yield upstream, reader, writer
            await api.cleanup()
    await upstream.stop()


@pytest.mark.parametrize(("toxic", "attributes", "due_after"), [
    ("latency", {"latency": 3000}, 3000),
    ("bandwidth", {"rate": 1}, len(REQUEST)),  # 1 KB/s: one page ms per byte
])
async def test_page_time_holds_until_the_clock_lets_them_go(toxic: str, attributes: dict[str, int], due_after: int) -> None:
    now = [1_000_000]
    clock = PageClock(lambda: now[0])
    async with _through_toxic(clock, toxic, attributes) as (upstream, reader, writer):
        writer.write(REQUEST)
        assert await _held_until(clock, 1) == (1, now[0] + due_after)
        await asyncio.sleep(0.05)  # real time changes nothing
        assert bytes(upstream.received[0]) == b"" and clock.release_due(now[0] + due_after - 1) == 0
        now[0] += due_after
        assert clock.release_due(now[0]) == 1
        assert await asyncio.wait_for(reader.readexactly(len(REQUEST)), SHORT) == REQUEST  # echoed back
        assert clock.held() == (0, None)
        writer.close()


async def test_a_closed_connection_ends_its_hold() -> None:
    clock = PageClock(lambda: 0)
    async with _through_toxic(clock, "latency", {"latency": 6000}) as (_, _reader, writer):
        writer.write(REQUEST)
        await _held_until(clock, 1)
        writer.close()  # the page aborted: the browser closes the connection
        await _held_until(clock, 0)


def test_the_request_line_names_the_transport() -> None:
    assert sniff_via(REQUEST) == "fetch"
    assert sniff_via(b"POST /s?_tank_via=beacon HTTP/1.1\r\n") == "beacon"
    assert sniff_via(b"GET / HTTP/1.1\r\n") == "unknown"
    assert sniff_via(b'{"ec": "x"}') is None  # a body chunk: the connection keeps its transport


def _run(types: dict[str, str], clock: PageClock | None) -> SimpleNamespace:
    return SimpleNamespace(faults=SimpleNamespace(toxics=set(types), toxic_types=types), proxy_clock=clock)


def test_the_proxy_place_says_which_toxics_hold_in_real_time() -> None:
    place = ProxyPlace()
    real = place.held(_run({"latency_downstream": "latency"}, None))  # a real Toxiproxy: no page clock
    assert real.real_time and real.can_hold and real.fetches == 0 and real.due is None
    page = place.held(_run({"latency_downstream": "latency"}, PageClock(lambda: 0)))
    assert page.real_time and page.can_hold  # dues in page time; a stalled request still counts as held after the quiet time
    mixed = place.held(_run({"latency_downstream": "latency", "s": "slicer"}, PageClock(lambda: 0)))
    assert mixed.real_time
    assert not place.held(_run({}, PageClock(lambda: 0))).can_hold
