"""The stub's memory is bounded: rejected 250 KB batches leave a journal that says what arrived
(size, status, sample, each event's eid and error up to the journal's budget of such records)
without keeping their bodies."""
from __future__ import annotations

import gc
import json
import tracemalloc

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from server_stub.faults import FaultPlan
from server_stub.journal import Journal
from server_stub.journal_bounds import (
    EVENT_PAYLOAD_MAX,
    REJECTED_EVENTS_MAX,
    TRIMMED,
    bound_events,
)
from server_stub.memory_store import MemoryStore
from server_stub.sync_app import SYNC_PATH, SyncApp
from server_stub.sync_protocol import parse_body

EVENTS = 100  # a build's batch of 100 events, 2.5 KB each
BODY_KB = 250
BUDGET_BATCHES = 4  # the journal's budget of event records, in batches (the default is 100 batches' worth)
PAST_BUDGET = 40  # batches measured once the budget is spent
# Measured: ~0.9 KB per event record kept within the budget (labels past a request's payload
# budget included; ~0.5 KB without them), ~4 KB per batch past it. A kept body
# would be 250 KB a batch; unbounded records, 50 KB a batch for ever (50 MB per 1,000 batches).
RECORD_LIMIT_KB = 1.5
PAST_BUDGET_LIMIT_KB = 10.0


def _rejected_batch(n: int) -> bytes:
    """~250 KB, 422: the first event has a numeric site id; every batch has its own event ids."""
    events = [{"s": "site-a", "sid": "s1", "sm": "2026-01", "ec": "c", "ea": "a",
               "meta": {"eid": f"b{n}-{i}-0123456789abcdef", "pad": "x" * (BODY_KB * 980 // EVENTS)}} for i in range(EVENTS)]
    events[0]["s"] = 5
    return json.dumps({"events": events}).encode()


async def _kept_kb_per_batch(client: ClientSession, url: object, batches: range) -> float:
    """Memory still allocated after posting ``batches`` (rejected), per batch (KB)."""
    gc.collect()
    tracemalloc.start(1)
    try:
        start = tracemalloc.get_traced_memory()[0]
        for n in batches:
            body = _rejected_batch(n)
            async with client.post(url, data=body, headers={"Content-Type": "application/json"}) as resp:
                assert resp.status == 422
                await resp.read()
            del body
        gc.collect()
        return (tracemalloc.get_traced_memory()[0] - start) / 1e3 / len(batches)
    finally:
        tracemalloc.stop()


async def test_rejected_250kb_batches_keep_a_bounded_record_each_and_nothing_past_the_budget() -> None:
    """Memory per journal is bounded: each rejected batch keeps its event records (ids, errors,
    whole payloads up to a per-request budget) until the journal's budget of records is spent,
    then only its entry — never its body. The budget is lowered so both phases are measured in a
    few dozen batches; what a batch keeps does not depend on the budget's size."""
    journal = Journal(rejected_events_max=EVENTS * BUDGET_BATCHES)
    app = SyncApp(journal, FaultPlan(1), MemoryStore({"site-a"}))
    total = 2 + BUDGET_BATCHES + PAST_BUDGET
    async with TestServer(app.make_app()) as server, ClientSession() as client:  # keeps no responses
        url = server.make_url(SYNC_PATH)
        await _kept_kb_per_batch(client, url, range(2))  # warm-up: aiohttp's own first allocations
        within = await _kept_kb_per_batch(client, url, range(2, BUDGET_BATCHES))
        past = await _kept_kb_per_batch(client, url, range(BUDGET_BATCHES, total))
    record = within / EVENTS
    print(f"rejected {len(_rejected_batch(0)) / 1e3:.0f} KB batches of {EVENTS} events: {record:.2f} KB per event record "
          f"within the budget (limit {RECORD_LIMIT_KB:g}), {past:.1f} KB per batch past it (limit {PAST_BUDGET_LIMIT_KB:g}); "
          f"the default budget: ~{(REJECTED_EVENTS_MAX * record + 1000 * past) / 1e3:.0f} MB after 1,000 such batches")
    assert record < RECORD_LIMIT_KB and past < PAST_BUDGET_LIMIT_KB, (record, past)
    entries = journal.entries()
    assert len(entries) == total
    first, last = entries[0], entries[-1]
    assert (last.status, last.processed, last.body_size) == (422, False, len(_rejected_batch(total - 1)))
    assert last.body_sample.startswith('{"events"') and len(last.body_sample) == journal.sample_chars
    assert [ev.eid for ev in first.events] == [f"b0-{i}-0123456789abcdef" for i in range(EVENTS)]
    assert first.events[0].error and all(ev.error is None for ev in first.events[1:])
    assert all(len(json.dumps(ev.payload)) < EVENT_PAYLOAD_MAX for ev in first.events)
    # Past the journal's budget of event records, events are counted and the run is told.
    kept = sum(len(e.events) for e in entries)
    assert kept == EVENTS * BUDGET_BATCHES and journal.events_not_kept == total * EVENTS - kept
    assert last.events == () and journal.notes() and "cannot attribute them" in journal.notes()[0]


def test_the_budget_of_event_records_is_the_journals_and_a_reset_gives_it_back() -> None:
    journal = Journal(rejected_events_max=5)
    events = parse_body(json.dumps({"events": [{"s": "a", "meta": {"eid": f"e{i}"}} for i in range(3)]}).encode()).events
    for _ in range(2):
        seq = journal.begin(method="POST", path=SYNC_PATH).seq
        journal.update(seq, events=events)
        journal.finish(seq, outcome="answered", status=503, processed=False)
    seq = journal.begin(method="POST", path=SYNC_PATH).seq
    journal.update(seq, events=events)
    journal.finish(seq, outcome="answered", status=200, processed=True)  # accepted: always kept
    assert [len(e.events) for e in journal.entries()] == [3, 2, 3]
    assert (journal.events_not_kept, journal.requests_short) == (1, 1)
    assert journal.notes()[0].startswith("journal: 1 event(s) of 1 refused or failed request(s) past the bound of 5")
    journal.clear()
    seq = journal.begin(method="POST", path=SYNC_PATH).seq
    journal.update(seq, events=events)
    journal.finish(seq, outcome="answered", status=503, processed=False)
    assert len(journal.get(seq).events) == 3


def test_small_payloads_are_kept_whole_large_ones_keep_their_labels() -> None:
    small = {"s": "site-a", "ec": "c", "ea": "a", "meta": {"eid": "e1"}}
    large = {"s": "site-a", "ec": "c", "ea": "big", "el": "l", "meta": {"eid": "e2", "pad": "y" * 5000}}
    events = parse_body(json.dumps({"events": [small, large]}).encode()).events
    kept = bound_events(events, processed=True)
    assert kept[0].payload == small
    assert kept[1].payload == {"s": "site-a", "ec": "c", "ea": "big", "el": "l", "meta": {"eid": "e2"},
                               TRIMMED: len(json.dumps(large, separators=(",", ":")))}


def test_a_rejected_request_keeps_whole_payloads_within_its_budget_then_labels_ids_and_errors() -> None:
    batch = [{"s": "site-a", "ec": "c", "ea": "a", "meta": {"eid": f"e{i}", "pad": "z" * 1500}} for i in range(20)]
    batch[3]["s"] = 7
    events = parse_body(json.dumps({"events": batch}).encode()).events
    kept = bound_events(events, processed=False)
    assert kept[0].payload == batch[0]
    # past the budget an event keeps its labels (a build without eids is paired with its send by them)
    assert kept[-1].payload == {"s": "site-a", "ec": "c", "ea": "a", "meta": {"eid": "e19"},
                                TRIMMED: len(json.dumps(batch[-1], separators=(",", ":")))}
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
