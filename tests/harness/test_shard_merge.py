"""A sharded run merged equals the unsharded run: same scenarios, same verdicts and counts; the
merged JUnit has every scenario, the merged HTML the swimlanes from the shards' --out folders;
a shard with no scenario writes a report of no scenario that carries the build and its profile's
declarations, and exits as every other shard of the run: 0, or 1 for declared deviations under
``--deviations fail``."""
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
    assert r.stdout.strip().splitlines()[-1] == "no scenario in shard 2/2"
    assert json.loads((tmp_path / "r.json").read_text())["scenarios"] == []


PROFILE = str(Path(__file__).resolve().parents[2] / "tracker_js/profiles/timeout_15s.yaml")
HEAD = "1 declared deviation(s) of profile timeout_15s, --deviations fail"


@pytest.mark.parametrize(("mode", "code"), [("fail", 1), ("warn", 0)])
def test_an_empty_shard_judges_the_declarations_as_every_shard_does(tmp_path: Path, mode: str, code: int) -> None:
    """Before, an empty shard wrote a report without build or profile and exited 0 under fail, its
    JSON, JUnit and Markdown saying passed while every other shard exited 1."""
    from harness.cli.merge import merge_documents
    from harness.report.json_report import run_to_json
    from harness.report.model import RunReport, ScenarioEntry
    from tests.report.conftest import passing

    out = {k: tmp_path / f"r.{k}" for k in ("json", "xml", "md")}
    r = tank("run", "--tracker", "mutant:timeout_15s", "--profile", PROFILE, "--deviations", mode, "--only",
             "happy_path", "--ingest", "memory", "--shard", "2/2", "--report-json", str(out["json"]),
             "--junit", str(out["xml"]), "--markdown", str(out["md"]))
    assert r.returncode == code, r.stderr
    lines = r.stdout.strip().splitlines()
    headline = "no scenario in shard 2/2" + (f"; the run fails: {HEAD}" if mode == "fail" else "")
    assert " ".join(" ".join(lines).split()).startswith(headline + " DEVIATIONS declared by profile timeout_15s")
    doc = json.loads(out["json"].read_text())
    assert (doc["passed"], doc["scenarios"], doc["meta"]["shard"]) == (code == 0, [], "2/2")
    assert doc["meta"]["profile"]["deviations"] == ["timeout 15 s (contract 5 s)"]
    assert doc["meta"]["build"]["name"] == "mutant:timeout_15s" and doc["meta"]["run"]["deviations"] == mode
    assert doc["run_failures"] == ([f"deviations: {HEAD}: timeout 15 s (contract 5 s)"] if code else [])
    junit = ET.parse(out["xml"]).getroot()
    assert junit.get("failures") == str(code)
    assert junit.find("testsuite[@name='run']/testcase[@name='declared_deviations']") is not None
    assert out["md"].read_text().splitlines()[2].startswith(("**❌ " if code else "**✅ ") + headline)

    # merged with the shard that ran the scenario (written here as that shard's run writes it)
    other = RunReport({**doc["meta"], "shard": "1/2"},
                      [ScenarioEntry("happy_path", passing(), 1.0, 60_000, None, ["no_loss"])])
    merged = merge_documents([("1.json", run_to_json(other)), ("2.json", doc)])
    assert (merged["passed"], merged["run_failures"]) == (doc["passed"], doc["run_failures"])
