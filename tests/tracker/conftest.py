"""One Chromium per test module (launching is cheap, contexts isolate the tests)."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from playwright.async_api import Browser, async_playwright

from harness.world.browser import find_browser


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**find_browser(pw).launch_kwargs())
        try:
            yield browser
        finally:
            await browser.close()
