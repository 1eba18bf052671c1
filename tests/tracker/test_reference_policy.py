"""The reference build's drop policies: dead letters for 4xx, the drop rule, overflow shedding.

Every envelope that leaves the outbox without a 2xx must appear in the dead-letter list with its
payload and a reason (rejected, ttl, overflow) — that is what the checker reads.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.async_api import Browser

from .support import DEADLETTER_KEY, OUTBOX_KEY, SITE_ID, T0_MS, Reply, tank, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

HOUR = 3600_000


def reject_poison(events: list[dict[str, Any]]) -> Reply | None:
    """422 for any request that carries an event labelled 'poison' (SPEC §5 schema error)."""
    return Reply(422) if any(e.get("el") == "poison" for e in events) else None


async def test_single_4xx_is_dead_lettered_with_payload_and_blocks_nothing(browser: Browser) -> None:
    async with tank(browser) as t:
        t.sync.rule = reject_poison
        await t.new_page()
        await t.idle()
        bad = await t.send("conversion", "phone_call", "poison")
        await t.idle()
        good = await t.send("conversion", "whatsapp", "fine")
        await t.idle()
        await wait_until(lambda: len(t.sync.received) == 3, "three requests")
        assert await t.outbox() == []
        [dead] = await t.deadletters()
        assert dead["id"] == bad and dead["reason"] == "rejected" and dead["status"] == 422
        assert dead["payload"]["el"] == "poison" and dead["payload"]["meta"]["eid"] == bad
        assert dead["attempts"] == 0 and dead["at"] >= T0_MS
        assert t.sync.received[2].eids == [good] and t.sync.received[2].status == 200
        stats = await t.stats()
        assert stats["rejected"] == 1 and stats["deadLettered"] == 1


async def test_batch_4xx_isolates_the_bad_event(browser: Browser) -> None:
    async with tank(browser) as t:
        t.sync.rule = reject_poison
        await t.new_page()
        await t.idle()
        await t.context.set_offline(True)
        ids = [await t.send("lead", "a", "ok-1"), await t.send("lead", "b", "poison"), await t.send("lead", "c", "ok-2")]
        await t.context.set_offline(False)
        await wait_until(lambda: len(t.sync.received) == 5, "one batch then one request per event")
        await t.idle()
        batch, *singles = t.sync.received[1:]
        assert batch.eids == ids and batch.status == 422
        assert [r.eids for r in singles] == [[i] for i in ids]
        assert [r.status for r in singles] == [200, 422, 200]
        assert await t.outbox() == []
        assert [(d["id"], d["reason"]) for d in await t.deadletters()] == [(ids[1], "rejected")]


def _seeded(eid: str, attempts: int, age_ms: int) -> dict[str, Any]:
    payload = {
        "s": SITE_ID, "u": "http://example.test/", "sid": "s-1", "sm": "2026-01-01", "ec": "lead",
        "ea": eid, "el": "", "ev": None, "r": "", "meta": {"eid": eid},
    }
    return {"id": eid, "ts": T0_MS - age_ms, "payload": payload, "attempts": attempts}


async def test_drop_rule_needs_both_attempts_and_age(browser: Browser) -> None:
    seed = [
        _seeded("a11-25h", 11, 25 * HOUR),  # dropped: attempts > 10 AND age > 24 h
        _seeded("a11-1h", 11, 1 * HOUR),
        _seeded("a3-48h", 3, 48 * HOUR),
        _seeded("a10-25h", 10, 25 * HOUR),
    ]
    async with tank(browser, attrs={"data-jitter": "0"}) as t:
        t.sync.default = Reply(503)
        await t.new_page(seed={OUTBOX_KEY: json.dumps(seed)})
        await t.idle()
        [dead] = await t.deadletters()
        assert dead["id"] == "a11-25h" and dead["reason"] == "ttl" and dead["attempts"] == 11
        assert dead["payload"] == seed[0]["payload"]
        seeded = {e["id"] for e in seed}
        kept = {e["id"]: e["attempts"] for e in await t.outbox() if e["id"] in seeded}
        assert kept == {"a11-1h": 12, "a3-48h": 4, "a10-25h": 11}  # kept, sent, failed once more
        assert t.sync.received[0].eids[:3] == ["a3-48h", "a10-25h", "a11-1h"]  # oldest first, all sent

        # a10-25h has now failed an 11th time at 25 h: the next pass may drop it, the others stay.
        await t.run(300_000)
        dead_ids = [d["id"] for d in await t.deadletters()]
        assert dead_ids == ["a11-25h", "a10-25h"]
        assert {"a11-1h", "a3-48h"} <= {e["id"] for e in await t.outbox()}


async def test_overflow_sheds_heartbeats_first_never_conversions(browser: Browser) -> None:
    async with tank(browser, attrs={"data-outbox-cap": "5"}) as t:
        await t.new_page()
        await t.idle()
        await t.context.set_offline(True)  # nothing leaves: the outbox only grows
        ids = {}
        for name, (ec, ea) in [
            ("hb1", ("system", "heartbeat")), ("c1", ("conversion", "phone_call")),
            ("hb2", ("system", "heartbeat")), ("o1", ("lead", "custom")), ("c2", ("conversion", "whatsapp")),
            ("c3", ("conversion", "form_submit")), ("o2", ("lead", "custom")), ("c4", ("conversion", "phone_call")),
            ("c5", ("conversion", "phone_call")), ("c6", ("conversion", "phone_call")), ("hb3", ("system", "heartbeat")),
        ]:
            ids[name] = await t.send(ec, ea, name)
        queued = [e["payload"]["el"] for e in await t.outbox()]
        assert queued == ["c1", "c2", "c3", "c4", "c5", "c6"]  # over the cap rather than lose a lead
        dead = await t.deadletters()
        assert [(d["payload"]["el"], d["reason"]) for d in dead] == [
            ("hb1", "overflow"), ("hb2", "overflow"), ("o1", "overflow"), ("o2", "overflow"), ("hb3", "overflow"),
        ]
        assert all(d["id"] == ids[d["payload"]["el"]] for d in dead)
        assert (await t.stats())["shed"] == 5


async def test_deadletter_list_is_capped_oldest_out(browser: Browser) -> None:
    async with tank(browser, attrs={"data-outbox-cap": "1", "data-deadletter-cap": "3"}) as t:
        await t.new_page()
        await t.idle()
        await t.context.set_offline(True)
        for i in range(6):
            await t.send("system", "heartbeat", f"hb{i}")
        assert [d["payload"]["el"] for d in await t.deadletters()] == ["hb2", "hb3", "hb4"]
        stats = await t.stats()
        assert stats["deadLettered"] == 5 and stats["deadLetterTrimmed"] == 2
        raw = await t.page.evaluate("(k) => localStorage.getItem(k)", DEADLETTER_KEY)
        assert len(json.loads(raw)) == 3
