"""Page time for the embedded proxy's ``latency`` and ``bandwidth`` (an in-process extension).

Toxiproxy's HTTP API has no notion of a page clock, so the harness hands one over in-process
(:meth:`EmbeddedToxiproxy.attach_page_clock`): a :class:`PageClock` reading the scenario's page
time. With it, a chunk a latency toxic would sleep on becomes a *hold* due at page time
``read + latency`` (bandwidth: the page time the bytes have finished "transmitting"); the harness
asks :meth:`PageClock.held` what is held and when the first hold is due, stops its clock exactly
there, and lets it go with :meth:`PageClock.release_due` — like the Sync stub's late answers.
Without a page clock (or with a real toxiproxy-server) durations stay real time.

Thread safety: holds are made and awaited on the proxy's loop (its own thread); the harness
reads and releases them from its loop. The registry is guarded by a lock and a release wakes the
waiting future with ``call_soon_threadsafe`` on the loop that owns it.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

PAGE_TIME_TOXICS = frozenset({"latency", "bandwidth"})
"""Toxic types the embedded proxy applies in page time when it has a page clock."""


@dataclass(eq=False)
class _Hold:
    due: int
    via: str  # "fetch" or "beacon" (sniffed from the request's _tank_via tag), "unknown" else
    owner: object  # the connection: one page request at a time per connection (HTTP/1.1)
    waited: Callable[[], bool]  # the browser still waits for it (its socket is open)
    loop: asyncio.AbstractEventLoop = field(repr=False)
    future: asyncio.Future[None] = field(repr=False)


class PageClock:
    """Holds of the embedded proxy in page time (see the module docstring)."""

    def __init__(self, now: Callable[[], int]) -> None:
        self.now = now  # page ms since epoch; read from the proxy thread (an int attribute read)
        self._lock = threading.Lock()
        self._holds: set[_Hold] = set()

    async def wait_until(self, due: int, owner: object, via: str = "unknown",
                         waited: Callable[[], bool] = lambda: True) -> None:
        """Wait (on the proxy's loop) until the harness's clock lets page time ``due`` go."""
        if due <= self.now():
            return
        loop = asyncio.get_running_loop()
        hold = _Hold(due, via, owner, waited, loop, loop.create_future())
        with self._lock:
            self._holds.add(hold)
        try:
            await hold.future
        finally:
            with self._lock:
                self._holds.discard(hold)

    def held(self) -> tuple[int, int | None]:
        """(page fetches held, first due). A fetch held: a connection with data held that the browser
        still waits for; beacons are left out. Data of a connection the browser closed (the page
        aborted) still goes on at its due, as bytes sent do, but no page waits for it."""
        with self._lock:
            holds = list(self._holds)
        fetches = len({h.owner for h in holds if h.via != "beacon" and h.waited()})
        return fetches, min((h.due for h in holds), default=None)

    def release_due(self, now: int) -> int:
        """Let every hold due at or before ``now`` go; returns how many."""
        with self._lock:
            due = [h for h in self._holds if h.due <= now]
            self._holds.difference_update(due)
        for hold in due:
            hold.loop.call_soon_threadsafe(_wake, hold.future)
        return len(due)

    def release_all(self) -> int:
        return self.release_due(2**63 - 1)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def sniff_via(data: bytes) -> str | None:
    """The ``_tank_via`` tag of an HTTP request line at the start of ``data`` (None: not one)."""
    line = data[:4096].split(b"\r\n", 1)[0]
    if b" HTTP/" not in line:
        return None
    for via in (b"fetch", b"beacon"):
        if b"_tank_via=" + via in line:
            return via.decode()
    return "unknown"
