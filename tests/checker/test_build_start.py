"""Build-start diagnostics: a build that never ran as configured is named as such, with the cause."""
from __future__ import annotations

from harness.builds.diagnostics import start_notes, start_problem
from harness.contract.adapter import Adapter
from harness.contract.history import PageMessage

from .builders import HB, payload


def opened(b: HB) -> HB:
    b.op("open", intents=[b.intent("interaction", "view")])
    return b


def test_a_build_that_runs_is_fine():
    b = opened(HB())
    e = b.env()
    b.add(e)
    b.deliver(e)
    assert start_problem(b.build(), Adapter()) is None


def test_a_page_error_at_load_is_named():
    b = opened(HB())
    b.h.page_messages.append(PageMessage(1, b.now, 1.0, "main", "main", "pageerror", "error", "SyntaxError: Unexpected token ';'"))
    problem = start_problem(b.build(), Adapter())
    assert problem and "never started" in problem and "SyntaxError" in problem


def test_nothing_written_nothing_sent_names_the_attributes():
    problem = start_problem(opened(HB()).build(), Adapter())
    assert problem and "--site-attr" in problem and "--outbox-key" in problem


def test_sent_but_never_written_is_a_hint_not_an_error():
    """A wrong --outbox-key and a build that sends before it stores look alike: the verdict judges
    (nothing_unexpected fails either way), a note names the key to check."""
    b = opened(HB())
    b.journal(payload())
    history = b.build()
    assert start_problem(history, Adapter(outbox_key="other_key")) is None
    notes = start_notes(history, Adapter(outbox_key="other_key"))
    assert len(notes) == 1 and "'other_key'" in notes[0] and "--outbox-key" in notes[0]


def test_queued_but_never_sent_names_the_api_attribute():
    b = opened(HB())
    b.add(b.env())
    problem = start_problem(b.build(end_after=60_000), Adapter())
    assert problem and "--api-attr" in problem


def test_a_build_given_no_page_time_to_send_is_not_blamed():
    """Batching builds send on a timer: a run that ends before any page time passed proves nothing."""
    b = opened(HB())
    b.add(b.env())
    assert start_problem(b.build(end_after=59_999), Adapter()) is None


def test_events_without_site_id_name_the_site_attribute():
    b = opened(HB())
    e = b.env(body=payload(s=""))
    b.add(e)
    b.send(e, status=400)
    problem = start_problem(b.build(), Adapter())
    assert problem and "--site-attr" in problem


def test_failing_storage_is_not_blamed_on_the_configuration():
    b = opened(HB())
    b.op("storage", mode="private")
    b.journal(payload())
    assert start_problem(b.build(), Adapter()) is None


def test_a_build_without_the_public_api_is_an_environment_problem():
    b = opened(HB())
    e = b.env()
    b.add(e)
    b.deliver(e)
    b.h.notes.append("line 7: send failed in the page: window.opmantik.send is missing")
    problem = start_problem(b.build(), Adapter())
    assert problem and "exposes no window.opmantik.send" in problem and "--api-name" in problem
    assert start_problem(b.build(), Adapter(api_name="acme")) is None  # another API was asked for
