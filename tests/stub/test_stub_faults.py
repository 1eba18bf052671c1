"""HTTP faults: the spec parser, the plan's choice rules, and each fault's effect over real HTTP."""
from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from harness.contract.history import JournalEntry, StoredEvent
from server_stub.app import StubServer
from server_stub.faults import Fault, FaultPlan, FaultSpecError, parse_fault
from server_stub.memory_store import MemoryStore
from server_stub.store import IngestResult

EventFactory = Callable[..., dict[str, object]]


# -- parse_fault ---------------------------------------------------------------------------
@pytest.mark.parametrize("spec", [
    {"ok": True},
    {"status": 503},
    {"status": 429, "retry_after": 30, "body": {"error": "busy"}},
    {"delay_ms": 150},
    {"status": 503, "delay_ms": 20, "via": "beacon"},
    {"hang": True},
    {"close": True},
    {"close": "rst"},
    {"process_then_fail": 500},
    {"process_then_fail": 502, "retry_after": 1},
    {"process_then_fail": "close"},
    {"process_then_fail": "rst"},
    {"status": 500, "method": "OPTIONS"},
])
def test_fault_specs_round_trip(spec: dict[str, Any]) -> None:
    fault = parse_fault(spec)
    assert parse_fault(fault.to_spec()) == fault
    assert fault.to_spec() == spec
    assert fault.describe()


def test_shorthands() -> None:
    assert parse_fault({"process_then_fail": True}) == Fault("process_then_fail", status=500)
    assert parse_fault({"close": "fin"}) == Fault("close", close="fin")
    assert parse_fault({"delay_ms": 5}).kind == "delay"


@pytest.mark.parametrize(("spec", "message"), [
    ([503], "a fault must be an object, got list"),
    ({}, "a fault needs one of ok, status, hang, close, process_then_fail or delay_ms"),
    ({"stauts": 503}, "unknown fault key(s) ['stauts']"),
    ({"status": 503, "hang": True}, "exactly one kind, got ['status', 'hang']"),
    ({"status": "503"}, "status: must be an integer 200–599, got '503'"),
    ({"status": 99}, "status: must be an integer 200–599, got 99"),
    ({"status": True}, "status: must be an integer 200–599, got True"),
    ({"status": 503, "retry_after": -1}, "retry_after: must be an integer 0–86400, got -1"),
    ({"hang": True, "retry_after": 5}, "retry_after: only allowed with an answered status"),
    ({"close": True, "body": "x"}, "body: only allowed with status"),
    ({"status": 503, "body": 5}, "body: must be an object, array or string, got int"),
    ({"delay_ms": 10**6}, "delay_ms: must be an integer 0–30000, got 1000000"),
    ({"hang": 1}, "hang: must be true, got 1"),
    ({"ok": False}, "ok: must be true, got False"),
    ({"close": "slow"}, "close: must be true, 'fin' or 'rst', got 'slow'"),
    ({"process_then_fail": 200}, "process_then_fail: must be true, a status 400–599, 'close' or 'rst', got 200"),
    ({"status": 503, "via": "ajax"}, "via: must be 'fetch', 'beacon' or 'xhr', got 'ajax'"),
    ({"status": 503, "method": "GET"}, "method: must be 'POST' or 'OPTIONS', got 'GET'"),
    ({"process_then_fail": True, "method": "OPTIONS"}, "a preflight has nothing to process"),
])
def test_bad_specs_fail_with_a_precise_message(spec: Any, message: str) -> None:
    with pytest.raises(FaultSpecError) as err:
        parse_fault(spec)
    assert message in str(err.value)


# -- FaultPlan choice rules ----------------------------------------------------------------
def kinds(plan: FaultPlan, n: int, via: str = "fetch", method: str = "POST") -> list[str | None]:
    out: list[str | None] = []
    for _ in range(n):
        d = plan.decide(method, via)
        out.append(None if d is None else f"{d.fault.describe()}/{d.source}")
    return out


def test_sequence_then_healthy() -> None:
    plan = FaultPlan()
    plan.sequence([{"status": 503}] * 3)
    assert kinds(plan, 5) == ["status 503/queue"] * 3 + [None, None]


def test_queue_beats_default_and_default_lasts_until_cleared() -> None:
    plan = FaultPlan()
    plan.set_default({"status": 503})
    plan.push({"ok": True}, count=2)
    assert kinds(plan, 3) == ["ok/queue", "ok/queue", "status 503/default"]
    plan.set_default(None)
    assert kinds(plan, 1) == [None]


def test_faults_match_transport_and_method() -> None:
    plan = FaultPlan()
    plan.push({"status": 503, "via": "beacon"})
    plan.push({"close": True, "method": "OPTIONS"})
    assert kinds(plan, 1, via="fetch") == [None]  # the beacon fault waits for a beacon
    assert kinds(plan, 1, via="fetch", method="OPTIONS") == ["close fin method=OPTIONS/queue"]
    assert kinds(plan, 1, via="beacon") == ["status 503 via=beacon/queue"]
    assert kinds(plan, 1, via="beacon", method="OPTIONS") == [None]  # preflights pass through


def test_seeded_random_is_reproducible_and_independent_of_other_rules() -> None:
    def run(seed: int, queued: int = 0) -> list[str | None]:
        plan = FaultPlan(seed=99)
        plan.random(0.3, {"status": 503}, seed=seed)
        if queued:
            plan.push({"ok": True}, count=queued)
        return kinds(plan, 200)

    first = run(7)
    assert first == run(7)
    assert first != run(8)
    assert 30 <= first.count("status 503/random") <= 90  # p=0.3 of 200: mean 60, sd ~6.5
    assert run(7, queued=5)[5:] == first[5:]  # the queue does not shift the random sequence


def test_each_context_draws_its_own_sequence_whatever_the_arrival_order() -> None:
    """Ten visitors' requests reach the stub in real-time order: a visitor's k-th request gets the
    same fate however the others' interleave (one shared sequence handed fates out by arrival)."""
    def fates(order: list[str]) -> dict[str, list[bool]]:
        plan = FaultPlan(seed=5)
        plan.random(0.2, {"status": 503}, seed=5)
        out: dict[str, list[bool]] = {}
        for ctx in order:
            out.setdefault(ctx, []).append(plan.decide("POST", "fetch", ctx) is not None)
        return out

    contexts = [f"visitor{i}" for i in range(1, 11)]
    round_robin = [c for _ in range(20) for c in contexts]
    one_after_another = [c for c in contexts for _ in range(20)]
    assert fates(round_robin) == fates(one_after_another)
    drawn = fates(round_robin)
    assert len({tuple(v) for v in drawn.values()}) == 10  # contexts are not handed one sequence
    assert 20 <= sum(sum(v) for v in drawn.values()) <= 60  # p=0.2 of 200: mean 40, sd ~5.7


def test_a_contexts_concurrent_requests_get_their_fates_whatever_the_arrival_order() -> None:
    """One visitor's page sends several requests at one page time (a view, the batch of the page it
    left, a retry): they reach the stub in real-time order. Each gets the fate of what it carries;
    the same body sent again draws afresh (a retry is not doomed to its first fate)."""
    bodies = [f'{{"events": [{{"meta": {{"eid": "e{i}"}}}}]}}'.encode() for i in range(12)]
    resent = [bodies[0]] * 12  # one batch retried

    def fates(order: list[bytes]) -> dict[bytes, list[bool]]:
        plan = FaultPlan(seed=5)
        plan.random(0.5, {"status": 503}, seed=5)
        out: dict[bytes, list[bool]] = {}
        for body in order:
            out.setdefault(body, []).append(plan.decide("POST", "fetch", "visitor1", body) is not None)
        return out

    forward = fates(bodies)
    assert forward == fates(bodies[::-1])
    assert 1 <= sum(v for [v] in forward.values()) <= 11  # p=0.5 of 12
    assert forward != fates([b"x" + b for b in bodies])  # the body decides
    again = fates(resent)[bodies[0]]
    assert True in again and False in again


def test_a_copy_the_browser_re_sent_takes_its_sends_draw_and_shifts_no_later_one() -> None:
    """Chromium re-sends a POST by itself when its reused socket closes before an answer (a held
    answer and the page's abort), as often as real time makes it: 1 to 3 copies of one send in runs
    of one scenario. Each copy drew anew and moved the body's count, so the page's next retry of the
    same batch drew another fate (a delayed answer in one run, 200 in the next)."""
    body = b'{"events": [{"meta": {"eid": "e1"}}]}'

    def fates(copies: list[int]) -> list[bool]:
        plan = FaultPlan(seed=4)
        plan.random(0.5, {"delay_ms": 7000}, seed=4)
        return [plan.decide("POST", "fetch", "b", body, f"load.1:{n}:0") is not None
                for n, k in enumerate(copies) for _ in range(k)]

    one, three = fates([1] * 8), fates([3] + [1] * 7)
    assert three[:3] == [one[0]] * 3  # a copy has its send's fate
    assert three[3:] == one[1:]  # and the page's later sends draw as without the copies
    assert True in one and False in one


def test_two_runs_draw_alike_though_their_site_id_and_ports_differ() -> None:
    """A body names the run's fresh site id and the site origin's ephemeral port: neither is part
    of what the request is (the second run of pg_many_visitors otherwise drew anew)."""
    def fates(site: str, port: int) -> list[bool]:
        plan = FaultPlan(seed=5, run_values=(site,))
        plan.random(0.5, {"status": 503}, seed=5)
        return [plan.decide("POST", "fetch", "visitor1",
                            f'{{"s": "{site}", "u": "http://127.0.0.1:{port}/?e={i}"}}'.encode()) is not None
                for i in range(16)]

    first = fates("site-a-5-18c97f", 46077)
    assert first == fates("site-a-5-9f93f8", 34447)
    assert True in first and False in first


def test_random_seed_defaults_to_the_plan_seed_and_none_clears() -> None:
    a, b = FaultPlan(seed=3), FaultPlan(seed=3)
    a.random(0.5, {"close": True})
    b.random(0.5, {"close": True}, seed=3)
    assert kinds(a, 50) == kinds(b, 50)
    a.random(0.5, None)
    assert kinds(a, 10) == [None] * 10


@pytest.mark.parametrize(("call", "message"), [
    (lambda p: p.push({"ok": True}, count=0), "count: must be a positive integer"),
    (lambda p: p.random(1.5, {"ok": True}), "p: must be a number 0–1"),
    (lambda p: p.random(0.5, {"ok": True}, seed="x"), "seed: must be an integer"),
    (lambda p: p.sequence([{"ok": True}, {"nope": 1}]), "unknown fault key(s) ['nope']"),
])
def test_plan_rejects_bad_calls_without_changing(call: Callable[[FaultPlan], None], message: str) -> None:
    plan = FaultPlan()
    with pytest.raises(FaultSpecError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        call(plan)
    assert plan.state() == {"queue": [], "default": None, "random": None, "hung": 0}


# -- faults over HTTP ----------------------------------------------------------------------
async def send(http: aiohttp.ClientSession, stub: StubServer, payload: dict[str, object],
               via: str = "fetch") -> tuple[int, dict[str, str]]:
    async with http.post(f"{stub.direct_sync_url}?_tank_via={via}", json=payload,
                         headers={"Origin": "http://127.0.0.1:1"}) as resp:
        await resp.read()
        return resp.status, dict(resp.headers)


async def test_503_three_times_then_200(stub: StubServer, http: aiohttp.ClientSession, event: EventFactory) -> None:
    stub.faults.sequence([{"status": 503, "retry_after": 2}] * 3)
    results = [await send(http, stub, event("e1")) for _ in range(4)]
    assert [s for s, _ in results] == [503, 503, 503, 200]
    assert [h.get("Retry-After") for _, h in results] == ["2", "2", "2", None]
    assert results[0][1]["Access-Control-Allow-Origin"] == "http://127.0.0.1:1"
    entries = stub.journal.entries()
    assert [(e.status, e.processed) for e in entries] == [(503, False)] * 3 + [(200, True)]
    assert entries[0].fault == "status 503 retry_after=2 (queue)" and entries[3].fault is None
    assert entries[0].headers["Retry-After"] == "2"
    assert [r.eid for r in await stub.store.rows()] == ["e1"]


async def test_status_fault_wins_over_a_bad_body(stub: StubServer, http: aiohttp.ClientSession) -> None:
    stub.faults.push({"status": 503, "body": "down"})
    async with http.post(stub.direct_sync_url, data=b"garbage") as resp:
        assert resp.status == 503 and await resp.text() == "down"
    entry = stub.journal.entries()[0]
    assert entry.status == 503 and "bad JSON" in (entry.error or "")


async def test_hang_until_the_client_aborts(stub: StubServer, http: aiohttp.ClientSession, event: EventFactory) -> None:
    stub.faults.push({"hang": True})
    request = asyncio.ensure_future(send(http, stub, event("e1")))
    hung = await stub.journal.wait_for(lambda e: e.outcome == "hung")
    assert hung.t_done is None and hung.status is None and [e.eid for e in hung.events] == ["e1"]
    assert stub.faults.hung_count == 1
    request.cancel()  # the page's AbortController: the socket closes
    ended = await stub.journal.wait_for(lambda e: e.outcome == "hung" and e.t_done is not None)
    assert ended.seq == hung.seq and not ended.processed and ended.error == "client went away"
    assert await stub.store.rows() == []


async def test_hang_then_release_proceeds_normally(stub: StubServer, http: aiohttp.ClientSession,
                                                   event: EventFactory) -> None:
    stub.faults.push({"hang": True})
    request = asyncio.ensure_future(send(http, stub, event("e1")))
    await stub.journal.wait_for(lambda e: e.outcome == "hung")
    assert stub.faults.release_hung() == 1
    status, _ = await request
    assert status == 200
    [entry] = stub.journal.entries()
    assert (entry.outcome, entry.status, entry.processed, entry.fault) == ("answered", 200, True, "hang (queue)")


async def test_stop_ends_hung_requests(tmp_path: Path, http: aiohttp.ClientSession, event: EventFactory) -> None:
    stub = StubServer(tracker_source="", site_id="site-a", site_dir=tmp_path)
    await stub.start()
    stub.faults.set_default({"hang": True})
    requests = [asyncio.ensure_future(send(http, stub, event(f"e{i}"))) for i in range(2)]
    await stub.journal.wait_for(lambda e: e.seq == 2 and e.outcome == "hung")
    await asyncio.wait_for(stub.stop(), timeout=5)
    await stub.stop()  # idempotent
    for request in requests:
        with pytest.raises(aiohttp.ClientConnectionError):
            await request
    assert [(e.outcome, e.error, e.t_done is not None) for e in stub.journal.entries()] == \
        [("hung", "server stopped", True)] * 2


@pytest.mark.parametrize("mode", [True, "rst"])
async def test_close_without_answer(stub: StubServer, http: aiohttp.ClientSession, event: EventFactory,
                                    mode: bool | str) -> None:
    stub.faults.push({"close": mode})
    with pytest.raises(aiohttp.ClientConnectionError):
        await send(http, stub, event("e1"))
    entry = await stub.journal.wait_for(lambda e: e.t_done is not None)
    assert (entry.outcome, entry.status, entry.processed) == ("closed", None, False)
    assert [e.eid for e in entry.events] == ["e1"]  # the body was read before closing
    status, _ = await send(http, stub, event("e2"))
    assert status == 200  # the server itself is fine


async def test_process_then_fail_stores_then_answers_500(stub: StubServer, http: aiohttp.ClientSession,
                                                         event: EventFactory) -> None:
    stub.faults.push({"process_then_fail": True})
    status, _ = await send(http, stub, event("e1"))
    assert status == 500
    entry = stub.journal.entries()[0]
    assert (entry.outcome, entry.status, entry.processed) == ("process_then_fail", 500, True)
    assert [r.eid for r in await stub.store.rows()] == ["e1"]
    status, _ = await send(http, stub, event("e1"))  # the retry is a duplicate, acknowledged
    assert status == 200
    assert len(await stub.store.rows()) == 1


async def test_process_then_close(stub: StubServer, http: aiohttp.ClientSession, event: EventFactory) -> None:
    stub.faults.push({"process_then_fail": "close"})
    with pytest.raises(aiohttp.ClientConnectionError):
        await send(http, stub, event("e1"))
    entry = await stub.journal.wait_for(lambda e: e.t_done is not None)
    assert (entry.outcome, entry.status, entry.processed) == ("process_then_fail", None, True)
    assert [r.eid for r in await stub.store.rows()] == ["e1"]


async def test_delay_reorders_answers(stub: StubServer, http: aiohttp.ClientSession, event: EventFactory) -> None:
    stub.faults.push({"delay_ms": 400})
    slow = asyncio.ensure_future(send(http, stub, event("slow")))
    await stub.journal.wait_for(lambda e: e.seq == 1 and e.fault is not None)
    assert (await send(http, stub, event("fast")))[0] == 200
    assert (await slow)[0] == 200
    first, second = stub.journal.entries()
    assert first.t_done is not None and second.t_done is not None
    assert first.t_done - first.t_wall >= 0.39  # asyncio.sleep never returns early (10 ms clock slack)
    assert second.t_done < first.t_done
    assert [r.eid for r in await stub.store.rows()] == ["slow", "fast"]  # a slow server stores, then answers late


async def test_ok_with_delay_waits_before_storing(stub: StubServer, http: aiohttp.ClientSession, event: EventFactory) -> None:
    stub.faults.push({"ok": True, "delay_ms": 300})
    slow = asyncio.ensure_future(send(http, stub, event("slow")))
    await stub.journal.wait_for(lambda e: e.seq == 1 and e.fault is not None)
    assert (await send(http, stub, event("fast")))[0] == 200
    assert (await slow)[0] == 200
    assert [r.eid for r in await stub.store.rows()] == ["fast", "slow"]


async def test_preflight_fault_only_when_asked(stub: StubServer, http: aiohttp.ClientSession) -> None:
    stub.faults.push({"status": 503})
    stub.faults.push({"status": 500, "method": "OPTIONS"})
    headers = {"Origin": "http://127.0.0.1:1", "Access-Control-Request-Method": "POST"}
    async with http.options(stub.direct_sync_url, headers=headers) as resp:
        assert resp.status == 500
    async with http.options(stub.direct_sync_url, headers=headers) as resp:
        assert resp.status == 204
    assert stub.faults.state()["queue"] == [{"status": 503}]  # the POST fault is still waiting


async def test_seeded_random_over_http_matches_the_plan(stub: StubServer, http: aiohttp.ClientSession,
                                                        event: EventFactory) -> None:
    expected_plan = FaultPlan(run_values=(stub.site_id,))
    expected_plan.random(0.5, {"status": 503}, seed=42)
    bodies = [json.dumps(event(f"e{i}")).encode() for i in range(16)]  # as aiohttp sends json=
    expected = [503 if expected_plan.decide("POST", "fetch", None, b) else 200 for b in bodies]
    stub.faults.random(0.5, {"status": 503}, seed=42)
    got = [(await send(http, stub, event(f"e{i}")))[0] for i in range(16)]
    assert got == expected and 503 in got and 200 in got


class GatedStore(MemoryStore):
    """A memory store whose ingest waits for the test, to let the client leave mid-ingest."""

    def __init__(self) -> None:
        super().__init__({"site-a"})
        self.started = asyncio.Event()
        self.gate = asyncio.Event()

    async def ingest(self, events: list[dict[str, Any]], raw: bytes, content_type: str) -> IngestResult:
        self.started.set()
        await self.gate.wait()
        return await super().ingest(events, raw, content_type)


async def test_client_gone_mid_ingest_is_journaled_as_processed(tmp_path: Path, http: aiohttp.ClientSession,
                                                                event: EventFactory) -> None:
    store = GatedStore()
    async with StubServer(tracker_source="", site_id="site-a", store=store, site_dir=tmp_path) as stub:
        request = asyncio.ensure_future(send(http, stub, event("e1")))
        await asyncio.wait_for(store.started.wait(), timeout=5)
        request.cancel()
        sync_server = stub._runners[1].server  # white-box: wait until the server saw the socket close
        assert sync_server is not None
        async with asyncio.timeout(5):
            while any(conn.transport is not None for conn in sync_server.connections):
                await asyncio.sleep(0.01)
        store.gate.set()
        entry: JournalEntry = await stub.journal.wait_for(lambda e: e.t_done is not None)
        assert (entry.outcome, entry.status, entry.processed) == ("client_gone", None, True)
        rows: list[StoredEvent] | None = await stub.store.rows()
        assert rows is not None and [r.eid for r in rows] == ["e1"]


async def test_journal_file_records_faulted_requests(stub: StubServer, http: aiohttp.ClientSession,
                                                     event: EventFactory) -> None:
    stub.faults.push({"status": 503})
    await send(http, stub, event("e1"))
    assert stub.journal.path is not None
    lines = stub.journal.path.read_text().splitlines()
    assert json.loads(lines[0])["fault"] == "status 503 (queue)"
