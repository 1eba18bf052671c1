"""parse_duration: the one spelling of time used across scenario files."""
from __future__ import annotations

import pytest

from harness.scenario import parse_duration

from .helpers import steps


@pytest.mark.parametrize(
    ("value", "ms"),
    [
        (0, 0),
        (250, 250),
        ("250ms", 250),
        ("5s", 5_000),
        ("1.5s", 1_500),
        ("5m", 300_000),
        ("26h", 93_600_000),
        ("2d", 172_800_000),
        ("1h30m", 5_400_000),
        ("1h 30m", 5_400_000),
        ("1d2h3m4s5ms", 93_784_005),
        ("00:05:00", 300_000),
        ("26:00:00", 93_600_000),
        ("00:00:01.5", 1_500),
        (" 5s ", 5_000),
    ],
)
def test_valid(value: object, ms: int) -> None:
    assert parse_duration(value) == ms


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("250", "has no unit"),
        ("5M", "cannot read"),
        ("10 minutes", "cannot read"),
        ("30m1h", "largest to smallest"),
        ("1h1h", "largest to smallest"),
        ("0.5ms", "whole number of milliseconds"),
        ("1:30", "HH:MM:SS"),
        ("", "empty"),
        (1.5, "must be whole"),
        (True, "expected a duration"),
        (None, "expected a duration"),
        ([5], "expected a duration"),
        ("-5s", "negative"),
        (-1, "negative"),
    ],
)
def test_invalid(value: object, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_duration(value)


def test_negative_only_where_allowed() -> None:
    assert parse_duration("-5s", allow_negative=True) == -5_000
    assert parse_duration("-1h30m", allow_negative=True) == -5_400_000
    assert parse_duration(-20, allow_negative=True) == -20


def test_unquoted_clock_time_is_not_yaml_base_60() -> None:
    """YAML 1.1 reads `00:05:00` as the integer 300; the loader must read the text."""
    from harness.scenario import parse_scenario

    sc = parse_scenario(steps("- advance: 00:05:00\n- jump: 01:00:00"), "x.yaml")
    assert [s.ms for s in sc.steps[1:]] == [300_000, 3_600_000]
