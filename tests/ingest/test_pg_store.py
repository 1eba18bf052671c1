"""PostgresStore: routing, de-duplication, atomicity and the answers of SPEC §5/§6."""
from __future__ import annotations

import asyncio
from datetime import date

import psycopg
import pytest

from server_stub.ingest import PostgresStore

from .conftest import JAN, SITE, count, event

pytestmark = [pytest.mark.postgres, pytest.mark.asyncio(loop_scope="session")]

CT = "application/json"


async def test_events_and_sessions_land_in_their_month_partition(store: PostgresStore, dsn: str) -> None:
    await store.create_next_month_partitions(date(2026, 1, 15))
    r1 = await store.ingest([event("a", sid="s1"), event("b", sid="s1")], b"", CT)
    r2 = await store.ingest([event("c", sm="2026-02-01", sid="s2")], b"", "text/plain")
    assert (r1.status, r1.processed, r1.body) == (200, True, {"ok": True, "accepted": 2, "duplicates": 0, "no_eid": 0})
    assert r2.status == 200
    rows = await store.rows({SITE})
    assert [(e.eid, e.session_month, e.partition) for e in rows] == [
        ("a", "2026-01-01", "events_2026_01"),
        ("b", "2026-01-01", "events_2026_01"),
        ("c", "2026-02-01", "events_2026_02"),
    ]
    assert rows[0].payload == event("a", sid="s1") and (rows[0].ec, rows[0].ea, rows[0].session_id) == ("interaction", "view", "s1")
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        cur = await conn.execute("SELECT id, tableoid::regclass::text, event_count, gclid, fingerprint FROM sessions ORDER BY id")
        assert await cur.fetchall() == [("s1", "sessions_2026_01", 2, "g-1", "fp-1"),
                                        ("s2", "sessions_2026_02", 1, "g-1", "fp-1")]


async def test_duplicate_eid_across_requests_is_acknowledged_and_stored_once(store: PostgresStore, dsn: str) -> None:
    first = await store.ingest([event("e1")], b"", CT)
    again = await store.ingest([event("e1")], b"", CT)
    assert first.body["accepted"] == 1
    assert (again.status, again.processed, again.body) == (200, True, {"ok": True, "accepted": 0, "duplicates": 1, "no_eid": 0})
    assert [e.eid for e in await store.rows()] == ["e1"]
    assert await count(dsn, "SELECT count(*) FROM processed_signals") == 1
    assert await count(dsn, "SELECT event_count FROM sessions") == 1


async def test_same_eid_and_session_on_two_sites_are_two_events(store: PostgresStore, dsn: str) -> None:
    """Seeded runs (and a gate's two builds) repeat envelope and session ids on different sites:
    de-duplication and sessions are per site, so neither site's event is taken for the other's."""
    await store.ensure_site("site-b", "b.test")
    first = await store.ingest([event("e1", sid="s1")], b"", CT)
    other = await store.ingest([event("e1", sid="s1", site="site-b")], b"", CT)
    assert first.body["accepted"] == other.body["accepted"] == 1
    assert [e.eid for e in await store.rows({SITE})] == [e.eid for e in await store.rows({"site-b"})] == ["e1"]
    assert await count(dsn, "SELECT count(*) FROM processed_signals") == 2
    assert await count(dsn, "SELECT count(*) FROM sessions WHERE id = 's1'") == 2


async def test_duplicate_eid_inside_one_batch_is_stored_once(store: PostgresStore) -> None:
    r = await store.ingest([event("x"), event("y"), event("x", el="second copy"), event("y")], b"", CT)
    assert r.body == {"ok": True, "accepted": 2, "duplicates": 2, "no_eid": 0}
    rows = await store.rows()
    assert [e.eid for e in rows] == ["x", "y"]
    assert rows[0].payload["el"] == ""  # the first occurrence is the one kept


async def test_concurrent_duplicates_from_two_connections_are_stored_once(store: PostgresStore, dsn: str) -> None:
    other = await PostgresStore.connect(dsn)
    try:
        batch = [event(f"c{i}", sid=f"s{i % 4}") for i in range(40)]
        results = await asyncio.gather(*(
            s.ingest(list(b), b"", CT)
            for _ in range(5)
            for s, b in ((store, batch), (other, list(reversed(batch))))
        ))
    finally:
        await other.close()
    assert all(r.status == 200 for r in results), [r.body for r in results if r.status != 200]
    assert sum(r.body["accepted"] for r in results) == 40
    assert sum(r.body["duplicates"] for r in results) == 9 * 40
    assert sorted(e.eid or "" for e in await store.rows()) == sorted(f"c{i}" for i in range(40))
    assert await count(dsn, "SELECT sum(event_count) FROM sessions") == 40


async def test_events_without_eid_are_stored_every_time_and_counted(store: PostgresStore) -> None:
    for _ in range(2):
        r = await store.ingest([event(None), event(None), event("k")], b"", CT)
        assert r.status == 200
    assert r.body == {"ok": True, "accepted": 2, "duplicates": 1, "no_eid": 2}
    assert [e.eid for e in await store.rows()] == [None, None, "k", None, None]
    assert (store.stats.no_eid, store.stats.accepted, store.stats.duplicates) == (4, 5, 1)
    assert store.stats.to_json()["statuses"] == {"200": 2}


async def test_unknown_site_is_404_and_known_after_ensure_site(store: PostgresStore) -> None:
    r = await store.ingest([event("u1", site="nope")], b"", CT)
    assert (r.status, r.processed, r.body["error"]) == (404, False, "unknown site")
    await store.ensure_site("nope", "nope.test")
    await store.ensure_site("nope", "nope.test")  # idempotent
    assert (await store.ingest([event("u1", site="nope")], b"", CT)).status == 200
    assert [e.site for e in await store.rows({"nope"})] == ["nope"]
    assert await store.rows({SITE}) == [] and await store.rows(set()) == []


async def test_missing_partition_is_500_then_200_after_creating_it(store: PostgresStore, dsn: str) -> None:
    batch = [event("j1"), event("m1", sm="2026-02-01", sid="s-feb"), event(None, sm="2026-02-01")]
    r = await store.ingest(batch, b"", CT)
    assert (r.status, r.processed, r.retry_after) == (500, False, None)
    assert r.body["retryable"] is True and "2026-02-01" in r.body["detail"]
    # the whole request rolled back: not even the January event, its ledger row or any session
    for table in ("events", "processed_signals", "sessions"):
        assert await count(dsn, f"SELECT count(*) FROM {table}") == 0, table
    await store.create_next_month_partitions(JAN)
    r = await store.ingest(batch, b"", CT)
    assert (r.status, r.body["accepted"]) == (200, 3)
    assert [(e.eid, e.partition) for e in await store.rows()] == [
        ("j1", "events_2026_01"), ("m1", "events_2026_02"), (None, "events_2026_02")]


async def test_ledger_row_and_event_row_are_written_atomically(store: PostgresStore, dsn: str) -> None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await conn.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
            " $$BEGIN RAISE EXCEPTION 'event insert refused for the test'; END$$")
        await conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse()")
    r = await store.ingest([event("atom")], b"", CT)
    assert (r.status, r.processed) == (500, False) and "refused" in r.body["detail"]
    assert await count(dsn, "SELECT count(*) FROM processed_signals") == 0
    assert await count(dsn, "SELECT count(*) FROM sessions") == 0
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await conn.execute("DROP TRIGGER refuse ON events")
    assert (await store.ingest([event("atom")], b"", CT)).body["accepted"] == 1  # retry is not a "duplicate"


async def test_rate_limit_answers_429_with_retry_after(store: PostgresStore) -> None:
    store.set_rate_limit(0.01)  # a burst of one, then one per 100 s: no timing in the assertion
    answers = [await store.ingest([event(f"r{i}")], b"", CT) for i in range(3)]
    assert answers[0].status == 200
    assert [(a.status, a.processed) for a in answers[1:]] == [(429, False), (429, False)]
    assert all(a.retry_after is not None and a.retry_after >= 1 for a in answers[1:])
    store.set_rate_limit(None)
    assert (await store.ingest([event("r9")], b"", CT)).status == 200


@pytest.mark.parametrize(("payload", "field"), [
    (event("n1", el="a\x00b"), "payload.el"),
    (event("n2", meta={"eid": "n2", "x": float("nan")}), "payload.meta.x"),
    (event("n3", sm="2026-13-01"), "sm"),
    (event("n4", sm=None), "sm"),
])
async def test_data_postgres_cannot_store_is_422_naming_the_field(store: PostgresStore, payload: dict, field: str) -> None:
    r = await store.ingest([event("ok"), payload], b"", CT)
    assert (r.status, r.processed, r.body["index"], r.body["field"]) == (422, False, 1, field)
    assert await store.rows() == []


async def test_mixed_sites_and_empty_batches_are_400(store: PostgresStore) -> None:
    assert (await store.ingest([event("a"), event("b", site="other")], b"", CT)).status == 400
    assert (await store.ingest([], b"", CT)).status == 400


async def test_odd_but_storable_values_are_kept_verbatim(store: PostgresStore) -> None:
    odd = event(42, ev="12.5", el="ünïcødé ✓", ec=7, sid=None, extra={"nested": [1, None, True]})
    plain = event("v2", ev="not a number")
    assert (await store.ingest([odd, plain], b"", CT)).body["accepted"] == 2
    rows = await store.rows()
    assert [e.payload for e in rows] == [odd, plain]
    assert (rows[0].eid, rows[0].ec, rows[0].session_id) == ("42", "7", None)
