"""The HTML report of a failing scenario, opened in Chromium: the lost envelope is found, with its
lane and its reason; the page makes no network request; a screenshot is taken."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.builds import load_build
from harness.report.html import write_html
from harness.report.model import RunReport, ScenarioEntry
from harness.scenario import load_scenario
from harness.world.browser import find_browser
from tests.harness.e2e import SCENARIOS


@pytest.mark.browser
def test_lost_envelope_is_found_in_the_html_report(tank_worlds, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    scenario = load_scenario(SCENARIOS / "outage_overflow_short.yaml")
    result = tank_worlds.get("memory").run(load_build("mutant:silent_trim"), scenario)
    lost = [f for f in result.verdict.fates if f.fate == "lost"]
    assert lost, "the silent_trim mutant must lose events here"
    report = RunReport({"build": {"name": "mutant:silent_trim", "sha256": "0" * 64}}, [
        ScenarioEntry(scenario.name, result.verdict, result.wall_s, result.sim_ms, result.error, list(scenario.judges),
                      seed=scenario.seed, path=scenario.path, history=result.history)])
    html = write_html(report, tmp_path / "report.html")
    text = html.read_text()
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", text)  # one file: nothing to fetch

    with sync_playwright() as p:
        browser = p.chromium.launch(**find_browser(p).launch_kwargs())  # type: ignore[arg-type]
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors: list[str] = []
            requests: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(html.as_uri())
            page.wait_for_selector("body[data-ready='1']", timeout=10_000)
            assert page.locator("#matrix tr[data-scenario=outage_overflow_short] td.st-fail").count() >= 1
            page.locator("tr[data-fate=lost]").first.click()
            panel = page.locator("#panel")
            envelope = panel.get_attribute("data-id")
            fate = next(f for f in lost if f.id == envelope)
            assert panel.locator(".fate").inner_text() == "lost"
            assert panel.locator(".reason").inner_text() == fate.reason
            lanes = panel.locator(".lanes li").all_inner_texts()
            assert f"{fate.context} · outbox" in lanes, lanes  # where it was enqueued and silently dropped
            assert page.locator("svg .item.sel").count() >= 1 and page.locator("svg .item.lost").count() >= 1
            page.screenshot(path=str(tmp_path / "lost.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "lost.png").stat().st_size > 10_000
    assert errors == [] and requests == [html.as_uri()]


@pytest.mark.browser
@pytest.mark.parametrize("mode", ["fail", "warn"])
def test_declared_deviations_are_shown_and_say_whether_they_fail_the_run(tmp_path: Path, mode: str) -> None:
    """Every scenario passed, but the profile declares deviations: with ``--deviations fail`` the run
    exits 1, and the page must not show only 'all passed'."""
    from playwright.sync_api import sync_playwright

    from tests.report.conftest import META, passing

    meta = {**META, "profile": {"name": "tagq", "path": "profiles/tagq.yaml", "sha256": "0" * 64,
                                "deviations": ["timeout 8 s (contract 5 s)", "batches of at most 25 event(s) (contract 20)"]},
            "run": {"deviations": mode}}
    report = RunReport(meta, [ScenarioEntry("happy", passing(), 1.0, 60_000, None, ["no_loss"])])
    html = write_html(report, tmp_path / "report.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(**find_browser(p).launch_kwargs())  # type: ignore[arg-type]
        try:
            page = browser.new_page()
            page.goto(html.as_uri())
            page.wait_for_selector("body[data-ready='1']", timeout=10_000)
            # The headline reads the exit code's outcome (it read 'all 1 scenario(s) passed' in green under fail).
            headline = page.locator("#summary #outcome")
            assert headline.inner_text() == report.headline() == "all 1 scenario(s) passed" + (
                "; the run fails: 2 declared deviation(s) of profile tagq, --deviations fail" if mode == "fail" else "")
            assert headline.get_attribute("class") == ("verdict-fail" if mode == "fail" else "verdict-pass")
            box = page.locator("#deviations")
            assert box.get_attribute("data-mode") == mode
            assert box.locator("li").all_inner_texts() == meta["profile"]["deviations"]  # type: ignore[index]
            head = box.locator("p").inner_text()
            assert head.startswith("DEVIATIONS declared by profile tagq (profiles/tagq.yaml), --deviations " + mode)
            assert head.endswith(": the run fails") == (mode == "fail")
        finally:
            browser.close()
