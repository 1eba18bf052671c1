"""The proof the checks can fail: run each mutant where its weak spot is hit.

A mutant is *caught* when a guarantee it declares it breaks fails in every scenario that shows
it, and each of those scenarios ran to the end (a crashed scenario proves nothing). A surviving mutant means a check that cannot fail: exit code 1.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness.contract.adapter import Adapter
from harness.builds import Mutant, list_mutants, load_build
from harness.contract.errors import UsageProblem
from harness.run.suite import run_scenario_or_error
from harness.scenario import Scenario, load_scenarios
from harness.world.world import World, WorldOptions


@dataclass
class MutantOutcome:
    mutant: str
    breaks: list[str]
    scenarios: list[str]
    failed: dict[str, list[str]]  # scenario -> guarantees that failed (any, not only declared)
    errors: dict[str, str]  # scenario -> why it could not run (a crash proves nothing)

    @property
    def caught(self) -> bool:
        """Caught in every scenario that shows it, each of which ran to the end."""
        return bool(self.failed) and not self.errors and all(set(self.breaks) & set(g) for g in self.failed.values())


def scenarios_for(mutant: Mutant, scenarios: list[Scenario]) -> list[Scenario]:
    """The scenarios that show a mutant: its ``shown_by`` list, else every scenario judging what it breaks."""
    shown_by = list(getattr(mutant, "shown_by", ()) or ())
    if shown_by:
        by_name = {s.name: s for s in scenarios}
        missing = [n for n in shown_by if n not in by_name]
        if missing:
            raise UsageProblem(f"mutant {mutant.name}: shown_by names unknown scenario(s) {', '.join(missing)}")
        return [by_name[n] for n in shown_by]
    return [s for s in scenarios if set(s.judges) & set(mutant.breaks)]


async def run_mutant(world: World, mutant: Mutant, scenarios: list[Scenario], adapter: Adapter) -> MutantOutcome:
    build = load_build(f"mutant:{mutant.name}")
    chosen = scenarios_for(mutant, scenarios)
    failed: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    for scenario in chosen:
        # The suite's per-scenario handling: a scenario whose setup crashes is that scenario's
        # error (the mutant is then not caught there) and the matrix goes on.
        result = await run_scenario_or_error(world, scenario, build, adapter)
        failed[scenario.name] = [g for g, r in result.verdict.guarantees.items() if r.status == "fail"]
        if result.error:
            errors[scenario.name] = result.error
    return MutantOutcome(mutant.name, list(mutant.breaks), [s.name for s in chosen], failed, errors)


async def mutation_matrix(scenario_paths: list[Path], only: list[str], report_json: Path | None) -> int:
    scenarios = load_scenarios(scenario_paths)
    mutants = [mt for mt in list_mutants() if not only or mt.name in only]
    if only and len(mutants) != len(set(only)):
        raise UsageProblem(f"unknown mutant in {', '.join(only)}")
    console = Console()
    outcomes: list[MutantOutcome] = []
    async with World(WorldOptions()) as world:
        for mt in mutants:
            console.print(f"[dim]mutant {mt.name} …[/dim]")
            outcomes.append(await run_mutant(world, mt, [s for s in scenarios if s.ingest != "postgres"], Adapter()))
    table = Table(title="Mutants: every one must be caught by the guarantee it breaks")
    for col in ("mutant", "breaks", "scenarios", "failed guarantees", "caught"):
        table.add_column(col)
    for o in outcomes:
        failed = sorted({g for gs in o.failed.values() for g in gs})
        table.add_row(o.mutant, ", ".join(o.breaks), ", ".join(o.scenarios), ", ".join(failed) or "-",
                      "[green]yes[/green]" if o.caught else "[red]NO[/red]")
    console.print(table)
    if report_json:
        report_json.write_text(json.dumps([o.__dict__ | {"caught": o.caught} for o in outcomes], indent=2))
    return 0 if all(o.caught for o in outcomes) else 1
