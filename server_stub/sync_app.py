"""The Sync endpoint (SPEC §5) as an aiohttp app: validate → journal → fault → store → answer.

Every request that reaches aiohttp gets a journal entry, garbage included, and the handler never
lets an exception escape: a 500 here is either a scripted fault or a bug (logged, journaled).
Faults are drawn for every POST in arrival order, whatever its body: like an infrastructure
failure, a ``status``/``hang``/``close`` fault wins over the body's own 4xx.

The app must run with ``handler_cancellation=True`` (see ``StubServer``): a client going away
then cancels the handler, which is how a hung request learns that the page aborted.
"""
from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError
from multidict import CIMultiDictProxy

from harness.contract import sync
from harness.contract.vocabulary import TRANSPORTS
from server_stub import cors, side
from server_stub.faults import Decision, Fault, FaultPlan
from server_stub.journal import IN_FLIGHT, Journal
from server_stub.store import IngestResult, Store
from server_stub.sync_protocol import MAX_BODY_BYTES, ParsedBody, parse_body, too_large

log = logging.getLogger(__name__)

SYNC_PATH = sync.PATH
VIA_PARAM = "_tank_via"
PAGE_TIME_PARAM = "_tank_t"  # page time (ms) the page sent the request at, added by the instrumentation
SEND_PARAM = "_tank_a"  # the page's id of the send (fetches only), so its abort can end a hold
CONTEXT_PARAM = "_tank_ctx"  # the browser context that sent it: attribution by request, not by payload
STORE_ERROR_RETRY_AFTER_S = 1
BODY_TIMEOUT_S = 30.0  # real time a client gets to send its whole body (a bandwidth toxic is slow, not this slow)
JOURNALED_HEADERS: tuple[str, ...] = (
    "Origin", "Content-Type", "Content-Length", "Content-Encoding", "Transfer-Encoding",
    "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Sec-Fetch-Site", "User-Agent", "Referer",
    "Access-Control-Request-Method", "Access-Control-Request-Headers",
    "Access-Control-Request-Private-Network",
)


@dataclass
class _Exchange:
    """Mutable per-request state the cancellation path needs to journal the right outcome."""

    request: web.Request
    seq: int
    via: str = "unknown"
    t_page: int | None = None  # page time the request was sent at (None: not from an instrumented page)
    send: str | None = None  # the page's id of the send
    context: str | None = None  # the browser context that sent it
    hanging: bool = False
    processed: bool = False


class SyncApp:
    """Builds the Sync ``web.Application`` over a journal, a fault plan and a store."""

    def __init__(self, journal: Journal, faults: FaultPlan, store: Store, *,
                 body_timeout_s: float = BODY_TIMEOUT_S, side_endpoints: tuple[str, ...] = ()) -> None:
        self.journal = journal
        # Other paths of the Sync origin the build calls by design (its profile's ``side_endpoints``):
        # answered 200 and journaled, outside the fault plan and the store (see ``server_stub.side``).
        self.side_endpoints = frozenset(side_endpoints)
        self.body_timeout_s = body_timeout_s  # real time: a slow client cannot hold a connection forever
        self.faults = faults
        self.store = store
        self.stopping = False

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Entry point for every request on the Sync port."""
        via = request.query.get(VIA_PARAM)
        entry = self.journal.begin(
            method=request.method,
            path=request.path,
            via=via if via in TRANSPORTS else "unknown",
            headers=_journaled(request.headers),
        )
        ex = _Exchange(request, entry.seq, entry.via, _page_time(request), request.query.get(SEND_PARAM),
                       request.query.get(CONTEXT_PARAM) or None)
        tags = {"t_page": ex.t_page, "context": ex.context, "send": ex.send}
        if any(v is not None for v in tags.values()):
            self.journal.update(ex.seq, **{k: v for k, v in tags.items() if v is not None})
        try:
            return await self._route(ex, entry.via)
        except asyncio.CancelledError:
            if self.stopping:
                self.journal.finish(ex.seq, outcome="hung" if ex.hanging else "closed",
                                    processed=ex.processed, error="server stopped")
            else:
                self.journal.finish(ex.seq, outcome="hung" if ex.hanging else "client_gone",
                                    processed=ex.processed, error="client went away")
            raise
        except Exception as exc:  # a bug: answer, journal, never crash the server
            log.exception("Sync handler failed on request %s", ex.seq)
            return self._answer(ex, 500, {"ok": False, "error": f"internal error: {exc!r}"},
                                processed=ex.processed, error=f"internal error: {exc!r}")

    async def _route(self, ex: _Exchange, via: str) -> web.StreamResponse:
        request = ex.request
        if request.path in self.side_endpoints:
            return await self._side(ex)
        if request.path != SYNC_PATH:
            return self._answer(ex, 404, {"ok": False, "error": f"no endpoint at {request.path}"},
                                error="unknown path")
        if request.method == "OPTIONS":
            return await self._preflight(ex, self._decide(ex, "OPTIONS", via))
        if request.method != "POST":
            return self._answer(ex, 405, {"ok": False, "error": f"method {request.method} not allowed"},
                                error="method not allowed", headers={"Allow": "POST, OPTIONS"})
        return await self._post(ex, via)

    async def _side(self, ex: _Exchange) -> web.StreamResponse:
        """A declared side endpoint: its preflight is allowed as asked, any other request is read
        (bounded) and answered 200 ``{"ok": true}`` — no fault draw, nothing stored, not a Sync body."""
        if ex.request.method == "OPTIONS":
            return self._answer(ex, 204, None, headers=side.preflight_headers(ex.request.headers))
        try:
            async with asyncio.timeout(self.body_timeout_s):
                raw = await side.read_body(ex.request, MAX_BODY_BYTES)
        except TimeoutError:
            return await self._too_slow(ex)
        if raw is None:
            self.journal.finish(ex.seq, outcome="client_gone", error="client went away while sending")
            return web.Response(status=400)
        self.journal.set_body(ex.seq, raw)
        return self._answer(ex, 200, side.ANSWER)

    def _decide(self, ex: _Exchange, method: str, via: str, body: bytes | None = None) -> Fault | None:
        decision: Decision | None = self.faults.decide(method, via, ex.context, body, ex.send)
        if decision is None:
            return None
        self.journal.update(ex.seq, fault=decision.label())
        return decision.fault

    async def _preflight(self, ex: _Exchange, fault: Fault | None) -> web.StreamResponse:
        if fault is not None:
            early = await self._before(ex, fault)
            if early is not None:
                return early
        return self._answer(ex, 204, None, headers=cors.preflight_headers(ex.request.headers))

    async def _post(self, ex: _Exchange, via: str) -> web.StreamResponse:
        try:
            async with asyncio.timeout(self.body_timeout_s):
                raw, parsed = await self._read(ex)
        except TimeoutError:
            return await self._too_slow(ex)
        if parsed is None:  # the client went away while sending (already journaled)
            return web.Response(status=400)
        self.journal.set_body(ex.seq, raw)
        self.journal.update(ex.seq, events=parsed.events, error=parsed.error)
        # Decided once the body is here: the random rule draws by what the request carries, not by
        # when it arrived (concurrent requests arrive in real-time order). A request whose body
        # never came whole takes no fault.
        fault = self._decide(ex, "POST", via, raw)
        late = fault is not None and fault.kind in ("delay", "process_then_fail")
        if fault is not None and not late:
            early = await self._before(ex, fault)
            if early is not None:
                return early
        status, body, retry_after, error = await self._process(ex, parsed, raw)
        if late and fault is not None and fault.delay_ms:
            # A slow server: it has done the work; the answer leaves ``delay_ms`` after the request.
            if await self.faults.holds.delay(ex.t_page, fault.delay_ms, ex.via, ex.send, ex.context) != "released":
                return self._gone(ex)
        if fault is not None and fault.kind == "process_then_fail":
            if fault.close is not None:
                return self._close(ex, fault.close, outcome="process_then_fail", error=error)
            return self._answer(ex, fault.status or 500, _fault_body(fault), retry_after=fault.retry_after,
                                processed=ex.processed, outcome="process_then_fail", error=error)
        return self._answer(ex, status, body, retry_after=retry_after, processed=ex.processed, error=error)

    async def _too_slow(self, ex: _Exchange) -> web.StreamResponse:
        """408 and close: the body did not arrive within ``body_timeout_s`` (trickled or never sent).

        Fault holds come after the body is read, so they are never cut by this timeout."""
        got = ex.request.content.total_bytes
        error = f"body not received within {self.body_timeout_s:g} s (real time; {got} bytes arrived)"
        self.journal.update(ex.seq, body_size=got)
        response = self._answer(ex, 408, {"ok": False, "error": error}, error=error, headers={"Connection": "close"})
        await response.prepare(ex.request)
        await response.write_eof()
        if ex.request.transport is not None:
            ex.request.transport.close()  # no lingering read of the rest
        return response

    async def _read(self, ex: _Exchange) -> tuple[bytes, ParsedBody | None]:
        """Read at most ``MAX_BODY_BYTES`` (+1 to detect overflow); never unbounded."""
        request = ex.request
        declared = request.content_length
        if declared is not None and declared > MAX_BODY_BYTES:
            return b"", too_large(declared)
        buf = bytearray()
        try:
            while chunk := await request.content.read(MAX_BODY_BYTES + 1 - len(buf)):
                buf += chunk
                if len(buf) > MAX_BODY_BYTES:
                    return bytes(buf[:MAX_BODY_BYTES]), too_large(len(buf))
        except HttpProcessingError as exc:
            return bytes(buf), ParsedBody(400, f"unreadable body: {exc.message or exc!r}")
        except RequestPayloadError as exc:  # e.g. Content-Encoding: gzip over bytes that are not gzip
            return bytes(buf), ParsedBody(400, f"unreadable body: {str(exc).splitlines()[-1].strip()}")
        except ConnectionError as exc:
            self.journal.set_body(ex.seq, bytes(buf))
            self.journal.finish(ex.seq, outcome="client_gone", error=f"client went away while sending: {exc!r}")
            return bytes(buf), None
        return bytes(buf), parse_body(bytes(buf))

    async def _before(self, ex: _Exchange, fault: Fault) -> web.StreamResponse | None:
        """Apply the part of a fault that comes before normal handling; a response ends it."""
        if fault.delay_ms and await self.faults.holds.delay(ex.t_page, fault.delay_ms, ex.via, ex.send, ex.context) != "released":
            return self._gone(ex)
        if fault.kind == "status":
            return self._answer(ex, fault.status or 500, _fault_body(fault), retry_after=fault.retry_after,
                                error=self._current_error(ex))
        if fault.kind == "close":
            return self._close(ex, fault.close or "fin", outcome="closed")
        if fault.kind == "hang":
            ex.hanging = True
            self.journal.update(ex.seq, outcome="hung")
            how = await self.faults.holds.hold(None, ex.via, ex.send, ex.context)
            ex.hanging = False
            if how == "stopped":
                return self._close(ex, "fin", outcome="hung", error="server stopped")
            if how == "gone":
                return self._gone(ex)
            self.journal.update(ex.seq, outcome=IN_FLIGHT)
        return None

    async def _process(self, ex: _Exchange, parsed: ParsedBody, raw: bytes) -> tuple[int, Any, int | None, str | None]:
        """(status, body, retry_after, error) of normal handling; stores valid bodies."""
        if not parsed.ok:
            return parsed.status or 400, parsed.answer_body(), None, parsed.error
        task = asyncio.ensure_future(self._ingest(parsed, raw, ex.request.headers.get("Content-Type", "")))
        try:
            result, error = await asyncio.shield(task)
        except asyncio.CancelledError:
            # The client went away mid-ingest: let the store finish to journal what it did.
            result, error = await task
            ex.processed = result.processed
            raise
        ex.processed = result.processed
        return result.status, result.body, result.retry_after, error

    async def _ingest(self, parsed: ParsedBody, raw: bytes, content_type: str) -> tuple[IngestResult, str | None]:
        """The store's answer; a raising or misbehaving store becomes 503 + Retry-After."""
        try:
            result = await self.store.ingest(parsed.payloads, raw, content_type)
            if not isinstance(result, IngestResult):
                raise TypeError(f"store returned {type(result).__name__}, not IngestResult")
        except Exception as exc:
            log.warning("store %s failed: %r", getattr(self.store, "name", "?"), exc)
            error = f"store error: {exc!r}"
            return IngestResult(503, {"ok": False, "error": error}, STORE_ERROR_RETRY_AFTER_S), error
        error = None
        if not 200 <= result.status < 300:
            detail = result.body.get("error") if isinstance(result.body, dict) else None
            error = f"store answered {result.status}" + (f": {detail}" if detail else "")
        return result, error

    def _current_error(self, ex: _Exchange) -> str | None:
        entry = self.journal.get(ex.seq)
        return entry.error if entry else None

    def _answer(self, ex: _Exchange, status: int, body: Any, *, retry_after: int | None = None,
                processed: bool = False, outcome: str = "answered", error: str | None = None,
                headers: dict[str, str] | None = None) -> web.Response:
        """Journal the end of the exchange and build the response (CORS on every answer)."""
        out = cors.answer_headers(ex.request.headers)
        out.update(headers or {})
        if retry_after is not None:
            out["Retry-After"] = str(retry_after)
        entry = self.journal.get(ex.seq)
        changes: dict[str, Any] = {"processed": processed, "error": error}
        if entry is not None and retry_after is not None:
            changes["headers"] = {**entry.headers, "Retry-After": str(retry_after)}
        self.journal.finish(ex.seq, outcome=outcome, status=status, **changes)
        if body is None or status in (204, 304):
            return web.Response(status=status, headers=out)
        if isinstance(body, str):
            return web.Response(status=status, text=body, headers=out)
        return web.Response(status=status, text=json.dumps(body), content_type="application/json", headers=out)

    def _gone(self, ex: _Exchange) -> web.StreamResponse:
        """The stub stopped, or the page gave up on this request while it was held: no answer."""
        if self.stopping:
            return self._close(ex, "fin", outcome="closed", error="server stopped")
        return self._close(ex, "fin", outcome="client_gone", error="the page gave up on the request (abort)")

    def _close(self, ex: _Exchange, mode: str, *, outcome: str, error: str | None = None) -> web.StreamResponse:
        """Drop the connection without an answer (FIN, or RST via SO_LINGER 0)."""
        transport = ex.request.transport
        if transport is not None:
            if mode == "rst":
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                transport.abort()
            else:
                transport.close()
        self.journal.finish(ex.seq, outcome=outcome, status=None, processed=ex.processed, error=error)
        return web.Response(status=204)  # never written: the transport is gone


def _page_time(request: web.Request) -> int | None:
    raw = request.query.get(PAGE_TIME_PARAM, "")
    return int(raw) if raw.isdigit() and len(raw) <= 16 else None


def _fault_body(fault: Fault) -> Any:
    if fault.body is not None:
        return fault.body
    return {"ok": False, "error": f"fault: {fault.describe()}"}


def _journaled(headers: CIMultiDictProxy[str]) -> dict[str, str]:
    return {name: headers[name] for name in JOURNALED_HEADERS if name in headers}
