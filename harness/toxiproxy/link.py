"""One direction of one proxied connection: a chain of toxic stages between two sockets.

Modelled on Toxiproxy's ``ToxicLink``: chunks read from the source socket enter the first active
stage, each stage runs its toxic's ``pipe`` as a task, and the last one writes to the destination
socket. With no active toxic the chain is empty and ``feed`` writes straight to the destination —
no task switch, no copy — which keeps the toxic-free path well under a millisecond.

Stages forward through ``stage.next``, looked up at send time, so adding, removing or re-rolling
a toxic on a live connection is one synchronous relink: nothing in flight is reordered or lost.
"""
from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from typing import TYPE_CHECKING, Any

from .pagetime import request_line, via_in
from .toxics import TIMED_OUT, Chunk, TimedOut

if TYPE_CHECKING:
    from .connection import Side
    from .pagetime import Hold, PageClock
    from .toxic_collection import ToxicEntry

log = logging.getLogger(__name__)

HIGH_WATER = 1 << 20
"""Bytes buffered inside the toxic chain above which the source socket stops being read."""


class StageImpl:
    """A toxic's view of one connection's stream (the ``Stage`` protocol of ``toxics.base``)."""

    def __init__(self, link: Link, entry: ToxicEntry) -> None:
        self.link = link
        self.entry = entry
        self.rng: random.Random = link.rng
        self.state: Any = entry.toxic.new_state()
        self.held: Chunk | None = None
        self.next: StageImpl | None = None
        self.closed = False
        self._eof_seen = False
        self._queue: deque[Chunk | None] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None

    # ---- chain plumbing (used by Link) --------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            await self.entry.toxic.pipe(self)
        except asyncio.CancelledError:
            raise
        except Exception:  # a toxic bug must not take the proxy down: end this stream instead
            log.exception("toxic %s failed; closing the stream", self.entry.name)
            self.close()

    def push(self, item: Chunk | None) -> None:
        if self.closed:
            if item is not None:
                self.link.discarded(len(item.data))
            return
        self._queue.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def stop(self) -> list[Chunk | None]:
        """Cancel the toxic's task; return what it still owed downstream, in order."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self.closed:
            return []
        self.closed = True
        items: list[Chunk | None] = []
        if self.held is not None:
            items.append(self.held)
            self.held = None
        if self._eof_seen:
            items.append(None)
        items.extend(self._queue)
        self._queue.clear()
        return items

    def restart(self) -> None:
        """Re-run the toxic (its attributes changed); held data and a seen EOF are re-delivered."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self.closed:
            return
        if self._eof_seen:
            self._queue.appendleft(None)
            self._eof_seen = False
        if self.held is not None:
            self._queue.appendleft(self.held)
            self.held = None
        self.start()

    # ---- the Stage protocol (used by toxics) --------------------------------------------------
    def now(self) -> float:
        return self.link.loop.time()

    def page_now(self) -> int | None:
        clock = self.link.page_clock
        return None if clock is None else clock.now()

    def _hold(self, clock: PageClock, due: int | None, request: bool) -> Hold | None:
        conn = self.link.source.conn
        return clock.hold(due, conn, conn.via, lambda: not (conn.client.lost or conn.client.eof), request)

    async def wait_page(self, due: int, request: bool = True) -> None:
        clock = self.link.page_clock
        if clock is None:
            return
        hold = self._hold(clock, due, request)
        if hold is None:
            return
        try:
            await hold.future
        finally:
            clock.drop(hold)

    async def pause(self, ms: float, request: bool = True) -> None:
        page = self.page_now()
        if page is not None:
            await self.wait_page(page + round(ms), request)
        elif ms > 0:
            await asyncio.sleep(ms / 1000)

    async def receive(self) -> Chunk | None:
        item = await self.receive_within(None)
        assert item is not TIMED_OUT
        return item

    async def receive_within(self, ms: float | None, request: bool = False) -> Chunk | TimedOut | None:
        if not self._queue:
            loop = self.link.loop
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiter = waiter
            clock = self.link.page_clock
            timer: asyncio.TimerHandle | None = None
            hold: Hold | None = None
            if clock is not None and (ms is not None or request):  # page time: the limit is a hold
                hold = self._hold(clock, None if ms is None else clock.now() + round(ms), request)
                if hold is None:
                    _wake(waiter)
                else:
                    hold.future.add_done_callback(lambda _: _wake(waiter))
            elif ms is not None:
                timer = loop.call_later(ms / 1000, _wake, waiter)
            try:
                await waiter
            finally:
                if timer is not None:
                    timer.cancel()
                if clock is not None:
                    clock.drop(hold)
                if self._waiter is waiter:
                    self._waiter = None
            if not self._queue:
                return TIMED_OUT
        item = self._queue.popleft()
        if item is None:
            self._eof_seen = True
        self.held = item
        return item

    def request_rng(self) -> random.Random:
        key = self.link.source.conn.request
        clock = self.link.page_clock
        if key is None or clock is None:
            return self.rng
        return clock.draws(key, self.entry.name, self.link.stream)

    def pass_on(self, chunk: Chunk) -> None:
        if self.held is chunk:
            self.held = None
        self.link.send(self.next, chunk)

    def pass_piece(self, chunk: Chunk, size: int) -> Chunk | None:
        piece, rest = chunk.data[:size], chunk.data[size:]
        self.held = Chunk(rest, chunk.ts, chunk.pts) if rest else None
        self.link.send(self.next, Chunk(piece, chunk.ts, chunk.pts))
        return self.held

    def drop(self) -> None:
        if self.held is not None:
            self.link.discarded(len(self.held.data))
            self.held = None

    def close(self) -> None:
        if self.closed:
            return
        self.drop()
        for item in self._queue:
            if item is not None:
                self.link.discarded(len(item.data))
        self._queue.clear()
        self.closed = True
        self.link.send(self.next, None)

    def reset(self) -> None:
        self.drop()
        self.closed = True
        self.link.reset_connection()


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class Link:
    """Chunks from ``source`` to ``dest`` through the active toxics of one stream (direction)."""

    def __init__(self, stream: str, source: Side, dest: Side, rng: random.Random) -> None:
        self.stream = stream
        self.source = source
        self.dest = dest
        self.rng = rng
        self.loop = asyncio.get_running_loop()
        self.head: StageImpl | None = None
        self.finished = False
        self._entries: list[ToxicEntry] = []
        self._stages: dict[str, StageImpl | None] = {}  # toxic name → stage, None if rolled out
        self._eof_fed = False
        self._buffered = 0
        self._dest_paused = False
        self._source_paused = False
        self._carrying = False  # told to the page clock: bytes inside the toxic chain

    @property
    def page_clock(self) -> PageClock | None:
        return self.source.conn.proxy.page_clock

    # ---- data in ------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        clock = self.page_clock
        line = request_line(data) if clock is not None and self.stream == "upstream" else None
        if line is not None:
            conn = self.source.conn
            conn.via, conn.request = via_in(line), clock.request_key(line)
        head = self.head
        if head is None:
            if not self.finished:
                self.dest.write(data)
            return
        self._buffered += len(data)
        head.push(Chunk(data, self.loop.time(), None if clock is None else clock.now()))
        self._flow()
        self._carry()

    def feed_eof(self) -> None:
        if self._eof_fed:
            return
        self._eof_fed = True
        self.send(self.head, None)

    # ---- between stages -----------------------------------------------------------------------
    def send(self, target: StageImpl | None, item: Chunk | None) -> None:
        if target is not None:
            target.push(item)
            return
        if item is None:
            if not self.finished:
                self.finished = True
                self.dest.close()
            return
        self._buffered -= len(item.data)
        if not self.finished:
            self.dest.write(item.data)
        self._flow()
        self._carry()

    def discarded(self, size: int) -> None:
        self._buffered -= size
        self._flow()
        self._carry()

    def _carry(self, on: bool | None = None) -> None:
        """Tell the page clock whether this link's chain holds bytes (``PageClock.moving``)."""
        on = self._buffered > 0 if on is None else on
        clock = self.page_clock
        if on == self._carrying or clock is None:
            return
        self._carrying = on
        conn = self.source.conn
        clock.carrying(self, conn, lambda: not (conn.client.lost or conn.client.eof), on)

    def reset_connection(self) -> None:
        self.finished = True
        self.source.conn.reset()

    # ---- flow control -------------------------------------------------------------------------
    def set_dest_paused(self, paused: bool) -> None:
        self._dest_paused = paused
        self._flow()

    def _flow(self) -> None:
        want = self._dest_paused or self._buffered > HIGH_WATER
        if want != self._source_paused:
            self._source_paused = want
            self.source.set_reading(not want)

    # ---- toxics -------------------------------------------------------------------------------
    def roll(self, entry: ToxicEntry) -> bool:
        """Toxicity is rolled once per connection (and again when the toxicity changes)."""
        return self.rng.random() < entry.toxicity

    def set_toxics(self, entries: list[ToxicEntry]) -> None:
        """Initial chain for a new connection."""
        self._entries = list(entries)
        for entry in entries:
            self._stages[entry.name] = StageImpl(self, entry) if self.roll(entry) else None
        self._relink()
        for stage in self._stages.values():
            if stage is not None:
                stage.start()

    def add(self, entries: list[ToxicEntry], entry: ToxicEntry) -> None:
        self._entries = list(entries)
        stage = StageImpl(self, entry) if self.roll(entry) else None
        self._stages[entry.name] = stage
        self._relink()
        if stage is not None:
            stage.start()

    def update(self, entry: ToxicEntry, reroll: bool) -> None:
        if entry.name not in self._stages:
            return
        stage = self._stages[entry.name]
        active = self.roll(entry) if reroll else stage is not None
        if stage is not None and active:
            stage.restart()
        elif stage is None and active:
            stage = StageImpl(self, entry)
            self._stages[entry.name] = stage
            self._relink()
            stage.start()
        elif stage is not None:
            self._take_out(entry.name, cleanup=False)

    def remove(self, entries: list[ToxicEntry], entry: ToxicEntry) -> None:
        self._entries = list(entries)
        if entry.name in self._stages:
            self._take_out(entry.name, cleanup=True)

    def _take_out(self, name: str, cleanup: bool) -> None:
        stage = self._stages[name]
        self._stages[name] = None
        if cleanup:
            self._stages.pop(name)
        if stage is None:
            return
        successor = stage.next
        if cleanup:
            stage.entry.toxic.cleanup(stage)
        leftovers = stage.stop()
        self._relink()
        for item in leftovers:
            self.send(successor, item)

    def _relink(self) -> None:
        active = [s for e in self._entries if (s := self._stages.get(e.name)) is not None]
        for i, stage in enumerate(active):
            stage.next = active[i + 1] if i + 1 < len(active) else None
        self.head = active[0] if active else None

    def stop(self) -> None:
        """Cancel every stage task (the connection is gone)."""
        for stage in self._stages.values():
            if stage is not None:
                stage.stop()
        self.head = None
        self._carry(False)
