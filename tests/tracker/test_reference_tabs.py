"""Two tabs of one site share the outbox: one sender at a time, nobody's events overwritten."""
from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import Browser

from .support import Reply, tank, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


async def test_two_tabs_one_sender_no_loss(browser: Browser) -> None:
    async with tank(browser) as t:
        t.sync.default = Reply(delay_s=0.05)
        tab_a = await t.new_page()
        tab_b = await t.new_page("/page2")
        burst = """async (tab) => {
          const ids = [];
          for (let i = 0; i < 25; i++) { ids.push(window.opmantik.send('lead', tab, String(i))); await Promise.resolve(); }
          return ids;
        }"""
        ids_a, ids_b = await asyncio.gather(tab_a.evaluate(burst, "a"), tab_b.evaluate(burst, "b"))
        sent = ids_a + ids_b
        for _ in range(10):  # a tab that found the lock taken looks again 1 s later (page clock)
            await t.context.clock.run_for(1000)
            if not await t.outbox():
                break
            await wait_until(lambda: t.sync.inflight == 0, "requests to finish")
        await t.idle()
        assert await t.outbox() == []
        delivered = {eid for r in t.sync.received if r.status == 200 for eid in r.eids}
        assert set(sent) <= delivered
        assert len(t.sync.by_action("interaction/view")) == 2
        assert t.sync.max_inflight == 1, "two tabs were sending at once"


NO_SECURE_CONTEXT_APIS = """
Object.defineProperty(Navigator.prototype, 'locks', { configurable: true, get: () => undefined });
Object.defineProperty(Crypto.prototype, 'randomUUID', { configurable: true, value: undefined });
"""


async def test_without_web_locks_and_random_uuid(browser: Browser) -> None:
    """As on a non-secure origin: a storage lease replaces the lock, ids still look like UUIDs."""
    async with tank(browser, init_script=NO_SECURE_CONTEXT_APIS) as t:
        t.sync.default = Reply(delay_s=0.05)
        page = await t.new_page()
        assert await page.evaluate("typeof navigator.locks") == "undefined"
        await page.click("#tel")
        await t.idle()
        await wait_until(lambda: len(t.sync.by_action("conversion/phone_call")) == 1, "the click")
        await t.idle()
        assert await t.outbox() == []
        assert await page.evaluate("localStorage.getItem('opsmantik_outbox_v2_lease')") is None  # released
        eids = [eid for r in t.sync.received for eid in r.eids]
        assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", e) for e in eids)
        assert (await t.stats())["internalErrors"] == 0
