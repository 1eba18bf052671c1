"""A client that sends its request head slowly (a byte at a time, never finishing) or stops halfway
is cut in bounded real time on every listener of the stub; an idle keep-alive connection and a
request held by a scenario fault are not."""
from __future__ import annotations

import asyncio
import time

from server_stub.app import StubServer
from server_stub.sync_app import SYNC_PATH

TIMEOUT_S = 0.5
TOLERANCE_S = 3.0  # a busy 2-core box
HEAD = f"POST {SYNC_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n".encode()


async def _closed_after(port: int, first: bytes, trickle: bytes) -> tuple[float, bytes]:
    """Send ``first``, then ``trickle`` a byte every 0.05 s; (seconds until the server closed, what it sent)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    t0 = time.monotonic()
    writer.write(first)
    got, rest = b"", iter(trickle)
    try:
        while True:
            try:
                chunk = await asyncio.wait_for(reader.read(4096), 0.05)
            except TimeoutError:
                byte = next(rest, None)
                if byte is not None and not writer.is_closing():
                    writer.write(bytes([byte]))
                continue
            if not chunk:
                return time.monotonic() - t0, got
            got += chunk
    except ConnectionError:
        return time.monotonic() - t0, got
    finally:
        writer.close()


async def test_a_trickled_or_unfinished_head_is_cut_on_every_listener() -> None:
    async with StubServer(tracker_source="", site_id="site-a", head_timeout_s=TIMEOUT_S) as stub:
        ports = {"sync": stub.sync_port, "control": int(stub.control_url.rsplit(":", 1)[1]),
                 "site": int(stub.site_url.rsplit(":", 1)[1])}
        # A byte every 0.05 s for far longer than the timeout (the head never ends), then half a head;
        # every listener and both clients at once (each connection has its own deadline).
        cases = [(name, port, first, trickle) for name, port in ports.items()
                 for first, trickle in ((b"P", HEAD[1:] + b"X-Pad: " + b"a" * 1000), (HEAD[:30], b""))]
        results = await asyncio.gather(*(asyncio.wait_for(_closed_after(port, first, trickle), TIMEOUT_S + TOLERANCE_S)
                                         for _, port, first, trickle in cases))
        for (name, _, first, _), (elapsed, got) in zip(cases, results, strict=True):
            print(f"{name}: head {len(first)}+trickle cut after {elapsed:.2f} s")
            assert got == b"", got[:200]  # never an answer: no request was made
            assert TIMEOUT_S * 0.8 <= elapsed < TIMEOUT_S + TOLERANCE_S, (name, elapsed)
        assert {n: d.cut for n, d in stub.head_deadlines.items()} == {"site": 2, "sync": 2, "control": 2}
        assert stub.journal.entries() == []  # nothing became a request


async def _idle_keep_alive_is_not_cut() -> None:
    async with StubServer(tracker_source="", site_id="site-a", head_timeout_s=TIMEOUT_S) as stub:
        # A keep-alive connection: a whole request, then a POST to a wrong path whose body comes late
        # (unread by the handler), then silence for four timeouts, then another request.
        reader, writer = await asyncio.open_connection("127.0.0.1", stub.sync_port)
        writer.write(f"OPTIONS {SYNC_PATH} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 204")
        writer.write(b"POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 404")
        await reader.readexactly(int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0]))
        writer.write(b"{}")
        await asyncio.sleep(TIMEOUT_S * 4)
        writer.write(f"OPTIONS {SYNC_PATH} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).startswith(b"HTTP/1.1 204")
        writer.close()
        assert stub.head_deadlines["sync"].cut == 0


async def _held_request_is_not_cut() -> None:
    async with StubServer(tracker_source="", site_id="site-a", head_timeout_s=TIMEOUT_S) as stub:
        # A request held by a hang fault outlives the head timeout (its head was complete).
        stub.faults.apply({"default": {"hang": True}}, source="test")
        reader, writer = await asyncio.open_connection("127.0.0.1", stub.sync_port)
        writer.write(HEAD + b"\r\n{}")
        try:
            await asyncio.wait_for(reader.read(1), TIMEOUT_S * 4)
            raise AssertionError("a held request was answered or cut")
        except TimeoutError:
            pass
        writer.close()
        assert stub.head_deadlines["sync"].cut == 0


async def test_idle_keep_alive_and_held_requests_are_not_cut() -> None:
    """Each on a stub of its own, side by side: four timeouts of real time each, waited once."""
    await asyncio.gather(_idle_keep_alive_is_not_cut(), _held_request_is_not_cut())
