"""``timeout``: swallows all data; closes after ``timeout`` ms without input (0 = hang forever).

With a page clock the countdown is page time: a hold due ``timeout`` ms after the last input,
counted as a held request once data has been swallowed (``timeout: 0``: held without a due).

Removing the toxic closes the connections it held (``cleanup``), as in Toxiproxy: the data it
swallowed is gone, so letting the connection carry on would corrupt the stream.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .base import TIMED_OUT, Stage, Toxic, attr


@dataclass
class TimeoutToxic(Toxic):
    type_name: ClassVar[str] = "timeout"
    timeout: int = attr("milliseconds; 0 = hang until removed", required=True)

    async def pipe(self, stage: Stage) -> None:
        swallowed = False  # a request's bytes were swallowed: the page waits for an answer
        while True:
            item = await stage.receive_within(self.timeout or None, request=swallowed)
            if item is None or item is TIMED_OUT:
                stage.close()
                return
            stage.drop()
            swallowed = True

    def cleanup(self, stage: Stage) -> None:
        stage.close()
