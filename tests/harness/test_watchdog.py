"""Runaway builds end within the budget with a verdict naming the cause: a busy loop at load or
in a timer, a setTimeout(0) storm, a request flood; a retry storm cannot outlive its budget."""
from __future__ import annotations

import time

import pytest

from harness.builds import Build, load_build
from harness.run import watchdog
from tests.harness.e2e import scenario_from_text

SCENARIO = """
name: runaway_{name}
judges: [no_loss]
settle: 1h
steps:
  - open: home
  - click: tel
  - advance: 1h
"""

SYNC = "document.querySelector('script[data-api]').getAttribute('data-api')"
RUNAWAYS = {
    "busy_at_load": ("while (true) {}", "stopped answering"),
    "busy_in_timer": ("setTimeout(() => { while (true) {} }, 2000);", "stopped answering"),
    "timer_storm": ("setTimeout(() => { const f = () => setTimeout(f, 0); f(); }, 2000);", "timer storm"),
    "flood": (f"setTimeout(() => {{ const u = {SYNC}; setInterval(() => {{ for (let i = 0; i < 50; i++) "
              "fetch(u, {method: 'POST', body: '{}', headers: {'Content-Type': 'application/json'}}).catch(() => {}); }, 5); }, 2000);",
              "request flood"),
}


BUDGET_S = 45.0


@pytest.fixture
def quick_watchdog(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thresholds a busy 2-core CI machine reaches quickly; the budget caps whatever slips through."""
    monkeypatch.setattr(watchdog, "STALL_S", 3.0)
    monkeypatch.setattr(watchdog, "FLOOD_PER_S", 40)
    original = watchdog.Watchdog.__init__

    def capped(self, run, budget_s, pages):  # type: ignore[no-untyped-def]
        original(self, run, min(budget_s, BUDGET_S), pages)

    monkeypatch.setattr(watchdog.Watchdog, "__init__", capped)


@pytest.mark.browser
@pytest.mark.parametrize("name", sorted(RUNAWAYS))
def test_a_runaway_build_is_stopped_with_its_cause(name: str, tank_worlds, quick_watchdog) -> None:
    source, cause = RUNAWAYS[name]
    build = Build(name=f"file:{name}.js", source=load_build("reference").source + "\n" + source, kind="file", path=None)
    started = time.monotonic()
    result = tank_worlds.get("memory").run(build, scenario_from_text(SCENARIO.format(name=name)))
    elapsed = time.monotonic() - started
    assert result.error is not None, name
    # A storm the clock still gets through slowly ends at the budget, which says how the clock fared.
    assert cause in result.error or (name == "timer_storm" and "had stepped" in result.error), result.error
    assert "stopped after" in result.error and "step " in result.error
    assert elapsed < BUDGET_S + 30, f"{name}: took {elapsed:.0f} s"
