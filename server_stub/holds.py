"""Requests the stub holds: hung ones (until released) and late ones (until a time comes).

A time is page time when a page clock drives the stub (``follow_page_clock``): a request sent at
page time ``t`` with ``delay_ms: 3000`` is answered when the harness clock reaches ``t + 3000``,
however long that takes in real time, and the clock knows it is due (``next_due``) so it stops
there exactly. Without a page clock (the stub run on its own) a delay is real time.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

HangEnd = Literal["released", "stopped", "gone"]  # gone: the page gave up on the request (abort)


@dataclass(eq=False)
class _Hold:
    due: int | None  # page ms; None: until released
    via: str
    key: str | None  # the page's id of the send (instrumentation tag), to learn of its abort
    context: str | None  # the browser context that sent it (instrumentation tag)
    future: asyncio.Future[HangEnd] = field(repr=False)


class Holds:
    """The stub's held requests, in page time or real time."""

    def __init__(self) -> None:
        self._held: set[_Hold] = set()
        self._stopped = False
        self.page_clock = False  # set by ``follow_page_clock``

    def follow_page_clock(self, on: bool = True) -> None:
        """Delays count in page time from now on (the harness releases them with ``release_due``)."""
        self.page_clock = on

    async def hold(self, due: int | None = None, via: str = "fetch", key: str | None = None,
                   context: str | None = None) -> HangEnd:
        """Block until released (``due`` None), until page time ``due``, or until the stub stops.

        Cancellation (the client went away) propagates to the caller.
        """
        if self._stopped:
            return "stopped"
        hold = _Hold(due, via, key, context, asyncio.get_running_loop().create_future())
        self._held.add(hold)
        try:
            return await hold.future
        finally:
            self._held.discard(hold)

    async def delay(self, sent_at: int | None, delay_ms: int, via: str = "fetch", key: str | None = None,
                    context: str | None = None) -> HangEnd:
        """Wait ``delay_ms`` after ``sent_at`` (page ms) with a page clock, else in real time."""
        if not self.page_clock or sent_at is None:
            await asyncio.sleep(delay_ms / 1000)
            return "released"
        return await self.hold(sent_at + delay_ms, via, key, context)

    # -- what the clock asks -------------------------------------------------------------
    def count(self, via: str | None = None, context: str | None = None) -> int:
        """Requests held now (of one transport when ``via`` is given, of one browser context when
        ``context`` is: a visitor's step waits for its own context's requests only)."""
        return sum(1 for h in self._held if not h.future.done() and (via is None or h.via == via)
                   and (context is None or h.context == context))

    def hung_count(self) -> int:
        return sum(1 for h in self._held if not h.future.done() and h.due is None)

    def next_due(self, context: str | None = None) -> int | None:
        """The earliest page time a held request is due (of one browser context's requests when
        ``context`` is given: a context whose clock runs ahead of the others stops at its own), or None."""
        dues = [h.due for h in self._held if h.due is not None and not h.future.done()
                and (context is None or h.context == context)]
        return min(dues) if dues else None

    def release_due(self, now: int, context: str | None = None) -> int:
        """Let every request due at or before ``now`` proceed (of ``context`` only when given); returns how many."""
        return self._wake([h for h in self._held if h.due is not None and h.due <= now
                           and (context is None or h.context == context)], "released")

    def contexts(self) -> set[str | None]:
        """The browser contexts whose requests are held now (None: a request without a context tag)."""
        return {h.context for h in self._held if not h.future.done()}

    def release_hung(self) -> int:
        """Let every request held until released proceed."""
        return self._wake([h for h in self._held if h.due is None], "released")

    def abandon(self, ended: "set[str] | frozenset[str]") -> int:
        """End the holds of sends their page has already given up on (aborted): through a proxy,
        the stub may never see the connection close, and a late answer must not look received."""
        return self._wake([h for h in self._held if h.key is not None and h.key in ended], "gone")

    def release_all(self) -> int:
        return self._wake(list(self._held), "released")

    def stop(self) -> None:
        """The server is stopping: end every held request (no answer) and refuse new holds."""
        self._stopped = True
        self._wake(list(self._held), "stopped")

    def _wake(self, holds: list[_Hold], how: HangEnd) -> int:
        woken = 0
        for hold in holds:
            if not hold.future.done():
                hold.future.set_result(how)
                woken += 1
            self._held.discard(hold)
        return woken
