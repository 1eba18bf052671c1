"""``limit_data``: closes the stream once ``bytes`` bytes have passed on this connection.

The count is per connection and direction and survives updates of the toxic, so raising the
limit on a live connection lets exactly the difference through.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .base import Stage, Toxic, attr


@dataclass
class _Sent:
    bytes: int = 0


@dataclass
class LimitDataToxic(Toxic):
    type_name: ClassVar[str] = "limit_data"
    bytes: int = attr("bytes per connection", required=True)

    def new_state(self) -> _Sent:
        return _Sent()

    async def pipe(self, stage: Stage) -> None:
        sent: _Sent = stage.state
        while (chunk := await stage.receive()) is not None:
            remaining = self.bytes - sent.bytes
            if remaining > 0:
                take = min(remaining, len(chunk.data))
                if take < len(chunk.data):
                    stage.pass_piece(chunk, take)
                    stage.drop()
                else:
                    stage.pass_on(chunk)
                sent.bytes += take
            else:
                stage.drop()
            if self.bytes - sent.bytes <= 0:
                stage.close()
                return
        stage.close()
