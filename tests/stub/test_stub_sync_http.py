"""The Sync endpoint over HTTP: every status of SPEC §5, CORS on every answer, a journal entry
for every request (garbage included), and never a 500 from a bug."""
from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from harness.contract.history import StoredEvent
from server_stub.app import StubServer
from server_stub.store import IngestResult
from server_stub.sync_protocol import MAX_BODY_BYTES

SITE = "site-a"  # the conftest ``stub`` fixture's site
ORIGIN = "http://127.0.0.1:9999"
EventFactory = Callable[..., dict[str, object]]


async def post(http: aiohttp.ClientSession, stub: StubServer, data: bytes | str, *,
               content_type: str = "application/json", via: str | None = "fetch",
               origin: str | None = ORIGIN) -> tuple[int, dict[str, str], Any]:
    url = stub.direct_sync_url + (f"?_tank_via={via}" if via else "")
    headers = {"Content-Type": content_type}
    if origin:
        headers["Origin"] = origin
    async with http.post(url, data=data, headers=headers) as resp:
        text = await resp.text()
        try:
            parsed: Any = json.loads(text)
        except ValueError:
            parsed = text
        return resp.status, dict(resp.headers), parsed


def assert_cors(headers: dict[str, str]) -> None:
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in headers["Vary"]
    assert "Retry-After" in headers["Access-Control-Expose-Headers"]


async def test_accepted_event_is_stored_and_journaled(stub: StubServer, http: aiohttp.ClientSession,
                                                      event: EventFactory) -> None:
    payload = event("e1")
    status, headers, answer = await post(http, stub, json.dumps(payload))
    assert status == 200 and answer == {"ok": True, "accepted": 1, "duplicates": 0}
    assert_cors(headers)
    [entry] = stub.journal.entries()
    assert (entry.method, entry.path, entry.status, entry.outcome, entry.processed) == \
        ("POST", "/api/sync", 200, "answered", True)
    assert entry.via == "fetch" and entry.fault is None and entry.error is None
    assert entry.headers["Origin"] == ORIGIN and entry.headers["Content-Type"] == "application/json"
    assert "User-Agent" in entry.headers
    assert [(e.index, e.eid, e.payload) for e in entry.events] == [(0, "e1", payload)]
    assert entry.t_done is not None and entry.t_done >= entry.t_wall
    assert [r.eid for r in await stub.store.rows()] == ["e1"]


async def test_duplicate_eid_is_2xx_and_stored_once(stub: StubServer, http: aiohttp.ClientSession,
                                                    event: EventFactory) -> None:
    await post(http, stub, json.dumps(event("e1")))
    status, _, answer = await post(http, stub, json.dumps({"batch": [event("e1"), event("e2")]}), via="beacon")
    assert status == 200 and answer == {"ok": True, "accepted": 1, "duplicates": 1}
    assert [r.eid for r in await stub.store.rows()] == ["e1", "e2"]
    assert [e.processed for e in stub.journal.entries()] == [True, True]
    assert stub.journal.entries()[1].via == "beacon"


@pytest.mark.parametrize("content_type", ["text/plain;charset=UTF-8", "application/octet-stream", "", "image/png"])
async def test_any_content_type_is_parsed_as_json(stub: StubServer, http: aiohttp.ClientSession,
                                                  event: EventFactory, content_type: str) -> None:
    status, _, _ = await post(http, stub, json.dumps(event("e1")).encode(), content_type=content_type, via="beacon")
    assert status == 200
    assert stub.journal.entries()[0].processed


async def test_unknown_site_is_404(stub: StubServer, http: aiohttp.ClientSession, event: EventFactory) -> None:
    status, headers, answer = await post(http, stub, json.dumps(event("e1", site="nope")))
    assert status == 404 and "unknown site" in answer["error"]
    assert_cors(headers)
    entry = stub.journal.entries()[0]
    assert not entry.processed and "unknown site" in (entry.error or "")


GARBAGE: list[tuple[bytes, int]] = [
    (b"", 400),
    (b"not json at all", 400),
    (b"\xc3\x28\xff\x00", 400),
    (b"\x00\x01\x02", 400),
    (b"[1,2,3]", 400),
    (b"{}", 422),
    (b'{"events": "x"}', 400),
    (b'{"events": []}', 400),
    (json.dumps({"events": [{"s": SITE}] * 101}).encode(), 400),
    (json.dumps({"batch": [{"s": SITE}, {"s": "other"}]}).encode(), 400),
    (json.dumps({"s": SITE, "el": "x" * 513}).encode(), 422),
    (json.dumps({"batch": [{"s": SITE}, 5, None]}).encode(), 422),
    (b'{"s": "site-a", "meta": {"eid": "\\ud800"}}', 422),  # a lone surrogate: PostgreSQL cannot store it, so neither store does
    (b'{"s": "site-a", "ev": 1e999}', 422),  # not finite: no store can keep it (memory judged like PostgreSQL)
    (b"{" * 50_000, 400),
    (b"\xef\xbb\xbf{\"s\": \"site-a\"}", 400),
    (b"\r\n\r\n", 400),
]


@pytest.mark.parametrize(("raw", "expected"), GARBAGE, ids=[f"{i}-{s}" for i, (_, s) in enumerate(GARBAGE)])
async def test_garbage_gets_the_right_status_and_a_journal_entry(stub: StubServer, http: aiohttp.ClientSession,
                                                                 raw: bytes, expected: int) -> None:
    status, headers, answer = await post(http, stub, raw)
    assert status == expected, answer
    assert_cors(headers)
    [entry] = stub.journal.entries()
    assert entry.status == expected and entry.outcome == "answered" and entry.body_size == len(raw)
    assert entry.processed == (expected == 200)
    if expected != 200:
        assert entry.error and answer["error"] and answer["ok"] is False
    if expected == 422:
        assert answer["invalid"] and all(entry.events[i].error for i in answer["invalid"])


async def test_over_256_kb_declared_is_413_without_reading(stub: StubServer, http: aiohttp.ClientSession) -> None:
    raw = b" " * (MAX_BODY_BYTES + 1)
    status, headers, answer = await post(http, stub, raw)
    assert status == 413 and str(MAX_BODY_BYTES) in answer["error"]
    assert_cors(headers)
    entry = stub.journal.entries()[0]
    assert entry.status == 413 and entry.headers["Content-Length"] == str(MAX_BODY_BYTES + 1)
    assert entry.body_size == 0  # refused on Content-Length, never read


async def test_over_256_kb_streamed_is_413_after_reading_at_most_the_limit(
        stub: StubServer, http: aiohttp.ClientSession) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # chunked: no Content-Length to trust
        for _ in range(40):
            yield b" " * 16_384

    status, _, _ = await post(http, stub, chunks())  # type: ignore[arg-type]
    assert status == 413
    entry = stub.journal.entries()[0]
    assert entry.status == 413 and entry.body_size == MAX_BODY_BYTES
    assert entry.headers.get("Transfer-Encoding") == "chunked"


async def test_exactly_256_kb_is_accepted(stub: StubServer, http: aiohttp.ClientSession, event: EventFactory) -> None:
    raw = json.dumps(event("big")).encode()
    raw = raw[:-1] + b" " * (MAX_BODY_BYTES - len(raw)) + b"}"
    assert len(raw) == MAX_BODY_BYTES
    status, _, _ = await post(http, stub, raw)
    assert status == 200


async def test_preflight_allows_post_and_content_type(stub: StubServer, http: aiohttp.ClientSession) -> None:
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "content-type"}
    async with http.options(stub.direct_sync_url + "?_tank_via=beacon", headers=headers) as resp:
        assert resp.status == 204
        assert resp.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert resp.headers["Access-Control-Allow-Credentials"] == "true"
        assert "POST" in resp.headers["Access-Control-Allow-Methods"]
        assert resp.headers["Access-Control-Allow-Headers"].lower() == "content-type"
        assert int(resp.headers["Access-Control-Max-Age"]) == 7200  # Chromium's cap: no real-time expiry within a run
        assert "Origin" in resp.headers["Vary"]
    [entry] = stub.journal.entries()
    assert (entry.method, entry.status, entry.processed, entry.events, entry.via) == \
        ("OPTIONS", 204, False, (), "beacon")
    assert entry.headers["Access-Control-Request-Method"] == "POST"


async def test_without_origin_no_allow_origin_is_sent(stub: StubServer, http: aiohttp.ClientSession,
                                                      event: EventFactory) -> None:
    status, headers, _ = await post(http, stub, json.dumps(event("e1")), origin=None, via=None)
    assert status == 200 and "Access-Control-Allow-Origin" not in headers
    assert stub.journal.entries()[0].via == "unknown"


async def test_other_paths_and_methods_are_journaled(stub: StubServer, http: aiohttp.ClientSession) -> None:
    async with http.get(stub.direct_sync_url, headers={"Origin": ORIGIN}) as resp:
        assert resp.status == 405 and resp.headers["Allow"] == "POST, OPTIONS"
        assert resp.headers["Access-Control-Allow-Origin"] == ORIGIN
    async with http.post(f"http://127.0.0.1:{stub.sync_port}/api/other", data=b"{}") as resp:
        assert resp.status == 404
    assert [(e.method, e.path, e.status) for e in stub.journal.entries()] == [
        ("GET", "/api/sync", 405), ("POST", "/api/other", 404)]


class ScriptedStore:
    """A store that answers what the test says (or raises), to check the stub passes it on."""

    name = "scripted"

    def __init__(self, result: IngestResult | Exception) -> None:
        self.result = result

    async def ingest(self, events: list[dict[str, Any]], raw: bytes, content_type: str) -> IngestResult:
        if isinstance(self.result, Exception):
            raise self.result
        return self.result

    async def rows(self, sites: set[str] | None = None) -> list[StoredEvent] | None:
        return None

    async def ensure_site(self, public_id: str, domain: str) -> None:
        return None

    async def close(self) -> None:
        return None


@pytest.mark.parametrize(("result", "status", "retry_after", "processed"), [
    (IngestResult(202, {"ok": True, "accepted": 1}, processed=True), 202, None, True),
    (IngestResult(429, {"ok": False, "error": "slow down"}, retry_after=7), 429, "7", False),
    (IngestResult(500, {"ok": False, "error": "no partition events_2026_02"}), 500, None, False),
    (IngestResult(503, {"ok": False, "error": "db down"}, retry_after=3), 503, "3", False),
    (RuntimeError("connection refused"), 503, "1", False),
    ("not an IngestResult", 503, "1", False),
])
async def test_the_store_decides_the_answer(tmp_path: Path, http: aiohttp.ClientSession, event: EventFactory,
                                            result: Any, status: int, retry_after: str | None,
                                            processed: bool) -> None:
    store = ScriptedStore(result)
    async with StubServer(tracker_source="", site_id=SITE, store=store, site_dir=tmp_path) as stub:
        got, headers, answer = await post(http, stub, json.dumps(event("e1")))
        assert got == status
        assert headers.get("Retry-After") == retry_after
        assert_cors(headers)
        entry = stub.journal.entries()[0]
        assert entry.status == status and entry.processed == processed
        assert entry.headers.get("Retry-After") == retry_after
        if status >= 400:
            assert entry.error and answer["ok"] is False
        if isinstance(result, Exception):
            assert "connection refused" in (entry.error or "")


def fuzz_bodies(seed: int, n: int) -> list[bytes]:
    """Seeded mutations of a valid batch: byte flips, truncations, splices, random JSON values."""
    rng = random.Random(seed)
    valid = json.dumps({"batch": [{"s": SITE, "el": "x", "meta": {"eid": "e"}}] * 3}).encode()
    atoms: list[Any] = [None, True, 0, -1.5, "", "s" * 600, [], {}, {"s": SITE}, [{"s": 1}], "\u0000"]
    bodies: list[bytes] = []
    for _ in range(n):
        choice = rng.randrange(4)
        if choice == 0:
            raw = bytearray(valid)
            for _ in range(rng.randint(1, 5)):
                raw[rng.randrange(len(raw))] = rng.randrange(256)
            bodies.append(bytes(raw))
        elif choice == 1:
            bodies.append(valid[: rng.randrange(len(valid))])
        elif choice == 2:
            doc = {"batch": [rng.choice(atoms) for _ in range(rng.randint(1, 4))]}
            if rng.random() < 0.5:
                doc = {rng.choice(["events", "batch", "s", "el", "u"]): rng.choice(atoms)}
            bodies.append(json.dumps(doc).encode())
        else:
            bodies.append(bytes(rng.randrange(256) for _ in range(rng.randint(0, 64))))
    return bodies


async def test_fuzzed_bodies_never_get_a_500_and_are_all_journaled(stub: StubServer,
                                                                   http: aiohttp.ClientSession) -> None:
    bodies = fuzz_bodies(seed=20260129, n=60)
    statuses = [(await post(http, stub, raw, content_type="text/plain"))[0] for raw in bodies]
    assert set(statuses) <= {200, 400, 404, 422}, statuses
    assert {400, 422} <= set(statuses)
    entries = stub.journal.entries()
    assert [e.status for e in entries] == statuses
    assert [e.body_size for e in entries] == [len(b) for b in bodies]
    assert all(e.outcome == "answered" and (e.error is None) == (e.status == 200) for e in entries)


@pytest.mark.parametrize("sm", ["absent", None, ""])
async def test_a_missing_session_month_is_422_as_in_postgresql(stub: StubServer, http: aiohttp.ClientSession,
                                                              event: EventFactory, sm: object) -> None:
    """SPEC §6: a session's month comes from ``sm``; no store invents one, a resend cannot add it."""
    payload = event("e1")
    if sm == "absent":
        del payload["sm"]
    else:
        payload["sm"] = sm
    status, _, answer = await post(http, stub, json.dumps(payload))
    assert status == 422 and answer["invalid"] == [0] and answer["errors"]["0"].startswith("sm:"), answer
    assert await stub.store.rows() == []
