"""A click as a person makes it: a trusted mouse press and release on the element they would hit.

Playwright's ``page.click`` proves the element visible, enabled, stable and the one hit at its
centre in several round trips between the driver, the browser and the page (~25 ms of CPU a click
on this machine, against ~9 ms for one page call and the mouse events): at a hundred visitors with
five clicks each that is most of a visitor's click cost. Here one page call (over the tab's own
CDP session where it has one: harness/history/tabcall.py) finds the element,
scrolls it into view if it is not, and checks it the same way — a box, visible, not disabled (nor aria-disabled), and
the element (or a child of it) is what sits at its centre — then the browser's own input pipeline
presses and releases the mouse there (``Input.dispatchMouseEvent``: ``isTrusted`` events, the
page's default actions, as a person's click). Anything else — no such element yet, hidden, covered,
disabled, or a page whose DOM methods answer nonsense — goes to ``page.click``, whose waiting and
errors are unchanged.
"""
from __future__ import annotations

import json
from typing import Any

from playwright.async_api import Page

from harness.history.pagecall import answered, evaluate, parse_result, raise_if_tampered, returning_json, taking_json
from harness.world.context import WRITE_SENTINEL_JS

LOCATE_JS = """([selector, mark]) => {
  // A flush sentinel written first (see locate_marking): the step's op is recorded only after it.
  const wrote = mark ? (""" + WRITE_SENTINEL_JS + """)(mark[0], mark[1]) : null;
  const point = ((el) => {  // a selector querySelector refuses (Playwright's own syntax): null, Playwright decides
  // Playwright's enabled check also reads aria-disabled (on the element or an ancestor): left to it.
  if (!el || !el.isConnected || el.matches(":disabled") || el.closest('[aria-disabled="true"]')) return null;
  if (typeof el.checkVisibility === "function" && !el.checkVisibility({ visibilityProperty: true })) return null;
  let r = el.getBoundingClientRect();
  if (!(r.width > 0 && r.height > 0)) return null;
  if (r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth) {
    // A scroll's events come after the sentinel and could be recorded before the step's op:
    // with a sentinel, scrolling is left to the plain locate after the op.
    if (mark) return "scroll";
    el.scrollIntoView({ block: "center", inline: "center" });  // as Playwright does, only when needed
    r = el.getBoundingClientRect();
  }
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  if (!(x >= 0 && y >= 0 && x < innerWidth && y < innerHeight)) return null;
  const hit = document.elementFromPoint(x, y);
  return hit && (hit === el || el.contains(hit)) ? [x, y] : null;
  })((() => { try { return document.querySelector(selector); } catch (e) { return null; } })());
  return [wrote, point];
}"""
LOCATE_CALL = taking_json(returning_json(LOCATE_JS))  # over the tab's own CDP session (pagecall.evaluate)


async def locate(page: Page, selector: str) -> tuple[float, float] | None:
    """Where a person would click ``selector`` (viewport pixels), or None when the quick check
    cannot say (the caller then lets Playwright wait and decide)."""
    return (await _locate(page, selector, None))[1]


async def locate_marking(page: Page, selector: str, mark: tuple[str, str]) -> tuple[bool | None, Any]:
    """Write the flush sentinel ``mark`` (key, token) in the page and locate ``selector`` in the same
    page call: the flush before a click costs no round trip of its own in the clicked tab. Returns
    whether the sentinel was written (None: the call failed, the page is navigating) and the point,
    or ``"scroll"`` when the target must be scrolled to first — done by :func:`click` after the step's
    op is recorded, as without a sentinel (its scroll events are the click's)."""
    return await _locate(page, selector, mark)


async def _locate(page: Page, selector: str, mark: tuple[str, str] | None) -> tuple[bool | None, Any]:
    try:
        raw = await evaluate(page, LOCATE_CALL, json.dumps([selector, list(mark) if mark else None]))
        wrote, found = parse_result(raw, "a click target")
    except Exception as exc:  # noqa: BLE001 - a bad selector, a navigating page, patched DOM methods: Playwright decides
        # ... unless the build broke what the harness's calls run on (eval, …): the step is an error
        # naming it (window.__tankTampered), not a click made blind while every later call fails.
        await raise_if_tampered(page, exc, f"the click on {selector}")
        return None, None
    answered(page)
    if found == "scroll" and mark:
        return wrote, "scroll"
    if not (isinstance(found, list) and len(found) == 2 and all(isinstance(v, (int, float)) for v in found)):
        return wrote, None
    return wrote, (float(found[0]), float(found[1]))


async def click(page: Page, selector: str, located: Any = "scroll") -> None:
    """Click ``selector`` with trusted mouse events where a person would; Playwright's own click
    (auto-waiting, actionability checks, its errors) when the quick check does not find it clickable.
    ``located``: what :func:`locate_marking` found just before (default: locate now)."""
    point = await locate(page, selector) if located == "scroll" else located
    if point is None:
        await page.click(selector)
        return
    await page.mouse.click(*point)
