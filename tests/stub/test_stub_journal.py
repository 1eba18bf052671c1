"""The journal: in-memory entries replaced as requests progress, waiting, and the JSONL file."""
from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from harness.contract.history import JournalEntry
from server_stub.app import StubServer
from server_stub.journal import IN_FLIGHT, Journal
from server_stub.journal_codec import entry_from_json, entry_to_json, read_jsonl

EventFactory = Callable[..., dict[str, object]]


def test_entries_are_replaced_not_mutated(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    first = journal.begin(method="POST", path="/api/sync", via="fetch", headers={"Origin": "o"})
    assert (first.seq, first.outcome, first.t_done) == (1, IN_FLIGHT, None)
    journal.set_body(1, b'{"s": "a"}')
    done = journal.finish(1, outcome="answered", status=200, processed=True)
    assert done is not None and done.t_done is not None and done.body_size == 10
    assert first.outcome == IN_FLIGHT  # the old value is untouched
    assert journal.entries() == [done]
    again = journal.finish(1, outcome="closed")  # the first end wins
    assert again == done


def test_since_and_clear_keep_counting(tmp_path: Path) -> None:
    journal = Journal()
    for _ in range(3):
        journal.begin(method="POST", path="/api/sync")
    assert [e.seq for e in journal.since(1)] == [2, 3]
    journal.clear()
    assert journal.entries() == [] and journal.update(2, status=1) is None
    assert journal.begin(method="POST", path="/x").seq == 4
    assert journal.received == 4  # requests received, not entries kept


def test_since_bisects_in_seq_order_through_updates_and_clear() -> None:
    journal = Journal()
    for _ in range(6):
        journal.begin(method="POST", path="/api/sync")
    journal.finish(4, outcome="ok", status=200)  # replaced in place: the order stays
    assert [[e.seq for e in journal.since(s)] for s in (0, 3, 5, 6, 99)] == [[1, 2, 3, 4, 5, 6], [4, 5, 6], [6], [], []]
    assert journal.since(3)[0].status == 200
    journal.clear()
    journal.begin(method="POST", path="/api/sync")
    assert [e.seq for e in journal.since(0)] == [7] and [e.seq for e in journal.since(6)] == [7]


def test_sample_is_truncated_but_the_file_has_the_whole_body(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl", sample_chars=16)
    text_body = ("é" * 40).encode()
    binary_body = b"\xff\xfe" + bytes(range(256))
    for body in (text_body, binary_body):
        entry = journal.begin(method="POST", path="/api/sync")
        journal.set_body(entry.seq, body)
        journal.finish(entry.seq, outcome="answered", status=400)
    text_entry, binary_entry = journal.entries()
    assert text_entry.body_sample == "é" * 16 and text_entry.body_size == 80
    assert binary_entry.body_sample.startswith("\\xff\\xfe\x00\x01")
    # the raw body's hash: how a browser copy of a batch whose journaled payloads were trimmed is told
    assert [e.body_sha256 for e in (text_entry, binary_entry)] == [hashlib.sha256(b).hexdigest()
                                                                    for b in (text_body, binary_body)]
    journal.close()
    rows = read_jsonl(tmp_path / "j.jsonl")
    assert [(entry, body) for entry, body in rows] == [(text_entry, text_body), (binary_entry, binary_body)]
    raw_lines = [json.loads(line) for line in (tmp_path / "j.jsonl").read_text().splitlines()]
    assert "body" in raw_lines[0] and "body_b64" in raw_lines[1]


def test_codec_round_trips_an_entry_with_events() -> None:
    from harness.contract.history import JournalEvent

    entry = JournalEntry(seq=3, t_wall=1.5, method="POST", path="/api/sync", status=422, outcome="answered",
                         processed=False, via="beacon", headers={"Origin": "o"}, body_size=5, body_sample="x",
                         events=(JournalEvent(0, {"s": "a", "meta": {"eid": "e"}}, "e"),
                                 JournalEvent(1, {}, None, "event is not an object (got string)")),
                         error="1 invalid", fault="status 503 (queue)", t_done=2.0)
    assert entry_from_json(json.loads(json.dumps(entry_to_json(entry)))) == entry


def test_bad_jsonl_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text('{"seq": 1}\n')
    with pytest.raises(ValueError, match=r"j.jsonl:1: not a journal entry"):
        read_jsonl(path)


async def test_wait_for_sees_future_updates_and_times_out() -> None:
    journal = Journal()
    seen: list[int] = []
    unsubscribe = journal.subscribe(lambda e: seen.append(e.seq))

    async def later() -> None:
        await asyncio.sleep(0)
        entry = journal.begin(method="POST", path="/api/sync")
        journal.finish(entry.seq, outcome="answered", status=200)

    task = asyncio.ensure_future(later())
    done = await journal.wait_for(lambda e: e.status == 200, timeout=5)
    await task
    assert done.seq == 1 and seen == [1, 1]
    unsubscribe()
    journal.begin(method="POST", path="/api/sync")
    assert seen == [1, 1]
    with pytest.raises(TimeoutError, match="no journal entry matched within 0.05s"):
        await journal.wait_for(lambda e: e.status == 999, timeout=0.05)


async def test_jsonl_file_round_trips_a_real_session(stub: StubServer, http: aiohttp.ClientSession,
                                                     event: EventFactory) -> None:
    stub.faults.push({"status": 503, "retry_after": 1})
    bodies = [json.dumps(event("e1")).encode(), b"\xff\xfe garbage", json.dumps({"batch": [event("e2"), 7]}).encode()]
    for body in bodies:
        async with http.post(stub.direct_sync_url + "?_tank_via=beacon", data=body) as resp:
            await resp.read()
    async with http.options(stub.direct_sync_url) as resp:
        await resp.read()
    assert stub.journal.path is not None
    rows = read_jsonl(stub.journal.path)
    assert [entry for entry, _ in rows] == stub.journal.entries()
    assert [body for _, body in rows] == [*bodies, None]
    assert [e.status for e, _ in rows] == [503, 400, 422, 204]


async def test_a_request_journals_the_pages_send_id_and_context(stub: StubServer, http: aiohttp.ClientSession,
                                                                event: EventFactory) -> None:
    """The ``_tank_a`` tag names the page's send: a second request with it is a copy the browser
    re-sent by itself (the checker counts those apart)."""
    body = json.dumps(event("e1")).encode()
    for _ in range(2):
        async with http.post(stub.direct_sync_url + "?_tank_via=fetch&_tank_ctx=a&_tank_a=ld.3", data=body) as resp:
            await resp.read()
    async with http.post(stub.direct_sync_url + "?_tank_via=fetch", data=body) as resp:
        await resp.read()
    assert [(e.context, e.send) for e in stub.journal.entries()] == [("a", "ld.3"), ("a", "ld.3"), (None, None)]
