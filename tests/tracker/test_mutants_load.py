"""Every mutant still runs: it loads without a page error and delivers the page view.

A mutant that crashed at load would break every guarantee at once and prove nothing about the
one bug it models.
"""
from __future__ import annotations

import pytest
from playwright.async_api import Browser

from harness.builds import build_mutant, list_mutants

from .support import tank, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


@pytest.mark.parametrize("name", [m.name for m in list_mutants()])
async def test_mutant_loads_and_delivers_the_view(browser: Browser, name: str) -> None:
    async with tank(browser, source=build_mutant(name)) as t:
        await t.new_page()
        await wait_until(lambda: t.sync.by_action("interaction/view"), f"{name}: the page view")
        await t.idle()
        stats = await t.stats()
        assert t.errors == [] and stats["internalErrors"] == 0, (t.errors, stats["lastInternalError"])
