"""The control app (port C): journal, rows and HTTP faults over HTTP, for tools outside Python.

Every error is JSON ``{"error": msg}`` with a specific message; nothing here can break the Sync
endpoint (fault specs are validated completely before any change is applied). Only a client
holding the per-run token may call it (``harness.contract.control``); every other request gets
403 and is kept in ``refusals`` so the report can name the build that tried.
"""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from aiohttp import web

from harness.contract.control import TOKEN_HEADER, Refusal, refusal, refusal_reason
from server_stub.faults import ACTION_KEYS, Fault, FaultPlan, FaultSpecError, parse_fault
from server_stub.journal import Journal
from server_stub.journal_codec import entry_to_json
from server_stub.store import Store

PREFIX = "/__control"


class ControlError(ValueError):
    """A bad control request; becomes a 400 with this message."""


class ControlApp:
    """Builds the control ``web.Application``; ``info`` supplies the URLs shown by /health."""

    def __init__(self, journal: Journal, faults: FaultPlan, store: Store,
                 info: Callable[[], dict[str, Any]], token: str | None = None,
                 refusals: list[Refusal] | None = None) -> None:
        self.journal = journal
        self.faults = faults
        self.store = store
        self.info = info
        self.token = token
        self.refusals: list[Refusal] = refusals if refusals is not None else []

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard, _json_errors])
        app.router.add_get(f"{PREFIX}/health", self._health)
        app.router.add_get(f"{PREFIX}/journal", self._journal)
        app.router.add_get(f"{PREFIX}/rows", self._rows)
        app.router.add_get(f"{PREFIX}/faults", self._fault_state)
        app.router.add_post(f"{PREFIX}/faults", self._set_faults)
        app.router.add_post(f"{PREFIX}/reset", self._reset)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Refuse (403, no CORS headers) anything that is not the harness holding the token."""
        reason = refusal_reason(request.method, request.headers, self.token)
        if reason is not None:
            self.refusals.append(refusal("stub-control", request.method, request.path_qs, request.headers, reason))
            return web.json_response({"error": f"refused: {reason}; send the run's token in {TOKEN_HEADER}",
                                      "status": 403}, status=403)
        return await handler(request)

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "store": getattr(self.store, "name", "?"), **self.info()})

    async def _journal(self, request: web.Request) -> web.Response:
        raw = request.query.get("since", "0")
        try:
            since = int(raw)
        except ValueError:
            raise ControlError(f"since: must be an integer sequence number, got {raw!r}") from None
        if since < 0:
            raise ControlError(f"since: must be >= 0, got {since}")
        return web.json_response([entry_to_json(e) for e in self.journal.since(since)])

    async def _rows(self, request: web.Request) -> web.Response:
        rows = await self.store.rows()
        return web.json_response(None if rows is None else [asdict(r) for r in rows])

    async def _fault_state(self, request: web.Request) -> web.Response:
        return web.json_response(self.faults.state())

    async def _set_faults(self, request: web.Request) -> web.Response:
        body = await _json_object(request)
        unknown = sorted(set(body) - set(ACTION_KEYS))
        if unknown or not body:
            raise ControlError(f"unknown or missing key(s) {unknown}; use one or more of {list(ACTION_KEYS)}")
        actions = _parse_fault_actions(body)  # everything validated before anything changes
        released = self.faults.apply(actions, source="control")
        return web.json_response({"ok": True, "released": released, "state": self.faults.state()})

    async def _reset(self, request: web.Request) -> web.Response:
        self.journal.clear()
        self.faults.apply({"clear": True}, source="control")
        return web.json_response({"ok": True})


def _parse_fault_actions(body: dict[str, Any]) -> dict[str, Any]:
    """Validate a /faults body into ready-to-apply values (``ControlError`` names the key)."""
    out: dict[str, Any] = {}
    try:
        for flag in ("clear", "release"):
            if flag in body:
                if body[flag] is not True:
                    raise ControlError(f"{flag}: must be true, got {body[flag]!r}")
                out[flag] = True
        if "default" in body:
            out["default"] = None if body["default"] is None else parse_fault(body["default"])
        if "push" in body:
            push = body["push"]
            if not isinstance(push, list):
                raise ControlError(f"push: must be an array of faults, got {type(push).__name__}")
            out["push"] = [_indexed(i, f) for i, f in enumerate(push)]
        if "random" in body:
            out["random"] = _parse_random(body["random"])
    except FaultSpecError as exc:
        raise ControlError(str(exc)) from None
    return out


def _indexed(i: int, spec: Any) -> Fault:
    try:
        return parse_fault(spec)
    except FaultSpecError as exc:
        raise ControlError(f"push[{i}]: {exc}") from None


def _parse_random(spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise ControlError(f"random: must be an object {{p, fault, seed}}, got {type(spec).__name__}")
    unknown = sorted(set(spec) - {"p", "fault", "seed"})
    if unknown:
        raise ControlError(f"random: unknown key(s) {unknown}; allowed p, fault, seed")
    p = spec.get("p")
    if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0 <= p <= 1:
        raise ControlError(f"random.p: must be a number 0–1, got {p!r}")
    seed = spec.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise ControlError(f"random.seed: must be an integer, got {seed!r}")
    if "fault" not in spec:
        raise ControlError("random.fault: required (null clears the random rule)")
    try:
        fault = None if spec["fault"] is None else parse_fault(spec["fault"])
    except FaultSpecError as exc:
        raise ControlError(f"random.fault: {exc}") from None
    return {"p": p, "fault": fault, "seed": seed}


async def _json_object(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ControlError(f"body: not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ControlError(f"body: must be a JSON object, got {type(body).__name__}")
    return body


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Specific JSON errors for bad control requests (and for aiohttp's own 404/405)."""
    try:
        return await handler(request)
    except ControlError as exc:
        return web.json_response({"error": str(exc), "status": 400}, status=400)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return web.json_response({"error": exc.reason, "status": exc.status}, status=exc.status)
