"""The embedded proxy's listeners do not let a slow request head hold a connection for ever: its
API listener cuts a head not finished in time (as the Sync stub's listeners do), and a proxy
listener — a byte pipe, as in Toxiproxy — is cut by the stub behind it. Raw sockets."""
from __future__ import annotations

import asyncio

import aiohttp

from harness.toxiproxy import EmbeddedToxiproxy
from server_stub.app import StubServer
from tests.stub.test_stub_slow_head import HEAD, TIMEOUT_S, TOLERANCE_S, _closed_after
from tests.toxiproxy.tp_support import Api, port_of

API_HEAD = b"GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\n"


async def test_the_api_listener_cuts_a_trickled_or_unfinished_head() -> None:
    async with EmbeddedToxiproxy(head_timeout_s=TIMEOUT_S) as tp:
        port = int(tp.url.rsplit(":", 1)[1])
        for first, trickle in ((b"G", API_HEAD[1:] + b"X-Pad: " + b"a" * 1000), (API_HEAD[:20], b"")):
            elapsed, got = await asyncio.wait_for(_closed_after(port, first, trickle), TIMEOUT_S + TOLERANCE_S)
            assert got == b"", got[:200]  # never an answer: no request was made
            assert TIMEOUT_S * 0.8 <= elapsed < TIMEOUT_S + TOLERANCE_S, elapsed
        assert tp.head_deadlines is not None and tp.head_deadlines.cut == 2
        async with aiohttp.ClientSession() as session:  # whole requests are still answered
            async with session.get(tp.url + "/version") as resp:
                assert resp.status == 200


async def test_a_proxy_listener_is_cut_by_the_stub_behind_it() -> None:
    async with StubServer(tracker_source="", site_id="site-a", head_timeout_s=TIMEOUT_S) as stub:
        async with EmbeddedToxiproxy(head_timeout_s=TIMEOUT_S) as tp, aiohttp.ClientSession() as session:
            api = Api(tp.url, session)
            proxy = await api.create(f"127.0.0.1:{stub.sync_port}")
            await api.toxic(proxy["name"], "latency", {"latency": 10}, stream="upstream")
            elapsed, got = await asyncio.wait_for(
                _closed_after(port_of(proxy), b"P", HEAD[1:] + b"X-Pad: " + b"a" * 1000), TIMEOUT_S + TOLERANCE_S)
            assert got == b"" and TIMEOUT_S * 0.8 <= elapsed < TIMEOUT_S + TOLERANCE_S, (got[:200], elapsed)
            assert stub.head_deadlines["sync"].cut == 1 and tp.head_deadlines is not None and tp.head_deadlines.cut == 0
            await api.cleanup()
        assert stub.journal.entries() == []
