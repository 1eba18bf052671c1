"""The embedded proxy's page clock (in-process; the HTTP API stays Toxiproxy's): every toxic
duration — latency, bandwidth slices, slicer pauses, slow close, timeout and reset_peer countdowns —
holds data until the harness's page clock lets it go, whatever the real time; without a page clock
they stay real time; the harness's proxy place reports page-time holds and dues. The tests move the
page clock; the short real sleeps only show that real time changes nothing."""
from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace

import aiohttp
import pytest

from harness.nemesis.network import _note_real_time
from harness.nemesis.places import ProxyPlace
from harness.scenario import model as m
from harness.toxiproxy import EmbeddedToxiproxy
from harness.toxiproxy.pagetime import PageClock, request_line, via_in
from tests.toxiproxy.tp_support import SHORT, Api, Upstream, connect, outcome, port_of

REQUEST = b"POST /sync?_tank_via=fetch HTTP/1.1\r\nHost: x\r\n\r\n"


async def _held_until(clock: PageClock, fetches: int, due: int | None | bool = True) -> tuple[int, int | None]:
    """Poll (another thread holds the data) until ``fetches`` connections are held (and the first
    due is ``due``, unless it is True)."""
    async with asyncio.timeout(SHORT):
        while clock.held()[0] != fetches or (due is not True and clock.held()[1] != due):
            await asyncio.sleep(0.005)
    return clock.held()


async def _received(upstream: Upstream, size: int) -> bytes:
    async with asyncio.timeout(SHORT):
        while not upstream.received or len(upstream.received[0]) < size:
            await asyncio.sleep(0.005)
    return bytes(upstream.received[0])


@asynccontextmanager
async def _through_toxic(clock: PageClock, toxic: str, attributes: dict[str, int], stream: str = "upstream",
                         upstream: Upstream | None = None) -> AsyncIterator[tuple[Upstream, asyncio.StreamReader, asyncio.StreamWriter]]:
    """An embedded proxy with ``clock`` attached and one toxic; a connection through it."""
    upstream = await (upstream or Upstream()).start()
    with EmbeddedToxiproxy(seed=1) as tp:
        async with aiohttp.ClientSession() as session:
            api = Api(tp.url, session)
            proxy = await api.create(upstream.address)
            await asyncio.to_thread(tp.attach_page_clock, proxy["name"], clock)
            await api.toxic(proxy["name"], toxic, attributes, stream=stream)
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


async def test_bytes_between_two_holds_are_moving_not_held() -> None:
    """The proxy tells the settle which connections it is carrying: bytes let go by the clock and
    not yet passed on (the proxy's loop may be slow to run them), and none once they have gone."""
    now = [1_000_000]
    clock = PageClock(lambda: now[0])
    async with _through_toxic(clock, "bandwidth", {"rate": 1}) as (upstream, _reader, writer):
        writer.write(REQUEST)
        await _held_until(clock, 1)
        assert clock.moving() == 0  # at its hold
        (proxy_loop,) = {h.loop for h in clock._holds}
        busy = threading.Event()
        proxy_loop.call_soon_threadsafe(busy.wait, SHORT)  # the proxy's loop is slow (a loaded box)
        now[0] += len(REQUEST)
        clock.release_due(now[0])
        assert clock.moving() == 1  # let go, not yet passed on: on its way, not stalled
        busy.set()
        assert await _received(upstream, len(REQUEST)) == REQUEST
        assert clock.moving() == 0 and clock.held() == (0, None)
        writer.close()


def test_moving_counts_carried_connections_without_a_hold_that_the_browser_waits_for() -> None:
    clock = PageClock(lambda: 0)
    clock.carrying("up", "conn", lambda: True, True)
    clock.carrying("down", "conn", lambda: True, True)
    clock.carrying("other", "gone", lambda: False, True)  # its browser closed the connection
    assert clock.moving() == 1
    clock.carrying("up", "conn", lambda: True, False)
    clock.carrying("down", "conn", lambda: True, False)
    assert clock.moving() == 0


async def test_bandwidth_trickles_in_page_time() -> None:
    """10 KB at 1 KB/s: 100-byte slices, one per 100 ms of page time, the last at +10 s."""
    now = [1_000_000]
    start = now[0]
    clock = PageClock(lambda: now[0])
    body = bytes(range(256)) * 39 + b"x" * 16  # 10,000 bytes
    async with _through_toxic(clock, "bandwidth", {"rate": 1}) as (upstream, _reader, writer):
        writer.write(body)
        await _held_until(clock, 1, start + 100)
        await asyncio.sleep(0.05)  # real time changes nothing
        assert bytes(upstream.received[0]) == b""
        for step in (1, 2):  # one slice per 100 ms
            now[0] = start + 100 * step
            assert clock.release_due(now[0]) == 1
            assert await _received(upstream, 100 * step) == body[:100 * step]
            await _held_until(clock, 1, now[0] + 100)
        now[0] = start + 5_000  # half way: exactly half the body, the next slice due 100 ms later
        clock.release_due(now[0])
        await _held_until(clock, 1, start + 5_100)
        assert await _received(upstream, 5_000) == body[:5_000]  # bytes passed may still be on their way
        now[0] = start + 9_999
        clock.release_due(now[0])
        await _held_until(clock, 1, start + 10_000)
        assert await _received(upstream, 9_900) == body[:9_900]
        now[0] = start + 10_000
        clock.release_due(now[0])
        assert await _received(upstream, 10_000) == body
        await _held_until(clock, 0, None)
        writer.close()


@pytest.mark.parametrize(("toxic", "after", "ends"), [
    ("timeout", 30, ("eof",)),  # closes after 30 ms of page time without input (the request was swallowed)
    ("reset_peer", 1000, ("reset", "eof")),  # RST 1000 ms of page time after the first data
])
async def test_a_countdown_ends_the_connection_in_page_time(toxic: str, after: int, ends: tuple[str, ...]) -> None:
    now = [1_000_000]
    clock = PageClock(lambda: now[0])
    async with _through_toxic(clock, toxic, {"timeout": after}) as (upstream, reader, writer):
        writer.write(REQUEST)
        assert await _held_until(clock, 1) == (1, now[0] + after)  # the request waits
        assert (await outcome(reader, 0.1))[0] == "open"  # 100 ms of real time: still open
        now[0] += after - 1
        assert clock.release_due(now[0]) == 0
        now[0] += 1
        assert clock.release_due(now[0]) == 1
        assert (await outcome(reader, SHORT))[0] in ends
        assert await _held_until(clock, 0, None) == (0, None) and bytes(upstream.received[0]) == b""
        writer.close()


async def test_timeout_zero_holds_without_a_due() -> None:
    clock = PageClock(lambda: 0)
    async with _through_toxic(clock, "timeout", {"timeout": 0}) as (_, reader, writer):
        writer.write(REQUEST)
        assert await _held_until(clock, 1) == (1, None)  # held on purpose, nothing to wait for
        assert clock.release_due(2**62) == 0 and (await outcome(reader, 0.05))[0] == "open"
        writer.close()


async def test_slow_close_is_late_in_page_time_and_holds_no_request() -> None:
    now = [1_000_000]
    clock = PageClock(lambda: now[0])
    answer = Upstream(mode="send", payload=b"HTTP/1.1 200 OK\r\n\r\n", close_after_send=True)
    async with _through_toxic(clock, "slow_close", {"delay": 2000}, "downstream", answer) as (_, reader, writer):
        assert await asyncio.wait_for(reader.readexactly(len(answer.payload)), SHORT) == answer.payload
        assert await _held_until(clock, 0, now[0] + 2000) == (0, now[0] + 2000)  # a due, but no request waits
        assert (await outcome(reader, 0.05))[0] == "open"
        now[0] += 2000
        assert clock.release_due(now[0]) == 1
        assert (await outcome(reader, SHORT))[0] == "eof"
        writer.close()


async def test_slicer_pauses_are_page_time() -> None:
    """100 bytes in 25-byte pieces, 1000 µs apart: one piece per page millisecond."""
    now = [1_000_000]
    start = now[0]
    clock = PageClock(lambda: now[0])
    body = bytes(range(100))
    async with _through_toxic(clock, "slicer", {"average_size": 25, "delay": 1000}) as (upstream, _reader, writer):
        writer.write(body)
        await _held_until(clock, 1, start + 1)
        await asyncio.sleep(0.05)
        assert await _received(upstream, 25) == body[:25]
        now[0] = start + 2
        clock.release_due(now[0])
        await _held_until(clock, 1, start + 3)
        assert await _received(upstream, 75) == body[:75]
        now[0] = start + 3
        clock.release_due(now[0])
        assert await _received(upstream, 100) == body
        writer.close()


def _via(data: bytes) -> str | None:
    """What the proxy's link reads off a chunk (``Link.feed``): the request line's transport."""
    line = request_line(data)
    return None if line is None else via_in(line)


def test_the_request_line_names_the_transport() -> None:
    assert _via(REQUEST) == "fetch"
    assert _via(b"POST /s?_tank_via=beacon HTTP/1.1\r\n") == "beacon"
    assert _via(b"POST /s?_tank_via=xhr HTTP/1.1\r\n") == "xhr"
    assert _via(b"GET / HTTP/1.1\r\n") == "unknown"
    assert _via(b'{"ec": "x"}') is None  # a body chunk: the connection keeps its transport


def _run(types: dict[str, str], clock: PageClock | None) -> SimpleNamespace:
    return SimpleNamespace(faults=SimpleNamespace(toxics=set(types), toxic_types=types), proxy_clock=clock)


def test_the_proxy_place_says_which_toxics_hold_in_real_time() -> None:
    place = ProxyPlace()
    real = place.held(_run({"latency_downstream": "latency"}, None))  # a real Toxiproxy: no page clock
    assert real.real_time and real.can_hold and real.fetches == 0 and real.due is None
    page = place.held(_run({"latency_downstream": "latency"}, PageClock(lambda: 0)))
    # Dues in page time; a request outside the proxy is on its way (no quiet rule) unless the settle
    # counts a held connection no page waits for: the proxy knows its holds by count only.
    assert not page.real_time and page.by_count and page.can_hold
    one = place.held(_run({"latency_downstream": "latency"}, PageClock(lambda: 0)), "visitor1")
    assert one.real_time  # per context the proxy names no held fetch: a step's settle keeps the quiet rule
    carrying = PageClock(lambda: 0)
    carrying.carrying("link", "conn", lambda: True, True)
    assert place.held(_run({"latency_downstream": "latency"}, carrying)).moving == 1  # on its way, not stalled
    mixed = place.held(_run({"latency_downstream": "latency", "s": "limit_data"}, PageClock(lambda: 0)))
    assert mixed.real_time
    assert not place.held(_run({}, PageClock(lambda: 0))).can_hold


@pytest.mark.parametrize(("clock", "kind", "noted"), [(None, "real", True), (PageClock(lambda: 0), "embedded", False)])
def test_the_notes_name_every_duration_a_real_toxiproxy_applies_in_real_time(clock: PageClock | None, kind: str, noted: bool) -> None:
    run = SimpleNamespace(proxy_clock=clock, world=SimpleNamespace(proxy_kind=kind), notes=[])
    for type_, attributes in (("slicer", {"average_size": 64, "delay": 200}), ("timeout", {"timeout": 3000}),
                              ("slow_close", {"delay": 10}), ("bandwidth", {"rate": 1}), ("limit_data", {"bytes": 9})):
        _note_real_time(run, m.Toxic(line=7, op="add", type=type_, attributes=attributes), type_)  # type: ignore[arg-type]
    expected = ["delay=200", "timeout=3000", "delay=10", "rate=1"] if noted else []
    assert [n.split(": ", 2)[2].split(";")[0] for n in run.notes] == expected, run.notes


async def _jittered_due(seed: int, proxy_seed: int, before: int, request: bytes) -> int:
    """Page ms after the read at which a latency 1000 ± 500 toxic holds ``request``, sent on a
    connection opened after ``before`` others."""
    now = [1_000_000]
    clock = PageClock(lambda: now[0], seed=seed)
    upstream = await Upstream().start()
    with EmbeddedToxiproxy(seed=proxy_seed) as tp:
        async with aiohttp.ClientSession() as session:
            api = Api(tp.url, session)
            proxy = await api.create(upstream.address)
            await asyncio.to_thread(tp.attach_page_clock, proxy["name"], clock)
            await api.toxic(proxy["name"], "latency", {"latency": 1000, "jitter": 500})
            writers = [(await connect(port_of(proxy)))[1] for _ in range(before + 1)]
            writers[-1].write(request)
            _, due = await _held_until(clock, 1)
            assert due is not None
            for writer in writers:
                writer.close()
            await api.cleanup()
    await upstream.stop()
    return due - now[0]


async def test_latency_jitter_repeats_whatever_the_connections_before_it() -> None:
    """A request's jitter is drawn from the scenario's seed and the request, not from the order in
    which connections opened across the run (which moved removal times by ms between runs)."""
    tagged = b"POST /sync?_tank_via=fetch&_tank_ctx=visitor3 HTTP/1.1\r\nHost: x\r\n\r\n"
    dues = {await _jittered_due(7, proxy_seed, before, tagged) for proxy_seed, before in ((1, 0), (1, 3), (2, 1))}
    assert len(dues) == 1 and 500 <= dues.pop() < 1500
    assert await _jittered_due(7, 1, 0, tagged) != await _jittered_due(8, 1, 0, tagged)  # the seed draws


def test_a_request_key_is_its_tags_and_its_order_among_requests_with_the_same_tags() -> None:
    clock = PageClock(lambda: 0, seed=1)
    line = b"POST /s/site-a-1-f00?_tank_via=fetch&_tank_ctx=v1 HTTP/1.1"
    assert clock.request_key(line) == "POST|v1|||0"
    # the path (a build may put a per-run site id there) is not part of it; a repeat is the next one
    assert clock.request_key(line.replace(b"site-a-1-f00", b"site-a-1-0ba")) == "POST|v1|||1"
    assert clock.request_key(b"POST /s?_tank_ctx=v2 HTTP/1.1") == "POST|v2|||0"
    assert clock.request_key(b"OPTIONS /s?_tank_ctx=v2 HTTP/1.1") == "OPTIONS|v2|||0"
    # the send id is the page load's random id and the send's number in the page: the number
    # counts, the load only by its order; Chromium's own copies of a send take its key
    sent = b"POST /s?_tank_via=fetch&_tank_ctx=v1&_tank_t=5&_tank_a=%s HTTP/1.1"
    assert clock.request_key(sent % b"x9.7") == clock.request_key(sent % b"x9.7") == "POST|v1|5|7|0"
    assert clock.request_key(sent % b"x9.8") == "POST|v1|5|8|0"
    assert clock.request_key(sent % b"y3.7") == "POST|v1|5|7|1"  # another page load, same time and number
    assert PageClock(lambda: 0).request_key(sent % b"k2.7") == "POST|v1|5|7|0"  # another run
    assert clock.draws("k", "lat", "upstream").random() == PageClock(lambda: 0, seed=1).draws("k", "lat", "upstream").random()
