"""The JSON Schema and the loader come from one declaration (``harness/scenario/spec.py``) and agree:
every valid file passes both, every malformed file of the table fails both, except the rules a JSON
Schema cannot say (listed here, and in docs/scenarios.md), which only the loader catches."""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from harness.scenario import load_scenario, parse_scenario
from harness.scenario.schema import build_schema, schema_text

from .test_full_example import FULL
from .test_malformed import CASES

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = jsonschema.Draft7Validator(build_schema())

LOADER_ONLY = {
    # across steps
    "toxic_remove_unknown", "tab_not_open", "context_never_opened", "seed_after_open", "db_without_postgres",
    # outside the file, or across fields
    "hook_missing", "span_too_long", "start_near_9999", "visitor_tabs",
    # durations written as text, sizes and depths of free-form data
    "endless_advance", "endless_settle", "age_too_old", "payload_too_big", "deep_block_nesting",
    # the YAML text itself
    "file_too_big", "alias_bomb", "alias_cycle", "duplicate_key",
}
"""Malformed files only the loader rejects: what a JSON Schema cannot express."""


class EditorYaml(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML as editors read it (YAML 1.2: no implicit timestamps)."""


EditorYaml.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def schema_accepts(text: str) -> bool:
    try:
        data = yaml.load(text, Loader=EditorYaml)
    except (yaml.YAMLError, RecursionError):
        return False
    return VALIDATOR.is_valid(data)


def test_committed_schema_is_the_generated_one() -> None:
    committed = (ROOT / "docs" / "scenario.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "run `tankharness schema > docs/scenario.schema.json`"
    jsonschema.Draft7Validator.check_schema(json.loads(committed))


def valid_corpus() -> dict[str, str]:
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "scenarios").glob("*.yaml"))}
    doc = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    files["docs_example"] = re.findall(r"```yaml\n(.*?)```", doc, re.S)[0]
    files["every_step"] = FULL
    files["visitors_only"] = "judges: [no_loss]\nvisitors: {count: 3, actions: [view, tel, page2]}\n"
    return files


@pytest.mark.parametrize("name,text", list(valid_corpus().items()))
def test_valid_files_pass_both(name: str, text: str) -> None:
    parse_scenario(text, f"scenarios/{name}" if name.endswith(".yaml") else f"{name}.yaml")
    assert schema_accepts(text)


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_files_fail_the_schema_unless_only_the_loader_can_tell(name: str) -> None:
    assert schema_accepts(CASES[name]) == (name in LOADER_ONLY)


def test_bundled_scenarios_load_with_the_schema_in_mind() -> None:
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        assert load_scenario(path).path == str(path)
