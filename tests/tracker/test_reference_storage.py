"""The reference build when storage misbehaves: corrupt values, malformed envelopes, private mode,
a full quota. Nothing crashes, nothing is silent, events are still sent."""
from __future__ import annotations

import json

import pytest
from playwright.async_api import Browser

from .support import OUTBOX_KEY, SITE_ID, T0_MS, Reply, tank, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

PRIVATE_MODE = """
Object.defineProperty(window, 'localStorage', {
  configurable: true,
  get() { throw new DOMException('The operation is insecure.', 'SecurityError'); },
});
"""

FILL_QUOTA = """
() => {
  let size = 1 << 20, i = 0;
  while (size >= 8) {
    try { localStorage.setItem('filler-' + i++, 'x'.repeat(size)); } catch (e) { size = size >> 1; }
  }
  return i;
}
"""


async def test_unparseable_outbox_is_moved_aside_and_counted(browser: Browser) -> None:
    async with tank(browser) as t:
        page = await t.new_page(seed={OUTBOX_KEY: "{not json"})
        await t.idle()
        await wait_until(lambda: t.sync.by_action("interaction/view"), "the page view")
        assert await page.evaluate("localStorage.getItem('opsmantik_outbox_v2_corrupt')") == "{not json"
        assert await t.outbox() == []
        stats = await t.stats()
        assert stats["corruptOutboxes"] == 1 and stats["corruptLost"] == 0


async def test_not_an_array_keeps_the_first_copy_aside(browser: Browser) -> None:
    async with tank(browser) as t:
        page = await t.new_page(seed={OUTBOX_KEY: '{"id": 1}', "opsmantik_outbox_v2_corrupt": "older"})
        await t.idle()
        keys = await page.evaluate("Object.keys(localStorage).filter((k) => k.includes('_corrupt'))")
        assert await page.evaluate("localStorage.getItem('opsmantik_outbox_v2_corrupt')") == "older"
        [aside] = [k for k in keys if k != "opsmantik_outbox_v2_corrupt"]
        assert await page.evaluate("(k) => localStorage.getItem(k)", aside) == '{"id": 1}'


async def test_malformed_envelopes_are_repaired_or_dead_lettered(browser: Browser) -> None:
    payload = {"s": SITE_ID, "u": "http://x.test/", "sid": "s", "sm": "2026-01-01", "ec": "lead", "ea": "old",
               "el": "", "ev": None, "r": "", "meta": {"eid": "eid-from-payload"}}
    seed = [
        {"payload": payload},  # no id, ts, attempts: repaired (id from meta.eid)
        {"id": "no-payload", "ts": T0_MS, "attempts": 2},  # nothing to send: dead-lettered
        "garbage",
    ]
    async with tank(browser) as t:
        t.sync.default = Reply(503, headers={"Retry-After": "3600"})
        await t.new_page(seed={OUTBOX_KEY: json.dumps(seed)})
        await t.idle()
        repaired = [e for e in await t.outbox() if e["id"] == "eid-from-payload"]
        assert len(repaired) == 1 and repaired[0]["ts"] == T0_MS and repaired[0]["attempts"] == 1
        dead = await t.deadletters()
        assert [d["reason"] for d in dead] == ["malformed", "malformed"]
        assert dead[0]["id"] == "no-payload" and dead[1]["raw"] == "garbage"
        assert (await t.stats())["repairedEnvelopes"] == 1


async def test_private_mode_counts_failures_and_still_sends(browser: Browser) -> None:
    async with tank(browser, init_script=PRIVATE_MODE) as t:
        page = await t.new_page()
        await t.idle()
        await page.click("#tel")
        await t.idle()
        await wait_until(lambda: len(t.sync.received) == 2, "view and click sent from memory")
        assert [r.actions for r in t.sync.received] == [["interaction/view"], ["conversion/phone_call"]]
        stats = await t.stats()
        assert stats["storageFailures"] > 0 and "SecurityError" in stats["lastStorageError"]
        assert stats["memoryQueued"] == 0 and stats["delivered"] == 2
        assert t.errors == []


async def test_private_mode_keeps_failed_events_in_memory_until_delivered(browser: Browser) -> None:
    async with tank(browser, init_script=PRIVATE_MODE, attrs={"data-jitter": "0"}) as t:
        t.sync.replies.append(Reply(503))
        await t.new_page()
        await t.idle()
        stats = await t.stats()
        assert stats["memoryQueued"] == 1 and stats["queued"] == 1
        await t.run(5000)
        await wait_until(lambda: len(t.sync.received) == 2, "the retry from memory")
        await t.idle()
        assert (await t.stats())["memoryQueued"] == 0


async def test_full_quota_counts_failures_and_still_sends(browser: Browser) -> None:
    async with tank(browser, attrs={"data-jitter": "0"}) as t:
        filler = await t.observer()
        assert await filler.evaluate(FILL_QUOTA) > 0
        t.sync.replies.append(Reply(503))
        page = await t.new_page()
        await t.idle()
        stats = await t.stats()
        assert stats["storageFailures"] > 0 and "QuotaExceededError" in stats["lastStorageError"]
        assert stats["memoryQueued"] == 1  # the view could not be stored: kept in memory
        await page.click("#wa")
        await t.idle()
        await t.run(5000)
        await wait_until(lambda: len(t.sync.by_action("interaction/view")) == 2, "the view's retry")
        await t.idle()
        assert len(t.sync.by_action("conversion/whatsapp")) == 1
        assert (await t.stats())["memoryQueued"] == 0
        assert t.errors == []
