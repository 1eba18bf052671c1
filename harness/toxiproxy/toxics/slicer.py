"""``slicer``: cuts each chunk into pieces of about ``average_size`` ± ``size_variation`` bytes,
waiting ``delay`` MICROseconds after each piece — to exercise partial reads and writes.

Pieces come from halving the chunk until a part is within ``average_size + size_variation``,
moving each cut by up to ± ``size_variation`` (Toxiproxy's algorithm), with the cut clamped
inside the part so no input can produce an empty piece or endless recursion. With a page clock
the pauses are page time: they add up in microseconds from the chunk's read time, and each piece
waits for the page millisecond its pause ends in (a 10 µs delay costs no clock stop per piece).
"""
from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from typing import ClassVar

from .base import Chunk, Stage, Toxic, attr


@dataclass
class SlicerToxic(Toxic):
    type_name: ClassVar[str] = "slicer"
    average_size: int = attr("bytes", required=True, minimum=1)
    size_variation: int = attr("bytes")
    delay: int = attr("MICROseconds between pieces")

    def piece_sizes(self, length: int, rng: random.Random) -> list[int]:
        sizes: list[int] = []
        todo = [(0, length)]
        while todo:
            start, end = todo.pop()
            if (end - start) - self.average_size <= self.size_variation:
                if end > start:
                    sizes.append(end - start)
                continue
            mid = start + (end - start) // 2
            if self.size_variation > 0:
                mid += rng.randrange(2 * self.size_variation) - self.size_variation
            mid = min(max(mid, start + 1), end - 1)
            todo.append((mid, end))
            todo.append((start, mid))
        return sizes

    async def pipe(self, stage: Stage) -> None:
        free_us = 0  # page time (µs) the last pause ends (page-clock mode)
        while (chunk := await stage.receive()) is not None:
            rest: Chunk | None = chunk
            page = stage.page_now()
            if page is not None:
                free_us = max(free_us, (chunk.pts if chunk.pts is not None else page) * 1000)
            for size in self.piece_sizes(len(chunk.data), stage.rng):
                assert rest is not None
                rest = stage.pass_piece(rest, size)
                if self.delay <= 0:
                    continue
                if page is None:
                    await asyncio.sleep(self.delay / 1_000_000)
                else:
                    free_us += self.delay
                    await stage.wait_page(free_us // 1000)
        stage.close()

