"""Send API shapes: a profile declares how a ``send`` step reaches the build (call, object,
queue, event, none), validated with file and line; the page receives exactly the declared call;
a declaration the build does not listen to is an environment error naming send_api."""
from __future__ import annotations

import pytest

from harness.builds.diagnostics import start_problem
from harness.builds.profile import parse_profile
from harness.contract.adapter import Adapter, SendApi
from harness.contract.errors import UsageProblem
from harness.contract.history import Envelope, History, Intent, Op, OutboxWrite
from harness.driver.journey import SEND_JS

VALUES = ("conversion", "quote", "lbl", 3, {"k": 1})


def _api(text: str) -> SendApi:
    return parse_profile(f"name: x\nadapter: {{api_name: acme}}\nsend_api: {text}\n", "p.yaml").adapter.send_api


def test_each_shape_fills_its_template() -> None:
    assert _api("{shape: call}").fill(*VALUES) == list(VALUES)
    assert _api("{shape: object, method: track}").fill(*VALUES) == [
        {"category": "conversion", "action": "quote", "label": "lbl", "value": 3, "meta": {"k": 1}}]
    queue = _api("{shape: queue, name: _q, item: [event, $action, {c: $category, m: $meta}]}")
    assert queue.fill(*VALUES) == ["event", "quote", {"c": "conversion", "m": {"k": 1}}]
    assert queue.describe("acme") == "window._q.push(…)"
    event = _api("{shape: event, name: 'acme:track', target: document, detail: {type: $action, cat: $category}}")
    assert event.fill(*VALUES) == {"type": "quote", "cat": "conversion"} and "document.dispatchEvent" in event.describe("acme")
    assert _api("{shape: none}").describe("acme") == "no send API (clicks only)"


def test_send_api_errors_name_file_line_and_cause() -> None:
    with pytest.raises(UsageProblem) as err:
        parse_profile("name: x\nsend_api:\n  shape: queue\n  method: push\n  item: [$catgory, $action]\n"
                      "  target: body\n", "p.yaml")
    text = str(err.value)
    for expected in ("p.yaml:4: send_api.method: not used with shape 'queue'", "p.yaml:5: send_api.item: unknown "
                     "placeholder '$catgory' (did you mean '$category'?)", "p.yaml:6: send_api.target"):
        assert expected in text, text
    for bad, expected in (("{shape: evnt}", "did you mean 'event'"), ("{name: q}", "'shape' is required"),
                          ("{shape: event, detail: {a: $category, b: $action}}", "'name' is required"),
                          ("{shape: call, args: [$label]}", "must carry $category and $action"),
                          ("{shape: object, args: {a: $category}}", "arguments as a list"),
                          ("{shape: call, name: 'my.api'}", "send_api.name")):
        with pytest.raises(UsageProblem, match="p.yaml:") as err:
            parse_profile(f"name: x\nsend_api: {bad}\n", "p.yaml")
        assert expected in str(err.value), (bad, str(err.value))


def _history(sent: tuple[str, str], stored: list[tuple[str, str]]) -> History:
    intents = (Intent("i1", "a", "p1", *sent),)
    envs = tuple(Envelope(id=f"e{i}", ts=0, payload={"ec": ec, "ea": ea}, attempts=0) for i, (ec, ea) in enumerate(stored))
    return History(scenario="s", outbox_key="q", deadletter_key=None, t_page_end=1000,
                   ops=[Op(1, "send", 0, 0.0, "a", "p1", intents=intents)],
                   writes=[OutboxWrite(1, 0, 0.0, "a", "q", added=envs)])


def test_a_declared_api_the_build_does_not_read_is_an_environment_error() -> None:
    adapter = Adapter(outbox_key="q", api_name="acme", send_api=SendApi(shape="event", name="acme:track"))
    problem = start_problem(_history(("conversion", "quote"), [("interaction", "view")]), adapter)
    assert problem and "none of the 1 kind(s) sent through window.dispatchEvent" in problem and "send_api" in problem
    assert start_problem(_history(("conversion", "quote"), [("interaction", "view"), ("conversion", "quote")]),
                         adapter) is None


@pytest.mark.browser
def test_the_page_receives_exactly_the_declared_call() -> None:
    from playwright.sync_api import sync_playwright

    from harness.world.browser import find_browser

    receiver = """<script>
      window.got = [];
      window.acme = { send: (...a) => got.push(["send", a]), track: (o) => got.push(["track", o]) };
      window.addEventListener("acme:track", (e) => got.push(["event", e.detail]));
      window._q = [];
    </script>"""
    shapes = {"{shape: call}": ["send", list(VALUES)],
              "{shape: object}": ["track", {"category": "conversion", "action": "quote", "label": "lbl", "value": 3,
                                            "meta": {"k": 1}}],
              "{shape: event, name: 'acme:track', detail: {c: $category, a: $action}}": ["event", {"c": "conversion",
                                                                                                 "a": "quote"}]}
    with sync_playwright() as p:
        browser = p.chromium.launch(**find_browser(p).launch_kwargs())  # type: ignore[arg-type]
        try:
            page = browser.new_page()
            page.set_content(receiver)
            for text, expected in shapes.items():
                api = _api(text)
                assert page.evaluate(SEND_JS, [api.shape, api.name or "acme", api.method_name(), api.target,
                                               api.fill(*VALUES)]) is None
                assert page.evaluate("got.pop()") == expected, text
            queue = _api("{shape: queue, name: _late, item: [track, $category, $action]}")
            assert page.evaluate(SEND_JS, ["queue", "_late", "", "window", queue.fill(*VALUES)]) is None
            assert page.evaluate("window._late") == [["track", "conversion", "quote"]]  # created before the build
            assert page.evaluate(SEND_JS, ["call", "nobody", "send", "window", []]) == "window.nobody.send is missing"
        finally:
            browser.close()
