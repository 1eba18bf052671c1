"""``noop``: passes everything through (Toxiproxy registers it too; handy as a placeholder)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .base import Stage, Toxic


@dataclass
class NoopToxic(Toxic):
    type_name: ClassVar[str] = "noop"

    async def pipe(self, stage: Stage) -> None:
        while (chunk := await stage.receive()) is not None:
            stage.pass_on(chunk)
        stage.close()
