"""The driver's click (harness/driver/pointer.py): trusted mouse events on the element a person
would hit, scrolled into view when it is not; anything the quick check cannot vouch for —
missing, hidden, disabled, covered, DOM methods a build made disagree — goes to Playwright's click."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page

from harness.driver import pointer
from tests.tracker.conftest import browser  # noqa: F401 - the module's Chromium fixture

pytestmark = pytest.mark.browser

HTML = """<html><body style="margin:0">
<a id="tel" href="#called">+90 555 000 00 00</a>
<button id="off" disabled>off</button>
<a id="aria" href="#a" aria-disabled="true">aria-disabled</a>
<div aria-disabled="true"><a id="inaria" href="#b">inside aria-disabled</a></div>
<button id="hidden" style="visibility:hidden">hidden</button>
<div style="position:relative"><button id="covered">covered</button>
  <div style="position:absolute;inset:0;background:#fff"></div></div>
<div style="height:3000px"></div>
<button id="far">far below</button>
<script>
  window.clicks = [];
  document.addEventListener("click", (e) => clicks.push([e.target.id, e.isTrusted, e.detail]), true);
</script>
</body></html>"""


@pytest_asyncio.fixture(loop_scope="module")
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.set_content(HTML)
        yield page
    finally:
        await context.close()


@pytest.mark.asyncio(loop_scope="module")
async def test_a_visible_target_gets_one_trusted_click_and_its_default_action(page: Page) -> None:
    await pointer.click(page, "#tel")
    assert await page.evaluate("clicks") == [["tel", True, 1]]
    assert await page.evaluate("location.hash") == "#called"


@pytest.mark.asyncio(loop_scope="module")
async def test_a_target_below_the_fold_is_scrolled_into_view_then_clicked(page: Page) -> None:
    assert await page.evaluate("scrollY") == 0
    await pointer.click(page, "#far")
    assert await page.evaluate("clicks") == [["far", True, 1]]
    assert await page.evaluate("scrollY") > 0


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("selector", ["#nothing", "#off", "#aria", "#inaria", "#hidden", "#covered",
                                      "div >> text=x"])
async def test_what_the_quick_check_cannot_vouch_for_is_left_to_playwright(page: Page, selector: str) -> None:
    assert await pointer.locate(page, selector) is None


@pytest.mark.asyncio(loop_scope="module")
async def test_a_page_whose_dom_methods_lie_is_left_to_playwright(page: Page) -> None:
    """A build replacing elementFromPoint (or any method the check uses) cannot move the click:
    the check fails and Playwright's click, which runs outside the page's JavaScript, decides."""
    await page.evaluate("Document.prototype.elementFromPoint = function () { return document.body; }")
    assert await pointer.locate(page, "#tel") is None
    await pointer.click(page, "#tel")  # Playwright's own click
    assert await page.evaluate("clicks") == [["tel", True, 1]]


@pytest_asyncio.fixture(loop_scope="module")
async def site_page(browser: Browser) -> AsyncIterator[Page]:
    """The same page at an http origin (localStorage works there, not on about:blank)."""
    context = await browser.new_context()
    try:
        await context.route("http://tank.test/**", lambda route: route.fulfill(body=HTML, content_type="text/html"))
        page = await context.new_page()
        await page.goto("http://tank.test/")
        yield page
    finally:
        await context.close()


@pytest.mark.asyncio(loop_scope="module")
async def test_a_flush_sentinel_folded_into_the_locate_is_written_and_a_scroll_is_left_for_after(
        site_page: Page) -> None:
    """The flush before a click writes its sentinel in the click's locate call; a target that needs
    scrolling is not scrolled there (its scroll events would come after the sentinel, before the op)."""
    wrote, point = await pointer.locate_marking(site_page, "#tel", ("__tank_sync", "00000001"))
    assert wrote is True and isinstance(point, tuple)
    assert await site_page.evaluate("localStorage.getItem('__tank_sync')") == "00000001"
    wrote, found = await pointer.locate_marking(site_page, "#far", ("__tank_sync", "00000002"))
    assert (wrote, found) == (True, "scroll")
    assert await site_page.evaluate("[scrollY, localStorage.getItem('__tank_sync')]") == [0, "00000002"]
    await pointer.click(site_page, "#far", found)  # located after the op: scrolled, then clicked
    assert await site_page.evaluate("clicks") == [["far", True, 1]]
    assert await site_page.evaluate("scrollY") > 0
    assert await pointer.locate_marking(site_page, "div >> text=x", ("__tank_sync", "00000003")) == (True, None)


@pytest.mark.asyncio(loop_scope="module")
async def test_a_page_refusing_storage_says_the_sentinel_was_not_written(page: Page) -> None:
    assert (await pointer.locate_marking(page, "#nothing", ("__tank_sync", "1")))[0] is False
