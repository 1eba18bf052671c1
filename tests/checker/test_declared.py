"""Intents a build profile declares the build does not act on are not judged as lost."""
from __future__ import annotations

from harness.checker import Policy, judge

from .builders import HB


def form_click_never_enqueued() -> HB:
    b = HB()
    b.op("click", intents=[b.intent("conversion", "form_submit", "lead")])
    return b


def test_an_untracked_form_is_lost_without_a_declaration():
    v = judge(form_click_never_enqueued().build(), ["no_loss"])
    assert v.guarantees["no_loss"].status == "fail"


def test_a_declared_silent_event_is_not_expected_and_noted():
    v = judge(form_click_never_enqueued().build(), ["no_loss"], Policy(silent_events=(("conversion", "form_submit"),)))
    assert v.guarantees["no_loss"].status != "fail" and v.counts["lost"] == 0
    assert any("does not track conversion/form_submit" in n for n in v.notes)


def test_a_debounced_repeat_click_is_not_expected_but_a_later_one_is():
    b = HB()
    e = b.env("e1", "conversion", "phone_call", "0555")
    b.op("click", intents=[b.intent("conversion", "phone_call", "0555")])
    b.add(e)
    b.advance(500)
    b.op("click", intents=[b.intent("conversion", "phone_call", "0555")])  # within 2 s: debounced
    b.deliver(e)
    policy = Policy(click_debounce_ms=2000)
    v = judge(b.build(), ["no_loss"], policy)
    assert v.counts["lost"] == 0 and any("debounce of 2 s" in n for n in v.notes)
    b.advance(3000)
    b.op("click", intents=[b.intent("conversion", "phone_call", "0555")])  # a new click: must be tracked
    assert judge(b.build(), ["no_loss"], policy).counts["lost"] == 1
