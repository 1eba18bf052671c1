"""How violations and timelines write times and ids: short, relative, unambiguous.

Ids are shortened to a prefix, and builds mint ids that start with a timestamp (two envelopes of
one millisecond share their first 8 characters): inside ``unique_among(ids)`` — one report —
each short id is as long as it takes to tell it from every other id of that report.
"""
from __future__ import annotations

import bisect
import contextlib
import contextvars
from collections.abc import Iterable, Iterator


class _Prefixes:
    """The ids of one report, sorted: an id's shortest unique prefix comes from its two neighbours."""

    def __init__(self, ids: Iterable[str]) -> None:
        self._sorted = sorted(set(ids))
        self._cache: dict[str, int] = {}

    def unique_length(self, envelope_id: str) -> int:
        n = self._cache.get(envelope_id)
        if n is None:
            i = bisect.bisect_left(self._sorted, envelope_id)
            n = 0
            for j in (i - 1, i + 1 if i < len(self._sorted) and self._sorted[i] == envelope_id else i):
                if 0 <= j < len(self._sorted) and self._sorted[j] != envelope_id:
                    n = max(n, _common(envelope_id, self._sorted[j]) + 1)
            self._cache[envelope_id] = n
        return n


_UNIVERSE: contextvars.ContextVar[_Prefixes | None] = contextvars.ContextVar("short_id_universe", default=None)


def _common(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


@contextlib.contextmanager
def unique_among(ids: Iterable[str]) -> Iterator[None]:
    """Within this block ``short`` gives every id of ``ids`` a prefix no other of them shares."""
    token = _UNIVERSE.set(_Prefixes(ids))
    try:
        yield
    finally:
        _UNIVERSE.reset(token)


def short(envelope_id: str, width: int = 8) -> str:
    """The first characters of an id — at least ``width``, more where another id of the report
    shares them (timeline lookups accept any unique prefix)."""
    universe = _UNIVERSE.get()
    if universe is not None:
        width = max(width, universe.unique_length(envelope_id))
    return envelope_id if len(envelope_id) <= width else envelope_id[:width]


def rel(t_page: float | None, t0: float | None) -> str:
    """Page time relative to the run's start: ``+12.345s``, ``+2m05.0s``, ``+25h00m03s``, ``+2d01h00m``."""
    if t_page is None:
        return "?"
    ms = float(t_page) - float(t0 or 0)
    sign = "-" if ms < 0 else "+"
    ms = abs(ms)
    s = ms / 1000
    if s < 60:
        return f"{sign}{s:.3f}s"
    if s < 3600:
        m, r = divmod(s, 60)
        return f"{sign}{int(m)}m{r:04.1f}s"
    if s < 86400 * 2:
        h, r = divmod(int(s), 3600)
        m, r = divmod(r, 60)
        return f"{sign}{h}h{m:02d}m{r:02d}s"
    d, r = divmod(int(s), 86400)
    h, r = divmod(r, 3600)
    return f"{sign}{d}d{h:02d}h{r // 60:02d}m"


def dur(ms: float | None) -> str:
    """A duration: ``5.000s`` / ``3.2h``."""
    if ms is None:
        return "?"
    if abs(ms) < 3_600_000:
        return f"{ms / 1000:.3f}s"
    return f"{ms / 3_600_000:.1f}h"


def hours(ms: float | None) -> str:
    return "?" if ms is None else f"{ms / 3_600_000:.1f}h"
