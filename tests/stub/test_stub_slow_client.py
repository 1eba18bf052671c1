"""A client that trickles its body, or never sends it, is cut after a bounded real-time read
timeout (408, journaled); a request held by a scenario fault is not."""
from __future__ import annotations

import asyncio
import time

from pytest_aiohttp import AiohttpServer

from server_stub.faults import FaultPlan
from server_stub.journal import Journal
from server_stub.memory_store import MemoryStore
from server_stub.sync_app import SYNC_PATH, SyncApp

TIMEOUT_S = 0.5
TOLERANCE_S = 3.0  # a busy 2-core box


async def _serve(aiohttp_server: AiohttpServer, app: SyncApp) -> int:
    """The stub's port (aiohttp's test server cancels handlers of dropped clients, as the stub's own does)."""
    return (await aiohttp_server(app.make_app(), access_log=None)).port


def _head(length: int) -> bytes:
    return (f"POST {SYNC_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


async def _until_closed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, trickle: bool) -> bytes:
    """Everything the server sent until it closed; writes a byte every 0.1 s when ``trickle``."""
    got = b""
    while True:
        try:
            chunk = await asyncio.wait_for(reader.read(4096), 0.1)
        except TimeoutError:
            if trickle and not writer.is_closing():
                try:
                    writer.write(b" ")
                    await writer.drain()
                except ConnectionError:
                    pass
            continue
        if not chunk:
            return got
        got += chunk


async def test_a_trickling_or_silent_client_is_cut_with_a_journal_entry(aiohttp_server: AiohttpServer) -> None:
    journal = Journal()
    app = SyncApp(journal, FaultPlan(1), MemoryStore({"site-a"}), body_timeout_s=TIMEOUT_S)
    port = await _serve(aiohttp_server, app)
    for trickle in (True, False):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_head(100_000) + b'{"events": [')
        t0 = time.monotonic()
        answer = await asyncio.wait_for(_until_closed(reader, writer, trickle), TIMEOUT_S + TOLERANCE_S)
        elapsed = time.monotonic() - t0
        writer.close()
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert TIMEOUT_S * 0.8 <= elapsed < TIMEOUT_S + TOLERANCE_S
    first, second = journal.entries()
    for entry in (first, second):
        assert (entry.method, entry.status, entry.outcome, entry.processed) == ("POST", 408, "answered", False)
        assert entry.error and "body not received within 0.5 s" in entry.error
    assert first.body_size > second.body_size == len(b'{"events": [')


async def test_a_hang_fault_holds_a_request_longer_than_the_read_timeout(aiohttp_server: AiohttpServer) -> None:
    journal = Journal()
    faults = FaultPlan(1)
    app = SyncApp(journal, faults, MemoryStore({"site-a"}), body_timeout_s=TIMEOUT_S)
    faults.apply({"default": {"hang": True}}, source="test")
    port = await _serve(aiohttp_server, app)
    body = b'{"s": "site-a", "ec": "c", "ea": "a", "sm": "2026-01-01", "meta": {"eid": "e1"}}'
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_head(len(body)) + body)
    await writer.drain()
    await journal.wait_for(lambda e: e.outcome == "hung", timeout=5)
    await asyncio.sleep(TIMEOUT_S * 3)
    assert journal.entries()[0].outcome == "hung"
    faults.apply({"clear": True, "release": True}, source="test")
    answer = await asyncio.wait_for(reader.read(4096), 5)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
