"""How violations and timelines write times and ids: short, relative, unambiguous enough."""
from __future__ import annotations


def short(envelope_id: str, width: int = 8) -> str:
    """The first characters of an id (timeline lookups accept any unique prefix)."""
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
