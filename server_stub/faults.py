"""Which HTTP fault each Sync request gets (queue, default, seeded random) and hung requests.

Fault specs (the dict spelling shared by scenarios, the control app and Python) are parsed by
``parse_fault`` in ``fault_spec``; they are re-exported here so callers need one import.
"""
from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from server_stub.fault_spec import KIND_KEYS, MODIFIER_KEYS, Fault, FaultSpecError, parse_fault
from server_stub.holds import HangEnd, Holds

__all__ = ["KIND_KEYS", "MODIFIER_KEYS", "Decision", "Fault", "FaultPlan", "FaultSpecError", "HangEnd", "parse_fault"]


@dataclass(frozen=True)
class Decision:
    """The fault chosen for one request and which rule chose it (queue, default, random)."""

    fault: Fault
    source: Literal["queue", "default", "random"]

    def label(self) -> str:
        return f"{self.fault.describe()} ({self.source})"


@dataclass
class _RandomRule:
    """One sequence of draws per sending context: with many visitors sending at once, the order
    their requests reach the stub is real-time order, and one shared sequence would hand a
    visitor's k-th request a different fate from run to run."""

    p: float
    fault: Fault
    seed: int
    rngs: dict[str | None, random.Random] = field(repr=False, default_factory=dict)

    def draw(self, context: str | None) -> bool:
        rng = self.rngs.get(context)
        if rng is None:  # untagged requests share the seed's own sequence
            rng = self.rngs[context] = random.Random(self.seed if context is None else f"{self.seed}/{context}")
        return rng.random() < self.p


ACTION_KEYS = ("clear", "default", "random", "push", "release")  # what FaultPlan.apply takes, in order


class FaultPlan:
    """Which fault each request gets, in arrival order.

    Precedence: the first *matching* queued fault (consumed), else the default, else the random
    rule, else none (healthy). The random rule draws one number for every request it matches,
    whether or not a queued/default fault wins, from a sequence of the sending context's own
    (``_tank_ctx``), so the fate of a context's k-th request depends only on the seed, the context
    and k — reproducible however the other rules are scripted and however many contexts send at once.
    """

    def __init__(self, seed: int = 1) -> None:
        self._seed = seed
        self._queue: list[Fault] = []
        self._default: Fault | None = None
        self._random: _RandomRule | None = None
        self.holds = Holds()
        self.changes: list[tuple[int, str, list[str]]] = []  # (version, source, keys): who changed the plan

    # -- scripting -----------------------------------------------------------------------
    def push(self, fault: Fault | Mapping[str, Any], count: int = 1) -> None:
        """Queue ``count`` copies of a fault for the next matching requests."""
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise FaultSpecError(f"count: must be a positive integer, got {count!r}")
        self._queue.extend([parse_fault(fault)] * count)

    def sequence(self, faults: Iterable[Fault | Mapping[str, Any]]) -> None:
        """Queue faults in order, e.g. ``[{"status": 503}] * 3`` = "503 ×3 then healthy".

        All specs are validated before any is queued.
        """
        self._queue.extend([parse_fault(f) for f in faults])

    def set_default(self, fault: Fault | Mapping[str, Any] | None) -> None:
        """Apply a fault to every request (queue first) until cleared with ``None``."""
        self._default = None if fault is None else parse_fault(fault)

    def random(self, p: float, fault: Fault | Mapping[str, Any] | None, seed: int | None = None) -> None:
        """Give each matching request the fault with probability ``p`` (seeded); ``None`` clears."""
        if fault is None:
            self._random = None
            return
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
            raise FaultSpecError(f"p: must be a number 0–1, got {p!r}")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise FaultSpecError(f"seed: must be an integer, got {seed!r}")
        seed = self._seed if seed is None else seed
        self._random = _RandomRule(float(p), parse_fault(fault), seed)

    def apply(self, actions: Mapping[str, Any], source: str = "scenario") -> int:
        """Apply a ``/faults`` body or a scenario's ``stub:`` step, keys in ``ACTION_KEYS`` order.

        ``clear`` · ``default`` (fault or None) · ``random`` ({p, fault, seed}) · ``push`` (faults)
        · ``release``. Returns how many hung requests were released. ``source`` is kept in
        ``changes`` so a run can tell its own steps from changes made by anyone else.
        """
        self.changes.append((len(self.changes) + 1, source, [k for k in ACTION_KEYS if k in actions]))
        released = 0
        for key in ACTION_KEYS:
            if key not in actions:
                continue
            value = actions[key]
            if key == "clear" and value:
                self.clear()
            elif key == "default":
                self.set_default(value)
            elif key == "random":
                self.random(value["p"], value["fault"], value.get("seed"))
            elif key == "push":
                self.sequence(value)
            elif key == "release" and value:
                released = self.release_hung()
        return released

    def clear(self) -> None:
        """Remove queue, default and random rule (hung requests stay hung)."""
        self._queue.clear()
        self._default = None
        self._random = None

    def state(self) -> dict[str, Any]:
        """JSON view for the control endpoint and logs."""
        rnd = self._random
        return {
            "queue": [f.to_spec() for f in self._queue],
            "default": self._default.to_spec() if self._default else None,
            "random": {"p": rnd.p, "fault": rnd.fault.to_spec(), "seed": rnd.seed} if rnd else None,
            "hung": self.holds.hung_count(),
        }

    @property
    def version(self) -> int:
        """How many times ``apply`` changed the plan (a counter a run can compare)."""
        return len(self.changes)

    def outside_changes(self) -> list[tuple[int, str, list[str]]]:
        """Changes not made by the scenario's own steps (e.g. over the control API)."""
        return [c for c in self.changes if c[1] != "scenario"]

    # -- deciding ------------------------------------------------------------------------
    def decide(self, method: str, via: str, context: str | None = None) -> Decision | None:
        """Choose (and consume) the fault for one arriving request of ``context`` (its sender)."""
        drawn = False
        rnd = self._random
        if rnd is not None and rnd.fault.matches(method, via):
            drawn = rnd.draw(context)
        for i, fault in enumerate(self._queue):
            if fault.matches(method, via):
                del self._queue[i]
                return Decision(fault, "queue")
        if self._default is not None and self._default.matches(method, via):
            return Decision(self._default, "default")
        if drawn and rnd is not None:
            return Decision(rnd.fault, "random")
        return None

    # -- holding -----------------------------------------------------------------------
    def holding(self) -> bool:
        """A rule is in place that can hold a request (hang or delay), or a request is held."""
        specs = [*self._queue, self._default, self._random.fault if self._random else None]
        return self.holds.count() > 0 or any(f is not None and (f.kind == "hang" or f.delay_ms) for f in specs)

    async def hold(self) -> HangEnd:
        """Block a hung request until ``release_hung()`` or ``stop()``.

        Cancellation (the client went away) propagates to the caller.
        """
        return await self.holds.hold(None)

    @property
    def hung_count(self) -> int:
        return self.holds.hung_count()

    def release_hung(self) -> int:
        """Let every currently hung request proceed normally; returns how many were released."""
        return self.holds.release_hung()

    def stop(self) -> None:
        """The server is stopping: end every held request (no answer) and refuse new holds."""
        self.holds.stop()
