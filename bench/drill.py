"""Drill: does a busy machine change any verdict? Runs the smoke set N times idle and N times
under a CPU load this script starts and stops itself, and prints every guarantee status or fate
count that differs from the first idle run.

    python bench/drill.py [--repeat 10] [--tag smoke] [--load-procs CPUS]

Exit 0 when nothing changed, 1 otherwise. Each line carries the machine's load average: on a
shared machine the idle runs are only as idle as the others leave it. Each run is a separate ``python -m harness run``
(its own world), so the drill also exercises start and stop under load.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click


def _burn() -> None:
    while True:
        pass


def _load() -> str:
    """The 1-minute load average: on a shared machine "idle" is whatever the others leave."""
    return f"{os.getloadavg()[0]:.1f}"


def _one_run(tag: str, ingest: str) -> tuple[dict[str, Any], float]:
    with tempfile.TemporaryDirectory(prefix="tank-drill-") as tmp:
        report = Path(tmp) / "report.json"
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "harness", "run", "--tag", tag, "--ingest", ingest,
                        "--report-json", str(report)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        wall = time.monotonic() - started
        if not report.exists():
            return {}, wall
        data = json.loads(report.read_text())
    return {s["name"]: {"error": s.get("error"),
                        "guarantees": {g: v.get("status") for g, v in (s.get("guarantees") or {}).items()},
                        "counts": s.get("counts") or {}} for s in data["scenarios"]}, wall


def _changes(base: dict[str, Any], other: dict[str, Any]) -> list[str]:
    out = []
    for name in sorted(set(base) | set(other)):
        a, b = base.get(name), other.get(name)
        if a is None or b is None:
            out.append(f"{name}: {'missing' if b is None else 'new'}")
            continue
        if a["error"] != b["error"]:
            out.append(f"{name}: error {a['error']!r} → {b['error']!r}")
        for g in sorted(set(a["guarantees"]) | set(b["guarantees"])):
            if a["guarantees"].get(g) != b["guarantees"].get(g):
                out.append(f"{name}: {g} {a['guarantees'].get(g)} → {b['guarantees'].get(g)}")
        for c in sorted(set(a["counts"]) | set(b["counts"])):
            if a["counts"].get(c) != b["counts"].get(c):
                out.append(f"{name}: count {c} {a['counts'].get(c)} → {b['counts'].get(c)}")
    return out


@click.command()
@click.option("--repeat", default=10, show_default=True, help="runs idle and runs under load")
@click.option("--tag", default="smoke", show_default=True)
@click.option("--ingest", default="memory", show_default=True)
@click.option("--load-procs", default=os.cpu_count() or 2, show_default=True, help="busy processes while loaded")
def main(repeat: int, tag: str, ingest: str, load_procs: int) -> None:
    base: dict[str, Any] | None = None
    changed = 0
    for phase in ("idle", "loaded"):
        burners = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(load_procs if phase == "loaded" else 0)]
        for p in burners:
            p.start()
        try:
            for i in range(1, repeat + 1):
                result, wall = _one_run(tag, ingest)
                if base is None:
                    base = result
                diffs = _changes(base, result) if result else ["the run produced no report"]
                changed += len(diffs)
                print(f"{phase} {i}/{repeat}: {len(result)} scenarios, {wall:.1f} s wall, {len(diffs)} change(s), "
                      f"load average {_load()}", flush=True)
                for d in diffs:
                    print(f"    {d}", flush=True)
        finally:
            for p in burners:
                p.terminate()
                p.join(5)
    print(f"drill: {repeat} idle + {repeat} loaded runs of --tag {tag}: {changed} verdict or fate count change(s)")
    sys.exit(1 if changed else 0)


if __name__ == "__main__":
    main()
