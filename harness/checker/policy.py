"""The numbers a verdict depends on, in one place, so a scenario can override any of them.

The defaults are the outbox_v2 contract (SPEC §2, §4). Scenarios that shrink a build's limits
(e.g. ``data-timeout-ms``) must shrink the matching policy value too, or the checker would judge
the build against limits it was told not to use.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from harness.contract.sync import RETRYABLE_4XX, ok_status

__all__ = ["Policy", "ok_status"]


@dataclass(frozen=True)
class Policy:
    """What the checker expects of a build; all times in page-clock milliseconds."""

    timeout_ms: float = 5000
    timeout_tolerance_ms: float = 250
    drop_attempts: int = 10  # a drop is allowed only when attempts > this ...
    drop_age_ms: float = 86_400_000  # ... AND age > this
    trigger_within_ms: float = 2000  # load / online must cause a send within this
    retry_window_ms: float = 330_000  # backoff cap (5 min) + jitter: a failure must be retried within this
    backoff_base_ms: float = 5000  # first retry this long after a failure, doubling per failure ...
    backoff_cap_ms: float = 300_000  # ... up to this
    backoff_jitter: float = 0.2  # ± this fraction on every backoff delay
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
    click_debounce_ms: float = 0
    deadletter_payload: bool = True

    def __post_init__(self) -> None:
        for name in ("timeout_ms", "timeout_tolerance_ms", "drop_age_ms", "trigger_within_ms", "retry_window_ms",
                     "backoff_base_ms", "backoff_cap_ms", "click_debounce_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"policy {name} must be a non-negative number of ms, got {value!r}")
        jitter = self.backoff_jitter
        if isinstance(jitter, bool) or not isinstance(jitter, (int, float)) or not 0 <= jitter <= 1:
            raise ValueError(f"policy backoff_jitter must be a fraction between 0 and 1, got {jitter!r}")
        if isinstance(self.drop_attempts, bool) or not isinstance(self.drop_attempts, int) or self.drop_attempts < 0:
            raise ValueError(f"policy drop_attempts must be a non-negative integer, got {self.drop_attempts!r}")
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


def _plain(value: Any) -> Any:
    return [_plain(v) for v in value] if isinstance(value, tuple) else value


