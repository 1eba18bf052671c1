"""``latency``: every chunk arrives ``latency`` ± ``jitter`` ms after the proxy read it.

The delay counts from the chunk's read time, not from when the previous chunk left, so a burst of
chunks is shifted as a whole instead of being serialised (Toxiproxy does the same). With a page
clock (``harness.toxiproxy.pagetime``) the delay is page time: the chunk is held until page time
``read + delay``.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import ClassVar

from .base import Stage, Toxic, attr


@dataclass
class LatencyToxic(Toxic):
    type_name: ClassVar[str] = "latency"
    latency: int = attr("milliseconds", required=True)
    jitter: int = attr("milliseconds")

    def delay(self, stage: Stage) -> float:
        """Seconds for one chunk: latency plus a uniform draw in [-jitter, +jitter). In page time
        the draw is the request's (one for all its chunks, the same run after run); in real time
        each chunk draws from its connection's generator, as Toxiproxy does."""
        ms = self.latency
        if self.jitter > 0:
            ms += stage.request_rng().randrange(2 * self.jitter) - self.jitter
        return ms / 1000

    async def pipe(self, stage: Stage) -> None:
        while (chunk := await stage.receive()) is not None:
            page = stage.page_now()
            if page is not None:
                read = chunk.pts if chunk.pts is not None else page
                await stage.wait_page(read + round(self.delay(stage) * 1000))
                stage.pass_on(chunk)
                continue
            wait = self.delay(stage) - (stage.now() - chunk.ts)
            if wait > 0:
                await asyncio.sleep(wait)
                chunk.ts += wait
            stage.pass_on(chunk)
        stage.close()
