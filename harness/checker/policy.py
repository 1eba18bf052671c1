"""The numbers a verdict depends on, in one place, so a scenario can override any of them.

The defaults are the outbox_v2 contract (SPEC §2, §4). Scenarios that shrink a build's limits
(e.g. ``data-timeout-ms``) must shrink the matching policy value too, or the checker would judge
the build against limits it was told not to use.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

from harness.contract.sync import RETRYABLE_4XX, ok_status


def _setting(default: Any, kind: Literal["duration", "count", "fraction"], *, scenario: bool = True) -> Any:
    """A checked number; ``kind`` says how it is written and checked, ``scenario`` whether a
    scenario's ``policy:`` may override it (the scenario loader, its JSON Schema and
    ``__post_init__`` all read this one declaration)."""
    return field(default=default, metadata={"kind": kind, "scenario": scenario})

__all__ = ["Policy", "ok_status"]


@dataclass(frozen=True)
class Policy:
    """What the checker expects of a build; all times in page-clock milliseconds."""

    timeout_ms: float = _setting(5000, "duration")
    timeout_tolerance_ms: float = _setting(250, "duration")
    drop_attempts: int = _setting(10, "count")  # a drop is allowed only when attempts > this ...
    drop_age_ms: float = _setting(86_400_000, "duration")  # ... AND age > this
    trigger_within_ms: float = _setting(2000, "duration")  # load / online must cause a send within this
    retry_window_ms: float = _setting(330_000, "duration")  # backoff cap (5 min) + jitter: a failure must be retried within this
    backoff_base_ms: float = _setting(5000, "duration")  # first retry this long after a failure, doubling per failure ...
    backoff_cap_ms: float = _setting(300_000, "duration")  # ... up to this
    backoff_jitter: float = _setting(0.2, "fraction")  # ± this fraction on every backoff delay
    conversion_category: str = "conversion"
    heartbeat: tuple[str, str] = ("system", "heartbeat")
    retryable_statuses: tuple[int, ...] = RETRYABLE_4XX  # plus every 5xx
    # Events a build records on its own (no intent): sent straight from memory while storage
    # fails, they are direct sends, not unexpected.
    auto_events: tuple[tuple[str, str], ...] = (("system", "heartbeat"), ("system", "session_end"))
    # What a build profile may declare (harness/builds/profile.py): events the build does not
    # track at all, the window in which it ignores a repeated click on the same target, and
    # whether its dead-letter records keep the payload. The defaults are the contract.
    silent_events: tuple[tuple[str, str], ...] = ()
    # "envelope": the k-th failure in a row of one envelope sets its delay (the contract);
    # "queue": the build pauses its whole queue after the k-th failed send in a row (any envelope).
    backoff_scope: str = "envelope"
    click_debounce_ms: float = _setting(0, "duration", scenario=False)
    # How long the build holds a new event to send it with others (a batch window): the settle
    # at the end of a run lasts this much longer, so an event written just before it is not left
    # pending by design.
    batch_window_ms: float = _setting(0, "duration", scenario=False)
    deadletter_payload: bool = True
    # The build's outbox cap, where its profile declares one (``overflow: {cap: N}``): a shed is
    # believed "at a cap" from this length on; ``None``: the checker's floor (checker.dropproof).
    outbox_cap: int | None = None
    # Other paths of the Sync origin the build calls by design (a side channel): their requests
    # are listed, not held against ``nothing_unexpected`` like an undeclared path's.
    side_endpoints: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name, kind in _CHECKED.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"policy {name} must be {_KIND_TEXT[kind]}, got {value!r}")
            if kind == "fraction" and value > 1:
                raise ValueError(f"policy {name} must be {_KIND_TEXT[kind]}, got {value!r}")
            if kind == "count" and not isinstance(value, int):
                raise ValueError(f"policy {name} must be {_KIND_TEXT[kind]}, got {value!r}")
        if len(tuple(self.heartbeat)) != 2:
            raise ValueError(f"policy heartbeat must be (category, action), got {self.heartbeat!r}")
        object.__setattr__(self, "heartbeat", tuple(self.heartbeat))
        object.__setattr__(self, "retryable_statuses", tuple(int(s) for s in self.retryable_statuses))
        pairs = tuple(tuple(p) for p in self.auto_events)
        if any(len(p) != 2 for p in pairs):
            raise ValueError(f"policy auto_events must be (category, action) pairs, got {self.auto_events!r}")
        object.__setattr__(self, "auto_events", pairs)
        silent = tuple(tuple(p) for p in self.silent_events)
        if any(len(p) != 2 for p in silent):
            raise ValueError(f"policy silent_events must be (category, action) pairs, got {self.silent_events!r}")
        object.__setattr__(self, "silent_events", silent)
        if self.backoff_scope not in ("envelope", "queue"):
            raise ValueError(f"policy backoff_scope must be 'envelope' or 'queue', got {self.backoff_scope!r}")
        if self.outbox_cap is not None and (isinstance(self.outbox_cap, bool) or not isinstance(self.outbox_cap, int)
                                            or self.outbox_cap < 1):
            raise ValueError(f"policy outbox_cap must be a positive integer, got {self.outbox_cap!r}")
        object.__setattr__(self, "side_endpoints", tuple(str(p) for p in self.side_endpoints))

    def retryable(self, status: int | None) -> bool:
        """A transient answer: the build must keep the event and try again."""
        return status is not None and (status in self.retryable_statuses or 500 <= status <= 599)

    def backoff_ms(self, k: int) -> float:
        """The declared delay after the ``k``-th failure in a row (k ≥ 1): base·2^(k−1), capped."""
        return min(self.backoff_cap_ms, self.backoff_base_ms * 2 ** min(max(k, 1) - 1, 64))

    def rejecting(self, status: int | None) -> bool:
        """A permanent refusal (4xx other than the retryable ones): dead-letter, never retry."""
        return status is not None and 400 <= status <= 499 and not self.retryable(status)

    def to_json(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


_CHECKED: dict[str, str] = {f.name: f.metadata["kind"] for f in fields(Policy) if "kind" in f.metadata}
SCENARIO_SETTINGS: dict[str, str] = {f.name: f.metadata["kind"] for f in fields(Policy) if f.metadata.get("scenario")}
"""Policy field → how a scenario writes it (``duration``, ``count`` or ``fraction``)."""

_KIND_TEXT = {"duration": "a non-negative number of ms", "count": "a non-negative integer",
              "fraction": "a fraction between 0 and 1"}


def _plain(value: Any) -> Any:
    return [_plain(v) for v in value] if isinstance(value, tuple) else value


