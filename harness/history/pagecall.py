"""Results of the harness's own calls into a tracker page, read as JSON text.

A build shares its page's JavaScript world with the harness and may patch builtins after it
loaded. Playwright serializes an object returned by ``page.evaluate`` with the page's builtins
(``Object.keys``, ``Array.prototype.push``, ``Map``), so such a build could change what the harness
reads — a clock run that fired nothing, a probe with no work open. The instrumentation
(js/instrument.js) captures an encoder before any page script runs (``window.__tankJSON``); a call
wrapped by ``returning_json`` returns the text it makes, a string crosses untouched, and Python
parses it. A result that is not that text means the page broke something the harness relies on:
``PageResultError`` names it instead of the run going on with a wrong reading.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import re
import time
import weakref
from collections.abc import AsyncIterator, Callable
from typing import Any

from harness.history import tabcall
from harness.history.tabcall import CallTimeout, PageCallError, TabCalls

# The harness's page functions name the instrumentation's globals through ``window``, never
# ``globalThis``: ``window`` is an unforgeable property of the global object, while ``globalThis`` is
# an ordinary writable one, which a build may point at an object of its own (its own ``__pwClock``,
# ``__tankBuiltins`` and encoder) to steer every call that reads through it.
ENCODE = "(window.__tankJSON || JSON.stringify)"  # pages without the instrumentation: plain JSON

# The builtins the harness's page functions use, captured by the instrumentation before any page
# script (``window.__tankBuiltins``, frozen and non-writable): a build patching Array.prototype.push,
# sort, Map or Promise after it loaded cannot drop a timer's error, reorder or skip timers, or hide
# an unstamped write; lists are filled with ``B.put`` (a defined slot: an index setter a build puts on
# Array.prototype takes nothing). A page without the instrumentation gets its own builtins.
# ``own(p)``: a promise given its own constructor before it is awaited: ``await`` adopts a native
# promise directly only while its constructor is Promise; a build replacing
# Promise.prototype.constructor made every await go through the page's ``then`` (a run fired 0 of 2
# timers and skipped one). ``bare(v)``: what an async page function returns, without a prototype: the
# promise it settles looks ``then`` up on it, and a build defining ``Object.prototype.then`` (every
# object a thenable) kept every such call from ever settling.
BUILTINS_JS = """
const B = window.__tankBuiltins || { apply: Reflect.apply, push: Array.prototype.push,
  put: (list, i, x) => { list[i] = x; },
  sort: Array.prototype.sort, mapGet: Map.prototype.get, mapDelete: Map.prototype.delete,
  mapForEach: Map.prototype.forEach,
  then: Promise.prototype.then, Promise, define: Object.defineProperty, setProto: Object.setPrototypeOf,
  getItem: typeof Storage !== "undefined" ? Storage.prototype.getItem : null };
const own = (p) => { B.define(p, "constructor", { value: B.Promise }); return p; };
const bare = (v) => { if (v !== null && typeof v === "object") B.setProto(v, null); return v; };
"""

# The page clock's next due timer (at or before ``beforeTick`` when given), as Playwright's
# ``_firstTimer`` finds it but without its ``for (… of this._timers.values())``: that walks the
# page's Map iterator, which a build may patch (the clock would then see no timer due and move
# past them all). ``B.mapForEach`` is the instrumentation's captured ``Map.prototype.forEach``.
FIRST_TIMER_JS = """
const firstTimer = (c, beforeTick, B) => {
  let first = null;
  const earlier = (a, b) => a.callAt - b.callAt
    || ((a.type === "Immediate") === (b.type === "Immediate") ? 0 : (a.type === "Immediate" ? -1 : 1))
    || (a.createdAt - b.createdAt) || (a.id - b.id);
  B.apply(B.mapForEach, c._timers, [(t) => {
    if ((beforeTick === undefined || t.callAt <= beforeTick) && (!first || earlier(t, first) < 0)) first = t;
  }]);
  return first;
};
"""

# Playwright's clock controller, pinned by the instrumentation (null: none, or not readable).
CLOCK_JS = """
const clockOf = () => { const c = window.__pwClock && window.__pwClock.controller;
  return c && typeof c._firstTimer === "function" ? c : null; };
"""

# What a clock probe reads of a page (``ContextSession.probe_detail``; a run's closing probe, read
# the same way: ``pagetime.PageRun.probe``): sends in flight, Web Locks pending, the next due timer
# (page time; null: none; -1: the clock is not readable), lock names waited for and held.
PROBE_READ_JS = BUILTINS_JS + FIRST_TIMER_JS + CLOCK_JS + """
const dueOf = (c) => { if (!c) return -1; const t = firstTimer(c, undefined, B);
  return t ? c._now.time + (t.callAt - c._now.ticks) : null; };
const probeRead = (c) => [window.__tankInflight || 0, window.__tankLocks || 0, dueOf(c),
  window.__tankLockWaits || {}, window.__tankLocksHeld || {}];
"""


# When each page last answered one of the harness's calls (clock run, probe): a page that answers
# is not stalled, and the watchdog need not ping it (harness/run/watchdog.py).
_answers: "weakref.WeakKeyDictionary[Any, float]" = weakref.WeakKeyDictionary()

# The real-time clock answers are stamped with; the watchdog reads them against the same one. A
# test replaces it (and gives the watchdog the same) to tell a slow page from a stalled one exactly.
clock: Callable[[], float] = time.monotonic


def answered(page: Any) -> None:
    """Note that ``page`` just answered a harness call."""
    _answers[page] = clock()


def last_answer(page: Any) -> float | None:
    """When ``page`` last answered a harness call (on ``clock``), or None."""
    return _answers.get(page)


class PageResultError(RuntimeError):
    """A harness page call returned something other than the instrumentation's JSON text."""


# What a failed call says when the page navigated, closed or crashed: no diagnosis is needed.
# Playwright's words, then CDP's (a call over the tab's own session, harness/history/tabcall.py).
GONE = ("Execution context was destroyed", "has been closed", "Target closed", "Frame was detached",
        "frame was detached", "Cannot find context with specified id", "Navigation", "crashed",
        "Inspected target navigated or closed", "Cannot find default execution context", "Session closed",
        "No session with given id", "No target with given id", "Target crashed",
        "uniqueContextId not found")


# What the page threw as Playwright words it: "Page.evaluate: Name: message" and the page's stack.
# Playwright's own words for a document gone have no "Name: " before them and no page stack.
_PW_PREFIX = re.compile(r"^\w+\.\w+: ")
_THROWN = re.compile(r"^[A-Za-z_$][\w$]*: ")


def page_threw(exc: BaseException) -> bool:
    """``exc`` is the page's own exception (the harness's function threw in it), not the browser's
    word for a document gone: over the tab's session CDP tells them apart (exceptionDetails:
    ``PageCallError``); through Playwright, by its form (a thrown value that is a bare string worded
    exactly as Playwright's own text cannot be told apart: docs/isolation.md)."""
    if isinstance(exc, PageCallError):
        return True
    text = _PW_PREFIX.sub("", str(exc), count=1)
    return bool(_THROWN.match(text)) or "\n    at " in text


def gone(page: Any, exc: BaseException) -> bool:
    """A harness call into ``page`` failed with ``exc`` because the page navigated, closed or crashed."""
    return page.is_closed() or not page_threw(exc) and any(g in str(exc) for g in GONE)


# Per page: its tab's own CDP session as a channel for the harness's calls (harness/world/context.py
# attaches it for every tab of a local browser). A page without one — the observer, a page of a
# remote browser, a session lost — is called through Playwright's evaluation.
_channels: "weakref.WeakKeyDictionary[Any, TabCalls]" = weakref.WeakKeyDictionary()


def attach(page: Any, channel: TabCalls) -> None:
    """Make ``page``'s calls go over ``channel``, its tab's own CDP session."""
    _channels[page] = channel


def channel_of(page: Any) -> TabCalls | None:
    """How the harness calls ``page`` — the one place that decides: its tab's CDP session while it
    has one, works and knows the page's top document; else None: Playwright's evaluation (which also
    waits for a document being replaced)."""
    channel = _channels.get(page)
    return channel if channel is not None and not channel.lost and channel.context_id is not None else None


async def evaluate(page: Any, function_js: str, arg_text: str | None) -> Any:
    """Call ``function_js`` (taking its one argument as JSON text: ``taking_json``) in ``page`` over
    the channel ``channel_of`` chooses, and return what it returned."""
    channel = channel_of(page)
    if channel is not None:
        try:
            return await channel.call(function_js, arg_text)
        except PageCallError:
            raise
        except Exception as exc:  # noqa: BLE001 - CDP refused: a page gone says so; a session lost falls back
            if page.is_closed() or any(g in str(exc) for g in GONE) and "Session closed" not in str(exc):
                raise
            channel.lost = True
    return await tabcall.bounded(page.evaluate(function_js, arg_text))  # the same bound as the tab's session
TAMPERED_JS = "typeof __tankTampered === 'function' ? __tankTampered() : null"


@contextlib.asynccontextmanager
async def _cdp(page: Any) -> AsyncIterator[Any]:
    """A CDP session of ``page``: its tab's own (``attach``) while that works, else one opened for
    this and detached after (quietly: the page may have gone meanwhile)."""
    channel = _channels.get(page)
    if channel is not None and not channel.lost:
        yield channel.cdp
        return
    cdp = await page.context.new_cdp_session(page)
    try:
        yield cdp
    finally:
        try:
            await cdp.detach()
        except Exception:  # noqa: BLE001 - the page went meanwhile
            pass


async def tampered(page: Any) -> list[str] | None:
    """The builtins the build replaced among those the instrumentation watches (instrument.js
    ``__tankTampered``), asked over CDP: ``Runtime.evaluate`` returns the list by value, serialized by
    the browser itself, while Playwright's own evaluation may be what the build broke. None when the
    page cannot be asked (gone, not Chromium)."""
    value = await _value_over_cdp(page, TAMPERED_JS)
    return [str(x) for x in value] if isinstance(value, list) else None


async def _value_over_cdp(page: Any, expression: str) -> Any:
    """``expression``'s value in ``page``, by value over CDP (None when the page cannot be asked:
    closing, or a browser without CDP)."""
    try:
        async with _cdp(page) as cdp:
            answer = await cdp.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
    except Exception:  # noqa: BLE001 - closing, or a browser without CDP
        return None
    return answer.get("result", {}).get("value")


CLOCK_THREW_JS = "window.__tankClockThrew"


async def clock_threw(page: Any) -> tuple[str, str] | None:
    """The first exception a timer of ``page`` threw in Playwright's last clock jump or run, as
    (``Name: message``, its stack), read over CDP (instrument.js ``__tankClockThrew``); None when none
    threw or the page cannot say."""
    value = await _value_over_cdp(page, CLOCK_THREW_JS)
    return (value[0], value[1]) if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value) else None


class TamperedPageError(PageResultError):
    """A harness call failed on a page whose build replaced builtins the call relies on (named)."""


# A harness-shaped call (an argument in as JSON text, a captured promise awaited, a bare result out
# as the instrumentation's JSON text), made over the route the harness's calls take: what
# ``culprits`` retries with some of the replaced builtins put back.
CHECK_JS = "async (arg) => {" + BUILTINS_JS + "  await own(new B.Promise((r) => r(0)));\n  return bare(arg);\n}"
CHECK_TEXT = '[1,"x",[2]]'
CHECK_S = 5.0  # a call whose answer the build lost never returns


async def culprits(page: Any, names: list[str]) -> tuple[list[str], list[str]]:
    """(the replaced builtins that break a harness call, those that do not): each of ``names`` is
    left replaced alone, the others put back (instrument.js ``__tankTampered(keep)``), and a harness
    call is tried; it fails with only a culprit left. When the call works with everything replaced,
    or fails with everything put back, the page cannot tell: all are named. Each try is undone."""
    if len(names) < 2:
        return names, []
    check = taking_json(returning_json(CHECK_JS, is_async=True))
    try:
        async with _cdp(page) as cdp:

            async def works(keep: list[str]) -> bool:
                try:
                    await cdp.send("Runtime.evaluate", {"expression": f"__tankTampered({json.dumps(keep)})", "returnByValue": True})
                    answer = await asyncio.wait_for(evaluate(page, check, CHECK_TEXT), CHECK_S)
                    return bool(answer == CHECK_TEXT)
                except Exception:  # noqa: BLE001 - the call failed: that is the answer
                    return False
                finally:
                    await cdp.send("Runtime.evaluate", {"expression": "__tankTampered(false)", "returnByValue": True})

            if not await works([]) or await works(list(names)):
                return names, []
            guilty = [n for n in names if not await works([n])]
    except Exception:  # noqa: BLE001 - closing, or a browser without CDP
        return names, []
    return (guilty, [n for n in names if n not in guilty]) if guilty else (names, [])


async def _tampering_named(page: Any, what: str, failure: str, names: list[str]) -> PageResultError:
    guilty, harmless = await culprits(page, names)
    also = (f" (also replaced, and the harness's calls work with it: {', '.join(harmless)})" if harmless else "")
    return TamperedPageError(f"{what}: {failure}: the build replaced {', '.join(guilty)}{also} — the harness's calls and "
                             "Playwright's clock run on the page's own builtins, so this page cannot be driven or read")


async def raise_if_tampered(page: Any, exc: BaseException, what: str) -> None:
    """Raise, from ``exc`` (a harness call ``what`` that failed on ``page``), the error naming the
    builtins the page's build replaced among those the instrumentation watches; return when the page
    is navigating, closing or gone, or nothing is replaced (the caller decides as before)."""
    if gone(page, exc):
        return
    names = await tampered(page)
    if names:
        raise await _tampering_named(page, what, "the call failed (" + _first_line(exc) + ")", names) from exc


def _first_line(exc: BaseException) -> str:
    """What a failed call said, for an error text: its first line, at most 160 characters."""
    return (str(exc).splitlines() or [""])[0][:160]


async def call_page(page: Any, function_js: str, arg: Any, what: str) -> tuple[bool, Any]:
    """Evaluate a ``returning_json`` call in ``page``: (True, parsed value), or (False, None) when the
    page is navigating, closing or gone. A call that fails otherwise, or answers with anything but
    the instrumentation's JSON text, on a page whose build replaced builtins Playwright or the
    harness rely on is a ``PageResultError`` naming them, not a page taken for one that navigated:
    the page's own exception is diagnosed whatever its words (``page_threw``), and is an error with
    nothing replaced too."""
    try:
        raw = await evaluate(page, taking_json(function_js), None if arg is None else json.dumps(arg, separators=(",", ":")))
    except Exception as exc:  # noqa: BLE001 - navigating, closing or crashed: its new document replays the log
        await raise_if_tampered(page, exc, what)
        if isinstance(exc, CallTimeout):  # the page lives and nothing watched is replaced: say so, not gone
            raise PageResultError(f"{what}: {exc}") from exc
        if page_threw(exc) and not page.is_closed():
            # A document going away fails the call in the browser's words (``GONE``), never with an
            # exception of the page: the harness's function threw on something the build put in its
            # way with nothing watched replaced (a throwing getter on one of the clock's timers).
            thrown = _PW_PREFIX.sub("", _first_line(exc), count=1)
            raise PageResultError(f"{what}: the page threw in the harness's call ({thrown}): the build "
                                  "changed what the call reads, so this page cannot be driven or read") from exc
        return False, None
    answered(page)
    try:
        return True, parse_result(raw, what)
    except PageResultError as exc:
        names = await tampered(page)
        if names:
            raise await _tampering_named(page, what, "the page answered " + type(raw).__name__ + " instead of JSON text", names) from exc
        raise


# Per page: its document (the instrumentation's load id) and the count of page-time changes its
# clock controller had made when the harness's last run of it returned.
_left: "weakref.WeakKeyDictionary[Any, tuple[str, int]]" = weakref.WeakKeyDictionary()


def forget(page: Any) -> None:
    """Page time of ``page`` moved by the harness outside its runs (Playwright's jump): the next run
    does not compare with the last one."""
    _left.pop(page, None)


def check_moves(page: Any, raw: Any, what: str) -> None:
    """``PageResultError`` when page time of ``page`` changed other than by the harness: a write the
    instrumentation refused, or a change its controller made that no run of the harness made (during
    this run, or since the last one of the same document). The page's ``Date.now``, the stamps and
    reports it makes and the clock's runs then follow the build, not the harness."""
    if not (isinstance(raw, list) and len(raw) == 6):
        return
    doc, m0, m1, own, refused, first = raw
    name = "window.__pwClock.controller"
    if refused:
        raise PageResultError(f"{what}: the build wrote the page clock's time ({name}._now.{first}; {int(refused)} "
                              "write(s), refused): a build that sets its own page time cannot be run on the harness's clock")
    last = _left.get(page)
    if last is not None and last[0] == doc and last[1] != m0:
        raise PageResultError(f"{what}: page time moved {int(m0) - last[1]} time(s) between the harness's runs: the build "
                              f"called {name}'s methods itself (setSystemTime, fastForward, _advanceNow …) — its page "
                              "times and timers no longer follow the harness's clock")
    if int(m1) - int(m0) != int(own):
        raise PageResultError(f"{what}: page time moved {int(m1) - int(m0) - int(own)} time(s) during the run besides the "
                              f"run's own steps: the build called {name}'s methods itself (setSystemTime, fastForward, "
                              "_advanceNow …) — its page times and timers no longer follow the harness's clock")
    _left[page] = (str(doc), int(m1))


# The argument of a call crosses as one JSON text, parsed in the page by the JSON.parse the
# instrumentation captured before any page script (js/instrument.js, ``__tankBuiltins.parse``; it
# builds arrays and objects natively, whatever a build put on their prototypes). Playwright
# serializes an argument value by value and validates every value against its protocol schema in
# Python, then rebuilds it with the page's builtins: measured for a bulk clock run's five arguments,
# 561 µs of validation and 133 µs of serialization against 27 and 44 µs for the same as one text,
# at about one call per clock stop (bench/pw_messages.py).
DECODE = "((B) => (B && B.parse ? (t) => B.apply(B.parse, JSON, [t]) : JSON.parse))(window.__tankBuiltins)"


@functools.lru_cache(maxsize=64)
def taking_json(function_js: str) -> str:
    """``function_js`` (``(arg) => …``) as a page function taking its argument as JSON text (no
    argument: none; a call without one works wherever it did, see ``call_page``): the same text for
    every call of one function, so the page compiles it once."""
    return f"(text) => ({function_js})(typeof text === 'string' ? {DECODE}(text) : text)"


# The promise an async page function returns, given its own constructor before it is awaited: an
# ``await`` of a promise whose constructor is not Promise (a build replaced
# Promise.prototype.constructor) goes through the page's ``then`` (harness/run/pagetime.py ``own``).
OWN = ("((B) => (p) => { (B && B.define || Object.defineProperty)(p, 'constructor', { value: B && B.Promise || Promise }); "
       "return p; })(window.__tankBuiltins)")


def returning_json(function_js: str, is_async: bool = False) -> str:
    """Wrap a page function (``(arg) => value``) so it returns its value as JSON text."""
    if is_async:
        return f"async (arg) => {ENCODE}(await {OWN}(({function_js})(arg)))"
    return f"(arg) => {ENCODE}(({function_js})(arg))"


def parse_result(raw: object, what: str) -> Any:
    """The value a wrapped call returned, parsed; a clear error when the page did not return JSON text."""
    if not isinstance(raw, str):
        raise PageResultError(f"{what}: the page returned {type(raw).__name__} instead of JSON text: the build "
                              "replaced page builtins the harness reads its results through")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise PageResultError(f"{what}: the page returned text that is not JSON ({raw[:80]!r}): the build "
                              "replaced page builtins the harness reads its results through") from exc


def require(value: Any, what: str, keys: tuple[str, ...] = (), length: int | None = None) -> Any:
    """``value`` if it has the shape the page function returns (an object with ``keys``, or a list of
    ``length``); else ``PageResultError``."""
    if keys and not (isinstance(value, dict) and all(k in value for k in keys)):
        raise PageResultError(f"{what}: the page's answer lacks {', '.join(keys)} ({str(value)[:80]}): the build "
                              "changed what the harness reads")
    if length is not None and not (isinstance(value, list) and len(value) == length):
        raise PageResultError(f"{what}: the page's answer is not a list of {length} ({str(value)[:80]}): the build "
                              "changed what the harness reads")
    return value
