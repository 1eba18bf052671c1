"""Gating a build written apart from the reference: each build is driven through its own adapter,
and a baseline that never started is an environment error, not a regression."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from harness.contract.adapter import Adapter
from tests.gate.test_compare import report
from tests.harness.test_cli import tank

ROOT = Path(__file__).resolve().parents[2]
FOREIGN = ROOT / "tracker_js" / "foreign"


def test_a_baseline_that_never_started_stops_the_gate_with_2(monkeypatch, capsys) -> None:
    """--profile alone drives both builds through the candidate's adapter: a baseline on other
    attribute names never starts, and its empty run must not count as 'held'."""
    import harness.gate.runner as runner
    from harness.cli.gate import _gate

    seen: dict[str, Adapter] = {}

    async def fake_run_gate(base, cand, scenarios, base_adapter, cand_adapter, *rest):
        seen.update(base=base_adapter, cand=cand_adapter)
        started = "environment: the build never wrote the outbox key 'sq:events' and sent nothing"
        return ([report("poison_head", error=None if base_adapter.outbox_key != "sq:events" else started)],
                [report("poison_head", fails=("no_loss",), lost=2)])

    monkeypatch.setattr(runner, "run_gate", fake_run_gate)
    profile = FOREIGN / "profiles" / "signalq.yaml"
    args = ("reference", str(FOREIGN / "signalq.js"), 1, None, [ROOT / "scenarios"], ["poison_head"], [], Adapter(),
            "memory", None, True, None, None, profile, "warn")
    assert asyncio.run(_gate(*args)) == 2
    out = capsys.readouterr().out
    assert "baseline did not run 1 scenario" in out and "no regression" not in out
    assert asyncio.run(_gate(*args, "contract")) == 1  # the baseline driven as itself: a real regression
    assert seen["base"].outbox_key == "opsmantik_outbox_v2" and seen["cand"].outbox_key == "sq:events"


def test_a_baseline_stopped_by_its_wall_budget_stops_the_gate_with_2(monkeypatch, capsys) -> None:
    """Both builds stopped by --scenario-timeout compare nothing: not "no regression" (exit 0), a
    budget too small for the machine (exit 2); a candidate stopped alone is a regression."""
    import harness.gate.runner as runner
    from harness.cli.gate import _gate

    spent = ("scenarios/outage_26h_overflow.yaml: stopped after 31 s at step 7/10 (line 16): advance — the "
             "scenario's wall budget of 30 s (--scenario-timeout) was spent; the clock had stepped 18 times")
    both = [True]

    async def fake_run_gate(*_args):
        return ([report("outage_26h_overflow", error=spent if both[0] else None)],
                [report("outage_26h_overflow", error=spent)])

    monkeypatch.setattr(runner, "run_gate", fake_run_gate)
    args = ("reference", "mutant:retry_storm", 1, None, [ROOT / "scenarios"], ["outage_26h_overflow"], [], Adapter(),
            "memory", None, True, None, None)
    assert asyncio.run(_gate(*args)) == 2
    out = capsys.readouterr().out
    assert "raise --scenario-timeout" in out and "no regression" not in out  # no summary above an exit 2
    both[0] = False
    assert asyncio.run(_gate(*args)) == 1


@pytest.mark.browser
def test_gating_the_reference_against_a_buggy_foreign_build(tmp_path: Path) -> None:
    r = tank("gate", "--baseline", "reference", "--baseline-profile", "contract",
             "--candidate", str(FOREIGN / "signalq.js"), "--profile", str(FOREIGN / "profiles" / "signalq.yaml"),
             "--only", "poison_head", "--out", str(tmp_path))
    assert r.returncode == 1, r.stdout + r.stderr
    out = " ".join(r.stdout.split())
    assert "REGRESSED poison_head" in out and "regressed no_loss" in out and "regressed dead_letter" in out
    assert "baseline error" not in out and "taken down with the batch" in out
