"""``judge``: one recorded history in, one verdict out.

Every guarantee is evaluated (it is cheap); those the scenario did not ask for are reported as
``not_judged`` and never fail it. A rule that crashes on odd data fails its guarantee with the
error as the violation — a check that could not run must not pass — and the run goes on.
"""
from __future__ import annotations

import contextlib
import dataclasses
import gc
import traceback
from collections import Counter
from typing import Any, Iterator, Mapping

from harness.checker.declared import declared_intents
from harness.checker.facts import Facts, build_facts, with_fates
from harness.checker.fates import assign
from harness.checker.fmt import unique_among
from harness.checker.guarantees import GUARANTEES, check_ids
from harness.checker.notes import history_notes
from harness.checker.policy import Policy
from harness.checker.rules import RULES, Outcome
from harness.checker.timeline import subject_timeline
from harness.checker.verdict import COUNT_KEYS, GuaranteeResult, ScenarioVerdict
from harness.contract.history import History


def _status(judged: bool, o: Outcome) -> str:
    if not judged:
        return "not_judged"
    if o.violations:
        return "fail"
    if o.vacuous_reason is not None or o.evidence == 0:
        return "vacuous"
    return "pass"


def _unexpected(f: Facts) -> list[dict]:
    out = []
    for h, intent in f.unexpected():
        p = h.event.payload if isinstance(h.event.payload, dict) else {}
        e = h.entry
        out.append({"request": e.seq, "index": h.event.index, "eid": h.event.eid, "ec": p.get("ec"),
                    "ea": p.get("ea"), "el": p.get("el"), "t_wall": e.t_wall, "t_page_approx": f.wall_to_page(e.t_wall, e.context),
                    "via": e.via, "status": e.status, "processed": e.processed, "intent": intent})
    return out


def _error_line(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" if frame else ""
    return f"checker error: {type(exc).__name__}: {exc}{where}"


def _validate(history: object, judges: object, policy: object) -> None:
    if not isinstance(history, History):
        raise TypeError(f"judge() needs a History, got {type(history).__name__}")
    if not isinstance(judges, (list, tuple, set, frozenset)) or not all(isinstance(j, str) for j in judges):
        raise TypeError(f"judges must be a list of guarantee ids, got {judges!r}")
    unknown = check_ids(list(judges))  # type: ignore[arg-type]
    if unknown:
        raise ValueError(f"unknown guarantee id(s) {', '.join(unknown)}; known: {', '.join(GUARANTEES)}")
    if not isinstance(policy, Policy):
        raise TypeError(f"policy must be a Policy, got {type(policy).__name__}")


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The checker builds millions of small acyclic objects; the cyclic GC would triple its time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def judge(history: History, judges: list[str], policy: Policy | None = None) -> ScenarioVerdict:
    """Fates of every envelope and the verdict of every guarantee for one scenario run.

    A pure function: the history is only read, and the same history and policy always give the
    same verdict (a saved history re-judged later included)."""
    policy = policy or Policy()
    _validate(history, judges, policy)
    with _gc_paused():
        verdict, copies = _judge(history, judges, policy)
    verdict.notes.extend(history_notes(history, copies))  # the matching's count: copy_of once a judgement
    return verdict


def judge_history(history: History, policy: Policy | None = None) -> ScenarioVerdict:
    """Judge a run's history on the guarantees its scenario asked for, under the policy it was
    recorded with — or under ``policy`` when given."""
    return judge(history, list(history.judges), policy or policy_of(history))


BUILD_TIMING = frozenset({"timeout_ms", "backoff_base_ms", "backoff_cap_ms", "backoff_jitter", "retry_window_ms"})
"""Policy keys that describe a build's own timing. A scenario overrides them because it told the
reference build other limits through ``data-*`` attributes (docs/scenarios.md, Checker policy); a
build whose profile declares its own timing need not read those attributes, so there the profile wins."""


def policy_of(history: History, profile: Mapping[str, Any] | None = None) -> Policy:
    """The scenario's policy overrides laid over a build profile's: the one the run recorded, or
    ``profile`` instead (re-judging a saved run under another profile). The scenario's win, except
    for the build timing the profile declares (``BUILD_TIMING``)."""
    base = history.profile_policy if profile is None else profile
    scenario = {k: v for k, v in history.policy.items() if not (k in BUILD_TIMING and k in base)}
    try:
        return Policy(**{**base, **scenario})
    except TypeError as exc:  # an unknown field name
        raise ValueError(f"the history's policy does not fit this checker: {exc}") from exc


def decided_facts(history: History, policy: Policy) -> Facts:
    """Facts with every subject's fate and timeline decided: the input of every rule."""
    base = build_facts(history, policy)
    decided = assign(base)
    return with_fates(base, {sid: dataclasses.replace(x, timeline=subject_timeline(base, sid))
                             for sid, x in decided.items()})


def _outcome(gid: str, f: Facts) -> Outcome:
    try:
        return RULES[gid](f)
    except Exception as exc:  # noqa: BLE001 - a crashed rule fails its guarantee, the run goes on
        return Outcome(violations=[_error_line(exc)])


def _judge(history: History, judges: list[str], policy: Policy) -> tuple[ScenarioVerdict, int | None]:
    """The verdict, and how many requests the matching took for browser copies (None: no matching)."""
    wanted = set(judges)
    verdict = ScenarioVerdict(history.scenario, t_page_end=history.t_page_end)
    history, declared_notes = declared_intents(history, policy)
    try:
        f = decided_facts(history, policy)
    except Exception as exc:  # noqa: BLE001 - a broken history must still yield a (failing) verdict
        line = _error_line(exc)
        verdict.notes.append(line)
        for gid in GUARANTEES:
            verdict.guarantees[gid] = GuaranteeResult(gid, "fail" if gid in wanted else "not_judged", 0, [line])
        return verdict, None
    verdict.t0 = f.t0
    verdict.fates = list(f.fates.values())
    verdict.unexpected = _unexpected(f)
    tally = Counter(x.fate for x in verdict.fates)
    verdict.counts = {k: tally.get(k, 0) for k in COUNT_KEYS}
    verdict.counts["duplicated"] = sum(x.duplicates for x in verdict.fates)
    verdict.counts["browser_copies"] = sum(x.browser_copies for x in verdict.fates)
    verdict.counts["unexpected"] = len(verdict.unexpected)
    verdict.notes = list(f.fold.notes) + declared_notes
    by = f.m.decided_by
    if by.get("send record"):
        verdict.notes.append(
            f"attribution: {by['send record']} delivered event(s) without meta.eid credited by the page's send record "
            "(the outbox entries holding that payload when the request was sent)"
            + (f", {by['payload']} by payload equality alone" if by.get("payload") else ""))
    if f.m.unattributed_attempts:
        verdict.notes.append(f"{f.m.unattributed_attempts} attempt(s) carried nothing attributable to an envelope")
    with unique_among([*f.fates, *f.fold.tracks]):
        outcomes = {gid: _outcome(gid, f) for gid in GUARANTEES}
    for gid, o in outcomes.items():
        note = o.vacuous_reason or o.note
        if gid not in wanted:
            note = "not judged by this scenario" + (f"; {note}" if note else "")
        verdict.guarantees[gid] = GuaranteeResult(gid, _status(gid in wanted, o), o.evidence, o.violations, note)  # type: ignore[arg-type]
    return verdict, len(f.m.copies)


__all__ = ["decided_facts", "judge", "judge_history", "policy_of"]
