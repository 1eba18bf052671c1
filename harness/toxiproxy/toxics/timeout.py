"""``timeout``: swallows all data; closes after ``timeout`` ms without input (0 = hang forever).

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
        while True:
            if self.timeout > 0:
                item = await stage.receive_within(self.timeout / 1000)
            else:
                item = await stage.receive()
            if item is None or item is TIMED_OUT:
                stage.close()
                return
            stage.drop()

    def cleanup(self, stage: Stage) -> None:
        stage.close()
