"""``tankharness merge`` gives the merged HTML report its swimlanes: each scenario's history is
read with the contract codec from the shards' ``--out`` folders (or from beside the reports);
a history that does not load, belongs to another scenario or records another run (scenario file,
build, seed, shard) is named, and the merge goes on. Reports of different builds do not merge."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.checker import judge
from harness.cli.merge import merge
from harness.contract.history import History, save_history
from harness.report import provenance
from harness.report.json_report import write_json
from harness.report.model import RunReport, ScenarioEntry
from tests.checker.builders import HB
from tests.report.conftest import META


def history(name: str) -> History:
    b = HB(name)
    e = b.env(f"{name}-0001")
    b.add(e)
    b.deliver(e)
    b.rows(e)
    return b.build()


RUN = {"scenario_sha256": "a" * 64, "build_sha256": "b" * 64, "seed": 3}  # what the reports say


def shard(root: Path, i: int, name: str, *, beside: bool = False, stamped: dict[str, object] | None = None,
          build_sha256: str | None = None) -> tuple[Path, Path]:
    """A shard as CI keeps it: ``report.json`` and the ``--out`` folder ``run/`` with the history
    (``stamped``: the run its history says it records; none, as saved before stamping)."""
    h = history(name)
    h.meta.update(stamped or {})
    folder = root / f"shard{i}"
    out = folder if beside else folder / "run"
    out.mkdir(parents=True)
    save_history(h, out / f"{name}.history.json")
    report = folder / "report.json"
    meta = {**META, "shard": f"{i}/2", "build": {**META["build"], "sha256": build_sha256 or RUN["build_sha256"]}}
    entry = ScenarioEntry(name, judge(h, ["no_loss"]), 1.0, 1000, seed=RUN["seed"], sha256=RUN["scenario_sha256"])
    write_json(RunReport(meta, [entry]), report)
    return report, out


def lanes(page: Path) -> dict[str, object]:
    text = page.read_text(encoding="utf-8")
    start = text.index('id="tank-data">') + len('id="tank-data">')
    data = json.loads(text[start:text.index("</script>", start)])
    return {s["name"]: s["lanes"] for s in data["scenarios"]}


def test_swimlanes_from_out_folders_and_from_beside_the_reports(tmp_path: Path) -> None:
    r1, out1 = shard(tmp_path, 1, "alpha")
    r2, _ = shard(tmp_path, 2, "beta", beside=True)
    page = tmp_path / "merged.html"
    result = CliRunner().invoke(merge, [str(r1), str(r2), str(out1), "--html", str(page), "--quiet"])
    assert result.exit_code == 0, result.output
    got = lanes(page)
    assert set(got) == {"alpha", "beta"} and all(got.values()), got
    # Without the --out folder the report beside which no history lies has no swimlanes (as before).
    CliRunner().invoke(merge, [str(r1), str(r2), "--html", str(page), "--quiet"])
    assert lanes(page)["alpha"] is None and lanes(page)["beta"]
    stray = CliRunner().invoke(merge, [str(r1), str(r2), str(tmp_path), "--html", str(page), "--quiet"])
    assert f"{tmp_path} holds no history of the merged scenarios" in stray.stderr


def test_a_bad_or_foreign_history_is_named_and_the_merge_goes_on(tmp_path: Path) -> None:
    r1, out1 = shard(tmp_path, 1, "alpha")
    r2, out2 = shard(tmp_path, 2, "beta")
    (out1 / "alpha.history.json").write_text("{not json")
    save_history(history("gamma"), out2 / "beta.history.json")
    page = tmp_path / "merged.html"
    result = CliRunner().invoke(merge, [str(r1), str(r2), str(out1), str(out2), "--html", str(page),
                                                        "--quiet"])
    assert result.exit_code == 0, result.output
    assert "no swimlanes for alpha" in result.stderr and "not JSON" in result.stderr
    assert "no swimlanes for beta" in result.stderr and "history of 'gamma'" in result.stderr
    assert lanes(page) == {"alpha": None, "beta": None}


def test_a_history_of_another_run_is_named_by_what_differs(tmp_path: Path) -> None:
    same = provenance.stamp(**RUN, shard="1/2")
    r1, out1 = shard(tmp_path, 1, "alpha", stamped=same)
    r2, out2 = shard(tmp_path, 2, "beta", stamped={**same, "build_sha256": "c" * 64, "seed": 4})
    page = tmp_path / "merged.html"
    result = CliRunner().invoke(merge, [str(r1), str(r2), str(out1), str(out2), "--html", str(page), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "no swimlanes for alpha" not in result.stderr
    assert (f"no swimlanes for beta: {out2 / 'beta.history.json'} records another run: "
            f"build cccccccccccc (the report's: bbbbbbbbbbbb), seed 4 (the report's: 3)") in result.stderr
    assert lanes(page)["alpha"] and lanes(page)["beta"] is None


@pytest.mark.parametrize(("key", "value", "words"), [
    ("scenario_sha256", "d" * 64, "scenario file dddddddddddd (the report's: aaaaaaaaaaaa)"),
    ("shard", "2/2", "shard 2/2 (the report's: 1/2)"),
])
def test_an_edited_scenario_or_another_shard_does_not_match(key: str, value: str, words: str) -> None:
    expected = provenance.stamp(**RUN, shard="1/2")
    assert provenance.mismatch({**expected, key: value}, expected) == words
    assert provenance.mismatch({}, expected) is None  # saved before histories were stamped
    assert provenance.mismatch({**expected, key: value}, {**expected, key: None}) is None  # nothing to compare


def test_reports_of_different_builds_do_not_merge(tmp_path: Path) -> None:
    r1, _ = shard(tmp_path, 1, "alpha")
    r2, _ = shard(tmp_path, 2, "beta", build_sha256="c" * 64)
    result = CliRunner().invoke(merge, [str(r1), str(r2), "--quiet"])
    assert result.exit_code == 2
    assert (f"merge: the reports judge different builds: {r1} (reference bbbbbbbbbbbb), "
            f"{r2} (reference cccccccccccc)") in result.stderr
