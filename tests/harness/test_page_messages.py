"""The page console and page errors are recorded into the history, per context and tab."""
from __future__ import annotations

import dataclasses

import pytest

from harness.builds import Build
from harness.history.recorder import MAX_MESSAGES_PER_PAGE, Recorder
from tests.harness.e2e import scenario_from_text

SCENARIO = """
name: page_messages
judges: [no_loss]
settle: 1s
heal: false
steps:
  - open: home
  - open: page2
    tab: second
    context: other
  - advance: 2s
"""

LOGGING_BUILD = """
console.log("tank-test hello from", location.pathname);
console.warn("tank-test careful");
setTimeout(() => { throw new TypeError("tank-test boom"); }, 1000);
"""


def _build(source: str) -> Build:
    return Build(name="file:inline.js", source=source, kind="file", path=None)


@pytest.mark.browser
def test_console_and_uncaught_errors_per_context_and_tab(tank_worlds) -> None:
    scenario = scenario_from_text(SCENARIO)
    result = tank_worlds.get("memory").run(_build(LOGGING_BUILD), scenario)
    msgs = result.history.page_messages
    by = {(m.context, m.page, m.kind, m.level, m.text.split(" from")[0]) for m in msgs}
    for context, tab in (("main", "main"), ("other", "second")):
        assert (context, tab, "console", "log", "tank-test hello") in by, msgs
        assert (context, tab, "console", "warning", "tank-test careful") in by, msgs
        assert (context, tab, "pageerror", "error", "TypeError: tank-test boom") in by, msgs
    boom = [m for m in msgs if m.kind == "pageerror"]
    # Thrown by a timer due 1 s after load: page time says so (within one clock step).
    assert all(m.t_page >= scenario.start_ms + 1000 for m in boom), boom
    assert all(m.stack and "tracker.js:4" in m.stack for m in boom), boom
    # Serialisable with the rest of the history (saved by --out).
    assert dataclasses.asdict(result.history)["page_messages"]


@pytest.mark.browser
def test_syntax_error_in_the_build_is_a_page_error(tank_worlds) -> None:
    result = tank_worlds.get("memory").run(_build("window.x = {;\n"), scenario_from_text(SCENARIO))
    errors = [m for m in result.history.page_messages if m.kind == "pageerror"]
    assert errors and all("SyntaxError" in m.text for m in errors), result.history.page_messages


def test_messages_are_capped_per_page() -> None:
    rec = Recorder("s", "k", None)
    for i in range(MAX_MESSAGES_PER_PAGE + 7):
        rec.on_page_message("main", "main", "console", "log", f"line {i}")
    rec.on_page_message("main", "other", "console", "log", "x" * 10_000)
    msgs = rec.history(t_page_end=0).page_messages
    assert len([m for m in msgs if m.page == "main" and m.kind == "console"]) == MAX_MESSAGES_PER_PAGE
    dropped = [m for m in msgs if m.kind == "dropped"]
    assert len(dropped) == 1 and dropped[0].text.startswith("7 more")
    assert len(next(m for m in msgs if m.page == "other").text) < 4100


def test_a_message_about_a_sync_request_is_not_earlier_than_the_request() -> None:
    """During a bulk clock run the harness's ``now`` lags the page; a failed load of a Sync URL
    carries the page time it was sent at, and the message cannot be earlier than that."""
    from harness.world.context import message_time
    sync = "http://127.0.0.1:1/api/sync?_tank_via=fetch&_tank_ctx=main&_tank_t=1773133204526&_tank_a=x.3"
    assert message_time(sync, 1773133200000) == 1773133204526  # lagging: the request's time
    assert message_time(sync, 1773133209000) == 1773133209000  # a held answer released later: now
    for other in (None, "", "http://127.0.0.1:1/", "http://127.0.0.1:1/x?_tank_t=soon", "http://[::1"):
        assert message_time(other, 5) == 5
