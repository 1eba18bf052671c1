"""Browsers elsewhere: the smoke set through a `playwright run-server` started here gives the same
verdicts as the local browser (the page reaches the loopback stub and proxy through the
connection); a Chromium's DevTools endpoint serves a scenario too."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.checker.verdict import BY_REAL_TIME
from harness.pytest_plugin.worlds import WorldThread
from harness.world.world import WorldOptions
from tests.harness.e2e import bundled_scenarios
from tests.harness.remote import devtools_chromium, playwright_server

SMOKE = [s for s in bundled_scenarios("memory") if "smoke" in s.tags]


def outcome(result) -> tuple[object, dict[str, str], dict[str, int]]:  # noqa: ANN001
    return (result.error, {g: v.status for g, v in result.verdict.guarantees.items()},
            {k: n for k, n in result.verdict.counts.items() if k not in BY_REAL_TIME})


@pytest.mark.browser
def test_smoke_set_through_a_playwright_server_matches_the_local_browser(tank_worlds) -> None:  # noqa: ANN001
    local = tank_worlds.get("memory")
    with playwright_server() as (ws, _), WorldThread(WorldOptions(browser_ws=ws)) as remote:
        assert remote.world.meta()["browser"]["source"] == "ws"
        for scenario in SMOKE:
            assert outcome(remote.run("reference", scenario)) == outcome(local.run("reference", scenario)), scenario.name


@pytest.mark.browser
def test_a_devtools_endpoint_runs_a_scenario(tank_worlds, tmp_path: Path) -> None:  # noqa: ANN001
    executable = tank_worlds.get("memory").world.browser_choice.executable or "/usr/bin/chromium-headless-shell"
    [happy] = [s for s in SMOKE if s.name == "happy_path"]
    with devtools_chromium(executable, tmp_path / "profile") as (address, _), \
            WorldThread(WorldOptions(browser_cdp=f"http://{address}")) as remote:
        result = remote.run("reference", happy)
    assert result.error is None and result.verdict.passed, result.verdict.guarantees
    assert result.verdict.counts["delivered"] > 0



def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid:
                    members.append(int(entry))
            except ProcessLookupError:
                pass
    return members


def test_a_stopped_server_leaves_no_process() -> None:
    """The server's Node process (a child of the Python launcher) stops with it."""
    with playwright_server() as (_, pgid):
        assert len(_group_members(pgid)) >= 2  # the launcher and the Node server
    assert _group_members(pgid) == []
