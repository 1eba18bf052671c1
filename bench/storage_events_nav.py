"""How often a tab's CDP ``DOMStorage`` events miss the writes of a document it navigates away from.

Why visitors that navigate keep the observer page (harness/driver/visitors.py
``tab_channel_contexts``): a page writes three localStorage keys in ``beforeunload``; the tab
follows a link N times; after each navigation the storage the browser holds
(``DOMStorage.getDOMStorageItems``) is compared with the last value the tab's events gave for
each key. Chromium's RenderDocument (a new frame host per document) drops the old document's
DevTools events still on their way; the harness launches Chromium with it off
(harness/world/browser.py). ``--chromium-arg=--disable-features=`` followed by Playwright's own list
(``PLAYWRIGHT_DISABLED_FEATURES``, comma-separated) measures with it on: the last such switch wins.
A figure, never asserted::

    PYTHONPATH=. python bench/storage_events_nav.py [--navigations 40] [--chromium-arg FLAG ...]
"""
from __future__ import annotations

import argparse
import asyncio
from typing import Any

from playwright.async_api import Route, async_playwright

from harness.world.browser import find_browser

ORIGIN = "http://127.0.0.1:8999"  # never connected to: every request is fulfilled by the route
PAGE = """<html><body><a id="next" href="/{next}">next</a><script>
addEventListener("beforeunload", () => { for (let i = 0; i < 3; i++) localStorage.setItem("unload" + i, location.pathname + Math.random()); });
localStorage.setItem("load", location.pathname);
</script></body></html>"""
KEYS = ("unload0", "unload1", "unload2")


async def main(navigations: int, extra: list[str]) -> None:
    async with async_playwright() as pw:
        kw = find_browser(pw).launch_kwargs()
        kw["args"] = [*kw["args"], *extra]  # type: ignore[misc]
        browser = await pw.chromium.launch(**kw)  # type: ignore[arg-type]
        try:
            context = await browser.new_context()

            async def serve(route: Route) -> None:
                n = int(route.request.url.rsplit("/", 1)[1] or 0)
                await route.fulfill(body=PAGE.replace("{next}", str(n + 1)), content_type="text/html")

            await context.route("**/*", serve)
            page = await context.new_page()
            cdp = await context.new_cdp_session(page)
            last: dict[str, Any] = {}
            for method in ("DOMStorage.domStorageItemAdded", "DOMStorage.domStorageItemUpdated"):
                cdp.on(method, lambda p: last.__setitem__(p["key"], p["newValue"]))
            await cdp.send("DOMStorage.enable")
            await page.goto(f"{ORIGIN}/0")
            missed = 0
            for i in range(navigations):
                await page.click("#next")
                await page.wait_for_url(f"**/{i + 1}")
                await asyncio.sleep(0.05)  # events still on their way
                answer = await cdp.send("DOMStorage.getDOMStorageItems",
                                        {"storageId": {"securityOrigin": ORIGIN, "isLocalStorage": True}})
                held = dict(answer["entries"])
                missed += any(last.get(k) != held.get(k) for k in KEYS)
            print(f"flags {' '.join(extra) or '(the harness own)'}: {navigations} navigations, "
                  f"the beforeunload writes' events missing after {missed}")
        finally:
            await browser.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--navigations", type=int, default=40)
    ap.add_argument("--chromium-arg", action="append", default=[], metavar="FLAG")
    args = ap.parse_args()
    asyncio.run(main(args.navigations, args.chromium_arg))
