"""The outbox history is complete: every write is recorded, including writes made during
beforeunload and pagehide of a closing or navigating page (NOTES: CDP misses those)."""
from __future__ import annotations

import json
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


# Values written one after another, made to mislead an observer that reuses the items of a key's
# last value: an item's text inside another item's string, items moved and changed, the same value
# spelled with other whitespace, a broken value made of two known items, the key removed.
A = '{"id":"a","ts":1,"attempts":0,"payload":{"ec":"x","ea":"y"}}'
B = '{"id":"b","ts":2,"attempts":0,"payload":{"ec":"x","ea":"z,]"}}'
C = '{"id":3,"ts":3,"attempts":1,"payload":{"ec":"x","ea":"\\"]}"}}'
A2 = '{"id":"a","ts":1,"attempts":1,"payload":{"ec":"x","ea":"y"}}'
D = '{"id":"d","ts":4,"attempts":0,"payload":{"ec":"x","ea":' + json.dumps(B) + "}}"
CRAFTED = [f"[{A},{B},{C}]", f"[{B},{C},{A2}]", f"[{C},{A2},{D}]", f"[{A2}}}{D}]", f"[{A},{B}]",
           f" [ {A} ,\n{B} , {C} ] ", f"[{A},{B.replace(':', ': ')},{C}]", f"[{A},{B}] x", f"[{A},{B}]", "[]", None, f"[{D}]"]
CRAFTED_JS = """(() => {
  const KEY = "opsmantik_outbox_v2", VALUES = %s;
  window.opmantik = { send: () => {} };
  for (const v of VALUES) { if (v === null) localStorage.removeItem(KEY); else localStorage.setItem(KEY, v); }
})();""" % json.dumps(CRAFTED)


@pytest.mark.browser
def test_values_written_to_mislead_the_observers_item_reuse_are_recorded_as_written(tank_worlds) -> None:
    """The observer reads a value item by item, reusing the parsed items of the key's last value
    (js/observer.js). What it keeps comes from the storage events alone, so a page writing crafted
    values gets, for each write, the delta Python computes from the values themselves."""
    from harness.builds import Build
    from harness.history.recorder import diff_states, parse_outbox

    build = Build(name="file:crafted.js", source=CRAFTED_JS, kind="file", path=None)
    result = tank_worlds.get("memory").run(build, scenario_from_text(TAB_THEN.format(name="crafted", steps="")))
    got = [(sorted(e.id for e in w.added), sorted(e.id for e in w.changed), sorted(w.removed), w.length, bool(w.parse_error))
           for w in result.history.writes if w.key == "opsmantik_outbox_v2" and w.kind == "write"]
    want, state = [], {}
    for value in CRAFTED:
        envs, error = parse_outbox(value)
        if envs is None:
            want.append(([], [], sorted(state), None, True))
            state = {}
            continue
        added, changed, removed = diff_states(state, envs)
        want.append((sorted(e.id for e in added), sorted(e.id for e in changed), sorted(removed), len(envs), bool(error)))
        state = {e.id: e for e in envs}
    assert got == want
    assert [w for w in result.history.writes if w.kind == "snapshot"] == []
