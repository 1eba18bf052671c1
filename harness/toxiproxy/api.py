"""Toxiproxy 2.x's HTTP API (SPEC §9) on aiohttp: same routes, status codes and error bodies.

Only loopback clients are expected, but a web page on the same machine could still reach the
API, so — like Toxiproxy, which refuses ``Mozilla/`` user agents — browser requests (Origin,
``Mozilla/``, simple text/plain or form bodies) get a 403 before they can change anything. With a
token (the harness's runs), only a client sending it is answered (``harness.contract.control``);
every refusal is kept in the app's ``REFUSALS`` list.
"""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from harness.contract.control import Refusal, refusal, refusal_reason

from . import errors
from .collection import ProxyCollection, parse_proxy_spec
from .errors import ApiError

VERSION = "2.12.0"
"""The Toxiproxy API version this server imitates (reported by ``GET /version``)."""

COLLECTION = web.AppKey("collection", ProxyCollection)
TOKEN = web.AppKey("token", str)
REFUSALS = web.AppKey("refusals", list)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(obj: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(obj), status=status, content_type="application/json")


@web.middleware
async def _guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    reason = refusal_reason(request.method, request.headers, request.app[TOKEN] or None)
    if reason is not None:
        request.app[REFUSALS].append(refusal("proxy", request.method, request.path_qs, request.headers, reason))
        text = "User agent not allowed" if "Mozilla/" in reason else f"refused: {reason}"
        return web.Response(text=text + "\n", status=403)
    try:
        return await handler(request)
    except ApiError as exc:
        return _json(exc.to_json(), exc.status)


async def _body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw.strip():
        raise errors.BAD_REQUEST_BODY.joined("EOF")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.BAD_REQUEST_BODY.joined(str(exc)) from None


def _collection(request: web.Request) -> ProxyCollection:
    return request.app[COLLECTION]


async def version(request: web.Request) -> web.Response:
    return _json({"version": VERSION})


async def reset(request: web.Request) -> web.Response:
    await _collection(request).reset()
    return web.Response(status=204)


async def proxy_index(request: web.Request) -> web.Response:
    proxies = _collection(request).proxies
    return _json({name: p.to_json() for name, p in proxies.items()})


async def proxy_create(request: web.Request) -> web.Response:
    spec = parse_proxy_spec(await _body(request))
    proxy = await _collection(request).create(spec)
    return _json(proxy.to_json(), 201)


async def populate(request: web.Request) -> web.Response:
    proxies, error = await _collection(request).populate(await _body(request))
    body: dict[str, Any] = error.to_json() if error is not None else {}
    body["proxies"] = [p.to_json() for p in proxies]
    return _json(body, error.status if error is not None else 201)


async def proxy_show(request: web.Request) -> web.Response:
    return _json(_collection(request).get(request.match_info["proxy"]).to_json())


async def proxy_update(request: web.Request) -> web.Response:
    name = request.match_info["proxy"]
    _collection(request).get(name)  # 404 before 400, as Toxiproxy checks
    proxy = await _collection(request).update(name, await _body(request))
    return _json(proxy.to_json())


async def proxy_delete(request: web.Request) -> web.Response:
    await _collection(request).remove(request.match_info["proxy"])
    return web.Response(status=204)


async def toxic_index(request: web.Request) -> web.Response:
    proxy = _collection(request).get(request.match_info["proxy"])
    return _json([t.to_json() for t in proxy.toxics.all()])


async def toxic_create(request: web.Request) -> web.Response:
    proxy = _collection(request).get(request.match_info["proxy"])
    entry = proxy.toxics.add_json(await _body(request))
    return _json(entry.to_json())


async def toxic_show(request: web.Request) -> web.Response:
    proxy = _collection(request).get(request.match_info["proxy"])
    return _json(proxy.toxics.get(request.match_info["toxic"]).to_json())


async def toxic_update(request: web.Request) -> web.Response:
    proxy = _collection(request).get(request.match_info["proxy"])
    proxy.toxics.get(request.match_info["toxic"])
    entry = proxy.toxics.update_json(request.match_info["toxic"], await _body(request))
    return _json(entry.to_json())


async def toxic_delete(request: web.Request) -> web.Response:
    proxy = _collection(request).get(request.match_info["proxy"])
    proxy.toxics.remove(request.match_info["toxic"])
    return web.Response(status=204)


def make_app(collection: ProxyCollection, token: str | None = None,
             refusals: list[Refusal] | None = None) -> web.Application:
    app = web.Application(middlewares=[_guard])
    app[COLLECTION] = collection
    app[TOKEN] = token or ""
    app[REFUSALS] = refusals if refusals is not None else []
    r = app.router
    r.add_get("/version", version)
    r.add_post("/reset", reset)
    r.add_get("/proxies", proxy_index)
    r.add_post("/proxies", proxy_create)
    r.add_post("/populate", populate)
    r.add_get("/proxies/{proxy}", proxy_show)
    r.add_post("/proxies/{proxy}", proxy_update)
    r.add_patch("/proxies/{proxy}", proxy_update)
    r.add_delete("/proxies/{proxy}", proxy_delete)
    r.add_get("/proxies/{proxy}/toxics", toxic_index)
    r.add_post("/proxies/{proxy}/toxics", toxic_create)
    r.add_get("/proxies/{proxy}/toxics/{toxic}", toxic_show)
    r.add_post("/proxies/{proxy}/toxics/{toxic}", toxic_update)
    r.add_patch("/proxies/{proxy}/toxics/{toxic}", toxic_update)
    r.add_delete("/proxies/{proxy}/toxics/{toxic}", toxic_delete)
    return app
