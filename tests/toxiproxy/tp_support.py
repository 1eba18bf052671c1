"""Helpers for the Toxiproxy compatibility suite: raw API calls, TCP upstreams, timed reads.

Everything talks plain TCP/HTTP so the same assertions hold for the embedded server and for a
real Toxiproxy (``TOXIPROXY_URL``).
"""
from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp

SHORT = 2.0
"""Safety limit for one wait (s). Only a failing or badly starved test gets near it: the faults
this suite injects last at most 600 ms, and every wait ends as soon as the awaited event comes."""


class Api:
    """Raw calls to a Toxiproxy API; remembers the proxies it created so they can be removed."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.session = session
        self.created: set[str] = set()

    def name(self, base: str = "p") -> str:
        """A unique proxy name (a shared real Toxiproxy may hold other proxies)."""
        return f"tank_{base}_{uuid.uuid4().hex[:8]}"

    async def call(self, method: str, path: str, body: Any = None, *,
                   raw: str | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        async with self.session.request(method, self.url + path, data=data,
                                        headers=headers or {}) as resp:
            text = await resp.text()
        try:
            parsed: Any = json.loads(text) if text else None
        except ValueError:
            parsed = text
        if method == "POST" and path in ("/proxies", "/populate") and resp.status < 300:
            items = parsed.get("proxies", []) if path == "/populate" else [parsed]
            self.created.update(p["name"] for p in items)
        return resp.status, parsed

    async def create(self, upstream: str, name: str | None = None, **extra: Any) -> dict[str, Any]:
        body = {"name": name or self.name(), "upstream": upstream, "listen": "127.0.0.1:0", **extra}
        status, proxy = await self.call("POST", "/proxies", body)
        assert status == 201, proxy
        return proxy  # type: ignore[no-any-return]

    async def toxic(self, proxy: str, type_: str, attributes: dict[str, int], **extra: Any) -> dict[str, Any]:
        status, toxic = await self.call("POST", f"/proxies/{proxy}/toxics",
                                        {"type": type_, "attributes": attributes, **extra})
        assert status == 200, toxic
        return toxic  # type: ignore[no-any-return]

    async def cleanup(self) -> None:
        for name in self.created:
            await self.call("DELETE", f"/proxies/{name}")


def port_of(proxy: dict[str, Any]) -> int:
    return int(str(proxy["listen"]).rsplit(":", 1)[1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Upstream:
    """A raw TCP server in the test's loop. ``mode``: echo, or send ``payload`` on connect."""

    mode: str = "echo"
    payload: bytes = b""
    close_after_send: bool = False
    received: list[bytearray] = field(default_factory=list)  # bytes received, per connection
    closed: list[asyncio.Event] = field(default_factory=list)
    server: asyncio.Server | None = None

    @property
    def address(self) -> str:
        assert self.server is not None
        return f"127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def start(self) -> Upstream:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        got = bytearray()
        done = asyncio.Event()
        self.received.append(got)
        self.closed.append(done)
        try:
            if self.mode == "send":
                writer.write(self.payload)
                await writer.drain()
                if self.close_after_send:
                    return
            while data := await reader.read(65536):
                got += data
                if self.mode == "echo":
                    writer.write(data)
                    await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            done.set()
            writer.close()


async def connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), SHORT)


async def roundtrip_ms(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                       data: bytes = b"ping", timeout: float = SHORT) -> float:
    """Send ``data`` to an echo upstream and time until it is all back (ms)."""
    start = time.perf_counter()
    writer.write(data)
    got = await asyncio.wait_for(reader.readexactly(len(data)), timeout)
    assert got == data
    return (time.perf_counter() - start) * 1000


async def outcome(reader: asyncio.StreamReader, within: float) -> tuple[str, bytes, float]:
    """Read until EOF/reset/silence: ("eof"|"reset"|"open", bytes read, ms when it ended)."""
    start = time.perf_counter()
    got = bytearray()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        left = deadline - loop.time()
        if left <= 0:
            return "open", bytes(got), (time.perf_counter() - start) * 1000
        try:
            data = await asyncio.wait_for(reader.read(65536), left)
        except TimeoutError:
            return "open", bytes(got), (time.perf_counter() - start) * 1000
        except ConnectionResetError:
            return "reset", bytes(got), (time.perf_counter() - start) * 1000
        if not data:
            return "eof", bytes(got), (time.perf_counter() - start) * 1000
        got += data


async def timed_reads(reader: asyncio.StreamReader, expect: int) -> list[tuple[float, bytes]]:
    """Each read until ``expect`` bytes arrived: (ms since start, bytes)."""
    start = time.perf_counter()
    out: list[tuple[float, bytes]] = []
    total = 0
    while total < expect:
        data = await asyncio.wait_for(reader.read(65536), SHORT)
        if not data:
            break
        out.append(((time.perf_counter() - start) * 1000, data))
        total += len(data)
    return out
