"""The embedded proxy's ``latency`` applies in page time when the run gives it the page clock: a
3 s latency on answers is delivered with no abort, a 6 s one is aborted by the page at 5 s — the
page clock is advanced, nothing waits real seconds."""
from __future__ import annotations

import pytest

from harness.run.scenario import ScenarioResult
from tests.harness.e2e import scenario_from_text

TEXT = """
name: proxy_latency_{ms}
judges: [no_loss, exactly_once]
tracker: {{data-heartbeat-ms: 86400000}}
steps:
  - open: home
  - advance: 2s
  - toxic: {{add: {{type: latency, attributes: {{latency: {ms}}}}}}}
  - click: tel
  - advance: 20s
"""


def _phone_fetches(result: ScenarioResult) -> list:
    return [a for a in result.history.attempts if a.via == "fetch" and any(p.get("ea") == "phone_call" for p in a.payloads)]


def _explain(result: ScenarioResult) -> str:
    spans = [(a.t_page_start, a.t_page_end, a.outcome) for a in result.history.attempts if a.via == "fetch"]
    return f"error={result.error} counts={result.verdict.counts} notes={result.notes} fetches={spans}"


@pytest.mark.browser
def test_a_three_second_latency_is_delivered_in_page_time(tank_worlds) -> None:
    result = tank_worlds.get("memory").run("reference", scenario_from_text(TEXT.format(ms=3000)))
    assert result.error is None and result.verdict.passed, _explain(result)
    first = _phone_fetches(result)[0]
    assert first.outcome == "ok" and 2999 <= first.t_page_end - first.t_page_start <= 3001, _explain(result)
    assert not any("real time" in n for n in result.notes or []), result.notes


@pytest.mark.browser
def test_a_six_second_latency_is_aborted_at_five_seconds_of_page_time(tank_worlds) -> None:
    result = tank_worlds.get("memory").run("reference", scenario_from_text(TEXT.format(ms=6000)))
    assert result.error is None and result.verdict.passed, _explain(result)
    first = _phone_fetches(result)[0]
    assert first.outcome == "abort" and first.t_page_end - first.t_page_start == 5000, _explain(result)
