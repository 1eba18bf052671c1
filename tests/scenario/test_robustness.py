"""Bad input of any shape gives ScenarioError, never another exception."""
from __future__ import annotations

import itertools

import pytest

from harness.scenario import ScenarioError, parse_scenario
from harness.scenario.steps import ACTIONS

WEIRD = ["null", "[]", "{}", "1", "-1", "x", "true", "false", "1.5", ".nan", "2026-01-01", "'a:b'", "[1, {a: 2}]",
         "{a: null}", "!!binary aGVsbG8=", "!custom x", "{add: null}", "{add: {type: null}}", "{fault: null, times: x}",
         "{push: [null]}", "{random: {p: x}}", "[{age: x, ts: []}]", "{raw: null}", "{call: null, args: [{}]}",
         "{target: 1}", "{before_unload: null}", "{enabled: 1}", "{update: {name: x, attributes: null}}"]
TOP = ["name", "description", "judges", "seed", "start", "tracker", "policy", "settle", "heal", "tags", "ingest",
       "visitors", "steps"]


def check(text: str) -> None:
    try:
        parse_scenario(text, "f.yaml")
    except ScenarioError as exc:
        assert exc.errors and all(i.line >= 0 and i.message for i in exc.errors)


@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_with_weird_values(action: str) -> None:
    for value in WEIRD:
        check(f"judges: [retry]\nsteps:\n  - open: home\n  - {action}: {value}\n")


def test_every_top_key_with_weird_values() -> None:
    for key, value in itertools.product(TOP, WEIRD):
        check(f"judges: [retry]\nsteps: [{{open: home}}]\n{key}: {value}\n" if key not in ("judges", "steps")
              else f"{key}: {value}\n")


@pytest.mark.parametrize("text", ["\t", ":", "[", "{a: 1", "a: *nope", "&a [*a]", "? [a, b]\n: c", "1: 2", "\x00"])
def test_broken_yaml(text: str) -> None:
    check(text)
