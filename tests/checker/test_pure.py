"""The checker is a pure function of (history, policy): it never edits the history, the same input
gives the same verdict, and what the run used to work out itself (rows of a shared site, browser
re-sends, notes) is derived from the history alone."""
from __future__ import annotations

import copy
import dataclasses

from harness.checker import Policy, judge, judge_history
from harness.checker.notes import browser_resends, history_notes, unseen_sends
from harness.checker.scope import own_run
from harness.contract.history import StoredEvent
from tests.checker.builders import HB, HOUR
from tests.contract.test_codec import rich_history


def test_judging_leaves_the_history_untouched_and_repeats() -> None:
    h = rich_history()
    before = copy.deepcopy(h)
    first = judge(h, ["no_loss", "retry", "exactly_once", "drop_rule", "dead_letter"], Policy())
    second = judge(h, ["no_loss", "retry", "exactly_once", "drop_rule", "dead_letter"], Policy())
    assert h == before
    assert first.to_json() == second.to_json()
    assert all(x.timeline for x in first.fates)


def test_judge_history_uses_the_recorded_judges_and_policy() -> None:
    h = rich_history()
    h.judges, h.policy = ("no_loss",), {"timeout_ms": 1000}
    v = judge_history(h)
    assert [g for g, r in v.guarantees.items() if r.status != "not_judged"] == ["no_loss"]
    assert v.to_json() == judge(h, ["no_loss"], Policy(timeout_ms=1000)).to_json()


def shared_site_history():
    b = HB()
    a = b.add(b.env())[0]
    b.deliver(a)
    b.rows(a)
    h = b.build()
    other = StoredEvent("someone-else", "site-1", "sess-9", "2026-01-01", "interaction", "view", {"sid": "sess-9"})
    h.at_rest = [*h.at_rest, other]
    return h


def test_rows_of_other_runs_on_a_shared_site_are_left_out() -> None:
    h = shared_site_history()
    assert judge(h, ["exactly_once"]).guarantees["exactly_once"].status == "fail"  # an orphan row
    h.site_shared = True
    before = copy.deepcopy(h)
    assert [r.eid for r in own_run(h).at_rest] == [h.journal[0].events[0].eid]
    assert judge(h, ["exactly_once"]).guarantees["exactly_once"].status == "pass"
    assert h == before


def test_browser_resends_are_counted_server_side() -> None:
    b = HB()
    a = b.add(b.env())[0]
    b.send(a)
    b.journal(a)  # a second arrival the page never made
    h = b.build()
    assert browser_resends(h) == 1
    assert any("re-sent them by itself" in n for n in history_notes(h))


def test_notes_say_what_could_not_be_judged() -> None:
    b = HB()
    a = b.add(b.env(eid=False))[0]
    b.advance(HOUR)
    b.deliver(a, wire_eid=False)
    h = b.build()
    h.notes = ["line 4: send failed in the page"]
    notes = history_notes(h)
    assert notes[0] == "line 4: send failed in the page"
    assert any("without meta.eid" in n for n in notes)
    assert any("rows at rest were not observable" in n for n in notes)
    assert judge(h, ["no_loss"]).notes[-len(notes):] == notes


def test_sends_the_page_never_made_are_named() -> None:
    """A request with events but no transport tag came from where the page scripts do not run (a
    worker): the note says the page's side of those sends is missing. Tagged ones, and an untagged
    request without events (a garbage body), are not counted."""
    b = HB()
    a, c = b.add(b.env(), b.env())
    b.deliver(a)  # fetch, tagged
    b.journal(c, via="unknown")  # from a worker: the server saw it, the page's instrumentation did not
    b.journal(c, via="unknown")
    b.remove(c.id)
    h = b.build()
    h.journal.append(dataclasses.replace(h.journal[-1], seq=99, events=()))  # untagged, no events
    assert unseen_sends(h) == 2
    [note] = [n for n in history_notes(h) if "without the instrumentation's tags" in n]
    assert note.startswith("2 Sync request(s) with events arrived without the instrumentation's tags")
    b2 = HB()
    b2.deliver(b2.add(b2.env())[0])
    assert unseen_sends(b2.build()) == 0
