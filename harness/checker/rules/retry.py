"""``retry``: a transient failure is followed by another attempt (or a final answer).

A failure obliges a retry only if the context then had a live, online page for a whole retry
window (backoff cap + jitter) before the run ended: a build cannot retry from a closed page, and
may wait for ``online`` while offline. Failures come from the page's attempts; for envelopes with
no recorded attempt, from the journal (ordered by wall time, page time approximated).
"""
from __future__ import annotations

from harness.checker.facts import Facts
from harness.checker.fmt import rel, short
from harness.checker.rules.base import Outcome
from harness.contract.history import Attempt
from harness.contract.vocabulary import ANSWERED, FAILED_SEND

_SETTLED = ("delivered", "rejected", "dropped_policy")


def _failed(f: Facts, a: Attempt) -> bool:
    if a.via not in ANSWERED:
        return False
    if a.outcome in FAILED_SEND:
        return True
    return a.outcome == "http_error" and (a.status is None or f.policy.retryable(a.status))


def retry(f: Facts) -> Outcome:
    """Evidence: failures that carried an obligation to retry (exempt ones are counted in the note)."""
    out = Outcome()
    window, end = f.policy.retry_window_ms, f.history.t_page_end
    exempt = 0
    for t in f.tracks.values():
        x = f.fates[t.id]
        atts = f.attempts(t.id)
        hits = [h for h in f.hits(t.id) if h.copy_of is None]  # a copy the browser re-sent is no try of the build's
        # (page time of the failure, its context, how to find a later try, description)
        failures: list[tuple[int, str, int, str]] = []
        if atts:
            for a in atts:
                if _failed(f, a):
                    when = a.t_page_end if a.t_page_end is not None else a.t_page_start
                    what = a.outcome + (f" {a.status}" if a.status is not None else "") + (f" ({a.error})" if a.error else "")
                    failures.append((when, a.context, a.seq, what))
        else:
            for h in hits:
                e = h.entry
                if e.via != "beacon" and not e.processed and (e.status is None or f.policy.retryable(e.status)):
                    when = f.wall_to_page(e.t_wall, e.context)
                    failures.append((f.t0 if when is None else when, t.context, e.seq,
                                     f"request #{e.seq} {e.status or e.outcome}"))
        for when, ctx, seq, what in failures:
            if not f.life.good_stretch(ctx, when, window, end):
                exempt += 1
                continue
            out.evidence += 1
            if x.fate in _SETTLED:
                continue
            if atts:
                later = any(a.seq > seq for a in atts) or any(
                    (p := f.wall_to_page(h.entry.t_wall, h.entry.context)) is not None and p > when for h in hits)
            else:
                later = any(h.entry.seq > seq for h in hits)
            if not later:
                out.violations.append(f"{short(t.id)} {x.ec}/{x.ea} failed at {rel(when, f.t0)} ({what}) and was never "
                                      f"tried again (ended {x.fate}; run went on {(end - when) / 1000:.0f}s)")
                break
    if exempt:
        out.note = f"{exempt} failure(s) exempt: no live online page for {window / 1000:.0f}s afterwards before the end"
    return out
