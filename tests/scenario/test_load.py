"""Loading files and directories: names, duplicates, unreadable input, the repository's scenarios."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.scenario import ScenarioError, load_scenario, load_scenarios

REPO_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
VALID = "judges: [no_loss]\nsteps:\n  - open: home\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_name_defaults_to_stem_and_path_is_kept(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path / "wifi_drop.yaml", VALID))
    assert (sc.name, sc.path) == ("wifi_drop", str(tmp_path / "wifi_drop.yaml"))


def test_stem_that_is_not_a_name(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path / "Wifi-Drop.yaml", VALID))
    [issue] = info.value.errors
    assert (issue.line, issue.field) == (1, "name")
    assert "rename the file or add `name:`" in issue.message


def test_directory_loads_sorted_yaml_only(tmp_path: Path) -> None:
    write(tmp_path / "b.yaml", VALID)
    write(tmp_path / "a.yaml", VALID)
    write(tmp_path / "notes.txt", "not a scenario")
    assert [s.name for s in load_scenarios(tmp_path)] == ["a", "b"]
    assert [s.name for s in load_scenarios([tmp_path / "b.yaml", tmp_path])] == ["b", "a"]  # each file once


def test_duplicate_names_name_both_files(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", VALID)
    write(tmp_path / "b.yaml", "# copy\nname: a\n" + VALID)
    with pytest.raises(ScenarioError) as info:
        load_scenarios(tmp_path)
    [issue] = info.value.errors
    assert (issue.file, issue.line, issue.field) == (str(tmp_path / "b.yaml"), 2, "name")
    assert issue.message == f"duplicate scenario name 'a' (also in {tmp_path / 'a.yaml'})"


def test_errors_of_all_files_in_one_error(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "judges: [nope]\nsteps: [{open: home}]\n")
    write(tmp_path / "b.yaml", VALID + "  - clik: tel\n")
    write(tmp_path / "c.yaml", VALID)
    with pytest.raises(ScenarioError) as info:
        load_scenarios(tmp_path)
    assert [(Path(i.file).name, i.line, i.field) for i in info.value.errors] == [
        ("a.yaml", 1, "judges[0]"), ("b.yaml", 4, "steps[1].clik")]


def test_missing_and_empty_inputs(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ScenarioError) as info:
        load_scenarios([tmp_path / "nope.yaml", tmp_path / "empty"])
    assert sorted(i.message for i in info.value.errors) == [
        "no *.yaml scenario files in this directory", "no such file or directory"]
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "nope.yaml")


def test_binary_file(tmp_path: Path) -> None:
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenario(tmp_path / "bin.yaml")


def test_repository_scenarios_are_valid() -> None:
    files = sorted(REPO_SCENARIOS.glob("*.yaml"))
    if not files:
        pytest.skip("no scenarios in scenarios/ yet")
    scenarios = load_scenarios(REPO_SCENARIOS)
    assert len(scenarios) == len(files)
