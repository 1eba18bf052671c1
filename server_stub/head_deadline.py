"""Slow request heads are cut: a client gets bounded real time to send a request's line and headers.

aiohttp bounds a head's size, not its time: a client that sends its headers a byte at a time (or
stops halfway) holds a connection and a handler slot for ever. Each connection here is wrapped in a
protocol that starts a timer when bytes arrive while no request is being handled, and stops it
when the app starts handling one. When it runs out the connection is closed (a head that never
became a request cannot be answered by a handler, and an HTTP answer written onto a connection
that may be reused is worse than a close). Idle keep-alive connections (no bytes) are untouched.

Only public APIs: an ``asyncio.Protocol`` in front of the runner's protocol factory, and a
middleware that marks a connection busy from the handler's start until the request's body has
been read to its end (``StreamReader.on_eof``), so unread body bytes never count as a head.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

HEAD_TIMEOUT_S = 30.0  # real time from a head's first byte to the app handling it (like the body's)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class HeadDeadline(asyncio.Protocol):
    """Delegates to aiohttp's protocol; closes the connection when a head takes too long."""

    def __init__(self, inner: Any, registry: dict[Any, "HeadDeadline"], timeout_s: float, on_cut: Callable[[], None]) -> None:
        self._inner = inner
        self._registry = registry
        self._timeout_s = timeout_s
        self._on_cut = on_cut
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._busy = 0  # requests being handled (or whose body is still arriving)

    # -- asyncio.Protocol --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self._registry[transport] = self
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if data and not self._busy and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._timeout_s, self._expire)
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        result: bool | None = self._inner.eof_received()
        return result

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        self._registry.pop(self._transport, None)
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    # -- requests ----------------------------------------------------------------------------
    def request_started(self) -> None:
        self._busy += 1
        self._cancel()

    def request_ended(self) -> None:
        self._busy = max(0, self._busy - 1)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        self._timer = None
        transport = self._transport
        if self._busy or transport is None or transport.is_closing():
            return
        peer = transport.get_extra_info("peername")
        log.warning("closing a connection from %s: no complete request head within %g s", peer, self._timeout_s)
        self._on_cut()
        transport.close()


class HeadDeadlines:
    """The wrappers of one listener: its protocol factory, its middleware, and how many it cut."""

    def __init__(self, timeout_s: float = HEAD_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self.cut = 0  # connections closed for a slow head
        self._live: dict[Any, HeadDeadline] = {}

    def factory(self, make_inner: Callable[[], Any]) -> Callable[[], HeadDeadline]:
        return lambda: HeadDeadline(make_inner(), self._live, self.timeout_s, self._count)

    def _count(self) -> None:
        self.cut += 1

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Marks the connection busy until the handler is done and the body was read to its end."""
        guard = self._live.get(request.transport)
        if guard is None:
            return await handler(request)
        guard.request_started()
        try:
            return await handler(request)
        finally:
            if request.content.is_eof() or request.transport is None or request.transport.is_closing():
                guard.request_ended()
            else:
                request.content.on_eof(guard.request_ended)


async def serve(runner: web.AppRunner, app: web.Application, host: str, port: int,
                timeout_s: float = HEAD_TIMEOUT_S) -> tuple[asyncio.AbstractServer, HeadDeadlines]:
    """``runner.setup()`` and listen on ``host:port`` with slow heads cut; close the server before
    ``runner.cleanup()`` (which closes the connections)."""
    deadlines = HeadDeadlines(timeout_s)
    app.middlewares.insert(0, deadlines.middleware)
    await runner.setup()
    assert runner.server is not None
    server = await asyncio.get_running_loop().create_server(deadlines.factory(runner.server), host, port)
    return server, deadlines
