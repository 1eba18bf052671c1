"""A generated visitor's context recorded through its tab's CDP ``DOMStorage`` events gives the fates
the observer page gives, event by event; a mutant breaking a guarantee is caught through it."""
from __future__ import annotations

from typing import Any

import pytest

from harness.builds import Build, load_build
from harness.driver import visitors
from harness.world import context
from tests.harness.e2e import scenario_from_text
from tests.run.test_apart_fidelity import VISITORS as APART_VISITORS
from tests.run.test_apart_fidelity import per_event

# The faker visitors under 503s, late answers and a refused connection, page 2 and back included
# (the documents a tab navigates away from write in beforeunload: seen with RenderDocument off).
VISITORS = APART_VISITORS.replace("name: apart_visitors", "name: tab_channel_visitors")


def with_channel(tank_run, monkeypatch: pytest.MonkeyPatch, text: str, build: str, tab: bool,  # noqa: ANN001
                 contexts: int = 5) -> Any:
    """The scenario run with every visitor's context on the tab channel (``tab``) or the observer."""
    if not tab:
        monkeypatch.setattr(visitors, "tab_channel_contexts", lambda scenario, **kw: frozenset())
    result = tank_run(scenario_from_text(text), build=build)
    monkeypatch.undo()
    assert result.error is None, result.error  # setup failures are here, not in the history
    assert result.history.meta["storage_channels"] == {"tab" if tab else "observer": contexts}
    return result


@pytest.mark.browser
def test_the_tab_channel_gives_the_fates_of_the_observer(tank_run, monkeypatch: pytest.MonkeyPatch) -> None:
    observer = with_channel(tank_run, monkeypatch, VISITORS, "reference", tab=False)
    tab = with_channel(tank_run, monkeypatch, VISITORS, "reference", tab=True)
    assert {g: v.status for g, v in tab.verdict.guarantees.items()} == \
        {g: v.status for g, v in observer.verdict.guarantees.items()}
    assert all(v.status in ("pass", "not_judged") for v in tab.verdict.guarantees.values()), \
        {g: v.status for g, v in tab.verdict.guarantees.items()}
    mine, theirs = per_event(tab), per_event(observer)
    assert len(mine) >= 10
    differ = {k: (mine.get(k), theirs.get(k)) for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k)}
    assert not differ, "\n".join(f"{k}:\n  tab      {a}\n  observer {b}" for k, (a, b) in sorted(differ.items(), key=str))
    # the writes themselves, not only their verdicts: the same outbox entries added and removed
    assert sorted((w.context, len(w.added), len(w.removed)) for w in tab.history.writes) == \
        sorted((w.context, len(w.added), len(w.removed)) for w in observer.history.writes)
    assert not any(w.kind == "snapshot" for w in tab.history.writes)  # the final read found nothing unseen


@pytest.mark.browser
def test_a_mutant_is_caught_through_the_tab_channel(tank_run, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 503 taken for a delivery removes the envelope: the removal, seen through the tab, makes it lost."""
    result = with_channel(tank_run, monkeypatch, VISITORS, "mutant:any_response_ok", tab=True)
    assert result.verdict.guarantees["no_loss"].status == "fail"
    assert any(f.fate == "lost" for f in result.verdict.fates)


@pytest.mark.browser
def test_a_tab_that_gives_no_storage_is_read_through_an_observer_page(tank_run, monkeypatch: pytest.MonkeyPatch) -> None:
    """The final read's way out for a tab gone or stuck: no answer in time (here: none awaited at
    all) opens an observer page and reads there; the notes say so, and nothing is missing."""
    monkeypatch.setattr(context, "READ_S", 0.0)
    two = VISITORS.replace("count: 5", "count: 2")
    result = with_channel(tank_run, monkeypatch, two, "reference", tab=True, contexts=2)
    notes = [n for n in result.history.notes if "did not give its storage" in n]
    assert len(notes) == 2, result.history.notes
    assert not any(w.kind == "snapshot" for w in result.history.writes)
    assert result.verdict.passed, {g: r.violations for g, r in result.verdict.guarantees.items()}


# A build that sends its page elsewhere 2 s after load: to the same site on another host name
# (127.0.0.1 → localhost: another site for Chromium, which swaps the renderer process) or to the
# same page with a query (the same site).
LEAVE = {
    "another_site": "if (location.hostname === '127.0.0.1') setTimeout(() => { location.href = location.href.replace('//127.0.0.1', '//localhost'); }, 2000);",
    "same_site": "if (!location.search.includes('again')) setTimeout(() => { location.href = location.pathname + '?again=1'; }, 2000);",
}
LEAVING = """
name: tab_channel_leaves_{name}
judges: [no_loss]
settle: 10s
steps:
  - open: home
  - click: tel
  - advance: 5s
"""


@pytest.mark.browser
@pytest.mark.parametrize("name", sorted(LEAVE))
def test_a_navigation_to_another_site_on_the_tab_channel_is_noted(tank_worlds, name: str) -> None:
    """The tab channel can miss the beforeunload/pagehide writes of a document its tab leaves for
    another site (measured: 3 of 10, 1 of 6 navigations to localhost); nothing in the history said
    the timeline may lack them (fails before). The note names the navigation, whether or not a write
    was missed this time, and reaches the verdict's notes (the report); a same-site navigation,
    which the channel sees whole with the harness's flags, is not noted."""
    build = Build(name=f"file:leave_{name}.js", source=load_build("reference").source + "\n" + LEAVE[name],
                  kind="file", path=None)
    result = tank_worlds.get("memory").run(build, scenario_from_text(LEAVING.format(name=name)))
    assert result.error is None, result.error
    assert result.history.meta["storage_channels"] == {"tab": 1}
    noted = [n for n in result.history.notes if "navigated to another site" in n]
    if name == "same_site":
        assert not noted, noted
        return
    assert len(noted) == 1 and "1 time(s)" in noted[0], result.history.notes
    assert "//127.0.0.1:" in noted[0] and "→ http://localhost:" in noted[0] and "final read" in noted[0], noted
    assert noted[0] in result.verdict.notes
