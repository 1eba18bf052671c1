"""One named proxy: a listener, its upstream, its toxics and its live connections.

``enabled: false`` closes the listener (new connections are refused) and every live connection;
enabling listens again on the address it had — for ``127.0.0.1:0`` that is the port first picked,
because ``listen`` is rewritten to the real address at the first bind, as Toxiproxy does.
"""
from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from typing import Any

from .addr import bind_listener, listener_address
from .connection import Connection
from .errors import ApiError
from .link import Link
from .pagetime import PageClock
from .toxic_collection import ToxicCollection


class Proxy:
    def __init__(self, name: str, listen: str, upstream: str, rng: random.Random) -> None:
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.enabled = False
        self.connections: set[Connection] = set()
        self.toxics = ToxicCollection(self._links)
        self.page_clock: PageClock | None = None  # latency and bandwidth in page time (pagetime.py)
        self._rng = rng
        self._server: asyncio.Server | None = None

    def _links(self) -> Iterator[Link]:
        for conn in list(self.connections):
            yield from conn.links()

    def _new_connection(self) -> asyncio.Protocol:
        # Each connection gets its own RNG drawn from the server's seeded one, so jitter and
        # slicer sizes on one connection do not depend on traffic on the others.
        return Connection(self, random.Random(self._rng.getrandbits(64))).client

    async def start(self) -> None:
        """Listen (500 ApiError if the address cannot be bound); no-op when already enabled."""
        if self.enabled:
            return
        try:
            sock = bind_listener(self.listen)
        except (OSError, ValueError) as exc:
            raise ApiError(str(exc), 500) from None
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._new_connection, sock=sock)
        self.listen = listener_address(sock)
        self.enabled = True

    def stop(self) -> None:
        """Stop listening and close every live connection."""
        if self._server is not None:
            self._server.close()
            self._server = None
        self.enabled = False
        for conn in list(self.connections):
            conn.close()

    async def update(self, listen: str, upstream: str, enabled: bool) -> None:
        """Toxiproxy's ``Proxy.Update``: a new address restarts the proxy, then apply ``enabled``."""
        if listen != self.listen or upstream != self.upstream:
            self.stop()
            self.listen, self.upstream = listen, upstream
        if enabled and not self.enabled:
            await self.start()
        elif not enabled and self.enabled:
            self.stop()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": [t.to_json() for t in self.toxics.all()],
        }
