"""Durations as scenario authors write them ("250ms", "1h30m", "00:05:00") → whole milliseconds.

Time in a scenario is page-clock time, so every duration ends up as an int of milliseconds; one
parser keeps the spelling identical across steps, policy overrides and seeded envelope ages.
"""
from __future__ import annotations

import re
from fractions import Fraction

_UNIT_MS: dict[str, int] = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_UNIT_ORDER = ("d", "h", "m", "s", "ms")
_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)")
_CLOCK = re.compile(r"(\d+):([0-5]\d):([0-5]\d(?:\.\d+)?)")
UNITS_HELP = "an integer of ms, or a string like '250ms', '5s', '1.5s', '5m', '26h', '2d', '1h30m', '00:05:00'"


def parse_duration(value: object, *, allow_negative: bool = False) -> int:
    """Return ``value`` in whole milliseconds; raise ``ValueError`` saying what is wrong.

    An int is milliseconds. A string is ``<number><unit>`` parts in descending units
    (``ms s m h d``) or ``HH:MM:SS[.fff]``. A leading ``-`` only where ``allow_negative``.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"expected a duration, got {value!r} ({UNITS_HELP})")
    if isinstance(value, int):
        ms = value
    elif isinstance(value, float):
        raise ValueError(f"a bare number is milliseconds and must be whole; write e.g. '{value}s' ({UNITS_HELP})")
    elif isinstance(value, str):
        ms = _parse_text(value)
    else:
        raise ValueError(f"expected a duration, got {type(value).__name__} ({UNITS_HELP})")
    if ms < 0 and not allow_negative:
        raise ValueError(f"must not be negative, got {value!r}")
    return ms


def _parse_text(text: str) -> int:
    s = text.strip()
    sign = 1
    if s.startswith("-"):
        sign, s = -1, s[1:].strip()
    if not s:
        raise ValueError(f"empty duration ({UNITS_HELP})")
    clock = _CLOCK.fullmatch(s)
    if ":" in s and not clock:
        raise ValueError(f"cannot read {text!r}: write clock durations as HH:MM:SS, e.g. '00:01:30'")
    if clock:
        h, m, sec = clock.groups()
        total = (int(h) * 3600 + int(m) * 60 + Fraction(sec)) * 1000
    else:
        total = _parse_parts(text, s)
    if total.denominator != 1:
        raise ValueError(f"{text!r} is not a whole number of milliseconds")
    return sign * int(total)


def _parse_parts(text: str, s: str) -> Fraction:
    pos, total, last_rank = 0, Fraction(0), -1
    while pos < len(s):
        m = _PART.match(s, pos)
        if not m:
            if re.fullmatch(r"\d+(\.\d+)?", s):
                raise ValueError(f"{text!r} has no unit; write '{s}ms' or '{s}s' ({UNITS_HELP})")
            raise ValueError(f"cannot read {text!r} as a duration ({UNITS_HELP})")
        number, unit = m.groups()
        rank = _UNIT_ORDER.index(unit)
        if rank <= last_rank:
            raise ValueError(f"{text!r}: units must go from largest to smallest, each once (e.g. '1h30m')")
        last_rank = rank
        total += Fraction(number) * _UNIT_MS[unit]
        pos = m.end()
    return total


def format_ms(ms: int) -> str:
    """Milliseconds as a scenario would write them: ``2678400000`` → ``'31d'``, ``5400000`` → ``'1h30m'``."""
    if ms == 0:
        return "0ms"
    sign, ms, parts = ("-" if ms < 0 else ""), abs(ms), []
    for unit in _UNIT_ORDER:
        count, ms = divmod(ms, _UNIT_MS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return sign + "".join(parts)
