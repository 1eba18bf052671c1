"""Page time for the embedded proxy's toxics that carry a duration (an in-process extension).

Toxiproxy's HTTP API has no notion of a page clock, so the harness hands one over in-process
(:meth:`EmbeddedToxiproxy.attach_page_clock`): a :class:`PageClock` reading the scenario's page
time. With it, every wait a toxic would sleep becomes a *hold* due at a page time: latency
``read + latency``, each 100 ms slice of a bandwidth trickle, a slicer's pause between pieces, a
slow close, a ``timeout`` or ``reset_peer`` countdown. The harness asks :meth:`PageClock.held`
what is held and when the first hold is due, stops its clock exactly there, and lets it go with
:meth:`PageClock.release_due` — like the Sync stub's late answers. Without a page clock (or with a
real toxiproxy-server) durations stay real time.

Thread safety: holds are made and awaited on the proxy's loop (its own thread); the harness
reads and releases them from its loop. The registry is guarded by a lock and a release wakes the
waiting future with ``call_soon_threadsafe`` on the loop that owns it.
"""
from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

PAGE_TIME_TOXICS = frozenset({"latency", "bandwidth", "slicer", "slow_close", "timeout", "reset_peer"})
"""Toxic types the embedded proxy applies in page time when it has a page clock."""


@dataclass(eq=False)
class Hold:
    """One wait of one connection's stream; ``future`` is woken when page time reaches ``due``."""

    due: int | None  # None: held until dropped (a ``timeout: 0`` toxic hangs until removed)
    via: str  # "fetch", "beacon" or "xhr" (sniffed from the request's _tank_via tag), "unknown" else
    owner: object  # the connection: one page request at a time per connection (HTTP/1.1)
    waited: Callable[[], bool]  # the browser still waits for it (its socket is open)
    request: bool  # it holds a page request's bytes (False: only a close is late)
    loop: asyncio.AbstractEventLoop = field(repr=False)
    future: asyncio.Future[None] = field(repr=False)


class PageClock:
    """Holds of the embedded proxy in page time (see the module docstring)."""

    def __init__(self, now: Callable[[], int], seed: int | None = None) -> None:
        self.now = now  # page ms since epoch; read from the proxy thread (an int attribute read)
        self.seed = seed  # the scenario's: with the request's key, it seeds the request's draws
        self._seen: dict[tuple[str, ...], dict[str, int]] = {}  # request facts -> send -> order (proxy loop only)
        self._lock = threading.Lock()
        self._holds: set[Hold] = set()
        self._carrying: dict[object, tuple[object, Callable[[], bool]]] = {}  # link -> (connection, waited)

    def hold(self, due: int | None, owner: object, via: str = "unknown",
             waited: Callable[[], bool] = lambda: True, request: bool = True) -> Hold | None:
        """Register a hold (on the proxy's loop); None when ``due`` has already come."""
        if due is not None and due <= self.now():
            return None
        loop = asyncio.get_running_loop()
        hold = Hold(due, via, owner, waited, request, loop, loop.create_future())
        with self._lock:
            self._holds.add(hold)
        return hold

    def drop(self, hold: Hold | None) -> None:
        """Forget a hold that is no longer waited on (woken, or its wait was cut short)."""
        if hold is not None:
            with self._lock:
                self._holds.discard(hold)

    async def wait_until(self, due: int, owner: object, via: str = "unknown",
                         waited: Callable[[], bool] = lambda: True, request: bool = True) -> None:
        """Wait (on the proxy's loop) until the harness's clock lets page time ``due`` go."""
        hold = self.hold(due, owner, via, waited, request)
        if hold is None:
            return
        try:
            await hold.future
        finally:
            self.drop(hold)

    def held(self) -> tuple[int, int | None]:
        """(page fetches held, first due). A fetch held: a connection with request data held that
        the browser still waits for; beacons and late closes are left out. Data of a connection the
        browser closed (the page aborted) still goes on at its due, as bytes sent do, but no page
        waits for it."""
        with self._lock:
            holds = list(self._holds)
        fetches = len({h.owner for h in holds if h.request and h.via != "beacon" and h.waited()})
        return fetches, min((h.due for h in holds if h.due is not None), default=None)

    def carrying(self, link: object, owner: object, waited: Callable[[], bool], on: bool) -> None:
        """A link of connection ``owner`` has bytes inside its toxic chain (``on``) or none any more
        (called on the proxy's loop)."""
        with self._lock:
            if on:
                self._carrying[link] = (owner, waited)
            else:
                self._carrying.pop(link, None)

    def moving(self) -> int:
        """Connections the browser waits for whose bytes are in a toxic chain with no hold on them:
        read and not yet at their hold, or let go by :meth:`release_due` and not yet passed on. They
        are moving in real time; under load the proxy's loop may take well over 0.1 s to get there,
        and page time must not move meanwhile (a page abort would fire first)."""
        with self._lock:
            held = {h.owner for h in self._holds}
            carrying = list(self._carrying.values())
        return len({owner for owner, waited in carrying if owner not in held and waited()})

    def release_due(self, now: int) -> int:
        """Let every hold due at or before ``now`` go; returns how many."""
        with self._lock:
            due = [h for h in self._holds if h.due is not None and h.due <= now]
            self._holds.difference_update(due)
        for hold in due:
            hold.loop.call_soon_threadsafe(_wake, hold.future)
        return len(due)

    def release_all(self) -> int:
        return self.release_due(2**63 - 1)

    def request_key(self, line: bytes) -> str:
        """A key for the request whose HTTP request line is ``line`` that repeats run after run (on
        the proxy's loop): its method and harness tags (the sender's context; with stub faults the
        page time it was sent at and the send's number in its page, from ``_tank_a``), and how
        many requests with the same ones came before it in this scenario (its order in its
        context). A copy Chromium re-sent by itself (as many as real time makes) carries its
        send's id and takes its send's key. The page load's random id, the path and the build's
        own parameters are left out: they carry per-run values (a build may put a site id there)."""
        method, _, rest = line.partition(b" ")
        query = rest.partition(b" ")[0].partition(b"?")[2]
        # Every request crosses here: the harness's own tags only (plain text, no escapes to undo)
        tags = dict(p.partition(b"=")[::2] for p in query.split(b"&") if p.startswith(b"_tank_"))
        send = tags.get(b"_tank_a", b"").decode("latin-1")
        facts = (method.decode("latin-1"), tags.get(b"_tank_ctx", b"").decode("latin-1"),
                 tags.get(b"_tank_t", b"").decode("latin-1"), send.rpartition(".")[2])
        seen = self._seen.setdefault(facts, {})
        order = seen.setdefault(send or f"#{len(seen)}", len(seen))  # no send id: always a new one
        return "|".join((*facts, str(order)))

    def draws(self, key: str, *where: str) -> random.Random:
        """A generator for request ``key`` at ``where`` (toxic, stream), seeded by the scenario's
        seed and those alone: the same draws whichever connection the request rode and whatever
        the other connections did before it."""
        return random.Random("|".join((str(self.seed), *where, key)))


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def request_line(data: bytes) -> bytes | None:
    """The HTTP request line at the start of ``data`` (None: ``data`` does not start one)."""
    line = data[:4096].split(b"\r\n", 1)[0]
    return line if b" HTTP/" in line else None


def via_in(line: bytes) -> str:
    """The ``_tank_via`` tag of a request line: "fetch", "beacon", "xhr" or "unknown"."""
    for via in (b"fetch", b"beacon", b"xhr"):
        if b"_tank_via=" + via in line:
            return via.decode()
    return "unknown"
