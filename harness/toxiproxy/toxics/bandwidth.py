"""``bandwidth``: limits the stream to ``rate`` KB/s (1 KB = 1000 bytes; 0 = unlimited).

Large chunks leave in 100 ms slices so a slow rate looks like a trickle, not a stall; the sleep
error of each wait is carried into the next, as Toxiproxy does, so the long-run rate stays exact.
With a page clock (``harness.toxiproxy.pagetime``) the rate is in page time: each chunk is held
until the page time its last byte has been "transmitted" (no 100 ms slices).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import ClassVar

from .base import Stage, Toxic, attr


@dataclass
class BandwidthToxic(Toxic):
    type_name: ClassVar[str] = "bandwidth"
    rate: int = attr("KB/s", required=True)

    async def pipe(self, stage: Stage) -> None:
        owed = 0.0  # seconds of transmission time not yet slept
        free = 0  # page time the line is free again (page-clock mode)
        while (chunk := await stage.receive()) is not None:
            rate = self.rate
            if rate <= 0:
                owed = 0.0
                stage.pass_on(chunk)
                continue
            page = stage.page_now()
            if page is not None:  # rate KB/s is rate bytes per page ms
                free = max(free, chunk.pts if chunk.pts is not None else page) + -(-len(chunk.data) // rate)
                await stage.wait_page(free)
                stage.pass_on(chunk)
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
