"""One rule per guarantee id (``harness.checker.guarantees.GUARANTEES``), each ``Facts -> Outcome``."""
from __future__ import annotations

from typing import Callable

from harness.checker.facts import Facts
from harness.checker.rules.backoff import backoff
from harness.checker.rules.base import Outcome
from harness.checker.rules.dead_letter import dead_letter
from harness.checker.rules.drop_rule import drop_rule
from harness.checker.rules.exactly_once import exactly_once
from harness.checker.rules.loss import no_loss
from harness.checker.rules.overflow import overflow
from harness.checker.rules.response_ok import response_ok
from harness.checker.rules.retry import retry
from harness.checker.rules.session_month import session_month
from harness.checker.rules.timeout import timeout
from harness.checker.rules.triggers import last_gasp, trigger_load, trigger_online
from harness.checker.rules.unexpected import nothing_unexpected

RULES: dict[str, Callable[[Facts], Outcome]] = {
    "retry": retry,
    "timeout": timeout,
    "response_ok": response_ok,
    "drop_rule": drop_rule,
    "last_gasp": last_gasp,
    "trigger_load": trigger_load,
    "trigger_online": trigger_online,
    "no_loss": no_loss,
    "exactly_once": exactly_once,
    "nothing_unexpected": nothing_unexpected,
    "dead_letter": dead_letter,
    "overflow": overflow,
    "backoff": backoff,
    "session_month": session_month,
}

__all__ = ["RULES", "Outcome"]
