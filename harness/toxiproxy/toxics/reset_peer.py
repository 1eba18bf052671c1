"""``reset_peer``: ``timeout`` ms after the first data on its stream, reset the connection (RST).

Like Toxiproxy, the countdown starts with the first chunk (or end of stream) this toxic sees,
and that data is dropped: a downstream reset_peer lets the request reach the server, then kills
the connection instead of answering — "the connection died after the server read the body".
With a page clock the countdown is page time (a hold that keeps the request waiting).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .base import Stage, Toxic, attr


@dataclass
class ResetPeerToxic(Toxic):
    type_name: ClassVar[str] = "reset_peer"
    timeout: int = attr("milliseconds before the RST")

    async def pipe(self, stage: Stage) -> None:
        await stage.receive()
        stage.drop()
        if self.timeout > 0:
            await stage.pause(self.timeout)
        stage.reset()
