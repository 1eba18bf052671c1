"""Who may call a control API (the stub's /__control and the embedded proxy's API).

Both listen on loopback, where the build under test (a web page) and any other process on the
machine can reach them. Only the harness knows the per-run token, and it sends it in a header,
which a page can only do with a non-simple (CORS-preflighted) request that no listener here ever
approves. A request is refused when any of these holds:

- it carries no token or the wrong one;
- it comes from a browser (an ``Origin`` header, or a ``Mozilla/`` user agent, as Toxiproxy does);
- it is a "simple" request a page could send without preflight (a body typed text/plain,
  form-urlencoded or multipart).

Every refusal is kept (:class:`Refusal`) so the report can name the build that tried.
"""
from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Mapping

TOKEN_HEADER = "X-Tank-Control"
SIMPLE_TYPES = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data")


def new_token() -> str:
    """A fresh per-run secret (never written into a page, a file or a log)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Refusal:
    """One refused control request: enough to say who tried what."""

    t_wall: float
    api: str  # "stub-control" | "proxy"
    method: str
    path: str
    reason: str
    origin: str | None
    user_agent: str | None

    def describe(self) -> str:
        who = self.origin or self.user_agent or "unknown client"
        return f"{self.api}: {self.method} {self.path} from {who} refused ({self.reason})"


def refusal_reason(method: str, headers: Mapping[str, str], token: str | None) -> str | None:
    """Why this request must be refused, or None when it is the harness's own (``token`` None: open)."""
    if headers.get("Origin") is not None:
        return "sent by a web page (Origin header)"
    if headers.get("User-Agent", "").startswith("Mozilla/"):
        return "sent by a browser (Mozilla/ user agent)"
    if token is None:  # an open server (standalone, Toxiproxy-compatible): browsers only are refused
        return None
    ctype = headers.get("Content-Type", "").split(";")[0].strip().lower()
    if method not in ("GET", "HEAD", "DELETE") and ctype in SIMPLE_TYPES:
        return f"simple request body ({ctype})"
    if method == "OPTIONS":
        return "CORS preflight: never approved"
    if not hmac.compare_digest(headers.get(TOKEN_HEADER, "").encode(), token.encode()):
        return "missing or wrong control token"
    return None


def refusal(api: str, method: str, path: str, headers: Mapping[str, str], reason: str) -> Refusal:
    return Refusal(time.time(), api, method, path[:200], reason,
                   (headers.get("Origin") or None), (headers.get("User-Agent") or None))
