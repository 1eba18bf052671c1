"""``bandwidth``: limits the stream to ``rate`` KB/s (1 KB = 1000 bytes; 0 = unlimited).

Large chunks leave in 100 ms slices so a slow rate looks like a trickle, not a stall; the sleep
error of each wait is carried into the next, as Toxiproxy does, so the long-run rate stays exact.
With a page clock (``harness.toxiproxy.pagetime``) the rate is in page time: each 100 ms slice is
held until the page time its last byte has been "transmitted" (a 10 KB body at 1 KB/s arrives in
100 pieces over 10 s of page time), and the line stays busy across chunks and toxic updates.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import ClassVar

from .base import Chunk, Stage, Toxic, attr


@dataclass
class _Line:
    free: int = 0  # page time the line is free again (page-clock mode)


@dataclass
class BandwidthToxic(Toxic):
    type_name: ClassVar[str] = "bandwidth"
    rate: int = attr("KB/s", required=True)

    def new_state(self) -> _Line:
        return _Line()

    async def pipe(self, stage: Stage) -> None:
        owed = 0.0  # seconds of transmission time not yet slept
        while (chunk := await stage.receive()) is not None:
            rate = self.rate
            if rate <= 0:
                owed = 0.0
                stage.pass_on(chunk)
                continue
            page = stage.page_now()
            if page is not None:
                await self._trickle_in_page_time(stage, chunk, page, rate)
                continue
            owed += len(chunk.data) / (rate * 1000)
            slice_size = rate * 100  # bytes per 100 ms
            while len(chunk.data) > slice_size:
                await asyncio.sleep(0.1)
                rest = stage.pass_piece(chunk, slice_size)
                assert rest is not None
                chunk = rest
                owed -= 0.1
            started = stage.now()
            if owed > 0:
                await asyncio.sleep(owed)
            owed -= stage.now() - started
            stage.pass_on(chunk)
        stage.close()

    @staticmethod
    async def _trickle_in_page_time(stage: Stage, chunk: Chunk, page: int, rate: int) -> None:
        """Slices of 100 ms at ``rate`` bytes per page ms, each due when its last byte has gone."""
        line: _Line = stage.state
        start = max(line.free, chunk.pts if chunk.pts is not None else page)
        sent = 0
        rest: Chunk | None = chunk
        while rest is not None:
            size = min(rate * 100, len(rest.data))
            sent += size
            due = start + -(-sent // rate)
            await stage.wait_page(due)
            line.free = due
            rest = stage.pass_piece(rest, size)
