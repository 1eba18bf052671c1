"""``slow_close``: data flows untouched, but the close reaches the peer ``delay`` ms late (page
time with a page clock: the late close is a hold that keeps no request waiting)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .base import Stage, Toxic, attr


@dataclass
class SlowCloseToxic(Toxic):
    type_name: ClassVar[str] = "slow_close"
    delay: int = attr("milliseconds", required=True)

    async def pipe(self, stage: Stage) -> None:
        while (chunk := await stage.receive()) is not None:
            stage.pass_on(chunk)
        await stage.pause(self.delay, request=False)
        stage.close()
