"""Shards: 1/3, 2/3 and 3/3 cover every scenario (and every collected test) exactly once, with sizes
that differ by at most one; merge refuses overlapping or missing shards. No browser starts."""
from __future__ import annotations

import pytest

from harness.cli.merge import merge_documents, report_from_document
from harness.contract.errors import UsageProblem
from harness.run.shard import parse_shard, take_shard
from tests.harness.e2e import bundled_scenarios
from tests.plugin.support import PLUGIN, copy_scenarios


def test_shards_cover_the_bundled_scenarios_exactly_once() -> None:
    names = [s.name for s in bundled_scenarios("postgres")]
    for n in (1, 2, 3, 7, len(names) + 2):
        shards = [take_shard(names, (i, n), key=str) for i in range(1, n + 1)]
        assert sorted(x for shard in shards for x in shard) == sorted(names)
        assert max(map(len, shards)) - min(map(len, shards)) <= 1
    # the split depends on the names, not on the order they were found in
    assert take_shard(list(reversed(names)), (2, 3), key=str) == list(reversed(take_shard(names, (2, 3), key=str)))


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "3", "a/b", ""])
def test_bad_shards_are_refused(text: str) -> None:
    with pytest.raises(UsageProblem, match="--shard"):
        parse_shard(text)


def test_plugin_shards_partition_the_collected_tests(pytester: pytest.Pytester) -> None:
    names = ["happy_path", "retry_503", "two_tabs", "flapping", "poison_head"]
    copy_scenarios(pytester, *names)
    seen: list[str] = []
    for i in (1, 2, 3):
        result = pytester.runpytest(*PLUGIN, "scenarios", "--collect-only", "-q", f"--tank-shard={i}/3")
        seen += [line.split("::")[1] for line in result.stdout.lines if "::" in line]
    assert sorted(seen) == sorted(names)
    bad = pytester.runpytest(*PLUGIN, "scenarios", "--collect-only", "--tank-shard=4/3")
    bad.stderr.fnmatch_lines(["*--tank-shard '4/3'*"])


def _doc(shard: str | None, *names: str, passed: bool = True) -> dict:
    meta = {"build": {"name": "reference"}, **({"shard": shard} if shard else {})}
    return {"schema": "tankharness-report/1", "meta": meta, "passed": passed,
            "scenarios": [{"name": n, "passed": passed, "error": None, "judges": ["no_loss"], "wall_s": 1.0,
                           "sim_ms": 10, "counts": {"lost": 0}, "guarantees": {
                               "no_loss": {"id": "no_loss", "status": "pass" if passed else "fail", "evidence": 1,
                                           "violations": [] if passed else ["lost x"], "note": None}},
                           "fates": {"columns": [], "rows": []}, "timelines": {}} for n in names]}


def test_merge_joins_shards_and_refuses_overlap_or_gaps() -> None:
    merged = merge_documents([("a", _doc("1/2", "x", "y")), ("b", _doc("2/2", "z", passed=False))])
    assert [s["name"] for s in merged["scenarios"]] == ["x", "y", "z"]
    assert merged["passed"] is False and "shard" not in merged["meta"] and merged["meta"]["merged_from"] == ["a", "b"]
    report = report_from_document(merged)
    assert [(s.name, s.passed) for s in report.scenarios] == [("x", True), ("y", True), ("z", False)]
    with pytest.raises(UsageProblem, match="in both a and b"):
        merge_documents([("a", _doc("1/2", "x")), ("b", _doc("2/2", "x"))])
    with pytest.raises(UsageProblem, match=r"missing \[2\]"):
        merge_documents([("a", _doc("1/3", "x")), ("c", _doc("3/3", "z"))])
    with pytest.raises(UsageProblem, match="different shard splits"):
        merge_documents([("a", _doc("1/2", "x")), ("b", _doc(None, "z"))])
