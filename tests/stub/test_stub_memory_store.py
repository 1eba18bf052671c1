"""MemoryStore: idempotent by meta.eid, 404 for unknown sites, rows with the session month."""
from __future__ import annotations

from server_stub.memory_store import MemoryStore


def ev(eid: str | None, site: str = "site-a", **fields: object) -> dict[str, object]:
    return {"s": site, "sid": "sess", "sm": "2026-02-01", "ec": "conversion", "ea": "phone_call",
            "meta": {"eid": eid} if eid else {}, **fields}


async def test_duplicate_eids_are_acknowledged_and_stored_once() -> None:
    store = MemoryStore({"site-a"})
    first = await store.ingest([ev("a"), ev("b"), ev("a")], b"", "application/json")
    assert (first.status, first.processed, first.body) == (200, True, {"ok": True, "accepted": 2, "duplicates": 1})
    again = await store.ingest([ev("b")], b"", "text/plain")
    assert (again.status, again.processed, again.body["duplicates"]) == (200, True, 1)
    rows = await store.rows()
    assert [r.eid for r in rows] == ["a", "b"]
    assert (rows[0].site, rows[0].session_id, rows[0].session_month, rows[0].ec, rows[0].ea) == \
        ("site-a", "sess", "2026-02-01", "conversion", "phone_call")


async def test_events_without_eid_are_stored_every_time() -> None:
    store = MemoryStore({"site-a"})
    for _ in range(2):
        await store.ingest([ev(None)], b"", "application/json")
    assert [r.eid for r in await store.rows()] == [None, None]


async def test_unknown_site_is_404_until_ensured() -> None:
    store = MemoryStore(set())
    result = await store.ingest([ev("a", site="site-b")], b"", "application/json")
    assert (result.status, result.processed) == (404, False) and "site-b" in result.body["error"]
    await store.ensure_site("site-b", "127.0.0.1")
    await store.ensure_site("site-b", "127.0.0.1")  # idempotent
    assert (await store.ingest([ev("a", site="site-b")], b"", "application/json")).status == 200
    assert store.sites == {"site-b"}


async def test_rows_filter_by_site() -> None:
    store = MemoryStore({"x", "y"})
    await store.ingest([ev("1", site="x")], b"", "")
    await store.ingest([ev("2", site="y")], b"", "")
    assert [r.eid for r in await store.rows({"y"})] == ["2"]
    assert len(await store.rows()) == 2
    await store.close()
