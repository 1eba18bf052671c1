"""Checker policy overrides: every key the loader accepts is a ``Policy`` field, read with its kind."""
from __future__ import annotations

import pytest

from harness.checker import Policy
from harness.scenario import POLICY_FIELDS, parse_scenario

from .helpers import one_issue


def test_every_policy_key_is_a_policy_field() -> None:
    assert set(POLICY_FIELDS) <= set(Policy.__dataclass_fields__)


def test_backoff_keys_are_read_and_accepted_by_the_checker() -> None:
    sc = parse_scenario("judges: [backoff]\npolicy: {backoff_base_ms: 2s, backoff_cap_ms: 1m, backoff_jitter: 0}\n"
                        "steps: [{open: home}]\n", "scenarios/x.yaml")
    assert sc.policy == {"backoff_base_ms": 2000, "backoff_cap_ms": 60_000, "backoff_jitter": 0}
    assert Policy(**sc.policy).backoff_ms(3) == 8000


@pytest.mark.parametrize("value,message", [("1.5", "must be between 0 and 1, got 1.5"),
                                           ("-0.1", "must be between 0 and 1"),
                                           ("lots", "expected a number")])
def test_jitter_must_be_a_fraction(value: str, message: str) -> None:
    line, field, text = one_issue(f"judges: [backoff]\npolicy: {{backoff_jitter: {value}}}\nsteps: [{{open: home}}]\n")
    assert (line, field) == (2, "policy.backoff_jitter") and message in text
