"""One suite, two servers: the embedded Toxiproxy always, a real one when TOXIPROXY_URL is set."""
from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import aiohttp
import pytest

from harness.toxiproxy import EmbeddedToxiproxy
from tests.toxiproxy.tp_support import Api, Upstream

REAL_SKIP = "TOXIPROXY_URL not set: real Toxiproxy not measured"


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ.get("TOXIPROXY_URL")
    return f"toxiproxy: real server {url}" if url else f"toxiproxy: {REAL_SKIP}"


@pytest.fixture(params=["embedded", "real"])
def toxiproxy_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """API URL of the server under test (fresh embedded server per test, seeded)."""
    if request.param == "real":
        url = os.environ.get("TOXIPROXY_URL", "").strip()
        if not url:
            pytest.skip(REAL_SKIP)
        yield url.rstrip("/")
        return
    with EmbeddedToxiproxy(seed=1234) as tp:
        yield tp.url


@pytest.fixture
async def api(toxiproxy_url: str) -> AsyncIterator[Api]:
    connector = aiohttp.TCPConnector(force_close=True)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        client = Api(toxiproxy_url, session)
        try:
            yield client
        finally:
            await client.cleanup()


@pytest.fixture
async def upstream() -> AsyncIterator[Callable[..., Awaitable[Upstream]]]:
    """Factory of raw TCP upstreams (echo by default), stopped after the test."""
    started: list[Upstream] = []

    async def make(**kw: object) -> Upstream:
        up = await Upstream(**kw).start()  # type: ignore[arg-type]
        started.append(up)
        return up

    yield make
    for up in started:
        await up.stop()


@pytest.fixture
async def echo(upstream: Callable[..., Awaitable[Upstream]]) -> Upstream:
    return await upstream()
