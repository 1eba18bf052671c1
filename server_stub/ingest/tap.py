"""``TapStore``: the stub as a recording tap in front of a real Sync endpoint.

Why: to judge a deployed ingest service, the harness journals every request itself and forwards
the body unchanged (same bytes, same content type) to the upstream; the tracker sees exactly
what the upstream answered. What is at rest upstream is not observable, unless the operator
gives a SQL query (and a DSN) returning the stored events.
"""
from __future__ import annotations

import asyncio
import json
import time
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import psycopg
from psycopg.rows import dict_row

from harness.contract.history import StoredEvent
from server_stub.store import IngestResult

AT_REST_COLUMNS = ("eid", "site", "session_id", "session_month", "ec", "ea", "payload")


def parse_retry_after(value: str | None, now: float | None = None) -> int | None:
    """``Retry-After`` in whole seconds from delta-seconds or an HTTP date; ``None`` if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0, round(when.timestamp() - (time.time() if now is None else now)))


def _body_dict(raw: bytes) -> dict[str, Any]:
    """The upstream's answer as a dict: its JSON object, else the JSON/text wrapped."""
    text = raw.decode("utf-8", errors="replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        return {"upstream_text": text[:2000]}
    return parsed if isinstance(parsed, dict) else {"upstream": parsed}


class TapStore:
    """Forwards each accepted request to ``upstream_url``; at rest via ``at_rest_query`` if given."""

    name = "tap"

    def __init__(
        self,
        upstream_url: str,
        at_rest_query: str | None = None,
        dsn: str | None = None,
        *,
        timeout_s: float = 10.0,
        retry_after_s: int = 2,
    ) -> None:
        if not upstream_url.startswith(("http://", "https://")):
            raise ValueError(f"upstream URL must be http(s)://…, got {upstream_url!r}")
        if at_rest_query and not dsn:
            raise ValueError("an at-rest query needs a DSN to run against")
        self.upstream_url = upstream_url
        self.at_rest_query = at_rest_query
        self.dsn = dsn
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._retry_after_s = retry_after_s
        self._session: aiohttp.ClientSession | None = None

    async def ingest(self, events: list[dict[str, Any]], raw: bytes, content_type: str) -> IngestResult:
        """Forward the raw body; the upstream's status, body and Retry-After are the answer."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        headers = {"Content-Type": content_type} if content_type else {}
        try:
            async with self._session.post(self.upstream_url, data=raw, headers=headers) as resp:
                body = await resp.read()
                status = resp.status
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
        except asyncio.TimeoutError:
            # The upstream may have stored the events: the tracker retries and ingest de-duplicates.
            return IngestResult(504, {"ok": False, "error": "upstream timed out"})
        except aiohttp.ClientError as e:
            return IngestResult(503, {"ok": False, "error": f"upstream unreachable: {e}"},
                                retry_after=self._retry_after_s)
        return IngestResult(status, _body_dict(body), retry_after=retry_after, processed=200 <= status < 300)

    async def ensure_site(self, public_id: str, domain: str) -> None:
        """Nothing to do: the upstream manages its own sites."""

    async def rows(self, sites: set[str] | None = None) -> list[StoredEvent] | None:
        """``None`` (not observable) without a query; else the query's rows for these sites."""
        if not self.at_rest_query or not self.dsn:
            return None
        async with await psycopg.AsyncConnection.connect(self.dsn, autocommit=True, connect_timeout=10) as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(self.at_rest_query.encode())
            columns = [c.name for c in cur.description or ()]
            missing = [c for c in AT_REST_COLUMNS if c not in columns]
            if missing:
                raise ValueError(
                    f"the at-rest query must return columns {', '.join(AT_REST_COLUMNS)}; missing: {', '.join(missing)}"
                )
            records = await cur.fetchall()
        out = [_stored(r) for r in records]
        return out if sites is None else [e for e in out if e.site in sites]

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def _stored(r: dict[str, Any]) -> StoredEvent:
    payload = r["payload"]
    if isinstance(payload, (str, bytes)):
        try:
            payload = json.loads(payload)
        except ValueError:
            payload = {"raw": payload if isinstance(payload, str) else payload.decode(errors="replace")}
    return StoredEvent(
        eid=_text(r["eid"]),
        site=str(r["site"]),
        session_id=_text(r["session_id"]),
        session_month=_text(r["session_month"]),
        ec=_text(r["ec"]),
        ea=_text(r["ea"]),
        payload=payload if isinstance(payload, dict) else {},
        partition=_text(r.get("partition")),
    )
