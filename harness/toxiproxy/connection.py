"""One proxied TCP connection: the client socket, the upstream socket and a link each way.

Close semantics follow Toxiproxy: when a stream ends (EOF, error, or a toxic closes it) its link
drains and then closes the destination socket fully; the other link then sees its source end and
does the same. ``reset`` closes both sockets with SO_LINGER 0, so both peers get a real RST.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import struct
from typing import TYPE_CHECKING

from .addr import split_host_port
from .link import Link

if TYPE_CHECKING:
    from .proxy import Proxy

log = logging.getLogger(__name__)

_LINGER_ZERO = struct.pack("ii", 1, 0)


class Side(asyncio.Protocol):
    """One socket of the connection; feeds the link it is the source of."""

    def __init__(self, conn: Connection, role: str) -> None:
        self.conn = conn
        self.role = role
        self.transport: asyncio.Transport | None = None
        self.lost = False
        self.eof = False  # the peer finished sending (a browser that gave up on its request)
        self.outgoing: Link | None = None  # the link whose source this socket is
        self.incoming: Link | None = None  # the link that writes into this socket

    # ---- asyncio callbacks --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.conn.side_made(self)

    def data_received(self, data: bytes) -> None:
        if self.outgoing is not None:
            self.outgoing.feed(data)

    def eof_received(self) -> bool:
        self.eof = True
        if self.outgoing is not None:
            self.outgoing.feed_eof()
        return True  # keep our write half: the other link decides when this socket closes

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.outgoing is not None:
            self.outgoing.feed_eof()
        if self.incoming is not None:
            self.incoming.finished = True
        self.conn.side_lost()

    def pause_writing(self) -> None:
        if self.incoming is not None:
            self.incoming.set_dest_paused(True)

    def resume_writing(self) -> None:
        if self.incoming is not None:
            self.incoming.set_dest_paused(False)

    # ---- used by links ------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        t = self.transport
        if t is not None and not self.lost and not t.is_closing():
            t.write(data)

    def close(self) -> None:
        t = self.transport
        if t is not None and not t.is_closing():
            t.close()

    def set_reading(self, on: bool) -> None:
        t = self.transport
        if t is None or self.lost or t.is_closing():
            return
        if on:
            t.resume_reading()
        else:
            t.pause_reading()

    def abort(self) -> None:
        """Close now, dropping what asyncio still buffers (the kernel still sends what it has,
        then FIN) — what Go's ``Close`` does to a connection whose writer is blocked."""
        t = self.transport
        if t is not None and not self.lost:
            t.abort()

    def abort_with_rst(self) -> None:
        t = self.transport
        if t is None or self.lost:
            return
        sock = t.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
        t.abort()


class Connection:
    """Accepted client socket + dialled upstream socket, and the two links between them."""

    def __init__(self, proxy: Proxy, rng: random.Random) -> None:
        self.proxy = proxy
        self.via = "unknown"  # the transport of the request last seen upstream (_tank_via tag)
        self.request: str | None = None  # that request's key with a page clock (PageClock.request_key)
        self.rng = rng
        self.client = Side(self, "client")
        self.server = Side(self, "upstream")
        self.up: Link | None = None
        self.down: Link | None = None
        self.closed = False
        self._dial: asyncio.Task[None] | None = None
        self._gone = False

    def links(self) -> list[Link]:
        return [link for link in (self.up, self.down) if link is not None]

    def side_made(self, side: Side) -> None:
        assert side.transport is not None
        side.transport.pause_reading()  # nothing may be read before both links exist
        if side is self.client:
            self.proxy.connections.add(self)
            self._dial = asyncio.get_running_loop().create_task(self._connect_upstream())

    async def _connect_upstream(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            host, port = split_host_port(self.proxy.upstream)
            await loop.create_connection(lambda: self.server, host, port)
        except (OSError, ValueError) as exc:
            log.info("proxy %s: cannot reach upstream %s: %s", self.proxy.name,
                     self.proxy.upstream, exc)
            self._dial = None
            self.client.close()
            self.side_lost()
            return
        self._dial = None
        if self.closed or self.client.lost:
            self.server.close()
            return
        try:
            self.up = Link("upstream", self.client, self.server, self.rng)
            self.down = Link("downstream", self.server, self.client, self.rng)
            self.client.outgoing = self.server.incoming = self.up
            self.server.outgoing = self.client.incoming = self.down
            self.up.set_toxics(self.proxy.toxics.chain("upstream"))
            self.down.set_toxics(self.proxy.toxics.chain("downstream"))
        except Exception:  # a bug here must close this connection, not leave it hanging
            log.exception("proxy %s: cannot set up a connection", self.proxy.name)
            self.close()
            return
        self.client.set_reading(True)
        self.server.set_reading(True)

    def side_lost(self) -> None:
        if self._gone:
            return
        server_done = self.server.lost or (self.server.transport is None and self._dial is None)
        if self.client.lost and server_done:
            self._gone = True
            for link in self.links():
                link.stop()
            self.proxy.connections.discard(self)

    def close(self) -> None:
        """Close both sockets now (proxy disabled or deleted); data inside toxics is dropped."""
        self.closed = True
        if self._dial is not None:
            self._dial.cancel()
            self._dial = None
        for link in self.links():
            link.finished = True
            link.stop()
        self.client.abort()
        self.server.abort()
        self.side_lost()

    def reset(self) -> None:
        """Close both sockets with RST (reset_peer)."""
        self.closed = True
        for link in self.links():
            link.finished = True
        self.client.abort_with_rst()
        self.server.abort_with_rst()
        for link in self.links():
            link.stop()
