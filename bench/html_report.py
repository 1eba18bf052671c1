"""How fast the HTML report of the whole bundled matrix opens in Chromium.

Runs every bundled scenario against a build (in-memory ingest), writes the HTML report, then
opens it in headless Chromium and measures: time to the report being drawn (matrix, failing
scenarios with their swimlanes), and time to open every scenario (every swimlane drawn). The run's
report is cached (pickle) so the HTML can be re-rendered and re-measured without running again.

    .venv/bin/python bench/html_report.py [--tracker reference] [--cache /tmp/tank-bench-report.pickle]
                                          [--html /tmp/tank-bench-report.html] [--rerun]

The bar (issue 11): the report of the full matrix opens in under 2 s.
"""
from __future__ import annotations

import argparse
import asyncio
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.builds import load_build  # noqa: E402
from harness.contract.adapter import Adapter  # noqa: E402
from harness.report.html import write_html  # noqa: E402
from harness.run.suite import run_suite  # noqa: E402
from harness.scenario import load_scenarios  # noqa: E402
from harness.world.browser import find_browser  # noqa: E402
from harness.world.world import WorldOptions  # noqa: E402


def run_matrix(tracker: str):  # noqa: ANN201
    scenarios = [s for s in load_scenarios([ROOT / "scenarios"]) if s.ingest != "postgres"]
    report, _ = asyncio.run(run_suite(load_build(tracker), scenarios, Adapter(), WorldOptions(ingest="memory")))
    return report


def measure(html: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(**find_browser(p).launch_kwargs())  # type: ignore[arg-type]
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        t = time.perf_counter()
        page.goto(html.as_uri())
        page.wait_for_selector("body[data-ready='1']")
        loaded = time.perf_counter() - t
        in_page = int(page.get_attribute("body", "data-ready-ms") or 0) / 1000
        t = time.perf_counter()
        page.evaluate("() => document.querySelectorAll('details.scenario').forEach((d) => { d.open = true; })")
        page.wait_for_function("() => [...document.querySelectorAll('details.scenario')].every((d) => d.querySelector('.swim svg, .swim p'))")
        all_open = time.perf_counter() - t
        browser.close()
    if errors:
        raise SystemExit(f"page errors: {errors}")
    return {"load_s": loaded, "in_page_s": in_page, "open_all_s": all_open}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tracker", default="reference")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/tank-bench-report.pickle"))
    ap.add_argument("--html", type=Path, default=Path("/tmp/tank-bench-report.html"))
    ap.add_argument("--rerun", action="store_true", help="run the matrix even when a cached report exists")
    args = ap.parse_args()
    if args.rerun or not args.cache.exists():
        t = time.perf_counter()
        report = run_matrix(args.tracker)
        print(f"matrix ran in {time.perf_counter() - t:.0f} s")
        args.cache.write_bytes(pickle.dumps(report))
    report = pickle.loads(args.cache.read_bytes())
    t = time.perf_counter()
    write_html(report, args.html)
    written = time.perf_counter() - t
    envelopes = sum(len(s.verdict.fates) for s in report.scenarios if s.verdict)
    items = sum(len(s.history.writes) + len(s.history.attempts) + len(s.history.journal)
                for s in report.scenarios if s.history)
    figures = measure(args.html)
    print(f"{len(report.scenarios)} scenarios, {envelopes} envelopes, {items} recorded facts; "
          f"HTML {args.html.stat().st_size / 1e6:.1f} MB written in {written:.2f} s")
    print(f"Chromium: report drawn in {figures['load_s']:.2f} s ({figures['in_page_s']:.2f} s from navigation start, "
          f"page's own clock); every scenario opened in {figures['open_all_s']:.2f} s "
          f"(bar: 2 s to open)")


if __name__ == "__main__":
    main()
