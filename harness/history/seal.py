"""The harness end of the sealed reporting channel (js/seal.js, js/instrument.js).

The instrumentation shares the page's JavaScript world, so anything it can call, a page script
could call too. Each report therefore arrives as ``"load|n|json"`` with an HMAC-SHA-256 under a
key only the instrumentation's closure holds: a report without a valid MAC was made by the page
and is ignored; a repeated or older ``n`` of a page load is a replay and is ignored; a jump in
``n`` means reports were suppressed on the way. The counts end up in the run's notes.

The storage stamps (``__tank_t``, written before each watched write) are sealed with the same key:
``"time|tab#load|n[|wall]|mac"``, the MAC over ``STAMP_DOMAIN`` + the text before it. A stamp
lives in the page's localStorage, where a page can write its own; only a sealed one dates a write.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SEAL_JS = (Path(__file__).resolve().parent / "js" / "seal.js").read_text()
MAC_CHARS = 64  # a report on the wire is the MAC (hex) followed by the message
# What a stamp's MAC covers begins with this: a report's message begins with its load id (digits
# and a-z only), so no stamp's MAC is a report's, nor the other way round.
STAMP_DOMAIN = "__tank_t|"
MAX_STAMP_CHARS = 1000  # an honest stamp is about 130 characters


@dataclass(frozen=True)
class Stamp:
    """What a stamp says: the writing page's time, its load (``tab#load``), its counter, and (tab
    channel only) the real time of the write in ms."""

    t: int
    writer: str | None
    n: int | None
    wall: float | None


def _number(text: str) -> float | None:
    """A positive finite number, as JavaScript's ``Number`` reads a decimal text; None otherwise."""
    try:
        n = float(text.strip()) if text.strip() else 0.0
    except ValueError:
        return None
    return n if math.isfinite(n) and n > 0 else None


def stamp_of(value: Any) -> Stamp | None:
    """What a stamp ``"time|tab#load|n[|wall]|mac"`` claims, sealed or not; None when it is no stamp
    (no value, or a time not above 0: the instrumentation's "0000000000000" after a failed write)."""
    if not isinstance(value, str):
        return None
    fields = value[:MAX_STAMP_CHARS].split("|")
    t = _number(fields[0])
    if t is None:
        return None
    if len(fields) > 1 and len(fields[-1]) == MAC_CHARS:
        fields = fields[:-1]
    n = fields[2] if len(fields) > 2 else ""
    return Stamp(int(t), fields[1] if len(fields) > 1 else None, int(n) if n.isascii() and n.isdigit() else None,
                 _number(fields[3]) if len(fields) > 3 else None)


def config_script(config: dict[str, Any], key: bytes) -> str:
    """The init script that hands the instrumentation its config and sealing function."""
    return (f"(() => {{ const seal = ({SEAL_JS})({json.dumps(key.hex())}); "
            f"window.__tankConfig = Object.assign({json.dumps(config)}, {{ seal }}); }})();")


@dataclass
class ReportGate:
    """Opens sealed reports of one browser context; counts what was forged or went missing."""

    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    forged: int = 0
    missing: int = 0
    _last: dict[str, int] = field(default_factory=dict)
    _stamp_n: dict[str, int] = field(default_factory=dict)  # writer (tab#load) -> its last sealed stamp's n

    def sealed(self, text: str, stamp: Stamp) -> bool:
        """Whether ``text`` (whose claim is ``stamp``) is a stamp the instrumentation made and not
        one used before: a MAC under this context's key over ``STAMP_DOMAIN`` + the text before it,
        and a counter above the last sealed stamp's of its page load (a page may read a stamp back
        from storage and write it again later)."""
        body, _, mac = text.rpartition("|")
        if len(text) > MAX_STAMP_CHARS or len(mac) != MAC_CHARS or not mac.isascii() or stamp.writer is None or stamp.n is None:
            return False
        good = hmac.new(self.key, (STAMP_DOMAIN + body).encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(good, mac) or stamp.n <= self._stamp_n.get(stamp.writer, 0):
            return False
        self._stamp_n[stamp.writer] = stamp.n
        return True

    def open(self, message: Any, mac: Any) -> dict[str, Any] | None:
        """The report inside a genuine, fresh message; None (and counted) otherwise."""
        if not isinstance(message, str) or not isinstance(mac, str) or len(message) > 4_000_000:
            self.forged += 1
            return None
        good = hmac.new(self.key, message.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
        load, _, rest = message.partition("|")
        n_text, _, body = rest.partition("|")
        if not hmac.compare_digest(good, mac) or not n_text.isdigit():
            self.forged += 1
            return None
        n, last = int(n_text), self._last.get(load, 0)
        if n <= last:
            self.forged += 1  # a replay of a report the page read on its way out
            return None
        self.missing += n - last - 1
        self._last[load] = n
        try:
            record = json.loads(body)
        except ValueError:
            self.forged += 1
            return None
        return record if isinstance(record, dict) else None

    def notes(self, context: str) -> list[str]:
        out = []
        if self.forged:
            out.append(f"isolation: context {context}: {self.forged} report(s) on the harness's reporting channel "
                       "were not made by the instrumentation (a page script forged or replayed them) and were ignored")
        if self.missing:
            out.append(f"isolation: context {context}: {self.missing} report(s) of the instrumentation never arrived "
                       "(a page script interfered with the reporting channel, or a page the harness did not open — a "
                       "popup — sent before its channel was there); the journal is the server-side truth")
        return out
