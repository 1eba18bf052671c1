"""Which HTTP fault each Sync request gets (queue, default, seeded random) and hung requests.

Fault specs (the dict spelling shared by scenarios, the control app and Python) are parsed by
``parse_fault`` in ``fault_spec``; they are re-exported here so callers need one import.
"""
from __future__ import annotations

import hashlib
import random
import re
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
    """Draws keyed by what a request is, not by when it arrives: its sending context and its body.

    Many visitors send at once, and one visitor's page sends several requests at one page time (a
    view, the batch of the page it left, a beacon): the order they reach the stub is real-time
    order. A shared sequence gave a visitor's 503s to different visitors from run to run; one
    sequence per context still gave them to different requests of the visitor (pg_many_visitors:
    duplicated 128 vs 139). So a request's draw comes from (seed, context, a hash of its body, how
    many requests of that context carried the same body before): the same request gets the same
    fate whichever arrives first. A request without a body (a preflight) draws from its context's
    own sequence, in arrival order. What differs between two runs of the same scenario is left out
    of the body first (``FaultPlan.body_key``): the site id and the loopback ports."""

    p: float
    fault: Fault
    seed: int
    rngs: dict[str | None, random.Random] = field(repr=False, default_factory=dict)
    sent: dict[tuple[str | None, str], int] = field(repr=False, default_factory=dict)
    by_send: dict[tuple[str | None, str, str], int] = field(repr=False, default_factory=dict)

    def draw(self, context: str | None, body: str | None = None, send: str | None = None) -> bool:
        """``send``: the page's id of the send (``_tank_a``). Chromium re-sends a POST by itself
        when its reused keep-alive socket closes before an answer (a held answer and the page's
        abort), as often as real time makes it; a copy of a send the stub has seen takes that send's
        draw, so how many copies arrived never shifts the draws of the sends after it."""
        if body is None:
            rng = self.rngs.get(context)
            if rng is None:  # untagged requests share the seed's own sequence
                rng = self.rngs[context] = random.Random(self.seed if context is None else f"{self.seed}/{context}")
            return rng.random() < self.p
        key = (context, body)
        n = self.by_send.get((context, body, send)) if send is not None else None
        if n is None:
            n = self.sent.get(key, 0)
            self.sent[key] = n + 1
            if send is not None:
                self.by_send[(context, body, send)] = n
        return random.Random(f"{self.seed}/{context}/{body}/{n}").random() < self.p


LOOPBACK_PORT = re.compile(rb"(127\.0\.0\.1|localhost|\[::1\]):\d+")  # an ephemeral port: new every run


ACTION_KEYS = ("clear", "default", "random", "push", "release")  # what FaultPlan.apply takes, in order


class FaultPlan:
    """Which fault each request gets, in arrival order.

    Precedence: the first *matching* queued fault (consumed), else the default, else the random
    rule, else none (healthy). The random rule draws one number for every request it matches,
    whether or not a queued/default fault wins, keyed by the sending context (``_tank_ctx``) and
    the request's body (``_RandomRule``), so a request's fate depends only on the seed, its
    context, its body and how often that context sent the same body before — reproducible however
    the other rules are scripted and in whatever order concurrent requests arrive.
    """

    def __init__(self, seed: int = 1, run_values: tuple[str, ...] = ()) -> None:
        self._seed = seed
        # Strings a body carries that are new in every run (the site id): not part of what it is.
        self._run_values = tuple(v.encode() for v in run_values if v)
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
    def decide(self, method: str, via: str, context: str | None = None, body: bytes | None = None,
               send: str | None = None) -> Decision | None:
        """Choose (and consume) the fault for one arrived request of ``context`` (its sender), with
        its ``body`` once read (a POST) — ``None`` for a request without one (a preflight) — and the
        page's id of the send (a copy the browser re-sent carries its original's)."""
        drawn = False
        rnd = self._random
        if rnd is not None and rnd.fault.matches(method, via):
            drawn = rnd.draw(context, None if body is None else self.body_key(body), send)
        for i, fault in enumerate(self._queue):
            if fault.matches(method, via):
                del self._queue[i]
                return Decision(fault, "queue")
        if self._default is not None and self._default.matches(method, via):
            return Decision(self._default, "default")
        if drawn and rnd is not None:
            return Decision(rnd.fault, "random")
        return None

    def body_key(self, body: bytes) -> str:
        """What a body carries, the same in two runs of a scenario: its hash without the run's site
        id and loopback ports (a page URL names the site origin's ephemeral port)."""
        for value in self._run_values:
            body = body.replace(value, b"<site>")
        return hashlib.sha256(LOOPBACK_PORT.sub(rb"\1:<port>", body)).hexdigest()

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
