"""The outbox history is complete: every write is recorded, including writes made during
beforeunload and pagehide of a closing or navigating page (NOTES: CDP misses those)."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.builds import load_build
from tests.harness.e2e import scenario_from_text

WRITER = Path(__file__).parent / "fixtures" / "writer.js"

SCENARIO = """
name: observer_completeness
judges: [no_loss]
settle: 0
heal: false
steps:
  - open: home
  - send: {category: test, action: s1}
  - send: {category: test, action: s2}
  - close: {before_unload: true}
  - open: home
    tab: b
  - navigate: page2
    tab: b
  - close: {before_unload: false}
    tab: b
  - open: home
    tab: c
"""


@pytest.mark.browser
def test_every_write_is_recorded_including_unload(tank_worlds) -> None:
    result = tank_worlds.get("memory").run(load_build(str(WRITER)), scenario_from_text(SCENARIO))
    assert result.error is None, result.error
    writes = [w for w in result.history.writes if w.key == "opsmantik_outbox_v2"]
    recorded = [e.id.split("-/")[0] for w in writes if w.kind == "write" for e in w.added]
    expected = (
        ["load", "s1", "s2", "beforeunload-a", "beforeunload-b", "pagehide-a", "pagehide-b"]  # tab main, closed
        + ["load", "beforeunload-a", "beforeunload-b", "pagehide-a", "pagehide-b"]  # tab b leaves home
        + ["load", "pagehide-a", "pagehide-b"]  # tab b's page2 loads, then closes without beforeunload
        + ["load"]  # tab c
    )
    assert recorded == expected
    # The final read of the real storage found nothing the observer had not seen.
    assert [w for w in writes if w.kind == "snapshot"] == []


UNSTAMPED = """
(() => {
  const KEY = "opsmantik_outbox_v2";
  const add = (tag, stamped) => {
    const list = JSON.parse(localStorage.getItem(KEY) || "[]");
    list.push({ id: tag, ts: Date.now(), attempts: 0, payload: { ec: "test", ea: tag, meta: {} } });
    if (stamped) localStorage.setItem(KEY, JSON.stringify(list));
    else localStorage[KEY] = JSON.stringify(list);  // not through setItem: the observer gets no stamp
  };
  window.opmantik = { send: (category, action) => add(action, true) };
  add("load", true);
  setTimeout(() => add("early", false), 60000);  // found in a bulk run: the timers are stepped from here
  setTimeout(() => add("late", false), 3600000);
})();
"""

# One tab opened, then the steps given.
TAB_THEN = "name: {name}\njudges: [no_loss]\nsettle: 0\nheal: false\nsteps:\n  - open: home\n{steps}"
UNSTAMPED_SCENARIO = TAB_THEN.format(name="observer_unstamped", steps="  - advance: 1h\n")


@pytest.mark.browser
def test_a_write_without_the_writers_stamp_gets_the_page_time_it_was_made_at(tank_worlds) -> None:
    """The observer page's clock is not stepped with the tabs: a write it sees without a stamp is
    dated by the harness clock's page time when the observer saw it (a build writing
    ``localStorage[key] = …``: once a bulk run finds such a write, its timers are stepped one by
    one, each stop at the timer's time)."""
    from harness.builds import Build

    build = Build(name="file:unstamped.js", source=UNSTAMPED, kind="file", path=None)
    result = tank_worlds.get("memory").run(build, scenario_from_text(UNSTAMPED_SCENARIO))  # it never sends: an error
    at = {e.id: w.t_page for w in result.history.writes if w.key == "opsmantik_outbox_v2" and w.kind == "write"
          for e in w.added}
    assert at["late"] - at["load"] == 3_600_000, at


RELOAD_SCENARIO = TAB_THEN.format(name="reload_after_advance",
                                  steps="  - advance: 1h\n  - advance: 1m\n  - reload: true\n")


@pytest.mark.browser
def test_a_document_opened_after_advances_starts_at_the_page_time_reached(tank_worlds) -> None:
    """The clock logs its time for new documents only while a step still to come may open one
    (here the reload): the reloaded page starts at +1 h 1 min, not at the time the tab opened."""
    result = tank_worlds.get("memory").run(load_build(str(WRITER)), scenario_from_text(RELOAD_SCENARIO))
    loads = [e.ts for w in result.history.writes if w.key == "opsmantik_outbox_v2" and w.kind == "write"
             for e in w.added if e.id.startswith("load-")]
    assert len(loads) == 2 and loads[1] - loads[0] == 3_660_000, loads
