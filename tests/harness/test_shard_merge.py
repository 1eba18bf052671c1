"""A sharded run merged equals the unsharded run: same scenarios, same verdicts and counts; the
merged JUnit has every scenario, the merged HTML the swimlanes from the shards' --out folders;
a shard with no scenario writes an empty report and exits 0."""
from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

TANK = [sys.executable, "-m", "harness"]
RUN = ["run", "--tracker", "mutant:no_beacon", "--ingest", "memory", "--only", "happy_path",
       "--only", "unload_beacon_close"]


def tank(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TANK, *args], capture_output=True, text=True, timeout=300)


def verdicts(doc: dict) -> dict[str, tuple]:
    return {s["name"]: (s["passed"], s["error"], {g: v["status"] for g, v in s["guarantees"].items()}, s["counts"])
            for s in doc["scenarios"]}


@pytest.mark.browser
def test_merged_shards_equal_the_unsharded_run(tmp_path: Path) -> None:
    whole = tank(*RUN, "--report-json", str(tmp_path / "whole.json"))
    assert whole.returncode == 1, whole.stderr  # the mutant fails unload_beacon_close
    for i in (1, 2):
        r = tank(*RUN, "--shard", f"{i}/2", "--report-json", str(tmp_path / f"shard{i}.json"),
                 "--out", str(tmp_path / f"run{i}"))
        assert r.returncode in (0, 1), r.stderr
    merged = tank("merge", str(tmp_path / "shard2.json"), str(tmp_path / "shard1.json"),
                  str(tmp_path / "run1"), str(tmp_path / "run2"),
                  "--report-json", str(tmp_path / "merged.json"), "--junit", str(tmp_path / "merged.xml"),
                  "--html", str(tmp_path / "merged.html"))
    assert merged.returncode == 1, merged.stderr
    expected = verdicts(json.loads((tmp_path / "whole.json").read_text()))
    got = json.loads((tmp_path / "merged.json").read_text())
    assert verdicts(got) == expected and set(expected) == {"happy_path", "unload_beacon_close"}
    suites = {s.get("name") for s in ET.parse(tmp_path / "merged.xml").getroot().iter("testsuite")}
    assert suites == set(expected)
    page = (tmp_path / "merged.html").read_text()
    assert "unload_beacon_close" in page and "happy_path" in page
    data = page[page.index('id="tank-data">') + len('id="tank-data">'):]
    lanes = {s["name"]: s["lanes"] for s in json.loads(data[:data.index("</script>")])["scenarios"]}
    assert set(lanes) == set(expected) and all(lanes.values())  # swimlanes from the shards' histories
    stamped = json.loads(next((tmp_path / "run1").glob("*.history.json")).read_text())["meta"]
    assert stamped["shard"] == "1/2" and stamped["build_sha256"] == got["meta"]["build"]["sha256"]
    assert "another run" not in merged.stderr  # each history records the run its report judged


def test_an_empty_shard_writes_an_empty_report(tmp_path: Path) -> None:
    r = tank("run", "--only", "happy_path", "--ingest", "memory", "--shard", "2/2",
             "--report-json", str(tmp_path / "r.json"))
    assert r.returncode == 0, r.stderr
    assert "no scenario falls in this shard" in r.stdout
    assert json.loads((tmp_path / "r.json").read_text())["scenarios"] == []
