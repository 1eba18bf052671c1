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

from harness.builds import Mutant, list_mutants, load_build
from harness.contract.adapter import Adapter
from harness.contract.errors import UsageProblem
from harness.run.pool import run_pool
from harness.run.scenario import ScenarioResult
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


def outcome(mutant: Mutant, chosen: list[Scenario], results: list[ScenarioResult]) -> MutantOutcome:
    """A mutant's outcome from its results, one per scenario that shows it (in that order)."""
    failed: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    for scenario, result in zip(chosen, results):
        # The suite's per-scenario handling: a scenario whose setup crashes is that scenario's
        # error (the mutant is then not caught there) and the matrix goes on.
        failed[scenario.name] = [g for g, r in result.verdict.guarantees.items() if r.status == "fail"]
        if result.error:
            errors[scenario.name] = result.error
    return MutantOutcome(mutant.name, list(mutant.breaks), [s.name for s in chosen], failed, errors)


async def run_mutant(world: World, mutant: Mutant, scenarios: list[Scenario], adapter: Adapter) -> MutantOutcome:
    build = load_build(f"mutant:{mutant.name}")
    chosen = scenarios_for(mutant, scenarios)
    return outcome(mutant, chosen, [await run_scenario_or_error(world, s, build, adapter) for s in chosen])


async def run_mutants(world: World, mutants: list[Mutant], scenarios: list[Scenario], adapter: Adapter,
                      workers: int, console: Console | None = None) -> list[MutantOutcome]:
    """Every (mutant, scenario) run of the matrix through the worker pool; outcomes in mutant order."""
    chosen = {mt.name: scenarios_for(mt, scenarios) for mt in mutants}
    builds = {mt.name: load_build(f"mutant:{mt.name}") for mt in mutants}
    jobs = [(mt, s) for mt in mutants for s in chosen[mt.name]]

    async def one(job: tuple[Mutant, Scenario]) -> ScenarioResult:
        mt, scenario = job
        result = await run_scenario_or_error(world, scenario, builds[mt.name], adapter)
        if console is not None:
            console.print(f"[dim]mutant {mt.name} on {scenario.name}: "
                          f"{', '.join(g for g, r in result.verdict.guarantees.items() if r.status == 'fail') or 'no failure'}"
                          f"{' (error)' if result.error else ''}[/dim]")
        return result

    results = iter(await run_pool(jobs, one, workers, scenario_of=lambda job: job[1]))
    return [outcome(mt, chosen[mt.name], [next(results) for _ in chosen[mt.name]]) for mt in mutants]


async def mutation_matrix(scenario_paths: list[Path], only: list[str], report_json: Path | None,
                          workers: int = 1) -> int:
    scenarios = load_scenarios(scenario_paths)
    mutants = [mt for mt in list_mutants() if not only or mt.name in only]
    if only and len(mutants) != len(set(only)):
        raise UsageProblem(f"unknown mutant in {', '.join(only)}")
    console = Console()
    async with World(WorldOptions()) as world:
        outcomes = await run_mutants(world, mutants, [s for s in scenarios if s.ingest != "postgres"], Adapter(),
                                     workers, console)
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
