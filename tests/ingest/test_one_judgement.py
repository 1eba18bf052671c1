"""The memory store and PostgreSQL judge a payload alike: the same bodies posted to a Sync app over
each give the same answer, the same journal entry and the same rows."""
from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from server_stub.faults import FaultPlan
from server_stub.ingest import PostgresStore
from server_stub.journal import Journal
from server_stub.memory_store import MemoryStore
from server_stub.store import Store
from server_stub.sync_app import SYNC_PATH, SyncApp
from tests.ingest.conftest import SITE, event

pytestmark = pytest.mark.postgres


def _body(**fields: Any) -> bytes:
    return json.dumps({"events": [event("e-1", **fields)]}).encode()


CASES: list[tuple[str, bytes]] = [
    ("valid", _body()),
    ("valid month with a day", _body(sm="2026-01-17")),
    ("month 13", _body(sm="2026-13-01")),
    ("not a date", _body(sm="January")),
    ("month as a number", _body(sm=202601)),
    ("empty month", _body(sm="")),
    ("no month", _body().replace(b'"sm": "2026-01-01", ', b"")),
    ("null month", _body(sm=None)),
    ("lone surrogate event id", _body().replace(b'"e-1"', b'"\\ud800"')),
    ("lone surrogate label", _body().replace(b'"el": ""', b'"el": "a\\udc00"')),
    ("lone surrogate key", _body().replace(b'"fp":', b'"\\ud83d":')),
    ("surrogate pair (valid)", _body().replace(b'"el": ""', b'"el": "\\ud83d\\ude00"')),
    ("NUL", _body(el="a\u0000b")),
    ("not finite", _body().replace(b'"ev": 1', b'"ev": 1e400')),
]


async def _judge(store: Store, body: bytes) -> tuple[int, Any, tuple[Any, ...], int]:
    journal = Journal()
    async with TestClient(TestServer(SyncApp(journal, FaultPlan(1), store).make_app())) as client:
        async with client.post(SYNC_PATH, data=body, headers={"Content-Type": "application/json"}) as resp:
            status, answer = resp.status, await resp.json()
    [entry] = journal.entries()
    rows = await store.rows() or []
    return status, answer.get("errors"), (entry.status, entry.processed, entry.error), len(rows)


@pytest.mark.parametrize("name,body", CASES, ids=[c[0] for c in CASES])
async def test_memory_and_postgresql_give_the_same_answer_journal_and_rows(store: PostgresStore, name: str,
                                                                           body: bytes) -> None:
    memory = await _judge(MemoryStore({SITE}), body)
    postgres = await _judge(store, body)
    print(f"{name}: {memory[0]} {memory[1]}")
    assert memory == postgres
    assert memory[0] in (200, 422), memory
