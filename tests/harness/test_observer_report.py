"""How the observer's messages reach Python (js/observer.js, ContextSession._take_storage).

Writes are gathered for a short real-time window and sent as one raw CDP binding call, a flush
token goes at once with everything before it, in order, and each message carries the real time the
observer saw it: the recorder dates the write by that, not by when its batch arrived."""
from __future__ import annotations

import json
import time

import pytest

from harness.contract.adapter import Adapter
from harness.history.recorder import Recorder, seen_at
from harness.world.browser import find_browser
from harness.world.context import OBSERVER_JS, ContextSession

# A fake binding that keeps every call; storage events dispatched by hand (what another page's
# write would cause).
SETUP = """() => {
  window.__calls = [];
  window.__tankStorage = (text) => { window.__calls.push(JSON.parse(text)); };
  window.__tankWatchedKeys = ["outbox"];
  window.__write = (key, oldValue, newValue) => window.dispatchEvent(new StorageEvent("storage",
    {key, oldValue, newValue, url: "http://127.0.0.1/x", storageArea: localStorage}));
}"""


@pytest.mark.browser
def test_writes_go_out_together_and_a_flush_token_at_once_in_order() -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(**find_browser(p).launch_kwargs())  # type: ignore[arg-type]
        try:
            page = browser.new_page()
            page.route("http://tank.test/", lambda route: route.fulfill(body="<p>", content_type="text/html"))
            page.goto("http://tank.test/")  # an origin with localStorage (about:blank has none)
            page.evaluate(SETUP)
            page.evaluate("() => {" + OBSERVER_JS + "}")
            before = time.time() * 1000
            # Three writes in one task: nothing is sent yet, then one call carries all three.
            sent_at_once = page.evaluate("""() => { __write("outbox", null, '[{"id":"a"}]');
                __write("outbox", '[{"id":"a"}]', '[{"id":"a"},{"id":"b"}]'); __write("other", null, "x");
                __write("outbox", '[{"id":"a"},{"id":"b"}]', '[{"id":"b"}]'); return __calls.length; }""")
            page.wait_for_function("() => __calls.length === 1")
            # A write then a flush token: both go at once, in the same task, in order.
            flushed = page.evaluate("""() => { __write("outbox", '[{"id":"b"}]', '[]');
                __write("__tank_sync", null, "00000001"); return __calls.slice(1); }""")
            calls = page.evaluate("() => __calls")
        finally:
            browser.close()
    after = time.time() * 1000
    assert sent_at_once == 0
    first = calls[0]
    assert [(m["added"], m["removed"]) for m in first] == [([{"id": "a"}], []), ([{"id": "b"}], []), ([], ["a"])]
    assert flushed == calls[1:] and len(flushed) == 1
    assert [m.get("sync") for m in flushed[0]] == [None, "00000001"]
    assert flushed[0][0]["removed"] == ["b"]
    for m in first + flushed[0]:  # the real time seen, not the page clock
        assert before - 1000 <= m["w"] <= after + 1000


def test_a_write_is_dated_when_the_observer_saw_it_never_later_than_now() -> None:
    now = time.time()
    assert seen_at((now - 5) * 1000) == pytest.approx(now - 5 + 0.001, abs=1e-6)
    assert now <= seen_at((now + 3600) * 1000) <= time.time()  # a clock ahead: now
    for missing in (None, "12", True, 0, -3):
        assert now <= seen_at(missing) <= time.time()


def _session() -> ContextSession:
    recorder = Recorder("s", "outbox", None)
    return ContextSession("c", None, None, recorder, Adapter(), "http://127.0.0.1:1")  # type: ignore[arg-type]


def test_the_recorder_takes_the_observers_time_for_a_batch_that_arrives_late() -> None:
    session = _session()
    seen = time.time() - 2.0
    batch = [{"key": "outbox", "t": 5, "url": "u", "w": seen * 1000, "added": [{"id": "a", "ts": 1, "payload": {}}],
              "changed": [], "removed": [], "length": 1},
             {"sync": "00000001", "t": 5, "w": seen * 1000}]
    session._on_storage_call({"name": "__tankStorage", "payload": json.dumps(batch)})
    [write] = session.recorder.writes
    assert write.t_wall == pytest.approx(seen + 0.001, abs=1e-6)
    assert session.recorder.sync_marks["c"] == "00000001"


def test_anything_but_a_batch_of_messages_counts_as_forged() -> None:
    session = _session()
    for payload in ("not json", json.dumps({"key": "outbox"}), json.dumps([1, 2]), None, json.dumps([{"t": 1}])):
        session._on_storage_call({"name": "__tankStorage", "payload": payload})
    session._on_storage_call({"name": "somethingElse", "payload": "[]"})  # another binding's call: not ours
    assert session.gate.forged == 5 and not session.recorder.writes


def test_an_observer_that_reports_counts_as_answering() -> None:
    """The observer page answers no clock run or probe: its reports tell the watchdog it is alive
    (it is not pinged meanwhile); a forged message does not."""
    from harness.history.pagecall import last_answer

    class Page:
        """Stands for the observer page (weakly referenced, as Playwright's pages are)."""

    session = _session()
    session.observer = Page()  # type: ignore[assignment]
    session._on_storage_call({"name": "__tankStorage", "payload": "not json"})
    assert last_answer(session.observer) is None
    before = time.monotonic()
    session._on_storage_call({"name": "__tankStorage", "payload": json.dumps([{"sync": "00000001"}])})
    assert before <= last_answer(session.observer) <= time.monotonic()
