"""``drop_rule``: judged both ways. An envelope that failed is removed undelivered only when
attempts > 10 AND age > 24 h (never too early); and once past that rule it is never fetched
again and leaves the outbox at the build's next pass, at the head of the queue or not (never
too late).

Removals that a dead-letter record explains as ``rejected``, ``overflow`` or ``malformed`` are
judged by their own guarantees; the build's ``ttl`` record is no excuse (the rule needs proof: the
failed sends and the age the harness saw, ``checker.dropproof``). "Past the rule" (never too
late) is read from the outbox: the ``attempts`` it last showed before a send and the
envelope's ``ts``. Beacons are exempt from the re-send check (an unloading page has no time to
prune first).
"""
from __future__ import annotations

from harness.checker.dropproof import drop_proof
from harness.checker.facts import Facts
from harness.checker.fmt import hours, rel, short
from harness.checker.fold import Track
from harness.checker.policy import Policy
from harness.checker.rules.base import Outcome
from harness.contract.history import Attempt
from harness.contract.vocabulary import ANSWERED

_OTHER_REASONS = ("overflow", "malformed")


def drop_rule(f: Facts) -> Outcome:
    """Evidence: removals, envelopes seen past either limit, and envelopes past the rule."""
    p = f.policy
    out = Outcome()
    for t in f.tracks.values():
        x = f.fates[t.id]
        removal = t.final_removal
        age_at = removal.t_page if removal is not None else f.history.t_page_end
        age = age_at - t.ts if t.ts is not None else None
        candidate = (removal is not None and x.fate in ("lost", "dropped_policy") and t.max_attempts >= 1
                     and not any(t.dead_reason(r) for r in _OTHER_REASONS) and x.reason_code not in ("malformed", "trimmed", "overwritten"))
        if candidate:
            out.evidence += 1
            if x.reason_code != "ttl":
                proof = drop_proof(f, t, removal)
                out.violations.append(
                    f"{short(t.id)} {x.ec}/{x.ea} dropped at {rel(removal.t_page, f.t0)} with {proof.shape()} "
                    f"(allowed only when attempts>{p.drop_attempts} AND age>{hours(p.drop_age_ms)})")
        elif t.max_attempts > p.drop_attempts or (age is not None and age > p.drop_age_ms):
            out.evidence += 1
        out.violations.extend(_kept_past_the_rule(f, t))
    return out


def _past_rule(p: Policy, t: Track, seq: int, t_page: int) -> int | None:
    """The attempts the outbox last showed before ``seq``, when the envelope is past the rule at ``t_page``."""
    known = [r for r in t.states if r.mark.seq < seq]
    if not known:
        return None
    env = known[-1].env
    attempts = env.attempts or 0
    if env.ts is None or attempts <= p.drop_attempts or t_page - env.ts <= p.drop_age_ms:
        return None
    return attempts


def _expired_since(p: Policy, t: Track) -> int | None:
    """The first page time the outbox showed the envelope past the rule, if ever."""
    for r in t.states:
        if (r.env.attempts or 0) > p.drop_attempts and r.env.ts is not None:
            return max(r.mark.t_page, r.env.ts + int(p.drop_age_ms) + 1)
    return None


def _kept_past_the_rule(f: Facts, t: Track) -> list[str]:
    """The other way round: past the rule, it must not be fetched again and must leave. A fetch
    that names the envelope only by a payload other envelopes share proves nothing: it may have
    carried a younger twin (the build dropped the expired one in the same pass)."""
    p = f.policy
    x = f.fates[t.id]
    out: list[str] = []
    shared = f.has_twins(t)
    resent = [a for a in f.attempts(t.id) if a.via in ANSWERED and (t.id in a.ids or not shared)
              and _past_rule(p, t, a.seq, a.t_page_start) is not None]
    if resent:
        a = resent[0]
        n = _past_rule(p, t, a.seq, a.t_page_start)
        out.append(f"{short(t.id)} {x.ec}/{x.ea} sent again at {rel(a.t_page_start, f.t0)} although past the drop "
                   f"rule (attempts={n}, age={hours(a.t_page_start - (t.ts or 0))}): it must have been dropped"
                   + (f" ({len(resent) - 1} more such send(s))" if len(resent) > 1 else ""))
    if t.pending_end:
        since = _expired_since(p, t)
        later = _later_fetch(f, t.context, since) if since is not None else None
        if later is not None:
            out.append(f"{short(t.id)} {x.ec}/{x.ea} still queued at the end although past the drop rule since "
                       f"{rel(since, f.t0)}; the build processed its outbox after that (fetch at "
                       f"{rel(later.t_page_start, f.t0)}) without removing it")
    return out


def _later_fetch(f: Facts, context: str, since: int) -> Attempt | None:
    """A fetch of this context that started at or after ``since``: proof the build ran a pass."""
    return next((a for a in f.history.attempts
                 if a.via in ANSWERED and a.context == context and a.t_page_start >= since), None)
