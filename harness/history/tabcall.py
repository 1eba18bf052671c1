"""The harness's page calls over a tab's own CDP session, in the main world of its top document.

Playwright's ``page.evaluate`` makes each call a message to the driver, which runs it through its
utility script in the page (the page's ``eval``, its array methods and iterators) and serializes the
argument and the result twice. Every tab already has a CDP session of its own (its send reports,
harness/world/context.py); this module makes the same call there: ``Runtime.callFunctionOn`` with
the function's text (the same text for every call of one function: the page compiles it once), the
argument as one JSON text, ``awaitPromise`` and ``returnByValue`` of the JSON text the
instrumentation encodes. No page builtin runs on the way in or out: the browser calls the function
and awaits its promise natively and hands back a string.

The call runs in the top document's main world (the instrumentation's captured builtins and
``__pwClock`` live there): its execution context is followed from the session's ``Runtime`` events,
which the session gets anyway (``Runtime.enable``, needed by the report binding). A context id is
numbered per renderer process and restarts in each new one (over cross-site navigations the top
world's ids were 3, 1, 1, 1, 1), so an old id can name a child iframe's world in the new process: a
call names its world by the context's ``uniqueId`` (``uniqueContextId``, unique across processes),
which CDP refuses rather than run elsewhere once that world is gone.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


class PageCallError(RuntimeError):
    """A call over the tab's session that the page or the browser refused (the message says why, in
    the words of the page's exception or of CDP)."""


class CallTimeout(PageCallError):
    """A call the page never answered while it lived: ``Runtime.callFunctionOn`` has no timeout of
    its own and the watchdog's ping (a separate evaluation) still answers, so a build that keeps what
    the call awaits from settling (a dropped promise reaction) held the scenario to its wall budget."""


# Longer than any legitimate call (a bulk run returns after a 1 s slice plus at most a settle
# budget of a few seconds) and than the watchdog's STALL_S (30 s, harness/run/watchdog.py): a page
# busy in a loop answers nothing, and the watchdog names that first.
CALL_TIMEOUT_S = 60.0

async def bounded(call: Awaitable[Any]) -> Any:
    """``call``'s answer, or ``CallTimeout`` after ``CALL_TIMEOUT_S``: neither CDP's
    ``Runtime.callFunctionOn`` nor Playwright's evaluation has a timeout of its own."""
    try:
        return await asyncio.wait_for(call, CALL_TIMEOUT_S)
    except asyncio.TimeoutError:
        raise CallTimeout(f"the call did not answer in {CALL_TIMEOUT_S:g} s: the page kept what it awaits "
                          "from settling (a page busy in a loop is named by the watchdog first)") from None


# CDP's words for a call whose document is gone (navigated away, closed, crashed): named by its id,
# or by its unique id.
STALE_CONTEXT = "Cannot find context with specified id"
STALE_UNIQUE = "uniqueContextId not found"


class TabCalls:
    """A tab's CDP session as a channel for the harness's calls, and the top document's main world
    it calls into. Fed by the session's ``Runtime.executionContext*`` events (``on_created`` …)."""

    def __init__(self, cdp: Any) -> None:
        self.cdp = cdp
        self.frame: str | None = None  # the tab's top frame (its target id): set by ``bind``
        self._worlds: dict[str, tuple[int, str | None]] = {}  # frame id -> its main world's (id, uniqueId)
        self.lost = False  # the session failed while the page lived: calls go through Playwright

    def bind(self, target_info: dict[str, Any]) -> None:
        """The answer of ``Target.getTargetInfo`` on the session: a page target's id is its top frame's."""
        self.frame = str((target_info.get("targetInfo") or {}).get("targetId") or "") or None

    @property
    def context_id(self) -> int | None:
        """The top document's main world, or None (between two documents, or not known yet)."""
        world = self._world
        return world[0] if world is not None else None

    @property
    def _world(self) -> tuple[int, str | None] | None:
        return self._worlds.get(self.frame) if self.frame is not None else None

    def on_created(self, params: dict[str, Any]) -> None:
        context = params.get("context") or {}
        aux = context.get("auxData") or {}
        if aux.get("isDefault") and isinstance(context.get("id"), int) and aux.get("frameId"):
            unique = context.get("uniqueId")
            self._worlds[str(aux["frameId"])] = (context["id"], unique if isinstance(unique, str) and unique else None)

    def on_destroyed(self, params: dict[str, Any]) -> None:
        # By the unique id when CDP gives it: a plain id may be another process's world.
        unique = params.get("executionContextUniqueId")
        gone = params.get("executionContextId")
        for frame, (cid, uid) in list(self._worlds.items()):
            if (uid == unique) if unique and uid else cid == gone:
                del self._worlds[frame]

    def on_cleared(self, params: dict[str, Any]) -> None:
        self._worlds.clear()

    async def call(self, function_js: str, arg_text: str | None) -> Any:
        """Call ``function_js`` (one argument: ``arg_text``) in the top document's main world, await
        it, and return its value (a string for the harness's calls). ``PageCallError`` when the page
        threw (``CallTimeout``: it never answered in ``CALL_TIMEOUT_S``), ``playwright`` errors when
        CDP refused (a document gone: "Cannot find context …"). A document that was replaced after this call was sent but before Python heard of it is called
        once more in the new one, as Playwright's evaluation would have."""
        world = self._world
        for _ in range(2):
            if world is None:
                raise PageCallError(f"{STALE_CONTEXT} (no document)")
            params: dict[str, Any] = {
                "functionDeclaration": function_js, "arguments": [{"value": arg_text}],
                "returnByValue": True, "awaitPromise": True, "objectGroup": "tank-call",
                # As Playwright's evaluation calls (the route a page without this session takes): a
                # timer a clock run fires sees the same navigator.userActivation either way.
                "userGesture": True}
            if world[1] is not None:
                params["uniqueContextId"] = world[1]
            else:  # a browser that does not say it: the plain id (unique within its process)
                params["executionContextId"] = world[0]
            try:
                answer = await bounded(self.cdp.send("Runtime.callFunctionOn", params))
            except CallTimeout:
                raise
            except Exception as exc:  # noqa: BLE001 - re-raised unless the document was replaced meanwhile
                now = self._world
                if (STALE_CONTEXT in str(exc) or STALE_UNIQUE in str(exc)) and now is not None and now != world:
                    world = now
                    continue
                raise
            details = answer.get("exceptionDetails")
            if details is not None:
                await self._release()
                raise PageCallError(describe_exception(details))
            return (answer.get("result") or {}).get("value")
        raise PageCallError(STALE_CONTEXT)

    async def _release(self) -> None:
        """Free the thrown value the session holds for us (an exception is kept as a remote object)."""
        try:
            await self.cdp.send("Runtime.releaseObjectGroup", {"objectGroup": "tank-call"})
        except Exception:  # noqa: BLE001 - the page went meanwhile: nothing is held any more
            pass


def describe_exception(details: dict[str, Any]) -> str:
    """What the page threw, as Playwright's evaluation words it (the exception's description, whose
    first line is ``Name: message``), else CDP's own text."""
    exception = details.get("exception") or {}
    text = exception.get("description") or exception.get("value") or details.get("text") or "the call threw"
    return str(text)


def follow(cdp: Any, on_event: Callable[[Any, str, Callable[[dict[str, Any]], None]], None] | None = None) -> TabCalls:
    """A channel over ``cdp`` fed by its ``Runtime.executionContext*`` events (registered with
    ``on_event(cdp, method, handler)``, default ``cdp.on``). The session's ``Runtime.enable`` (which
    reports the contexts there are) and ``Target.getTargetInfo`` (``TabCalls.bind``) are the caller's."""
    calls = TabCalls(cdp)
    register = on_event or (lambda session, method, handler: session.on(method, handler))
    register(cdp, "Runtime.executionContextCreated", calls.on_created)
    register(cdp, "Runtime.executionContextDestroyed", calls.on_destroyed)
    register(cdp, "Runtime.executionContextsCleared", calls.on_cleared)
    return calls
