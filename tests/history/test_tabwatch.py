"""The tab storage channel's event handling on scripted CDP ``DOMStorage`` events, the recorder's
diff of whole values, and which contexts get the channel."""
from __future__ import annotations

import json
from typing import Any

import pytest

from harness.driver.visitors import tab_channel_contexts
from harness.history.recorder import Recorder
from harness.history.seal import ReportGate, Stamp, stamp_of
from harness.history.tabwatch import ADDED, CLEARED, REMOVED, UPDATED, SiteWatch, TabWatch, read_entries
from tests.harness.e2e import scenario_from_text
from tests.history.sealing import sealed

ORIGIN = "http://127.0.0.1:4100"
SID = {"securityOrigin": ORIGIN, "storageKey": ORIGIN + "/", "isLocalStorage": True}


def watch() -> tuple[TabWatch, list[tuple[Any, ...]]]:
    got: list[tuple[Any, ...]] = []
    w = TabWatch(ORIGIN, frozenset({"out"}), lambda v, t: got.append(("sync", v)),
                 lambda k, raw, stamp, at: got.append(("value", k, raw, stamp, at)),
                 lambda at: got.append(("cleared",)), now_ms=lambda: 5.0)
    return w, got


def ev(key: str | None = None, new: str | None = None, sid: dict[str, Any] = SID) -> dict[str, Any]:
    out: dict[str, Any] = {"storageId": sid}
    if key is not None:
        out["key"] = key
    if new is not None:
        out["newValue"] = new
    return out


def test_a_stamp_goes_with_the_next_watched_write_only() -> None:
    w, got = watch()
    w.on_event(ADDED, ev("__tank_t", "1700000000000|main#1|1|3|mac"))
    w.on_event(ADDED, ev("other", "x"))  # not watched: neither recorded nor taking the stamp
    w.on_event(ADDED, ev("out", "[]"))
    w.on_event(UPDATED, ev("out", "[1]"))  # no stamp before it
    w.on_event(UPDATED, ev("__tank_t", "1700000000001|main#1|2|9|mac"))
    w.on_event(UPDATED, ev("out", "[2]"))
    assert got == [("value", "out", "[]", "1700000000000|main#1|1|3|mac", 5.0), ("value", "out", "[1]", None, 5.0),
                   ("value", "out", "[2]", "1700000000001|main#1|2|9|mac", 5.0)]


def test_a_sealed_stamps_real_time_dates_the_write_when_earlier() -> None:
    """The tab channel's event reaches the harness after the write: a sealed stamp's real time (ms)
    dates it, never a time after the event came; an unsealed stamp's real time is not taken."""
    gate, r = ReportGate(), Recorder("s", "out", None)
    r.on_value("c", "out", "[]", sealed(gate, 1, n=1, wall=3000), "u", 5000.0, gate)
    r.on_value("c", "out", "[]", sealed(gate, 1, n=2, wall=9000), "u", 5000.0, gate)
    r.on_value("c", "out", "[]", "1|main#L|3|1000", "u", 5000.0, gate)
    assert [w.t_wall for w in r.writes] == [3.001, 5.001, 5.001]
    assert [w.writer for w in r.writes] == ["main#L", "main#L", None]


def test_flush_tokens_markers_removals_and_clear_in_order() -> None:
    w, got = watch()
    w.on_event(UPDATED, ev("__tank_sync", "00000001"))
    w.on_event(UPDATED, ev("__tank_sync", "s7"))
    w.on_event(REMOVED, ev("out"))
    w.on_event(REMOVED, ev("__tank_sync"))
    w.on_event(CLEARED, {"storageId": SID})
    assert got == [("sync", "00000001"), ("sync", "s7"), ("value", "out", None, None, 5.0), ("sync", None),
                   ("cleared",)]
    assert w.events == 5


@pytest.mark.parametrize("sid", [dict(SID, securityOrigin="http://127.0.0.1:9999"), dict(SID, isLocalStorage=False), {}],
                         ids=["other_origin", "session_storage", "no_storage_id"])
def test_other_storage_is_not_the_outbox(sid: dict[str, Any]) -> None:
    w, got = watch()
    w.on_event(ADDED, ev("out", "[]", sid))
    w.on_event(ADDED, "not a dict")  # type: ignore[arg-type]
    assert got == [] and w.events == 0


@pytest.mark.parametrize(("value", "want"), [
    ("1700000000000|t#2|9", Stamp(1700000000000, "t#2", 9, None)), ("12.7", Stamp(12, None, None, None)),
    ("1700000000000|t#2|9|" + "a" * 64, Stamp(1700000000000, "t#2", 9, None)),
    ("1700000000000|t#2|9|1764000000123|" + "a" * 64, Stamp(1700000000000, "t#2", 9, 1764000000123.0)),
    ("1700000000000|t#2|0.5|junk", Stamp(1700000000000, "t#2", None, None)), ("0000000000000", None),
    ("1700000000000|t#2|²", Stamp(1700000000000, "t#2", None, None)),
    ("-5|t#1", None), ("nan|x", None), ("abc|t#1", None), (None, None), ("", None),
])
def test_stamps_read_as_the_observer_reads_them(value: Any, want: Stamp | None) -> None:
    assert stamp_of(value) == want


def test_storage_read_answer() -> None:
    assert read_entries({"entries": [["out", "[]"], ["x", "1"]]}, ["out", "dead"]) == ["[]", None]
    with pytest.raises(ValueError, match="getDOMStorageItems"):
        read_entries({"nope": 1}, ["out"])


def env(i: str, attempts: int = 0) -> dict[str, Any]:
    return {"id": i, "ec": "conversion", "ea": "tel", "ts": 1, "attempts": attempts}


def test_the_recorder_diffs_whole_values_as_the_observer_diffs_old_and_new() -> None:
    r, gate = Recorder("s", "out", None), ReportGate()
    r.clock = lambda: 1000
    r.on_value("c", "out", json.dumps([env("a")]), sealed(gate, 100, "main#1", 1), "u", 1.0, gate)
    r.on_value("c", "out", json.dumps([env("a", 1), env("b")]), sealed(gate, 200, "main#1", 2), "u", 2.0, gate)
    r.on_value("c", "out", json.dumps([env("b")]), sealed(gate, 300, "main#1", 3), "u", 3.0, gate)
    r.on_value("c", "out", "{broken", None, "u", 4.0, gate)
    a, b, c, d = r.writes
    assert [e.id for e in a.added] == ["a"] and a.t_page == 100 and a.writer == "main#1"
    assert [e.id for e in b.added] == ["b"] and [e.id for e in b.changed] == ["a"] and b.length == 2
    assert c.removed == ("a",) and not c.added and c.t_page == 300
    assert d.removed == ("b",) and d.length is None and d.parse_error and d.raw_sample == "{broken"
    assert r.state("c", "out") == {}


VISITORS = """
name: v
judges: [no_loss]
visitors: {count: 3, seed: 1, actions: [view, tel]}
steps:
  - advance: 1s
"""


@pytest.mark.parametrize(("extra", "want"), [
    ("", {"visitor1", "visitor2", "visitor3"}),
    ("  - offline: true\n    context: visitor2\n", {"visitor1", "visitor3"}),  # a step names it
    ("  - open: home\n    context: visitor1\n    tab: second\n", {"visitor2", "visitor3"}),
    ("  - storage: quota\n    context: visitor3\n", {"visitor1", "visitor2"}),
    ("  - hook: harness.driver.visitors:page_vars\n", set()),  # a hook may do anything
    ("  - restart_browser: true\n    context: visitor1\n", set()),  # persistent profiles for all
])
def test_which_contexts_record_through_their_tab(extra: str, want: set[str]) -> None:
    assert tab_channel_contexts(scenario_from_text(VISITORS + extra)) == want


def test_no_tab_channel_with_two_tabs_or_a_visitor_navigating_in_a_remote_browser() -> None:
    two = VISITORS.replace("actions: [view, tel]", "actions: [view, tel], tabs_per_visitor: 2")
    assert tab_channel_contexts(scenario_from_text(two)) == frozenset()
    away = scenario_from_text(VISITORS.replace("actions: [view, tel]", "actions: [view, tel, page2]"))
    assert tab_channel_contexts(away, navigations_seen=False) == frozenset()  # a remote browser: its flags
    assert len(tab_channel_contexts(away)) == 3  # RenderDocument off: the old documents' writes are seen


PLAIN = "name: p\njudges: [no_loss]\nsteps:\n  - open: home\n  - click: tel\n  - offline: true\n  - advance: 49m\n"


@pytest.mark.parametrize(("extra", "want"), [
    ("", {"main"}),
    ("  - stub: {default: {status: 503}}\n  - online: true\n  - advance: 1m\n", {"main"}),  # one hour with the settle
    ("  - advance: 2m\n", set()),  # past an hour of page time: the outbox may grow large
    ("  - close: true\n", set()),  # a closing page takes its tab's channel with it
    ("  - reload: true\n", set()),
    ("  - crash: true\n", set()),
    ("  - storage: quota\n", set()),
    ("  - hook: harness.driver.visitors:page_vars\n", set()),
    ("  - open: home\n    tab: second\n", set()),  # two tabs
    ("  - open: home\n    context: other\n", set()),  # two contexts
])
def test_which_scripted_contexts_record_through_their_tab(extra: str, want: set[str]) -> None:
    assert tab_channel_contexts(scenario_from_text(PLAIN + extra)) == want


@pytest.mark.parametrize("text", [
    "settle: 2h\n" + PLAIN.replace("advance: 49m", "advance: 1s"),  # a long outage left to the settle
    "settle: 2h\n" + VISITORS,
    VISITORS.replace("advance: 1s", "advance: 51m"),  # 51 minutes and the default 10 of settle
])
def test_the_settle_counts_toward_the_page_time_that_keeps_the_observer(text: str) -> None:
    assert tab_channel_contexts(scenario_from_text(text)) == frozenset()
    assert tab_channel_contexts(scenario_from_text(text.replace("settle: 2h\n", "settle: 1m\n")
                                                   .replace("advance: 51m", "advance: 1m")))


def test_a_scripted_context_keeps_the_observer_in_a_remote_browser() -> None:
    assert tab_channel_contexts(scenario_from_text(PLAIN), navigations_seen=False) == frozenset()


def test_navigations_to_another_site_are_counted_from_the_first_document_on() -> None:
    """The first document (after about:blank) sets the site; another host (127.0.0.1 → localhost,
    or a blocked URL's error page) is another site; the same host with another path or query is
    not; every crossing counts, the note names the first (its query left out)."""
    sites = SiteWatch("main")
    for url, t in [("about:blank", 0), ("http://127.0.0.1:5000/?a=1", 1), ("http://127.0.0.1:5000/page2", 2)]:
        sites.navigated(url, t)
    assert sites.note() is None
    sites.navigated("http://localhost:5000/page2?x=" + "y" * 300, 3)
    sites.navigated("chrome-error://chromewebdata/", 4)
    note = sites.note()
    assert note is not None and note.startswith("context main: its tab navigated to another site 2 time(s) "
                                                "(first at page time 3: http://127.0.0.1:5000/page2 → http://localhost:5000/page2)"), note
