"""Wall time and simulated tracker time of the bundled scenario set, against the reference build.

Prints per-scenario wall seconds, simulated page time, and their ratio, then the totals.
Goals (issue targets, not asserted anywhere): the first set under 30 s in total on a 2-core
machine; the 26-hour scenario under 20 s.

    .venv/bin/python bench/scenarios.py [--tag foundation] [--only NAME ...] [--ingest memory|postgres]
"""
from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from harness.builds import load_build
from harness.contract.adapter import Adapter
from harness.run.suite import run_suite, select
from harness.scenario import load_scenarios
from harness.world.world import WorldOptions

ROOT = Path(__file__).resolve().parent.parent


def fmt_ms(ms: int) -> str:
    s = ms / 1000
    return f"{s / 3600:.1f} h" if s >= 3600 else f"{s / 60:.1f} min" if s >= 60 else f"{s:.1f} s"


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tag", action="append", default=[])
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--ingest", default="memory", choices=["memory", "postgres"])
    args = ap.parse_args()
    scenarios = select(load_scenarios([ROOT / "scenarios"]), args.only, args.tag, args.ingest)
    t0 = time.monotonic()
    report, results = await run_suite(load_build("reference"), scenarios, Adapter(), WorldOptions(ingest=args.ingest))
    total = time.monotonic() - t0
    print(f"{'scenario':34} {'wall':>8} {'simulated':>10} {'sim/wall':>10} {'clock steps':>11}  verdict")
    for r in results:
        ratio = (r.sim_ms / 1000) / r.wall_s if r.wall_s else 0
        verdict = "pass" if r.verdict.passed and not r.error else "FAIL"
        print(f"{r.scenario.name:34} {r.wall_s:7.2f}s {fmt_ms(r.sim_ms):>10} {ratio:9.0f}x {r.history.meta.get('clock_steps', 0):11}  {verdict}")
    scen_wall = sum(r.wall_s for r in results)
    sim = sum(r.sim_ms for r in results)
    print(f"{'total (scenarios)':34} {scen_wall:7.2f}s {fmt_ms(sim):>10} {(sim / 1000) / scen_wall:9.0f}x")
    print(f"{'total (incl. browser/proxy start)':34} {total:7.2f}s")
    print(f"browser: {report.meta['browser']}  proxy: {report.meta['proxy']}")


if __name__ == "__main__":
    asyncio.run(main())
