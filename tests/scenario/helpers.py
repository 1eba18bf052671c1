"""Small helpers: build scenario text and collect issues as (line, field, message) tuples."""
from __future__ import annotations

import textwrap

import pytest

from harness.scenario import ScenarioError, parse_scenario

HEAD = "judges: [no_loss]\nsteps:\n  - open: home\n"  # lines 1-3; the next step is on line 4


def steps(body: str) -> str:
    """A valid head (tab main open) followed by ``body`` (steps, unindented), from line 4."""
    return HEAD + textwrap.indent(textwrap.dedent(body).strip("\n") + "\n", "  ")


def issues(text: str, filename: str = "scenarios/x.yaml") -> list[tuple[int, str, str]]:
    """The issues ``parse_scenario`` reports, as (line, field, message)."""
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, filename)
    assert all(i.file == filename for i in info.value.errors)
    return [(i.line, i.field, i.message) for i in info.value.errors]


def one_issue(text: str) -> tuple[int, str, str]:
    found = issues(text)
    assert len(found) == 1, found
    return found[0]
