"""Toxiproxy HTTP API: every endpoint, status code and error body (SPEC §9)."""
from __future__ import annotations

import socket

from tests.toxiproxy.tp_support import SHORT, Api, Upstream, connect, free_port, outcome, port_of, roundtrip_ms

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36"}


async def test_version(api: Api) -> None:
    status, body = await api.call("GET", "/version")
    assert status == 200
    version = body["version"] if isinstance(body, dict) else str(body)
    assert version.strip().lstrip("v")[:2] == "2."


async def test_create_proxy_is_201_and_shows_the_real_port(api: Api, echo: Upstream) -> None:
    name = api.name()
    status, proxy = await api.call("POST", "/proxies",
                                   {"name": name, "upstream": echo.address, "listen": "127.0.0.1:0"})
    assert status == 201
    assert proxy["name"] == name and proxy["upstream"] == echo.address
    assert proxy["enabled"] is True and proxy.get("toxics", []) == []
    assert proxy["listen"].startswith("127.0.0.1:") and port_of(proxy) != 0
    reader, writer = await connect(port_of(proxy))
    await roundtrip_ms(reader, writer)
    writer.close()


async def test_create_disabled_proxy_does_not_listen(api: Api, echo: Upstream) -> None:
    port = free_port()
    proxy = await api.create(echo.address, listen=f"127.0.0.1:{port}", enabled=False)
    assert proxy["enabled"] is False
    try:
        await connect(port)
    except ConnectionRefusedError:
        pass
    else:
        raise AssertionError("a disabled proxy accepted a connection")


async def test_create_errors(api: Api, echo: Upstream) -> None:
    name = api.name()
    await api.create(echo.address, name=name)
    assert await api.call("POST", "/proxies", {"name": name, "upstream": echo.address}) == (
        409, {"error": "proxy already exists", "status": 409})
    assert await api.call("POST", "/proxies", {"upstream": echo.address}) == (
        400, {"error": "missing required field: name", "status": 400})
    assert await api.call("POST", "/proxies", {"name": api.name()}) == (
        400, {"error": "missing required field: upstream", "status": 400})
    status, body = await api.call("POST", "/proxies", raw="{not json")
    assert status == 400 and body["status"] == 400
    assert body["error"].startswith("bad request body")
    status, body = await api.call("POST", "/proxies", {"name": api.name(), "upstream": echo.address,
                                                       "enabled": "yes"})
    assert status == 400 and body["error"].startswith("bad request body")


async def test_bind_failure_is_500_and_creates_nothing(api: Api, echo: Upstream) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        name = api.name()
        status, body = await api.call("POST", "/proxies", {"name": name, "upstream": echo.address,
                                                           "listen": f"127.0.0.1:{port}"})
    assert status == 500 and body["status"] == 500 and body["error"]
    assert (await api.call("GET", f"/proxies/{name}"))[0] == 404


async def test_proxy_index_is_a_map_by_name(api: Api, echo: Upstream) -> None:
    proxy = await api.create(echo.address)
    status, proxies = await api.call("GET", "/proxies")
    assert status == 200 and isinstance(proxies, dict)
    shown = proxies[proxy["name"]]
    assert {k: shown[k] for k in ("name", "listen", "upstream", "enabled")} == {
        k: proxy[k] for k in ("name", "listen", "upstream", "enabled")}
    assert shown["toxics"] == []


async def test_show_update_delete(api: Api, echo: Upstream) -> None:
    proxy = await api.create(echo.address)
    name, path = proxy["name"], f"/proxies/{proxy['name']}"
    status, shown = await api.call("GET", path)
    assert status == 200 and shown["listen"] == proxy["listen"] and shown["toxics"] == []

    status, shown = await api.call("PATCH", path, {"enabled": False})
    assert status == 200 and shown["enabled"] is False
    status, shown = await api.call("POST", path, {"enabled": True})  # Toxiproxy accepts POST too
    assert status == 200 and shown["enabled"] is True
    assert shown["listen"] == proxy["listen"], "re-enabling must listen on the same port"

    assert await api.call("DELETE", path) == (204, None)
    assert await api.call("GET", path) == (404, {"error": "proxy not found", "status": 404})
    assert await api.call("DELETE", path) == (404, {"error": "proxy not found", "status": 404})
    assert await api.call("PATCH", path, {"enabled": True}) == (
        404, {"error": "proxy not found", "status": 404})
    api.created.discard(name)


async def test_update_with_bad_body_is_400(api: Api, echo: Upstream) -> None:
    proxy = await api.create(echo.address)
    status, body = await api.call("PATCH", f"/proxies/{proxy['name']}", raw="[")
    assert status == 400 and body["error"].startswith("bad request body")


async def test_toxic_crud(api: Api, echo: Upstream) -> None:
    proxy = await api.create(echo.address)
    base = f"/proxies/{proxy['name']}/toxics"
    status, toxic = await api.call("POST", base, {"type": "latency",
                                                  "attributes": {"latency": 100, "jitter": 10}})
    assert status == 200  # create answers 200, not 201 (Toxiproxy's quirk)
    assert toxic["name"] == "latency_downstream" and toxic["stream"] == "downstream"
    assert toxic["type"] == "latency" and toxic["toxicity"] == 1.0
    assert toxic["attributes"] == {"latency": 100, "jitter": 10}

    status, up = await api.call("POST", base, {"type": "limit_data", "stream": "upstream",
                                               "toxicity": 0.5, "attributes": {"bytes": 7}})
    assert status == 200 and up["name"] == "limit_data_upstream" and up["toxicity"] == 0.5

    status, listed = await api.call("GET", base)
    assert status == 200 and {t["name"] for t in listed} == {"latency_downstream", "limit_data_upstream"}
    status, shown = await api.call("GET", f"/proxies/{proxy['name']}")
    assert {t["name"] for t in shown["toxics"]} == {"latency_downstream", "limit_data_upstream"}

    assert await api.call("GET", f"{base}/latency_downstream") == (200, toxic)
    status, patched = await api.call("PATCH", f"{base}/latency_downstream",
                                     {"attributes": {"latency": 300}})
    assert status == 200 and patched["attributes"] == {"latency": 300, "jitter": 10}
    status, patched = await api.call("POST", f"{base}/latency_downstream", {"toxicity": 0.25})
    assert status == 200 and patched["toxicity"] == 0.25 and patched["attributes"]["latency"] == 300

    assert await api.call("DELETE", f"{base}/latency_downstream") == (204, None)
    missing = (404, {"error": "toxic not found", "status": 404})
    assert await api.call("GET", f"{base}/latency_downstream") == missing
    assert await api.call("PATCH", f"{base}/latency_downstream", {"toxicity": 1}) == missing
    assert await api.call("DELETE", f"{base}/latency_downstream") == missing


async def test_toxic_errors(api: Api, echo: Upstream) -> None:
    proxy = await api.create(echo.address)
    base = f"/proxies/{proxy['name']}/toxics"
    assert await api.call("POST", base, {"type": "nonsense"}) == (
        400, {"error": "invalid toxic type", "status": 400})
    assert await api.call("POST", base, {"type": "latency", "stream": "sideways"}) == (
        400, {"error": "stream was invalid, can be either upstream or downstream", "status": 400})
    status, body = await api.call("POST", base, {"type": "latency", "attributes": {"latency": "slow"}})
    assert status == 400 and body["error"].startswith("bad request body")
    status, body = await api.call("POST", base, raw="{")
    assert status == 400 and body["error"].startswith("bad request body")
    await api.toxic(proxy["name"], "latency", {"latency": 1})
    assert await api.call("POST", base, {"type": "latency"}) == (
        409, {"error": "toxic already exists", "status": 409})
    status, body = await api.call("PATCH", f"{base}/latency_downstream", {"attributes": {"jitter": 1.5}})
    assert status == 400 and body["error"].startswith("bad request body")

    no_proxy = (404, {"error": "proxy not found", "status": 404})
    assert await api.call("GET", "/proxies/tank_missing/toxics") == no_proxy
    assert await api.call("POST", "/proxies/tank_missing/toxics", {"type": "latency"}) == no_proxy
    assert await api.call("GET", "/proxies/tank_missing/toxics/x") == no_proxy
    assert await api.call("DELETE", "/proxies/tank_missing/toxics/x") == no_proxy


async def test_browser_user_agent_is_refused(api: Api, echo: Upstream) -> None:
    name = api.name()
    status, _ = await api.call("POST", "/proxies", {"name": name, "upstream": echo.address},
                               headers=BROWSER)
    assert status == 403
    assert (await api.call("GET", f"/proxies/{name}"))[0] == 404, "a 403 must change nothing"
    assert (await api.call("GET", "/proxies", headers=BROWSER))[0] == 403
    assert (await api.call("POST", "/reset", headers=BROWSER))[0] == 403
    assert (await api.call("GET", "/version", headers=BROWSER))[0] == 403


async def test_populate_creates_every_proxy(api: Api, echo: Upstream) -> None:
    a, b = api.name("a"), api.name("b")
    status, body = await api.call("POST", "/populate", [
        {"name": a, "upstream": echo.address, "listen": "127.0.0.1:0"},
        {"name": b, "upstream": echo.address, "listen": "127.0.0.1:0", "enabled": False},
    ])
    assert status == 201
    by_name = {p["name"]: p for p in body["proxies"]}
    assert set(by_name) == {a, b}
    assert by_name[a]["enabled"] is True and port_of(by_name[a]) != 0
    assert by_name[b]["enabled"] is False


async def test_populate_validates_every_entry_before_creating_any(api: Api, echo: Upstream) -> None:
    first = api.name("first")
    status, body = await api.call("POST", "/populate", [
        {"name": first, "upstream": echo.address, "listen": "127.0.0.1:0"},
        {"name": api.name("broken"), "listen": "127.0.0.1:0"},
    ])
    assert status == 400 and body["status"] == 400
    assert body["error"].startswith("missing required field")
    assert (await api.call("GET", f"/proxies/{first}"))[0] == 404
    status, body = await api.call("POST", "/populate", {"name": first, "upstream": echo.address})
    assert status == 400 and body["error"].startswith("bad request body")


async def test_populate_keeps_an_identical_proxy(api: Api, echo: Upstream) -> None:
    name, listen = api.name(), f"127.0.0.1:{free_port()}"
    entry = {"name": name, "upstream": echo.address, "listen": listen}
    assert (await api.call("POST", "/populate", [entry]))[0] == 201
    await api.toxic(name, "latency", {"latency": 5})
    status, body = await api.call("POST", "/populate", [entry])
    assert status == 201 and [p["name"] for p in body["proxies"]] == [name]
    status, toxics = await api.call("GET", f"/proxies/{name}/toxics")
    assert [t["name"] for t in toxics] == ["latency_downstream"], "identical proxy was replaced"


async def test_reset_enables_all_removes_toxics_keeps_proxies(api: Api, echo: Upstream) -> None:
    a = await api.create(echo.address)
    b = await api.create(echo.address)
    await api.toxic(a["name"], "timeout", {"timeout": 0})
    await api.toxic(b["name"], "latency", {"latency": 500}, stream="upstream")
    await api.call("PATCH", f"/proxies/{a['name']}", {"enabled": False})
    assert await api.call("POST", "/reset") == (204, None)
    for p in (a, b):
        status, shown = await api.call("GET", f"/proxies/{p['name']}")
        assert status == 200 and shown["enabled"] is True and shown["toxics"] == []
        assert shown["listen"] == p["listen"]
    reader, writer = await connect(port_of(a))
    await roundtrip_ms(reader, writer)
    writer.close()


async def test_delete_closes_listener_and_connections(api: Api, echo: Upstream) -> None:
    proxy = await api.create(echo.address)
    reader, writer = await connect(port_of(proxy))
    await roundtrip_ms(reader, writer)
    assert (await api.call("DELETE", f"/proxies/{proxy['name']}"))[0] == 204
    kind, _, _ = await outcome(reader, SHORT)
    assert kind in ("eof", "reset")
    writer.close()
    try:
        await connect(port_of(proxy))
    except ConnectionRefusedError:
        pass
    else:
        raise AssertionError("a deleted proxy still accepts connections")
