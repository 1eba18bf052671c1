"""``tankharness merge`` gives the merged HTML report its swimlanes: each scenario's history is
read with the contract codec from the shards' ``--out`` folders (or from beside the reports);
a history that does not load or belongs to another scenario is named, and the merge goes on."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from harness.checker import judge
from harness.cli.merge import merge
from harness.contract.history import History, save_history
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


def shard(root: Path, i: int, name: str, *, beside: bool = False) -> tuple[Path, Path]:
    """A shard as CI keeps it: ``report.json`` and the ``--out`` folder ``run/`` with the history."""
    h = history(name)
    folder = root / f"shard{i}"
    out = folder if beside else folder / "run"
    out.mkdir(parents=True)
    save_history(h, out / f"{name}.history.json")
    report = folder / "report.json"
    write_json(RunReport({**META, "shard": f"{i}/2"}, [ScenarioEntry(name, judge(h, ["no_loss"]), 1.0, 1000)]), report)
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
