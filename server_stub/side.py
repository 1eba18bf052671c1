"""Side endpoints: other paths of the Sync origin a build calls by design (a call-intent channel
beside the outbox), declared in its profile. The stub answers them as such a build expects — a
preflight allowing what it asks, then 200 ``{"ok": true}`` — so the build behaves as in
production; the journal keeps every request (path, body sample) for the report, and the checker
lists them as a side channel instead of judging them as Sync requests.
"""
from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from server_stub import cors

ANSWER = {"ok": True}


def preflight_headers(request_headers: Mapping[str, str]) -> dict[str, str]:
    """Allow the method and headers the preflight asks for (a side channel may send any)."""
    headers = cors.preflight_headers(request_headers)
    method = request_headers.get("Access-Control-Request-Method")
    if method:
        headers["Access-Control-Allow-Methods"] = f"{method}, OPTIONS"
    asked = request_headers.get("Access-Control-Request-Headers")
    if asked:
        headers["Access-Control-Allow-Headers"] = asked
    return headers


async def read_body(request: web.Request, limit: int) -> bytes | None:
    """At most ``limit`` bytes of the body (the rest is not read); ``None`` when the client left."""
    buf = bytearray()
    try:
        while len(buf) < limit and (chunk := await request.content.read(limit - len(buf))):
            buf += chunk
    except (HttpProcessingError, RequestPayloadError):
        return bytes(buf)
    except ConnectionError:
        return None
    return bytes(buf)
