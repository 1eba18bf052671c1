"""The driver: a visitor's journey (open, click, send, navigate, reload, close) and time.

Each step records an op (with the events it is expected to cause, as intents) *before* acting,
after flushing the observer, so "what was pending just before" is exact. A step then waits for
its own context's work to settle: page time does not move within a step, and other contexts
(other visitors) share nothing with this one a page could see but the network.
"""
from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from urllib.parse import urlencode

from harness.contract import site
from harness.contract.history import Intent
from harness.driver import pointer
from harness.history.pagecall import raise_if_tampered
from harness.run.state import ScenarioRun, StepFailed
from harness.scenario import model as m
from harness.world.context import SYNC_KEY, ContextSession

# What a click on a named target must make the build enqueue (SPEC §2 auto events), and the
# named links that leave the page: both declared with the site in ``harness.contract.site``.
CLICK_EVENTS: dict[str, tuple[str, str]] = {n: t.event for n, t in site.CLICK_TARGETS.items() if t.event}
NAVIGATING_CLICKS = {n for n, t in site.CLICK_TARGETS.items() if t.navigates_to}

HUMAN_GAP_MS = (800, 2500)
"""A person's pause between two clicks in one tab, drawn per click from the scenario's seed. Two
clicks at the same instant are a script's, not a visitor's: a build that debounces repeated
clicks would be blamed for losing the second. Docs: docs/scenarios.md, "Clicks"."""


def _resolver(fut: asyncio.Future[None]) -> Callable[[object], None]:
    """A page-event listener that resolves ``fut``, once."""
    def resolve(_: object) -> None:
        if not fut.done():
            fut.set_result(None)
    return resolve


def page_url(run: ScenarioRun, page: str, query: dict[str, str] | None = None) -> str:
    path = site.page_path(page)
    url = f"{run.stub.site_url}{path}"
    if query:
        url += ("&" if "?" in url else "?") + urlencode(query)
    return url


def _view(run: ScenarioRun, session: ContextSession, tab: str) -> tuple[Intent, ...]:
    """A page load must make the build enqueue its page view."""
    return (run.intent(session, tab, "interaction", "view"),)


async def open_page(run: ScenarioRun, step: m.Open) -> None:
    session = await run.session(step.context)
    if step.tab in session.tabs and not session.tabs[step.tab].is_closed():
        raise StepFailed(step.line, f"tab {step.tab!r} is already open; use navigate")
    await session.flush()
    run.op("open", session=session, tab=step.tab, detail={"page": step.page}, intents=_view(run, session, step.tab))
    page = await session.new_tab(step.tab)
    await page.goto(page_url(run, step.page, step.query), referer=step.referrer, wait_until="load")
    await run.clock.settle(session)


async def navigate(run: ScenarioRun, step: m.Navigate) -> None:
    session = await run.session(step.context)
    page = run.tab(session, step.tab, step.line)
    await session.flush()
    run.op("navigate", session=session, tab=step.tab, detail={"page": step.page}, intents=_view(run, session, step.tab))
    await page.goto(page_url(run, step.page, step.query), wait_until="load")
    await _after_unload(run, session)


async def reload(run: ScenarioRun, step: m.Reload) -> None:
    session = await run.session(step.context)
    page = run.tab(session, step.tab, step.line)
    await session.flush()
    run.op("reload", session=session, tab=step.tab, intents=_view(run, session, step.tab))
    await page.reload(wait_until="load")
    await _after_unload(run, session)


async def close(run: ScenarioRun, step: m.Close) -> None:
    session = await run.session(step.context)
    page = run.tab(session, step.tab, step.line)
    await session.flush()
    run.op("close", session=session, tab=step.tab, detail={"before_unload": step.before_unload})
    closed = asyncio.get_running_loop().create_future()
    page.once("close", _resolver(closed))
    await page.close(run_before_unload=step.before_unload)
    try:
        await asyncio.wait_for(closed, 5)
    except asyncio.TimeoutError as exc:
        raise StepFailed(step.line, "the page did not close within 5 s (a beforeunload dialog?)") from exc
    await _after_unload(run, session)


async def crash(run: ScenarioRun, step: m.Crash) -> None:
    """Kill the tab's renderer (CDP ``Page.crash``): no unload handler runs, no beacon goes out."""
    session = await run.session(step.context)
    page = run.tab(session, step.tab, step.line)
    await session.flush()
    run.op("crash", session=session, tab=step.tab)
    crashed = asyncio.get_running_loop().create_future()
    page.once("crash", _resolver(crashed))
    cdp = await session.context.new_cdp_session(page)
    send = asyncio.ensure_future(cdp.send("Page.crash"))  # never answers: the target dies first
    try:
        await asyncio.wait_for(crashed, 5)
    except asyncio.TimeoutError as exc:
        raise StepFailed(step.line, "the tab did not crash within 5 s") from exc
    finally:
        send.add_done_callback(lambda t: t.cancelled() or t.exception())  # nobody waits for its error
        send.cancel()
    await page.close()
    await _after_unload(run, session)


def human_gap(run: ScenarioRun, context: str, tab: str) -> int:
    """Page time (ms) still to pass before a click in ``(context, tab)`` so it follows the tab's
    previous click by a person's pause; 0 after no earlier click, or when an ``advance``/``jump``
    came between (the scenario set the spacing itself)."""
    ops = run.recorder.ops
    clicks = [o for o in ops if o.context == context and o.page == tab
              and (o.kind == "click" or (o.kind == "navigate" and "click" in o.detail))]
    if not clicks or any(o.kind == "advance" and o.seq > clicks[-1].seq for o in ops):
        return 0
    draw = random.Random(f"{run.scenario.seed}|click|{context}|{tab}|{len(clicks)}")
    return max(0, draw.randint(*HUMAN_GAP_MS) - (run.now - clicks[-1].t_page))


async def click(run: ScenarioRun, step: m.Click) -> None:
    session = await run.session(step.context)
    page = run.tab(session, step.tab, step.line)
    gap = 0 if step.at_once else human_gap(run, session.name, step.tab)
    if gap:
        await run.flush()
        run.op("advance", detail={"ms": gap, "mode": "run", "human_gap": True})
        await run.clock.advance(gap, "run")
    found: list[object] = ["scroll"]  # what the clicked tab's flush write found (default: locate again)

    async def locate_marking(token: str) -> bool | None:  # the flush and the click's locate: one page call
        wrote, found[0] = await pointer.locate_marking(page, step.selector, (SYNC_KEY, token))
        return wrote

    await session.flush(via=page, write=locate_marking)
    if step.target in NAVIGATING_CLICKS:
        run.op("navigate", session=session, tab=step.tab, detail={"click": step.target},
               intents=_view(run, session, step.tab))
        async with page.expect_navigation(wait_until="load"):
            await pointer.click(page, step.selector, found[0])
        await _after_unload(run, session)
        return
    event = CLICK_EVENTS.get(step.target)
    intents = (run.intent(session, step.tab, *event),) if event else ()
    run.op("click", session=session, tab=step.tab, detail={"target": step.target}, intents=intents)
    await pointer.click(page, step.selector, found[0])
    await run.clock.settle(session)


async def send(run: ScenarioRun, step: m.Send) -> None:
    """Send through the build's declared API shape (the adapter's ``send_api``)."""
    session = await run.session(step.context)
    page = run.tab(session, step.tab, step.line)
    api = run.adapter.send_api
    if api.shape == "none":  # a build that only auto-captures clicks: nothing to call, nothing expected
        run.notes.append(f"line {step.line}: send step skipped: the build's profile declares no send API "
                         f"(send_api: none), so {step.category}/{step.action} is not expected")
        return
    await session.flush()
    intent = run.intent(session, step.tab, step.category, step.action, step.label)
    run.op("send", session=session, tab=step.tab,
           detail={"category": step.category, "action": step.action, "label": step.label}, intents=(intent,))
    try:
        error = await page.evaluate(
            SEND_JS, [api.shape, run.adapter.send_name, api.method_name(), api.target,
                      api.fill(step.category, step.action, step.label, step.value, step.meta)])
    except Exception as exc:  # a build that broke what the call runs on (eval, …) is named, not Playwright's text
        await raise_if_tampered(page, exc, f"line {step.line}: the send step")
        raise
    if error:
        run.notes.append(f"line {step.line}: send failed in the page: {error}")
    await run.clock.settle(session)


SEND_JS = """([shape, name, method, target, data]) => {
  try {
    if (shape === "queue") {  // dataLayer style: the array exists before the build loads, or is its own
      const q = (window[name] = window[name] || []);
      if (typeof q.push !== "function") return "window." + name + ".push is missing";
      q.push(data);
      return null;
    }
    if (shape === "event") {
      (target === "document" ? document : window).dispatchEvent(new CustomEvent(name, { detail: data }));
      return null;
    }
    const t = window[name];
    if (!t || typeof t[method] !== "function") return "window." + name + "." + method + " is missing";
    t[method](...data);
    return null;
  } catch (e) { return String(e && e.message || e); }
}"""


async def advance(run: ScenarioRun, step: m.Advance) -> None:
    await run.flush()
    run.op("advance", detail={"ms": step.ms, "mode": step.mode})
    await run.clock.advance(step.ms, step.mode)


async def _after_unload(run: ScenarioRun, session: ContextSession) -> None:
    """Give beacons and unload writes a moment (real time) to land, then settle — the step's own
    context: other contexts' work does not change with this one's step."""
    await run.clock.settle(session)
    await run.clock.quiet(context=session.name)


HANDLERS = {
    m.Open: open_page,
    m.Navigate: navigate,
    m.Reload: reload,
    m.Close: close,
    m.Crash: crash,
    m.Click: click,
    m.Send: send,
    m.Advance: advance,
}
