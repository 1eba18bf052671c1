"""The harness end of the sealed reporting channel (js/seal.js, js/instrument.js).

The instrumentation shares the page's JavaScript world, so anything it can call, a page script
could call too. Each report therefore arrives as ``"load|n|json"`` with an HMAC-SHA-256 under a
key only the instrumentation's closure holds: a report without a valid MAC was made by the page
and is ignored; a repeated or older ``n`` of a page load is a replay and is ignored; a jump in
``n`` means reports were suppressed on the way. The counts end up in the run's notes.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SEAL_JS = (Path(__file__).resolve().parent / "js" / "seal.js").read_text()
MAC_CHARS = 64  # a report on the wire is the MAC (hex) followed by the message


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
