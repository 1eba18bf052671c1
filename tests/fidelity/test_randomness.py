"""Page randomness: per context, tab and load, repeatable under a seed, never shared by two pages.

A build without ``meta.eid`` whose pages drew the same session id would make two pages' events
byte-identical, and the checker could credit one page's delivery to the other.
"""
from __future__ import annotations

import dataclasses

import pytest

from harness.run.state import ScenarioRun
from tests.harness.e2e import bundled_scenarios, scenario_from_text

pytestmark = pytest.mark.browser

DRAWS: list[dict[str, object]] = []

SAMPLE_JS = """() => ({
  math: [Math.random(), Math.random(), Math.random()],
  uuid: crypto.randomUUID(),
  bytes: Array.from(crypto.getRandomValues(new Uint8Array(8))),
})"""

SCENARIO = """
name: randomness_per_page
judges: [no_loss]
tracker: {data-heartbeat-ms: "0"}
steps:
  - open: home
  - {open: home, tab: second}
  - {open: home, context: other}
  - hook: tests.fidelity.test_randomness:sample
  - reload: true
  - {navigate: page2, tab: second}
  - hook: tests.fidelity.test_randomness:sample
"""


async def sample(run: ScenarioRun) -> None:
    """Draw from every open page; the page's tracker has already drawn its own ids."""
    for session in run.live_sessions():
        for tab, page in session.tabs.items():
            DRAWS.append({"page": f"{session.name}/{tab}", "draw": await page.evaluate(SAMPLE_JS)})


def draws_of(tank_worlds, seed: int) -> tuple[list[dict[str, object]], list[str]]:
    DRAWS.clear()
    scenario = dataclasses.replace(scenario_from_text(SCENARIO), seed=seed)
    result = tank_worlds.get("memory").run("reference", scenario)
    assert result.error is None, result.error
    envelope_ids = sorted({i for e in result.history.journal for i in (ev.eid for ev in e.events) if i})
    return list(DRAWS), envelope_ids


def test_two_tabs_and_two_pages_never_draw_the_same_sequence(tank_worlds) -> None:
    draws, envelope_ids = draws_of(tank_worlds, seed=11)
    assert len(draws) == 6  # three pages, sampled before and after the reload/navigation
    for kind in ("math", "uuid", "bytes"):
        values = [repr(d["draw"][kind]) for d in draws]
        assert len(set(values)) == len(values), f"two pages drew the same {kind}: {draws}"
    assert len(envelope_ids) == 7  # five page views and two session ends, seven different ids


def test_one_seed_repeats_the_draws_and_another_seed_does_not(tank_worlds) -> None:
    first, ids_first = draws_of(tank_worlds, seed=11)
    again, ids_again = draws_of(tank_worlds, seed=11)
    other, ids_other = draws_of(tank_worlds, seed=12)
    assert first == again and ids_first == ids_again
    assert not {repr(d["draw"]) for d in first} & {repr(d["draw"]) for d in other}
    assert not set(ids_first) & set(ids_other)


def test_two_runs_with_one_seed_show_the_same_ids_fates_and_retry_times(tank_worlds) -> None:
    """retry_cadence draws backoff jitter from Math.random: the retry times repeat too."""
    [scenario] = [s for s in bundled_scenarios() if s.name == "retry_cadence"]

    def observed() -> tuple[list[tuple[str, str]], list[tuple[int, tuple[str, ...]]]]:
        result = tank_worlds.get("memory").run("reference", scenario)
        assert result.error is None, result.error
        fates = sorted((f.id, f.fate) for f in result.verdict.fates)
        starts = sorted((a.t_page_start, tuple(a.ids)) for a in result.history.attempts if a.via == "fetch")
        return fates, starts

    first, again = observed(), observed()
    assert first == again
    assert first[0] and len(first[1]) >= 5
