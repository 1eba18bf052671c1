"""The reference build's last gasp: beacons on pagehide and beforeunload, items kept until a 2xx."""
from __future__ import annotations

import pytest
from playwright.async_api import Browser

from .support import Reply, tank, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

PARK = Reply(503, headers={"Retry-After": "3600"})  # a failed send parks the envelope for an hour


async def test_pagehide_beacons_pending_and_keeps_them_marked(browser: Browser) -> None:
    async with tank(browser) as t:
        t.sync.default = PARK
        observer = await t.observer()
        page = await t.new_page()
        await t.idle()
        click = await t.send("conversion", "phone_call", "lead")
        await t.idle()
        fetches = len(t.sync.received)
        await page.close()  # no beforeunload: pagehide only
        await wait_until(lambda: len(t.sync.received) == fetches + 1, "the beacon")
        beacon = t.sync.received[-1]
        assert beacon.content_type.startswith("text/plain")
        assert beacon.actions == ["conversion/phone_call", "interaction/view", "system/session_end"]
        assert beacon.events[2]["el"] == "pagehide"
        outbox = await t.outbox_when(observer, lambda o: len(o) == 3 and all(e.get("beaconed") for e in o), "marks")
        assert {e["id"] for e in outbox} == set(beacon.eids)  # beaconed is not delivered
        assert all(e["beaconed"] is True and e["beacons"] == 1 for e in outbox)
        assert next(e for e in outbox if e["id"] == click)["attempts"] == 1


async def test_navigation_gasps_once_and_next_page_delivers(browser: Browser) -> None:
    async with tank(browser) as t:
        t.sync.replies.append(PARK)
        page = await t.new_page()
        await t.idle()
        await page.click("#to-page2")  # beforeunload and pagehide both fire
        await page.wait_for_url("**/page2")
        await t.idle()
        await wait_until(lambda: len(t.sync.received) == 3, "view, beacon, page2 batch")
        beacons = [r for r in t.sync.received if r.content_type.startswith("text/plain")]
        assert len(beacons) == 1 and beacons[0].actions == ["interaction/view", "system/session_end"]
        assert beacons[0].events[1]["el"] == "beforeunload"
        assert len(t.sync.by_action("system/session_end")) == 2  # once by beacon, once by fetch
        assert await t.outbox() == []  # the 2xx on page2 confirmed them


async def test_offline_beacon_loses_nothing(browser: Browser) -> None:
    async with tank(browser) as t:
        observer = await t.observer()
        page = await t.new_page()
        await t.idle()
        await t.context.set_offline(True)
        ids = {await t.send("conversion", "whatsapp"), await t.send("conversion", "form_submit")}
        await page.close(run_before_unload=True)
        outbox = await t.outbox_when(observer, lambda o: len(o) == 3 and all(e.get("beaconed") for e in o), "marks")
        assert ids < {e["id"] for e in outbox}  # both conversions and session_end: all kept
        await t.context.set_offline(False)
        next_page = await t.new_page()
        await t.idle()
        assert await t.outbox(next_page) == []
        delivered = {eid for r in t.sync.received if r.status == 200 for eid in r.eids}
        assert ids <= delivered


async def test_beacons_are_split_within_the_byte_limit(browser: Browser) -> None:
    async with tank(browser, attrs={"data-beacon-max-bytes": "2000"}) as t:
        t.sync.default = PARK
        observer = await t.observer()
        page = await t.new_page()
        await t.idle()
        for i in range(6):
            await t.send("lead", "custom", "x" * 300, {"i": i})
            await t.idle()
        lead = await t.send("conversion", "phone_call", "lead")
        await t.idle()
        fetches = len(t.sync.received)
        await page.close()
        await wait_until(lambda: sum(len(r.events) for r in t.sync.received[fetches:]) == 9, "all pending beaconed")
        beacons = t.sync.received[fetches:]
        assert len(beacons) >= 3 and all(r.content_type.startswith("text/plain") for r in beacons)
        assert all(r.size <= 2000 for r in beacons), [r.size for r in beacons]
        assert beacons[0].eids[0] == lead  # conversions first
        await t.outbox_when(observer, lambda o: len(o) == 9 and all(e.get("beaconed") for e in o), "all 9 marked")
