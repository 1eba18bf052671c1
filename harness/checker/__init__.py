"""The checker: fates of envelopes and verdicts of guarantees, from a recorded ``History``.

    verdict = judge(history, ["no_loss", "retry"], Policy(timeout_ms=1000))
    verdict = judge_history(history)  # the guarantees and policy the run's scenario declared
    verdict.passed, verdict.counts, verdict.guarantees["retry"].violations, verdict.fates[0].timeline

``timeline(history, envelope_id)`` gives one envelope's story without judging anything.

Pipeline (each step one module, each linear in the history): ``fold`` the outbox deltas per
envelope → ``match`` journal events, attempts, intents, direct sends and rows at rest to subjects
→ ``fates`` (one per subject, by proof) → ``rules`` (one per guarantee) → ``timeline``.
Subjects are envelopes, intents that never became one (``kind="intent"``), and auto events sent
from memory while storage was failing (``kind="direct"``).
"""
from __future__ import annotations

from harness.checker.judge import judge, judge_history
from harness.checker.policy import Policy
from harness.checker.timeline import timeline
from harness.checker.verdict import (
    COUNT_KEYS,
    EnvelopeFate,
    GuaranteeResult,
    ScenarioVerdict,
    TimelineEntry,
)

__all__ = ["COUNT_KEYS", "EnvelopeFate", "GuaranteeResult", "Policy", "ScenarioVerdict", "TimelineEntry",
           "judge", "judge_history", "timeline"]
