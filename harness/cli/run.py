"""`tankharness run`: scenarios against a tracker build, with the verdict table."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from harness.cli.common import (
    adapter_options,
    make_adapter,
    refuse_adapter_flags_with,
    resolve_ingest,
    run_async,
    scenario_options,
    world_options,
)
from harness.contract.errors import HarnessError, UsageProblem
from harness.report.rerun import DEVIATIONS_DEFAULT


@click.command()
@click.option("--tracker", default="reference", show_default=True,
              help="a tracker build: a JS file path, 'reference' or 'mutant:NAME'")
@scenario_options
@adapter_options
@world_options("auto", "memory", "postgres", "tap", default="auto")
@click.option("--tap-url", default=None, help="tap mode: forward every Sync request to this upstream URL")
@click.option("--tap-query", default=None, help="tap mode: SQL returning the rows at rest (needs --database-url)")
@click.option("--site-id", default=None,
              help="site id the tracker reports (tap mode: one the upstream knows); default: a fresh one per scenario")
@click.option("--report-json", type=click.Path(path_type=Path), default=None)
@click.option("--junit", type=click.Path(path_type=Path), default=None)
@click.option("--html", type=click.Path(path_type=Path), default=None,
              help="a self-contained HTML report (matrix, swimlane timelines); always written into --out too")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="folder for each scenario's Sync journal (JSONL) and recorded history (JSON)")
@click.option("--markdown", type=click.Path(path_type=Path), default=None,
              help="a Markdown summary (also appended to $GITHUB_STEP_SUMMARY when that is set)")
@click.option("--strict", is_flag=True,
              help="vacuous guarantees fail, and events pending after settle fail unless the scenario sets expect_pending")
@click.option("--trace", type=click.Choice(["off", "on", "retain-on-failure"]), default="off", show_default=True,
              help="a Playwright trace per browser context, end screenshots and the page console, saved "
                   "beside the report (in --out, else beside --html/--report-json/--junit, else ./tank-results)")
@click.option("--timeline", "timelines", multiple=True, help="print the timeline of this envelope id (prefix)")
@click.option("--shard", default=None, metavar="I/N",
              help="run only shard I of N (scenario names sorted and dealt round-robin; `tankharness merge` joins the reports)")
@click.option("--browser-ws", default=None, metavar="URL",
              help="use a remote Playwright server (`playwright run-server`) instead of a local Chromium")
@click.option("--browser-cdp", default=None, metavar="URL",
              help="use a Chromium's DevTools endpoint on this machine (started with --remote-debugging-port)")
@click.option("--profile", type=click.Path(path_type=Path), default=None,
              help="build profile (YAML): adapter options and declared differences from the contract "
                   "(adapter options are then refused on the command line)")
@click.option("--deviations", type=click.Choice(["fail", "warn"]), default=DEVIATIONS_DEFAULT, show_default=True,
              help="whether the profile's declared deviations from the contract fail the run: with fail, a build "
                   "declaring any exits 1 even when every guarantee held; with warn they are listed and the exit "
                   "code judges the guarantees alone")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="scenarios run at once, each in its own contexts, stub and proxy listener "
                   "[default: 2 per CPU core, at most 6]")
@click.option("--scenario-timeout", type=click.FloatRange(min=1), default=300.0, show_default=True, metavar="SECONDS",
              help="wall budget of one scenario; a build that busy-loops, floods or storms timers is stopped sooner")
def run(tracker: str, scenario_paths: list[Path], only: tuple[str, ...], tag: tuple[str, ...],
        site_attr: str, api_attr: str, outbox_key: str, deadletter_key: str, api_name: str, attrs: tuple[str, ...],
        ingest: str, database_url: str | None, tap_url: str | None, tap_query: str | None, site_id: str | None,
        no_proxy: bool,
        seed: int | None, report_json: Path | None, junit: Path | None, html: Path | None, out: Path | None,
        markdown: Path | None, strict: bool, trace: str, timelines: tuple[str, ...], shard: str | None, browser_ws: str | None, browser_cdp: str | None,
        profile: Path | None, deviations: str, workers: int | None, scenario_timeout: float) -> None:
    """Run scenarios against a tracker build and print the verdict table."""
    from harness.run.pool import default_workers
    from harness.run.shard import parse_shard
    from harness.run.suite import RunRequest, run_request

    try:
        refuse_adapter_flags_with(profile)
        adapter = make_adapter(site_attr, api_attr, outbox_key, deadletter_key, api_name, attrs)
        ingest = resolve_ingest(ingest, database_url)
        if ingest == "tap" and not tap_url:
            raise UsageProblem("--ingest tap needs --tap-url")
        request = RunRequest(tracker=tracker, scenario_paths=scenario_paths,
                             only=list(only), tags=list(tag), adapter=adapter, ingest=ingest,
                             database_url=database_url, tap_url=tap_url, tap_query=tap_query,
                             proxy=not no_proxy, seed=seed, report_json=report_json, junit=junit, html=html, markdown=markdown, strict=strict, trace=trace, out=out,
                             timelines=list(timelines), site_id=site_id,
                             shard=parse_shard(shard) if shard else None, browser_ws=browser_ws, browser_cdp=browser_cdp,
                             profile=profile, deviations=deviations,
                             workers=workers if workers is not None else default_workers(),
                             scenario_timeout_s=scenario_timeout)
    except HarnessError as exc:
        click.echo(f"tankharness: {exc}", err=True)
        sys.exit(2)
    sys.exit(run_async(run_request(request)))
