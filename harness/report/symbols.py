"""How statuses and guarantee ids are written in compact reports."""
from __future__ import annotations

from harness.checker.guarantees import GUARANTEES

STATUS_MARK = {"pass": "✓", "fail": "✗", "vacuous": "~", "not_judged": "·"}
STATUS_STYLE = {"pass": "green", "fail": "bold red", "vacuous": "yellow", "not_judged": "dim"}
SHORT = {
    "retry": "retry", "timeout": "5s", "response_ok": "ok", "drop_rule": "drop", "last_gasp": "gasp",
    "trigger_load": "load", "trigger_online": "onl", "no_loss": "loss", "exactly_once": "1×",
    "nothing_unexpected": "unexp", "dead_letter": "dead", "overflow": "ovf",
    "backoff": "bkoff", "session_month": "sm",
}


def short_name(gid: str) -> str:
    """Column header of a guarantee (its id when it has no short name)."""
    return SHORT.get(gid, gid)


def guarantee_ids(extra: list[str] | None = None) -> list[str]:
    """Known guarantees in their canonical order, then any unknown ids a report carries."""
    ids = list(GUARANTEES)
    return ids + [g for g in extra or () if g not in GUARANTEES]
