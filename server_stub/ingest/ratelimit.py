"""A token bucket for the ingest rate-limit fault (429 with Retry-After)."""
from __future__ import annotations

import math
import time
from collections.abc import Callable


class TokenBucket:
    """``rate`` requests per second on average, bursts up to ``burst`` (default: one second's worth)."""

    def __init__(self, rate: float, burst: float | None = None, clock: Callable[[], float] = time.monotonic):
        if not rate > 0:
            raise ValueError(f"rate limit must be > 0 requests per second, got {rate!r}")
        self.rate = float(rate)
        self.burst = float(burst) if burst is not None else max(1.0, self.rate)
        self._clock = clock
        self._tokens = self.burst
        self._at = clock()

    def take(self) -> int | None:
        """Take one token: ``None`` when allowed, else whole seconds to wait (``Retry-After``, ≥ 1)."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - self._tokens) / self.rate))
