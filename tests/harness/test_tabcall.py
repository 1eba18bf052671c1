"""The harness's calls over a tab's own CDP session (harness/history/tabcall.py) on scripted
sessions: which document's main world is called, what a refused or thrown call becomes, and when
``pagecall`` falls back to Playwright's evaluation. No browser."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest

from harness.history import pagecall
from harness.history.tabcall import PageCallError, TabCalls, follow

TOP = "TOP"


class Session:
    """A CDP session answering ``Runtime.callFunctionOn`` from a script: each answer is a dict (the
    reply) or an exception (raised); what was sent is kept."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.handlers: dict[str, Any] = {}
        self.before_answer: Any = None

    def on(self, method: str, handler: Any) -> None:
        self.handlers[method] = handler

    async def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.sent.append((method, params or {}))
        if method != "Runtime.callFunctionOn":
            return {}
        if self.before_answer is not None:
            self.before_answer()
            self.before_answer = None
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


class Page:
    def __init__(self, closed: bool = False, answer: Any = '"by playwright"') -> None:
        self.closed, self.answer, self.evaluated = closed, answer, 0

    def is_closed(self) -> bool:
        return self.closed

    async def evaluate(self, function_js: str, arg: Any) -> Any:
        self.evaluated += 1
        return self.answer


def created(cid: int, frame: str = TOP, default: bool = True) -> dict[str, Any]:
    return {"context": {"id": cid, "auxData": {"isDefault": default, "frameId": frame}}}


def channel(session: Session) -> TabCalls:
    calls = follow(session)
    calls.bind({"targetInfo": {"targetId": TOP}})
    return calls


def test_the_top_documents_main_world_is_followed() -> None:
    session = Session()
    calls = channel(session)
    assert calls.context_id is None
    session.handlers["Runtime.executionContextCreated"](created(2, default=False))  # Playwright's utility world
    session.handlers["Runtime.executionContextCreated"](created(3, frame="IFRAME"))  # a frame's main world
    assert calls.context_id is None
    session.handlers["Runtime.executionContextCreated"](created(1))
    assert calls.context_id == 1
    session.handlers["Runtime.executionContextDestroyed"]({"executionContextId": 3})
    assert calls.context_id == 1
    session.handlers["Runtime.executionContextsCleared"]({})  # the tab navigates
    assert calls.context_id is None
    session.handlers["Runtime.executionContextCreated"](created(4))
    session.handlers["Runtime.executionContextDestroyed"]({"executionContextId": 4})
    assert calls.context_id is None


def test_a_call_sends_the_function_text_and_the_argument_text_and_returns_the_value() -> None:
    session = Session({"result": {"type": "string", "value": "[1]"}})
    calls = channel(session)
    calls.on_created(created(7))
    assert asyncio.run(calls.call("(t) => t", "[1]")) == "[1]"
    method, params = session.sent[-1]
    assert method == "Runtime.callFunctionOn"
    assert params["executionContextId"] == 7 and params["functionDeclaration"] == "(t) => t"
    assert params["arguments"] == [{"value": "[1]"}] and params["returnByValue"] and params["awaitPromise"]
    assert params["userGesture"]  # as Playwright's evaluation: a timer a run fires sees the same activation


def test_a_thrown_call_is_a_page_call_error_and_its_value_is_released() -> None:
    thrown = {"result": {}, "exceptionDetails": {"text": "Uncaught", "exception": {"description": "EvalError: no eval here\n    at x"}}}
    session = Session(thrown)
    calls = channel(session)
    calls.on_created(created(1))
    with pytest.raises(PageCallError, match="^EvalError: no eval here"):
        asyncio.run(calls.call("() => 1", None))
    assert session.sent[-1][0] == "Runtime.releaseObjectGroup"


def test_a_document_replaced_before_python_heard_of_it_is_called_once_more() -> None:
    stale = RuntimeError("CDPSession.send: Protocol error (Runtime.callFunctionOn): Cannot find context with specified id")
    session = Session(stale, {"result": {"value": "2"}})
    calls = channel(session)
    calls.on_created(created(1))
    session.before_answer = lambda: (calls.on_cleared({}), calls.on_created(created(2)))
    assert asyncio.run(calls.call("() => 1", None)) == "2"
    assert [p["executionContextId"] for m, p in session.sent if m == "Runtime.callFunctionOn"] == [1, 2]
    # The same document, gone: the refusal goes to the caller (a page gone, GONE).
    session = Session(stale)
    calls = channel(session)
    calls.on_created(created(1))
    with pytest.raises(RuntimeError, match="Cannot find context"):
        asyncio.run(calls.call("() => 1", None))


def test_one_function_decides_the_channel() -> None:
    session = Session({"result": {"value": '"over cdp"'}})
    page = Page()
    assert pagecall.channel_of(page) is None  # no session: the observer, a remote browser's page
    calls = channel(session)
    pagecall.attach(page, calls)
    assert pagecall.channel_of(page) is None  # no document known yet: Playwright waits for it
    assert asyncio.run(pagecall.evaluate(page, "() => 1", None)) == '"by playwright"'
    calls.on_created(created(1))
    assert pagecall.channel_of(page) is calls
    assert asyncio.run(pagecall.call_page(page, "() => 1", None, "a call")) == (True, "over cdp")
    assert page.evaluated == 1 and pagecall.last_answer(page) is not None


def test_a_session_lost_while_the_page_lives_falls_back_and_a_page_gone_does_not() -> None:
    page, session = Page(), Session(RuntimeError("CDPSession.send: Session closed"))
    calls = channel(session)
    calls.on_created(created(1))
    pagecall.attach(page, calls)
    assert asyncio.run(pagecall.evaluate(page, "() => 1", None)) == '"by playwright"'
    assert calls.lost and pagecall.channel_of(page) is None
    page, session = Page(), Session(RuntimeError("Protocol error (Runtime.callFunctionOn): Inspected target navigated or closed"))
    calls = channel(session)
    calls.on_created(created(1))
    pagecall.attach(page, calls)
    assert asyncio.run(pagecall.call_page(page, "() => 1", None, "a call")) == (False, None)
    assert not calls.lost and page.evaluated == 0


def test_a_world_is_named_by_its_unique_id_and_a_reused_id_is_a_new_world() -> None:
    """Context ids restart in each renderer process: the new top world may have the old one's id.
    The call names the world by its unique id, and the retry tells the two worlds apart by it."""
    stale = RuntimeError("CDPSession.send: Protocol error (Runtime.callFunctionOn): uniqueContextId not found")
    session = Session(stale, {"result": {"value": "2"}})
    calls = channel(session)
    calls.on_created({"context": {"id": 1, "uniqueId": "u-old", "auxData": {"isDefault": True, "frameId": TOP}}})
    session.before_answer = lambda: (calls.on_cleared({}), calls.on_created(
        {"context": {"id": 1, "uniqueId": "u-new", "auxData": {"isDefault": True, "frameId": TOP}}}))
    assert asyncio.run(calls.call("() => 1", None)) == "2"
    sent = [p for m, p in session.sent if m == "Runtime.callFunctionOn"]
    assert [p.get("uniqueContextId") for p in sent] == ["u-old", "u-new"]
    assert all("executionContextId" not in p for p in sent)
    # A world destroyed is found by its unique id, not by an id another process reuses.
    calls.on_created({"context": {"id": 3, "uniqueId": "u-frame", "auxData": {"isDefault": True, "frameId": "IFRAME"}}})
    calls.on_destroyed({"executionContextId": 1, "executionContextUniqueId": "u-elsewhere"})
    assert calls.context_id == 1
    calls.on_destroyed({"executionContextId": 1, "executionContextUniqueId": "u-new"})
    assert calls.context_id is None


def test_the_pages_own_exception_is_not_a_page_gone_whatever_its_words() -> None:
    """Over the tab's session the page's exception (exceptionDetails) is never GONE; through
    Playwright its form tells it: "Name: message" and a page stack, against Playwright's own words."""
    page = Page()
    words = PageCallError("Error: Execution context was destroyed\n    at get name")
    assert pagecall.page_threw(words) and not pagecall.gone(page, words)
    thrown = RuntimeError("Page.evaluate: Error: Execution context was destroyed\n    at Object.get (eval at evaluate (:370:30))")
    navigated = RuntimeError("Page.evaluate: Execution context was destroyed, most likely because of a navigation.")
    closed = RuntimeError("Page.evaluate: Target page, context or browser has been closed")
    assert pagecall.page_threw(thrown) and not pagecall.gone(page, thrown)
    assert not pagecall.page_threw(navigated) and pagecall.gone(page, navigated)
    assert pagecall.gone(page, closed) and pagecall.gone(Page(closed=True), thrown)
