"""The reference build in Chromium: payloads, success, retries, backoff, Retry-After, timeout.

Every timing claim is checked against the page clock (paused at T0, advanced by the test), with
the tolerance the build promises (±20% jitter) written into the assertion.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from playwright.async_api import Browser

from .support import SITE_ID, T0_MS, Reply, tank, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

PAYLOAD_KEYS = {"s", "u", "sid", "sm", "ec", "ea", "el", "ev", "r", "meta"}


async def test_payload_shape_eid_and_auto_events(browser: Browser) -> None:
    async with tank(browser) as t:
        page = await t.new_page("/?gclid=CjwKCAiA")
        await t.idle()
        await wait_until(lambda: t.sync.by_action("interaction/view"), "the page view")
        view = t.sync.by_action("interaction/view")[0]
        assert set(view) == PAYLOAD_KEYS
        assert view["s"] == SITE_ID and view["sm"] == "2026-01-01" and view["el"] == "/"
        assert view["u"].endswith("/?gclid=CjwKCAiA") and view["r"] == ""
        assert view["sid"] == await page.evaluate("sessionStorage.getItem('opsmantik_sid')")
        assert view["meta"]["gclid"] == "CjwKCAiA" and len(view["meta"]["fp"]) == 8
        assert t.sync.received[0].content_type == "application/json"

        eid = await t.send("lead", "custom", "label-1", {"campaign": "kis", "eid": "caller-must-not-win"})
        for selector in ("#tel", "#wa", "#wa-web", "#lead-submit"):
            await page.click(selector)
        await t.idle()
        await wait_until(lambda: len(t.sync.by_action("conversion/form_submit")) == 1, "all clicks delivered")
        custom = t.sync.by_action("lead/custom")[0]
        assert custom["meta"]["eid"] == eid and custom["meta"]["campaign"] == "kis"
        assert t.sync.by_action("conversion/phone_call")[0]["el"] == "+90 532 123 45 67"
        assert [e["el"] for e in t.sync.by_action("conversion/whatsapp")] == [
            "https://wa.me/905321234567",
            "https://api.whatsapp.com/send?phone=905321234567",
        ]
        assert t.sync.by_action("conversion/form_submit")[0]["el"] == "lead"
        assert page.url.endswith("/?gclid=CjwKCAiA")  # the site script kept the page
        eids = [eid for r in t.sync.received for eid in r.eids]
        assert len(eids) == len(set(eids)) == 6
        assert await t.outbox() == []  # a 2xx removes what it carried
        stats = await t.stats()
        assert stats["delivered"] == 6 and stats["queued"] == 0 and stats["storageFailures"] == 0
        assert t.errors == []


async def test_heartbeat_and_session_month_in_utc(browser: Browser) -> None:
    start = datetime(2026, 1, 31, 23, 59, 30, tzinfo=timezone.utc)
    async with tank(browser, attrs={"data-heartbeat-ms": "60000"}, start=start) as t:
        await t.new_page()
        await t.idle()
        await t.run(60_000)
        await wait_until(lambda: t.sync.by_action("system/heartbeat"), "the heartbeat")
        [view] = t.sync.by_action("interaction/view")
        [beat] = t.sync.by_action("system/heartbeat")
        assert view["sm"] == "2026-01-01" and beat["sm"] == "2026-02-01"  # month of the client clock, UTC
        assert beat["ev"] == 60 and beat["sid"] == view["sid"]


async def test_invalid_send_is_refused_without_throwing(browser: Browser) -> None:
    async with tank(browser) as t:
        page = await t.new_page()
        assert await page.evaluate("() => window.opmantik.send('', 'x')") is None
        assert await page.evaluate("() => window.opsmantik.send('a', 42)") is None
        stats = await t.stats()
        assert stats["invalidCalls"] == 2 and "action must be a non-empty string" in stats["lastInvalidCall"]


async def test_503_counts_attempts_and_backs_off_doubling(browser: Browser) -> None:
    async with tank(browser) as t:
        t.sync.replies.extend([Reply(503), Reply(503), Reply(503)])
        await t.new_page()
        await t.idle()
        now = T0_MS
        for attempt, base in ((1, 5000), (2, 10000), (3, 20000)):
            [env] = await t.outbox()
            assert env["attempts"] == attempt and env["lastStatus"] == 503
            delay = env["nextAt"] - now
            assert base * 0.8 - 1 <= delay <= base * 1.2 + 1, f"attempt {attempt}: backoff {delay} ms"
            sent = len(t.sync.received)
            await t.run(delay - 50)
            assert len(t.sync.received) == sent, "retried before its backoff"
            await t.run(100)
            await wait_until(lambda: len(t.sync.received) == sent + 1, f"retry {attempt}")
            now += delay + 50
        await t.idle()
        assert await t.outbox() == []  # the 4th send got the default 200


async def test_jitter_zero_gives_exact_backoff_and_cap(browser: Browser) -> None:
    attrs = {"data-jitter": "0", "data-backoff-cap-ms": "15000"}
    async with tank(browser, attrs=attrs) as t:
        t.sync.default = Reply(500)
        await t.new_page()
        await t.idle()
        delays = []
        for _ in range(4):
            [env] = await t.outbox()
            delays.append(env["nextAt"] - await t.now())
            await t.run(delays[-1])
        assert delays == [5000, 10000, 15000, 15000]


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_is_honoured(browser: Browser, status: int) -> None:
    async with tank(browser) as t:
        t.sync.replies.append(Reply(status, headers={"Retry-After": "30"}))
        await t.new_page()
        await t.idle()
        [env] = await t.outbox()
        assert env["nextAt"] - T0_MS == 30000 and env["attempts"] == 1
        await t.run(29900)
        assert len(t.sync.received) == 1, "retried before Retry-After"
        await t.run(200)
        await wait_until(lambda: len(t.sync.received) == 2, "the retry after Retry-After")


async def test_hung_request_is_aborted_at_5s_and_retried(browser: Browser) -> None:
    async with tank(browser, attrs={"data-jitter": "0"}) as t:
        t.sync.replies.append(Reply(hang=True))
        await t.new_page()
        await wait_until(lambda: len(t.sync.received) == 1, "the hung request")
        await t.context.clock.run_for(4900)
        stats = await t.stats()
        assert stats["sending"] and stats["sendFailures"] == 0, "aborted before 5 s"
        [env] = await t.outbox()
        assert env["attempts"] == 0
        await t.run(200)
        [env] = await t.outbox()
        assert env["attempts"] == 1 and env["lastError"] == "timeout"
        # aborted at T0+5000; the clock stands at T0+5100 and the failure is handled at either
        wait = env["nextAt"] - await t.now()
        assert 4900 <= wait <= 5000, wait
        await t.run(5000)
        await wait_until(lambda: len(t.sync.received) == 2, "the retry after the timeout")
        await t.idle()
        assert await t.outbox() == []


async def test_load_and_online_skip_pending_backoff(browser: Browser) -> None:
    async with tank(browser) as t:
        t.sync.replies.append(Reply(503, headers={"Retry-After": "3600"}))
        page = await t.new_page()
        await t.idle()
        [env] = await t.outbox()
        assert env["nextAt"] - T0_MS == 3600_000
        await t.context.set_offline(True)
        await t.send("conversion", "phone_call", "offline click")
        await t.run(60_000)  # offline: nothing is sent, no attempt is burnt
        assert len(t.sync.received) == 1
        assert [e["attempts"] for e in await t.outbox()] == [1, 0]
        await t.context.set_offline(False)  # 'online' sends everything at once, backoff or not
        await wait_until(lambda: len(t.sync.received) == 2, "the send on 'online'")
        await t.idle()
        assert t.sync.received[1].actions == ["interaction/view", "conversion/phone_call"]
        assert await t.outbox() == []

        t.sync.replies.append(Reply(503, headers={"Retry-After": "3600"}))
        await t.send("conversion", "whatsapp")
        await t.idle()
        await page.goto(t.site_url + "/page2")  # the next page load retries at once
        await wait_until(lambda: len(t.sync.received) >= 5, "the beacon and the send at load")
        await t.idle()
        fetched = [r for r in t.sync.received if r.content_type == "application/json"]
        beacons = [r for r in t.sync.received if r.content_type.startswith("text/plain")]
        assert sorted(fetched[-1].actions) == ["conversion/whatsapp", "interaction/view", "system/session_end"]
        assert len(beacons) == 1 and sorted(beacons[0].actions) == ["conversion/whatsapp", "system/session_end"]


MISS_ONLINE_EVENTS = """
(() => {
  const add = window.addEventListener;
  window.addEventListener = function (type, ...rest) { if (type !== 'online') return add.call(this, type, ...rest); };
})();
"""


async def test_offline_poll_recovers_without_online_event(browser: Browser) -> None:
    attrs = {"data-offline-poll-ms": "30000"}
    async with tank(browser, attrs=attrs, init_script=MISS_ONLINE_EVENTS) as t:
        await t.new_page()
        await t.idle()
        await t.context.set_offline(True)
        await t.send("conversion", "phone_call")  # offline: the poll is armed for T0+30 s
        await t.run(1000)
        await t.context.set_offline(False)  # the page never hears of it
        await t.run(28_000)
        assert len(t.sync.received) == 1, "sent before the offline poll"
        await t.run(2_000)
        await wait_until(lambda: len(t.sync.received) == 2, "the offline poll's send")
        assert t.sync.received[1].actions == ["conversion/phone_call"]
