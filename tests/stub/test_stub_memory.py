"""The stub's memory is bounded: rejected 250 KB batches leave a journal that says what arrived
(size, status, sample, each event's eid and error) without keeping their bodies."""
from __future__ import annotations

import gc
import json
import tracemalloc

from aiohttp.test_utils import TestClient, TestServer

from server_stub.faults import FaultPlan
from server_stub.journal import Journal
from server_stub.journal_bounds import EVENT_PAYLOAD_MAX, TRIMMED, bound_events
from server_stub.memory_store import MemoryStore
from server_stub.sync_app import SYNC_PATH, SyncApp
from server_stub.sync_protocol import parse_body

BATCHES = 1_000
EVENTS = 10  # a build's batch of 10 events, 25 KB each
GROWTH_LIMIT_MB = 20.0  # before bounding: ~330 MB for the same 1,000 batches


def _rejected_batch(n: int) -> bytes:
    """~250 KB, 422: the first event has a numeric site id."""
    events = [{"s": "site-a", "sid": "s1", "sm": "2026-01", "ec": "c", "ea": "a",
               "meta": {"eid": f"b{n}-{i}", "pad": "x" * (245_000 // EVENTS)}} for i in range(EVENTS)]
    events[0]["s"] = 5
    return json.dumps({"events": events}).encode()


async def test_memory_after_1000_rejected_250kb_batches_returns_near_its_start() -> None:
    journal = Journal()
    app = SyncApp(journal, FaultPlan(1), MemoryStore({"site-a"}))
    bodies = [_rejected_batch(n) for n in range(3)]
    async with TestClient(TestServer(app.make_app())) as client:
        gc.collect()
        tracemalloc.start(1)
        try:
            start = tracemalloc.get_traced_memory()[0]
            for n in range(BATCHES):
                async with client.post(SYNC_PATH, data=bodies[n % 3],
                                       headers={"Content-Type": "application/json"}) as resp:
                    assert resp.status == 422
                    await resp.read()
            gc.collect()
            growth_mb = (tracemalloc.get_traced_memory()[0] - start) / 1e6
        finally:
            tracemalloc.stop()
    assert growth_mb < GROWTH_LIMIT_MB, f"{growth_mb:.1f} MB kept for {BATCHES} rejected batches"
    entries = journal.entries()
    assert len(entries) == BATCHES
    last = entries[-1]
    assert (last.status, last.processed, last.body_size) == (422, False, len(bodies[(BATCHES - 1) % 3]))
    assert last.body_sample.startswith('{"events"') and len(last.body_sample) == journal.sample_chars
    assert [ev.eid for ev in last.events] == [f"b0-{i}" for i in range(EVENTS)]
    assert last.events[0].error and all(ev.error is None for ev in last.events[1:])
    assert all(len(json.dumps(ev.payload)) < EVENT_PAYLOAD_MAX for ev in last.events)


def test_small_payloads_are_kept_whole_large_ones_keep_their_labels() -> None:
    small = {"s": "site-a", "ec": "c", "ea": "a", "meta": {"eid": "e1"}}
    large = {"s": "site-a", "ec": "c", "ea": "big", "el": "l", "meta": {"eid": "e2", "pad": "y" * 5000}}
    events = parse_body(json.dumps({"events": [small, large]}).encode()).events
    kept = bound_events(events, processed=True)
    assert kept[0].payload == small
    assert kept[1].payload == {"s": "site-a", "ec": "c", "ea": "big", "el": "l", "meta": {"eid": "e2"},
                               TRIMMED: len(json.dumps(large, separators=(",", ":")))}


def test_a_rejected_request_keeps_whole_payloads_within_its_budget_then_ids_and_errors_only() -> None:
    batch = [{"s": "site-a", "ec": "c", "ea": "a", "meta": {"eid": f"e{i}", "pad": "z" * 1500}} for i in range(20)]
    batch[3]["s"] = 7
    events = parse_body(json.dumps({"events": batch}).encode()).events
    kept = bound_events(events, processed=False)
    assert kept[0].payload == batch[0] and kept[-1].payload == {}
    assert [e.eid for e in kept] == [f"e{i}" for i in range(20)] and kept[3].error == events[3].error


def test_a_payload_too_deep_to_write_is_trimmed_not_a_crash() -> None:
    deep: dict = {}
    node = deep
    for _ in range(5000):
        node["a"] = {}
        node = node["a"]
    from harness.contract.history import JournalEvent
    kept = bound_events((JournalEvent(0, {"s": "x", "meta": deep}, None, "nested"),), processed=False)
    assert kept[0].payload == {"s": "x", TRIMMED: -1}
