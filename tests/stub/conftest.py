"""Fixtures for the Sync stub tests: a started ``StubServer`` and an HTTP client session."""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest

from server_stub.app import StubServer

SITE = "site-a"


@pytest.fixture
async def stub(tmp_path: Path) -> AsyncIterator[StubServer]:
    """A started stub with an empty site dir (built-in pages) and a journal file."""
    async with StubServer(tracker_source="/* noop build */", site_id=SITE, site_dir=tmp_path / "site",
                          journal_path=tmp_path / "journal.jsonl") as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A client that never reuses connections, so a closed/hung request cannot taint the next."""
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


def event(eid: str | None = None, site: str = SITE, **fields: object) -> dict[str, object]:
    """A valid payload as the reference build sends it."""
    payload: dict[str, object] = {"s": site, "u": "http://127.0.0.1/", "sid": "sess-1", "sm": "2026-01-01",
                                  "ec": "interaction", "ea": "view", "meta": {}}
    if eid is not None:
        payload["meta"] = {"eid": eid}
    payload.update(fields)
    return payload


EventFactory = Callable[..., dict[str, object]]


@pytest.fixture(name="event")
def event_fixture() -> EventFactory:
    """The ``event`` payload factory, as a fixture (test modules cannot import conftest)."""
    return event
