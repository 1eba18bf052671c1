"""Stamps as the instrumentation writes them (js/instrument.js): sealed under a context's key."""
from __future__ import annotations

import hashlib
import hmac

from harness.history.seal import STAMP_DOMAIN, ReportGate


def sealed(gate: ReportGate, t: int, writer: str = "main#L", n: int = 1, wall: int | None = None) -> str:
    """``"time|tab#load|n[|wall]|mac"``, the MAC over ``STAMP_DOMAIN`` + the text before it."""
    body = f"{t}|{writer}|{n}" + (f"|{wall}" if wall is not None else "")
    return body + "|" + hmac.new(gate.key, (STAMP_DOMAIN + body).encode(), hashlib.sha256).hexdigest()
