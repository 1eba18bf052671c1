"""The one interface every toxic implements, modelled on Toxiproxy's ``toxics`` package.

A toxic is a small state machine over a stream of chunks. The proxy gives each live connection
(and direction) its own :class:`Stage` — the equivalent of Toxiproxy's ``ToxicStub`` — and runs
``toxic.pipe(stage)`` as a task. The toxic reads chunks with ``stage.receive()``, passes data on,
drops it, closes the stream or resets the connection. Attributes live on the toxic object, shared
by every connection, so an update (PATCH) changes them in one place; the stage is then restarted.

Attributes are dataclass fields declared with :func:`attr`, so parsing, validation, JSON output
and the scenario-side ``validate_toxic_spec`` all read one declaration.
"""
from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar, Protocol

INT64_MAX = 2**63 - 1


@dataclass(slots=True)
class Chunk:
    """Bytes read from one socket, stamped with the loop time they were read (like StreamChunk)."""

    data: bytes
    ts: float
    pts: int | None = None  # page time it was read, when the proxy has a page clock (pagetime.py)


class TimedOut(Enum):
    """Returned by ``Stage.receive_within`` when no input came in time."""

    TIMED_OUT = 1


TIMED_OUT = TimedOut.TIMED_OUT


class Stage(Protocol):
    """What a toxic sees of one connection's stream (implemented in ``harness.toxiproxy.link``).

    ``held`` is the data the stage still owes downstream; a restart (toxic updated) re-delivers it,
    so interrupting a toxic never loses bytes — the same promise Toxiproxy's interrupts keep.
    """

    rng: random.Random
    state: Any
    held: Chunk | None

    def now(self) -> float: ...

    def request_rng(self) -> random.Random:
        """Draws for the request the stream carries: with a page clock, a generator seeded by the
        scenario's seed and the request's stable facts (``PageClock.draws``), the same for each of
        its chunks, so a run repeats its draws; without one (or before a request line), ``rng``."""
        ...

    def page_now(self) -> int | None:
        """Page time (ms) when the proxy has a page clock (``harness.toxiproxy.pagetime``), else None."""
        ...

    async def wait_page(self, due: int, request: bool = True) -> None:
        """Hold the stream until the harness's page clock lets page time ``due`` go (no page clock:
        return at once). ``request``: the hold keeps a page request waiting (False: only a close)."""
        ...

    async def pause(self, ms: float, request: bool = True) -> None:
        """Wait ``ms`` milliseconds: page time with a page clock (a hold), real time otherwise."""
        ...

    async def receive(self) -> Chunk | None:
        """Next chunk, or ``None`` at end of stream. The chunk becomes ``held``."""
        ...

    async def receive_within(self, ms: float | None, request: bool = False) -> Chunk | TimedOut | None:
        """Like ``receive`` but gives up after ``ms`` milliseconds without input — page time with a
        page clock. ``request``: the wait keeps a page request waiting (with ``ms`` None and a page
        clock, an endless hold the harness counts as held)."""
        ...

    def pass_on(self, chunk: Chunk) -> None:
        """Send the whole chunk to the next stage; nothing is held any more."""
        ...

    def pass_piece(self, chunk: Chunk, size: int) -> Chunk | None:
        """Send the first ``size`` bytes; the rest becomes ``held`` and is returned (None if none)."""
        ...

    def drop(self) -> None:
        """Discard the held chunk (swallowed data)."""
        ...

    def close(self) -> None:
        """End the stream here: the next stages see end-of-stream and the connection closes."""
        ...

    def reset(self) -> None:
        """Close the whole connection with a TCP RST on both sockets (SO_LINGER 0)."""
        ...


def attr(unit: str, *, required: bool = False, minimum: int = 0) -> Any:
    """Declare an integer attribute (default 0, like Toxiproxy) with its unit for error messages.

    ``required`` is only enforced by ``validate_toxic_spec`` (scenario files); the HTTP API, like
    Toxiproxy, defaults a missing attribute to 0.
    """
    return field(default=0, metadata={"unit": unit, "required": required, "minimum": minimum})


@dataclass
class Toxic:
    """Base of every toxic: attributes as dataclass fields, behaviour in ``pipe``."""

    type_name: ClassVar[str] = ""

    async def pipe(self, stage: Stage) -> None:
        raise NotImplementedError

    def new_state(self) -> Any:
        """Per-connection state that survives restarts (e.g. bytes already sent); None if stateless."""
        return None

    def cleanup(self, stage: Stage) -> None:
        """Called when the toxic is removed from a live connection where it is active."""

    # ---- attributes -------------------------------------------------------------------------
    @classmethod
    def attribute_fields(cls) -> tuple[dataclasses.Field[Any], ...]:
        return dataclasses.fields(cls)

    def attributes(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def apply(self, raw: Any) -> None:
        """Merge attribute values from parsed JSON; all-or-nothing, ValueError on a bad value.

        Unknown keys are ignored, as Toxiproxy's JSON decoding ignores them.
        """
        if raw is None:
            return
        if not isinstance(raw, dict):
            raise ValueError(f"attributes must be a JSON object, got {type(raw).__name__}")
        values = self.attributes()
        for f in dataclasses.fields(self):
            if f.name in raw:
                values[f.name] = check_value(self.type_name, f, raw[f.name])
        for f in dataclasses.fields(self):
            check_minimum(self.type_name, f, values[f.name])
        for name, value in values.items():
            setattr(self, name, value)


def check_value(type_name: str, f: dataclasses.Field[Any], value: Any) -> int:
    """One attribute value: an integer in int64 range (Toxiproxy decodes into int64)."""
    unit = f.metadata["unit"]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(
            f"attribute '{f.name}' of {type_name} must be an integer ({unit}), got {value!r}")
    if value > INT64_MAX:
        raise ValueError(f"attribute '{f.name}' of {type_name} is too large: {value}")
    return value


def check_minimum(type_name: str, f: dataclasses.Field[Any], value: int) -> None:
    minimum = f.metadata["minimum"]
    if value < minimum:
        raise ValueError(
            f"attribute '{f.name}' of {type_name} must be at least {minimum} "
            f"({f.metadata['unit']}), got {value}")
