"""``backoff``: retries follow the declared backoff (SPEC §4).

Per envelope, over its fetch attempts in page time: after the k-th failure in a row (network
error, abort, retryable status) the next attempt carrying it must start
``base·2^(k−1)`` (capped) ± jitter ± tolerance after that failure ended. A ``Retry-After: R`` on
the 429/503 that answered the failure (from the journal) replaces the lower bound with ``R`` and
stretches the upper one to ``max(backoff, R·(1+jitter))``: never earlier than the server asked,
never later than both schedules allow.

``k`` counts the failures the build could have counted: a network error while offline burns no
attempt, and nor does a fetch whose page went away before it ended; a seeded envelope starts
from its seeded ``attempts``. Gaps the backoff does not govern are exempt (counted in the note):
something that processes the outbox at once came in between (load, reload, navigate, ``online``,
browser restart, storage mode change), the clock jumped, the context was offline, the page that
failed went away, or the next attempt is after the end. A gap that is too *late* is also exempt
when another fetch of the context was in flight once the envelope was due (one sender at a
time; a failed batch ends the pass): only the build's own schedule is judged.
"""
from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from harness.checker.facts import Facts
from harness.checker.fmt import dur, rel, short
from harness.checker.rules.base import Outcome
from harness.contract.history import Attempt, JournalEntry
from harness.contract.vocabulary import ANSWERED, FAILED_SEND, OpKind

TRIGGER_KINDS: frozenset[OpKind] = frozenset({"open", "navigate", "reload", "online", "restart", "storage"})
RETRY_AFTER_STATUSES = (429, 503)


@dataclass(frozen=True)
class Window:
    """Where the next attempt after a failure may start, relative to the failure's end (ms)."""

    low: float
    high: float
    why: str  # "backoff 20.000s ±20%" or "Retry-After 30s"


def _failed(f: Facts, a: Attempt) -> bool:
    if a.outcome in FAILED_SEND:
        return True
    return a.outcome == "http_error" and (a.status is None or f.policy.retryable(a.status))


def retry_after_ms(entry: JournalEntry, t_page: float) -> float | None:
    """The ``Retry-After`` an answer carried, in ms (delta-seconds, or an HTTP date against ``t_page``)."""
    raw = next((v for k, v in entry.headers.items() if k.lower() == "retry-after"), None)
    if raw is None or not str(raw).strip():
        return None
    text = str(raw).strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(text).timestamp() * 1000 - t_page)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return max(0.0, seconds * 1000) if seconds == seconds and seconds != float("inf") else None


class _Disturbances:
    """Per context, the (page time, seq) of everything that makes a gap not the backoff's doing."""

    def __init__(self, f: Facts) -> None:
        self._at: dict[str | None, list[tuple[int, int]]] = defaultdict(list)
        for o in f.history.ops:
            if o.kind in TRIGGER_KINDS or o.kind == "offline" or (o.kind == "advance" and o.detail.get("mode") == "jump"):
                self._at[o.context].append((o.t_page, o.seq))
        for lst in self._at.values():
            lst.sort()

    def between(self, ctx: str, after: tuple[int, int], before: tuple[int, int]) -> bool:
        """Anything in ``ctx`` (or in every context) strictly between two (page time, seq) points."""
        for key in (ctx, None):
            lst = self._at.get(key, [])
            i = bisect.bisect_right(lst, after)
            if i < len(lst) and lst[i] < before:
                return True
        return False


class _Busy:
    """Fetches per context by start time, to tell "sender busy" from "build late"."""

    def __init__(self, f: Facts) -> None:
        self._carried: dict[int, set[str]] = defaultdict(set)
        for sid, atts in f.m.attempts.items():
            for a in atts:
                self._carried[a.seq].add(sid)
        self._by_ctx: dict[str, list[Attempt]] = defaultdict(list)
        self._longest: dict[str, float] = defaultdict(float)
        for a in f.history.attempts:
            if a.via in ANSWERED:
                self._by_ctx[a.context].append(a)
                ended = f.history.t_page_end if a.t_page_end is None else a.t_page_end
                self._longest[a.context] = max(self._longest[a.context], ended - a.t_page_start)
        self._starts: dict[str, list[int]] = {}
        for c, lst in self._by_ctx.items():
            lst.sort(key=lambda a: (a.t_page_start, a.seq))
            self._starts[c] = [a.t_page_start for a in lst]

    def other_fetch(self, ctx: str, sid: str, due: float, before: Attempt) -> bool:
        """Another fetch of ``ctx``, not carrying ``sid``, in flight at some point in ``[due, before.start]``."""
        lst = self._by_ctx.get(ctx, [])
        i = bisect.bisect_right(self._starts.get(ctx, []), before.t_page_start) - 1
        oldest = due - self._longest[ctx]  # nothing that started earlier can still run at ``due``
        while i >= 0 and lst[i].t_page_start >= oldest:
            a = lst[i]
            i -= 1
            if a.seq == before.seq or sid in self._carried.get(a.seq, ()):
                continue
            if a.t_page_end is None or a.t_page_end >= due:
                return True
        return False


class _RetryAfters:
    """The i-th failing attempt answered S ↔ the i-th journal hit of the envelope answered S."""

    def __init__(self, f: Facts, sid: str) -> None:
        self._hits: dict[int, list[JournalEntry]] = defaultdict(list)
        for h in sorted(f.hits(sid), key=lambda h: h.entry.seq):
            e = h.entry
            if e.via != "beacon" and e.status in RETRY_AFTER_STATUSES:
                self._hits[e.status].append(e)  # type: ignore[index]
        self._taken: Counter[int] = Counter()

    def take(self, a: Attempt) -> float | None:
        if a.outcome != "http_error" or a.status not in RETRY_AFTER_STATUSES:
            return None
        i = self._taken[a.status]
        self._taken[a.status] += 1
        hits = self._hits.get(a.status, [])
        return retry_after_ms(hits[i], a.t_page_end or a.t_page_start) if i < len(hits) else None


def window(f: Facts, k: int, retry_after: float | None) -> Window:
    """The allowed gap after the ``k``-th failure in a row."""
    p = f.policy
    tol, jitter = p.timeout_tolerance_ms, p.backoff_jitter
    expected = p.backoff_ms(k)
    low, high = expected * (1 - jitter) - tol, expected * (1 + jitter) + tol
    why = f"backoff {dur(expected)} ±{jitter * 100:g}%"
    if retry_after is not None:
        low = retry_after - tol
        high = max(high, retry_after * (1 + jitter) + tol)
        why = f"Retry-After {retry_after / 1000:g}s"
    return Window(low, high, why)


def _initial_attempts(f: Facts, sid: str) -> int:
    t = f.tracks.get(sid)
    if t is None or not t.states:
        return 0
    n = t.states[0].env.attempts
    return n if isinstance(n, int) and n > 0 else 0


def backoff(f: Facts) -> Outcome:
    """Evidence: gaps after a failure that the backoff alone governs."""
    if f.policy.backoff_scope == "queue":
        return _queue_backoff(f)
    out = Outcome()
    marks = _Disturbances(f)
    busy = _Busy(f) if f.history.attempts else None
    exempt: Counter[str] = Counter()
    for sid, atts in f.m.attempts.items():
        t = f.tracks.get(sid)
        if t is None:
            continue
        fetches = sorted((a for a in atts if a.via in ANSWERED), key=lambda a: (a.t_page_start, a.seq))
        if len(fetches) < 2:
            continue  # no gap to judge
        if f.has_twins(t) and any(sid not in a.ids for a in fetches):
            exempt["sends credited by a payload other envelopes share (no meta.eid)"] += 1
            continue
        answers = _RetryAfters(f, sid)
        k = _initial_attempts(f, sid)
        bad: list[str] = []
        for a, nxt in zip(fetches, fetches[1:] + [None]):  # type: ignore[operator]
            if a.outcome == "ok":
                k = 0
                continue
            if not _failed(f, a) or a.t_page_end is None:
                continue
            ra = answers.take(a)
            failed_at = a.t_page_end
            gone = f.life.page_gone(a.context, a.page, a.t_page_start, failed_at)
            offline = not f.life.online_at(a.context, failed_at)
            if gone or (offline and a.outcome == "network_error"):
                exempt["the build could not count the failure (offline or page gone)"] += 1
                continue
            k += 1
            if nxt is None:
                continue  # never tried again: the ``retry`` guarantee's business
            problem = _judge_gap(f, out, exempt, marks, a, nxt, k, ra, offline=offline, busy=busy, sid=sid)
            if problem is not None:
                bad.append(f"{short(sid)} {t.labels()[0]}/{t.labels()[1]}: retry after {problem}")
        _first_of(out, bad)
    return _noted(out, exempt)


def _judge_gap(f: Facts, out: Outcome, exempt: Counter[str], marks: _Disturbances, a: Attempt, nxt: Attempt,
               k: int, ra: float | None, *, offline: bool, busy: _Busy | None = None,
               sid: str | None = None) -> str | None:
    """The gap from the ``k``-th failure in a row (``a``, Retry-After ``ra``) to the next attempt
    ``nxt``, in either scope: exempt (counted in ``exempt``), or evidence — and then what is wrong
    with it (``None``: in the window). Envelope scope (``busy`` and the envelope ``sid``): a gap
    too late while another fetch held the sender is the sender's, not the backoff's."""
    assert a.t_page_end is not None
    failed_at, start = a.t_page_end, nxt.t_page_start
    if start > f.history.t_page_end:
        exempt["next attempt after the end"] += 1
        return None
    if offline or marks.between(a.context, (failed_at, a.seq), (start, nxt.seq)):
        exempt["load, online, restart, storage change, jump or offline in between"] += 1
        return None
    if f.life.page_gone(a.context, a.page, failed_at, start):
        exempt["the failing page went away"] += 1
        return None
    w = window(f, k, ra)
    gap = start - failed_at
    if gap > w.high and busy is not None and sid is not None and busy.other_fetch(a.context, sid, failed_at + w.low, nxt):
        exempt["too late while another fetch held the sender"] += 1
        return None
    out.evidence += 1
    return _off_window(f, a, k, gap, w)


def _off_window(f: Facts, a: Attempt, k: int, gap: float, w: Window) -> str | None:
    """``failure k=… (what at when) came … later, too early|late; expected …`` or ``None`` when in the window."""
    if w.low <= gap <= w.high:
        return None
    what = a.outcome + (f" {a.status}" if a.status is not None else "")
    side = "too early" if gap < w.low else "too late"
    return (f"failure k={k} ({what} at {rel(a.t_page_end or a.t_page_start, f.t0)}) came {dur(gap)} later, "
            f"{side}; expected {dur(max(w.low, 0))}–{dur(w.high)} ({w.why})")


def _first_of(out: Outcome, bad: list[str]) -> None:
    """One violation per envelope (or queue): its first bad gap, with how many more there were."""
    if bad:
        more = f" (and {len(bad) - 1} more gap(s))" if len(bad) > 1 else ""
        out.violations.append(bad[0] + more)


def _noted(out: Outcome, exempt: Counter[str]) -> Outcome:
    if exempt:
        out.note = "exempt gaps: " + "; ".join(f"{n} {why}" for why, n in sorted(exempt.items()))
    return out


def _queue_backoff(f: Facts) -> Outcome:
    """Queue scope (a build profile's ``backoff: {scope: queue}``): the build pauses its whole
    queue after a failed send. Per context, after the k-th failed fetch in a row (a 2xx ends the
    row; so does a load, ``online`` or restart, which start a fresh pause count) the context's
    next fetch, whatever it carries, must start within the window of ``k``. Same exemptions as
    per envelope."""
    out = Outcome()
    marks = _Disturbances(f)
    carried: dict[int, list[str]] = defaultdict(list)
    for sid, atts in f.m.attempts.items():
        for a in atts:
            carried[a.seq].append(sid)
    answers: dict[str, _RetryAfters] = {}
    by_ctx: dict[str, list[Attempt]] = defaultdict(list)
    for a in f.history.attempts:
        if a.via in ANSWERED:
            by_ctx[a.context].append(a)
    exempt: Counter[str] = Counter()
    for ctx, lst in sorted(by_ctx.items()):
        lst.sort(key=lambda a: (a.t_page_start, a.seq))
        k = 0
        bad: list[str] = []
        prev: Attempt | None = None
        for i, a in enumerate(lst):
            if prev is not None and marks.between(ctx, (prev.t_page_start, prev.seq), (a.t_page_start, a.seq)):
                k = 0
            prev = a
            if a.outcome == "ok":
                k = 0
                continue
            if not _failed(f, a) or a.t_page_end is None:
                continue
            ra = None
            for sid in carried.get(a.seq, ()):
                got = answers.setdefault(sid, _RetryAfters(f, sid)).take(a)
                ra = got if ra is None else ra
            failed_at = a.t_page_end
            if f.life.page_gone(ctx, a.page, a.t_page_start, failed_at) or (
                    not f.life.online_at(ctx, failed_at) and a.outcome == "network_error"):
                exempt["the build could not count the failure (offline or page gone)"] += 1
                continue
            k += 1
            nxt = next((b for b in lst[i + 1:] if b.t_page_start >= failed_at), None)
            if nxt is None:
                continue
            problem = _judge_gap(f, out, exempt, marks, a, nxt, k, ra, offline=not f.life.online_at(ctx, failed_at))
            if problem is not None:
                bad.append(f"{ctx}: the queue's next send after {problem}")
        _first_of(out, bad)
    return _noted(out, exempt)
