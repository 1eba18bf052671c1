"""Our client wrapper (over toxiproxy-python) against both servers, and ``validate_toxic_spec``."""
from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator

import pytest
from pytest_aiohttp import AiohttpServer

from harness.toxiproxy import EmbeddedToxiproxy
from harness.toxiproxy.client import ProxyInfo, ToxiproxyClient, ToxiproxyError, validate_toxic_spec
from tests.toxiproxy.tp_support import Upstream, connect, roundtrip_ms


@pytest.fixture
def client(toxiproxy_url: str) -> Iterator[ToxiproxyClient]:
    c = ToxiproxyClient(toxiproxy_url)
    created_before = set(c.proxies())
    yield c
    for name in set(c.proxies()) - created_before:
        c.delete_proxy(name)


def _name() -> str:
    return f"tank_c_{uuid.uuid4().hex[:8]}"


async def test_proxy_lifecycle(client: ToxiproxyClient, echo: Upstream) -> None:
    name = _name()
    info = await client.aio.create_proxy(name, echo.address)
    assert isinstance(info, ProxyInfo)
    assert (info.name, info.listen_host, info.upstream, info.enabled) == (
        name, "127.0.0.1", echo.address, True)
    assert info.listen_port > 0
    assert client.get_proxy(name) == info
    assert client.proxies()[name] == info
    reader, writer = await connect(info.listen_port)
    await roundtrip_ms(reader, writer)
    writer.close()
    off = await client.aio.set_enabled(name, False)
    assert off.enabled is False
    on = await client.aio.set_enabled(name, True)
    assert on.enabled is True and on.listen_port == info.listen_port
    await client.aio.delete_proxy(name)
    with pytest.raises(ToxiproxyError) as err:
        client.get_proxy(name)
    assert (err.value.status, err.value.message) == (404, "proxy not found")


async def test_toxics_through_the_client(client: ToxiproxyClient, echo: Upstream) -> None:
    name = _name()
    client.create_proxy(name, echo.address)
    toxic = await client.aio.add_toxic(name, "latency", attributes={"latency": 50, "jitter": 5})
    assert toxic == {"name": "latency_downstream", "type": "latency", "stream": "downstream",
                     "toxicity": 1.0, "attributes": {"latency": 50, "jitter": 5}}
    named = client.add_toxic(name, "bandwidth", stream="upstream", toxicity=None,
                             attributes={"rate": 1000}, name="bw")
    assert named["name"] == "bw" and named["toxicity"] == 1.0
    updated = await client.aio.update_toxic(name, "latency_downstream", attributes={"latency": 80})
    assert updated["attributes"] == {"latency": 80, "jitter": 5}
    assert client.update_toxic(name, "bw", toxicity=0.5)["toxicity"] == 0.5
    assert client.get_toxic(name, "bw")["attributes"] == {"rate": 1000}
    assert {t["name"] for t in await client.aio.toxics(name)} == {"latency_downstream", "bw"}
    await client.aio.remove_toxic(name, "bw")
    assert [t["name"] for t in client.toxics(name)] == ["latency_downstream"]
    client.reset()
    assert client.toxics(name) == []


async def test_errors_are_toxiproxy_errors(client: ToxiproxyClient, echo: Upstream) -> None:
    name = _name()
    client.create_proxy(name, echo.address)
    cases = [
        (lambda: client.create_proxy(name, echo.address), 409, "proxy already exists"),
        (lambda: client.add_toxic(name, "nonsense"), 400, "invalid toxic type"),
        (lambda: client.add_toxic(name, "latency", stream="sideways"), 400,
         "stream was invalid, can be either upstream or downstream"),
        (lambda: client.remove_toxic(name, "nope"), 404, "toxic not found"),
        (lambda: client.update_toxic(name, "nope", toxicity=1.0), 404, "toxic not found"),
        (lambda: client.toxics("tank_missing"), 404, "proxy not found"),
        (lambda: client.set_enabled("tank_missing", True), 404, "proxy not found"),
    ]
    for call, status, message in cases:
        with pytest.raises(ToxiproxyError) as err:
            call()
        assert (err.value.status, err.value.message) == (status, message)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(ToxiproxyError) as err:
            client.create_proxy(_name(), echo.address, listen=f"127.0.0.1:{busy.getsockname()[1]}")
    assert err.value.status == 500 and err.value.message


async def test_populate_and_version(client: ToxiproxyClient, echo: Upstream) -> None:
    a, b = _name(), _name()
    infos = await client.aio.populate([
        {"name": a, "upstream": echo.address, "listen": "127.0.0.1:0"},
        {"name": b, "upstream": echo.address, "listen": "127.0.0.1:0"},
    ])
    assert {i.name for i in infos} == {a, b}
    with pytest.raises(ToxiproxyError) as err:
        client.populate([{"name": _name(), "upstream": echo.address}, {"name": _name()}])
    assert err.value.status == 400 and err.value.message.startswith("missing required field")
    assert (await client.aio.version()).lstrip("v").startswith("2.")


def test_unreachable_server_is_a_toxiproxy_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = ToxiproxyClient(f"http://127.0.0.1:{port}", timeout=2)
    with pytest.raises(ToxiproxyError) as err:
        client.toxics("x")
    assert err.value.status == 0
    with pytest.raises(ToxiproxyError):
        client.version()
    with pytest.raises(ValueError, match="http://HOST:PORT"):
        ToxiproxyClient("127.0.0.1:8474")


def test_two_servers_from_many_threads_do_not_mix() -> None:
    """toxiproxy-python's host/port are class globals: the lock must keep servers apart."""
    with EmbeddedToxiproxy() as one, EmbeddedToxiproxy() as two:
        clients = {"one": ToxiproxyClient(one.url), "two": ToxiproxyClient(two.url)}
        errors: list[BaseException] = []

        def work(which: str, i: int) -> None:
            try:
                c = clients[which]
                c.create_proxy(f"{which}_{i}", "127.0.0.1:9")
                assert all(n.startswith(which) for n in c.proxies())
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(w, i)) for i in range(8) for w in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert not errors, errors
        assert len(clients["one"].proxies()) == len(clients["two"].proxies()) == 8


@pytest.mark.parametrize("spec", [
    {"type": "latency", "attributes": {"latency": 100}},
    {"type": "latency", "stream": "upstream", "toxicity": 0.5, "name": "x",
     "attributes": {"latency": 0, "jitter": 20}},
    {"type": "bandwidth", "attributes": {"rate": 10}},
    {"type": "slow_close", "attributes": {"delay": 10}},
    {"type": "timeout", "attributes": {"timeout": 0}},
    {"type": "reset_peer"},
    {"type": "reset_peer", "attributes": {"timeout": 100}},
    {"type": "slicer", "attributes": {"average_size": 64, "size_variation": 8, "delay": 10}},
    {"type": "limit_data", "attributes": {"bytes": 0}},
    {"op": "add", "type": "latency", "toxicity": None, "attributes": {"latency": 1}},
])
def test_valid_toxic_specs(spec: dict) -> None:  # type: ignore[type-arg]
    validate_toxic_spec(spec)


@pytest.mark.parametrize(("spec", "message"), [
    ("latency", "must be a mapping"),
    ({"type": "lag"}, "unknown toxic type 'lag'; expected one of: latency, bandwidth"),
    ({"type": "noop"}, "unknown toxic type 'noop'"),
    ({"type": "latency", "stream": "up", "attributes": {"latency": 1}},
     "latency toxic: stream must be 'upstream' or 'downstream', got 'up'"),
    ({"type": "latency", "toxicity": 1.5, "attributes": {"latency": 1}},
     "toxicity must be between 0 and 1, got 1.5"),
    ({"type": "latency", "toxicity": "high", "attributes": {"latency": 1}}, "toxicity must be a number"),
    ({"type": "latency", "toxicity": True, "attributes": {"latency": 1}}, "toxicity must be a number"),
    ({"type": "latency"}, "latency toxic: attribute 'latency' is required (milliseconds)"),
    ({"type": "latency", "attributes": {"latency": 1, "jiter": 2}},
     "unknown attribute 'jiter'; latency takes: latency, jitter"),
    ({"type": "latency", "attributes": {"latency": "1s"}}, "must be an integer (milliseconds)"),
    ({"type": "latency", "attributes": {"latency": 1.5}}, "must be an integer"),
    ({"type": "latency", "attributes": {"latency": -1}}, "must not be negative"),
    ({"type": "bandwidth", "attributes": {}}, "attribute 'rate' is required (KB/s)"),
    ({"type": "slicer", "attributes": {"average_size": 0}}, "'average_size' of slicer must be at least 1"),
    ({"type": "limit_data", "attributes": {"bytes": True}}, "must be an integer"),
    ({"type": "timeout", "attributes": []}, "attributes must be a mapping"),
    ({"type": "timeout", "name": "", "attributes": {"timeout": 1}}, "name must be a non-empty string"),
])
def test_invalid_toxic_specs(spec: object, message: str) -> None:
    with pytest.raises(ValueError) as err:
        validate_toxic_spec(spec)  # type: ignore[arg-type]
    assert message in str(err.value)


async def test_version_accepts_plain_text_from_older_servers(aiohttp_server: AiohttpServer) -> None:
    from aiohttp import web

    async def plain(_: web.Request) -> web.Response:
        return web.Response(text="2.1.4\n")

    app = web.Application()
    app.router.add_get("/version", plain)
    server = await aiohttp_server(app)
    assert await ToxiproxyClient(f"http://127.0.0.1:{server.port}").aio.version() == "2.1.4"
