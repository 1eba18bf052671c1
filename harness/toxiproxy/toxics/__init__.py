"""The toxic registry: type name → class, one small module per toxic (like Toxiproxy's package)."""
from __future__ import annotations

from .bandwidth import BandwidthToxic
from .base import TIMED_OUT, Chunk, Stage, TimedOut, Toxic, attr
from .latency import LatencyToxic
from .limit_data import LimitDataToxic
from .noop import NoopToxic
from .reset_peer import ResetPeerToxic
from .slicer import SlicerToxic
from .slow_close import SlowCloseToxic
from .timeout import TimeoutToxic

REGISTRY: dict[str, type[Toxic]] = {
    cls.type_name: cls
    for cls in (
        NoopToxic, LatencyToxic, BandwidthToxic, SlowCloseToxic, TimeoutToxic, ResetPeerToxic,
        SlicerToxic, LimitDataToxic,
    )
}
"""Every type the server accepts (``noop`` included, as in Toxiproxy)."""

STREAMS: tuple[str, ...] = ("upstream", "downstream")

__all__ = ["REGISTRY", "STREAMS", "TIMED_OUT", "Chunk", "Stage", "TimedOut", "Toxic", "attr"]
