"""``timeout``: a fetch is aborted at ``timeout_ms`` (± tolerance) — never earlier, never later.

A fetch still pending at the end is a violation when its page lived past the deadline (a dead
page cannot abort; its attempt simply never reported an end).
"""
from __future__ import annotations

from harness.checker.facts import Facts
from harness.checker.fmt import dur, rel
from harness.checker.rules.base import Outcome
from harness.contract.vocabulary import ANSWERED


def timeout(f: Facts) -> Outcome:
    """Evidence: fetches that lasted at least ``timeout_ms - tolerance``, and every abort."""
    p = f.policy
    low, high = p.timeout_ms - p.timeout_tolerance_ms, p.timeout_ms + p.timeout_tolerance_ms
    out = Outcome()
    gone = 0
    for a in sorted(f.history.attempts, key=lambda a: a.seq):
        if a.via not in ANSWERED:
            continue
        at = rel(a.t_page_start, f.t0)
        if a.outcome == "pending" or a.t_page_end is None:
            d = f.history.t_page_end - a.t_page_start
            if d <= high:
                out.evidence += d >= low
                continue
            if f.life.page_gone(a.context, a.page, a.t_page_start, a.t_page_start + high):
                gone += 1
                continue
            out.evidence += 1
            out.violations.append(f"{a.via} #{a.seq} ({a.context}/{a.page}) started at {at} never aborted "
                                  f"(still pending {dur(d)} later, at the end)")
            continue
        d = a.t_page_end - a.t_page_start
        if a.outcome == "abort":
            out.evidence += 1
            if not low <= d <= high:
                out.violations.append(f"{a.via} #{a.seq} ({a.context}/{a.page}) started at {at} aborted after {dur(d)}, "
                                      f"expected {dur(p.timeout_ms)} ± {dur(p.timeout_tolerance_ms)}")
        elif d >= low:
            out.evidence += 1
            if d > high:
                status = f" {a.status}" if a.status is not None else ""
                out.violations.append(f"{a.via} #{a.seq} ({a.context}/{a.page}) started at {at} ran {dur(d)} "
                                      f"({a.outcome}{status}) without being aborted at {dur(p.timeout_ms)}")
    if gone:
        out.note = f"{gone} send(s) left pending by a page that closed before the deadline"
    return out
