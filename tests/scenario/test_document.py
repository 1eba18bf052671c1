"""Scenarios and build profiles are read by one prelude (harness/scenario/document.py): the same
file and YAML errors, each with file and line, worded for what the file holds."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.builds.profile import load_profile, parse_profile
from harness.scenario import ScenarioError, load_scenario, parse_scenario
from harness.scenario.bounds import MAX_FILE_BYTES

YAML_CASES = [
    # (id, text, line, message fragment; "{noun}" is the file's kind)
    ("second document", "name: x\n---\nname: y\n", 3, "one {noun} per file: found a second YAML document"),
    ("empty", "", 1, "the file is empty; a {noun} needs"),
    ("not yaml", "name: [x\n", 2, "not valid YAML"),
    ("not a mapping", "- a\n- b\n", 1, "expected a "),
    ("unknown top key", "nmae: x\n", 1, "unknown key 'nmae' (did you mean 'name'?)"),
]
READERS = [("scenario", parse_scenario), ("profile", parse_profile)]


@pytest.mark.parametrize(("noun", "parse"), READERS, ids=[n for n, _ in READERS])
@pytest.mark.parametrize(("text", "line", "fragment"), [c[1:] for c in YAML_CASES], ids=[c[0] for c in YAML_CASES])
def test_yaml_errors_name_file_and_line(noun: str, parse, text: str, line: int, fragment: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse(text, "f.yaml")
    wanted = fragment.format(noun=noun)
    assert any(i.line == line and wanted in i.message and i.file == "f.yaml" for i in err.value.errors), str(err.value)


FILE_CASES = [
    ("missing", None, "no such file"),
    ("not utf-8", b"name: \xff\n", "not UTF-8 text (invalid start byte at byte 6)"),
    ("too big", b"#" * (MAX_FILE_BYTES + 1), "the file is larger than 64 KB; a {noun} is a few KB"),
]


@pytest.mark.parametrize(("noun", "load"), [("scenario", load_scenario), ("profile", load_profile)], ids=["scenario", "profile"])
@pytest.mark.parametrize(("data", "fragment"), [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES])
def test_file_errors_name_the_file(tmp_path: Path, noun: str, load, data: bytes | None, fragment: str) -> None:
    path = tmp_path / "f.yaml"
    if data is not None:
        path.write_bytes(data)
    with pytest.raises(ScenarioError) as err:
        load(path)
    assert str(err.value) == f"{path}: {fragment.format(noun=noun)}"
