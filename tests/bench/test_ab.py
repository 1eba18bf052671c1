"""bench/ab.py reads the bench's FIGURES lines and summarizes both sides per figure (canned output,
no browser, no git)."""
from __future__ import annotations

import json

import pytest

from bench import ab


def _out(*records: dict) -> str:
    prose = "load average 1.2 on 2 cores\nstorm   reference  26 h outage: wall 6.1 s ...\n"
    return prose + "".join(ab.PREFIX + json.dumps(r) + "\n" for r in records)


def _storm(wall: float, cpu: float, stops: int, error: str | None = None) -> dict:
    return {"part": "storm", "label": "reference", "wall_s": wall, "cpu_s": cpu, "clock_stops": stops, "error": error}


def test_only_figures_lines_are_read_in_order() -> None:
    text = _out(_storm(6.1, 11.0, 22), {"part": "matrix", "label": "workers=4", "wall_s": 30.0})
    assert [(r["part"], r["label"]) for r in ab.parse_figures(text)] == [("storm", "reference"), ("matrix", "workers=4")]
    assert ab.parse_figures("FIGURES-ish prose\nwall 5 s\n") == []


def test_a_figures_line_without_part_and_label_is_an_error() -> None:
    with pytest.raises(ValueError, match="without part and label"):
        ab.parse_figures(ab.PREFIX + json.dumps({"wall_s": 1}))


def test_the_bench_and_ab_agree_on_the_prefix() -> None:
    source = (ab.ROOT / "bench" / "pagetime.py").read_text()
    assert f'FIGURES_PREFIX = "{ab.PREFIX}"' in source


def test_each_side_gets_its_median_spread_and_the_ratio() -> None:
    runs = [ab.Run("base", 1, 0.5, ab.parse_figures(_out(_storm(6.0, 12.0, 22)))),
            ab.Run("head", 1, 0.7, ab.parse_figures(_out(_storm(5.0, 10.0, 22)))),
            ab.Run("head", 2, 0.9, ab.parse_figures(_out(_storm(5.4, 9.0, 22)))),
            ab.Run("base", 2, 1.1, ab.parse_figures(_out(_storm(6.4, 11.0, 22)))),
            ab.Run("base", 3, 1.0, ab.parse_figures(_out(_storm(8.0, 13.0, 22)))),
            ab.Run("head", 3, 1.0, ab.parse_figures(_out(_storm(5.2, 9.5, 22))))]
    by = {r.figure: r for r in ab.rows(runs)}
    assert by["wall_s"].values == {"base": [6.0, 6.4, 8.0], "head": [5.0, 5.4, 5.2]}
    assert ab.describe(by["wall_s"].values["base"]) == "6.40 [6.00-8.00]"
    assert ab.ratio(by["wall_s"]) == f"{5.2 / 6.4:.3f}"
    assert ab.describe(by["clock_stops"].values["head"]) == "22"  # no spread to show
    assert ab.ratio(by["clock_stops"]) == "1.000"
    assert ab.describe(by["error"].values["base"]) == "-" and ab.ratio(by["error"]) == ""
    text = ab.table(runs, {"base": "c226d82", "head": "worktree"})
    assert "storm   reference" in text and "0.812" in text
    assert "round 2 head: load 0.9" in text and text.index("round 1 base") < text.index("round 2 head")


def test_a_side_missing_a_figure_shows_no_ratio() -> None:
    """A figure only the new bench prints for the new code (or a run that died) gives no ratio."""
    runs = [ab.Run("base", 1, 0.0, [{"part": "storm", "label": "reference", "wall_s": 6.0}]),
            ab.Run("head", 1, 0.0, [{"part": "storm", "label": "reference", "wall_s": 5.0, "evaluations": 59}])]
    by = {r.figure: r for r in ab.rows(runs)}
    assert ab.describe(by["evaluations"].values["base"]) == "-" and ab.ratio(by["evaluations"]) == ""
    assert ab.ratio(by["wall_s"]) == "0.833"


def test_counts_stay_counts() -> None:
    assert ab.describe([0, 0]) == "0" and ab.describe([801, 809]) == "805 [801-809]"
    assert ab.describe([2, 3]) == "2.50 [2-3]"


def test_verdicts_are_listed_not_averaged() -> None:
    assert ab.describe(["PASS", "PASS", "FAIL"]) == "PASS / FAIL"
    assert ab.describe([True, False]) == "True / False"  # booleans are not numbers here


def test_abba_alternates_who_runs_first() -> None:
    assert ab.schedule(3, "abba") == [(1, "base"), (1, "head"), (2, "head"), (2, "base"), (3, "base"), (3, "head")]
    assert ab.schedule(2, "ab") == [(1, "base"), (1, "head"), (2, "base"), (2, "head")]


def test_scenario_files_that_differ_between_the_sides_are_named(tmp_path) -> None:
    trees = {side: tmp_path / side for side in ab.SIDES}
    for side, tree in trees.items():
        (tree / "scenarios").mkdir(parents=True)
        (tree / "bench").mkdir()
        (tree / "scenarios" / "same.yaml").write_text("name: same\n")
        (tree / "scenarios" / "seeded.yaml").write_text(f"name: seeded\nseed: {1 if side == 'base' else 2}\n")
        (tree / "bench" / "pagetime.py").write_text("# not a scenario\n")
    (trees["head"] / "bench" / "soak.yaml").write_text("name: soak\n")
    assert ab.differing_inputs(trees) == ["bench/soak.yaml", "scenarios/seeded.yaml"]
