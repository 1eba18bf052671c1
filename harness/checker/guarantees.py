"""The guarantees a scenario can judge, by id, with the words the report shows.

One place names them so scenarios, mutants, the checker and the reports agree on spelling.
"""
from __future__ import annotations

from harness.contract.vocabulary import FATES, GUARANTEE_IDS, GuaranteeId

GUARANTEES: dict[GuaranteeId, str] = {
    "retry": "retry after a transient failure",
    "timeout": "a hung send is aborted at 5 s and retried",
    "response_ok": "only a 2xx answer counts as delivered",
    "drop_rule": "dropped only when attempts > 10 AND age > 24 h",
    "last_gasp": "pending events are beaconed on unload",
    "trigger_load": "the outbox is processed on page load",
    "trigger_online": "the outbox is processed on the online event",
    "no_loss": "no event is lost",
    "exactly_once": "every delivered event is stored exactly once at rest",
    "nothing_unexpected": "nothing arrives that was never enqueued",
    "dead_letter": "a rejected event is dead-lettered and blocks nothing",
    "overflow": "overflow sheds heartbeats first, never a conversion, always recorded",
    "backoff": "retries follow the declared backoff: first ≈5 s after a failure, doubling, capped, Retry-After honoured",
    "session_month": "an event keeps the month it was created in (sm), even when delivered after the month turned",
}

if tuple(GUARANTEES) != GUARANTEE_IDS:  # the ids are declared once, in the contract; texts live here
    raise ImportError(f"guarantee texts {tuple(GUARANTEES)} differ from the contract's ids {GUARANTEE_IDS}")

__all__ = ["FATES", "GUARANTEES", "check_ids"]


def check_ids(ids: list[str]) -> list[str]:
    """Return the ids that are not guarantees (for validating scenarios and mutants)."""
    return [g for g in ids if g not in GUARANTEES]
