"""What the harness itself saw of a policy drop (SPEC §2, §4): the build's own numbers are claims.

A ``ttl`` drop needs attempts > N and age > 24 h. The build writes ``attempts`` and ``ts`` into
its outbox and could write anything there, so neither is proof alone:

- attempts: the seeded ``attempts`` (the harness wrote that envelope) plus the failed sends seen
  carrying the envelope before its removal: the larger of the page's records (fetch/XHR) and the
  endpoint's journal (requests under its ``meta.eid`` answered non-2xx or not at all, browser
  copies counted once), as a build sending from a Web Worker leaves no page record. The count used
  is the lower of that and the outbox counter (a build counting fewer failures than it had is its
  own choice).
- age: the removal's page time (dated by the recorder, which bounds a page's stamp by the
  harness clock) minus the later of the queued ``ts`` and the page time the harness first saw
  the envelope (a seeded envelope's ``ts`` is the harness's own).

An ``overflow`` shed needs the outbox at a cap when it shed (its length at the shedding write,
against the profile's declared cap or ``OVERFLOW_MIN_LENGTH``), or a storage quota the harness put
in place; a conversion is never shed, and nothing else while heartbeats stay queued (SPEC §4). A
build whose dead-letter records carry no id records a shed by an id-less write at the removal.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

from harness.checker.direct import storage_failures
from harness.checker.facts import Facts
from harness.checker.fmt import hours, rel
from harness.checker.fold import Mark, Track
from harness.checker.policy import ok_status
from harness.contract.history import OutboxWrite
from harness.contract.vocabulary import ANSWERED

FAILED = frozenset({"http_error", "network_error", "abort", "pending"})
# The least outbox length a shed is believed "at a cap" by where the build profile declares no cap
# (``overflow: {cap: N}``; the reference's bundled scenarios shrink it to 20 and 100, its default
# is 5000).
OVERFLOW_MIN_LENGTH = 10


@dataclass(frozen=True)
class DropProof:
    """The numbers the ``ttl`` rule is judged by, and the build's claims beside them."""

    attempts: int  # min(observed, counter)
    observed: int  # seeded + failed sends the instrumentation recorded
    seeded: int  # the part of ``observed`` the harness's seed wrote
    counter: int  # the highest ``attempts`` the outbox showed before the removal
    age: int | None  # page ms, from the harness's evidence
    claimed_age: int | None  # removal − the build's ``ts``

    def past(self, drop_attempts: int, drop_age_ms: float) -> bool:
        return self.attempts > drop_attempts and self.age is not None and self.age > drop_age_ms

    def shape(self) -> str:
        """``attempts=… age=…`` with the evidence each number rests on."""
        seen = f"{self.observed - self.seeded} failed send(s) observed" + (f" + {self.seeded} seeded" if self.seeded else "")
        if self.observed <= self.counter:
            source = seen + (f"; the build's counter said {self.counter}" if self.counter != self.observed else "")
        else:
            source = f"the build's counter; {seen}"
        return f"attempts={self.attempts} ({source}) age={hours(self.age)}"

    def unsupported(self, drop_attempts: int, drop_age_ms: float) -> str | None:
        """The build's numbers that put the envelope past a limit where the harness's do not, worded
        without blame: a build may count tries that are not sends (SPEC §2: attempts are failed
        sends), which the fate does not credit, but which are not forgery either."""
        out = []
        if self.counter > drop_attempts >= self.observed:
            out.append(f"the build counted attempts={self.counter}: {self.counter - self.observed} tries the harness "
                       "did not see as sends (offline passes, beacons?); the harness saw "
                       f"{self.observed - self.seeded} failed send(s)" + (f" + {self.seeded} seeded" if self.seeded else ""))
        if self.claimed_age is not None and self.claimed_age > drop_age_ms and (self.age is None or self.age <= drop_age_ms):
            out.append(f"its ts made it {hours(self.claimed_age)} old, the harness saw it for {hours(self.age)}")
        return "; ".join(out) or None


def drop_proof(f: Facts, t: Track, removal: Mark) -> DropProof:
    """The evidence for a ``ttl`` drop of ``t`` at ``removal``."""
    seeded = (t.states[0].env.attempts or 0) if t.seeded else 0
    failed = max(_page_failures(f, t, removal), _journal_failures(f, t, removal))
    observed = seeded + failed
    counter = max((r.env.attempts or 0 for r in t.states if r.mark.seq < removal.seq), default=0)
    first = t.states[0] if t.states else None
    if first is None:
        base = None
    elif t.seeded:
        base = first.env.ts if first.env.ts is not None else first.mark.t_page
    else:
        base = max(t.ts if t.ts is not None else first.mark.t_page, first.mark.t_page)
    age = removal.t_page - base if base is not None else None
    claimed = removal.t_page - t.ts if t.ts is not None else None
    return DropProof(min(observed, counter), observed, seeded, counter, age, claimed)


def _page_failures(f: Facts, t: Track, removal: Mark) -> int:
    """Failed sends of ``t`` the instrumentation recorded on the page before ``removal``."""
    return sum(1 for a in f.attempts(t.id)
               if a.via in ANSWERED and a.seq < removal.seq and a.context == t.context and a.outcome in FAILED)


def _journal_failures(f: Facts, t: Track, removal: Mark) -> int:
    """Requests the endpoint received under ``t``'s id before ``removal`` that the sender heard no
    2xx for (refused, unanswered, or processed then failed): a send from a worker is seen only here.
    Beacons are not sends a build can count; a copy the browser re-sent is its send's, once."""
    return len({h.entry.seq for h in f.hits(t.id)
                if h.evidence == "eid" and h.copy_of is None and h.entry.via != "beacon"
                and h.entry.context in (None, t.context) and h.entry.t_wall < removal.t_wall
                and (h.entry.status is None or not ok_status(h.entry.status))})


def overflow_shed(f: Facts, t: Track) -> str | None:
    """The reason an ``overflow`` drop of ``t`` is proven, or ``None``: recorded with its id, or —
    for a build whose dead-letter records carry no id — an id-less dead-letter write at its
    removal; the outbox at a cap (``overflow_evidence``); heartbeats shed first (``shed_refusal``)."""
    rec = t.dead_reason("overflow")
    removal = t.final_removal
    if rec is not None:
        at, recorded = removal or rec.mark, f"shed at {rel(rec.mark.t_page, f.t0)}, recorded"
    else:
        idless = idless_at_removal(f, t)
        if idless is None or removal is None:
            return None
        at, recorded = removal, f"shed at {rel(removal.t_page, f.t0)}, recorded without an id (write #{idless.seq})"
    evidence = overflow_evidence(f, t, at)
    if evidence is None or shed_refusal(f, t) is not None:
        return None
    return f"overflow: {recorded}; {evidence}"


def idless_at_removal(f: Facts, t: Track) -> OutboxWrite | None:
    """A dead-letter write without ids in ``t``'s context at its removal (no other outbox write of
    the context between the two), for an envelope with no dead-letter record of its own."""
    removal = t.final_removal
    if removal is None or t.dead or f.history.deadletter_key is None:
        return None
    seqs, _ = f.outbox_index.get(t.context, ([], []))
    i = bisect.bisect_left(seqs, removal.seq)
    lo = seqs[i - 1] if i else -1
    hi = seqs[i + 1] if i + 1 < len(seqs) else float("inf")
    return next((w for w in f.idless_dead_letters(t.context) if lo < w.seq < hi), None)


def shed_refusal(f: Facts, t: Track) -> str | None:
    """Why ``t`` may not be shed whatever the outbox held (SPEC §4), or ``None``: a conversion is
    never shed; anything else only once no heartbeat stays queued (heartbeats go first)."""
    p = f.policy
    ec, ea, _ = t.labels()
    if ec == p.conversion_category:
        return "a conversion is never shed (SPEC §4)"
    removal = t.final_removal
    left = f.fold.heartbeats_after.get(removal.seq, 0) if removal is not None else 0
    if (ec, ea) != p.heartbeat and left:
        return f"{left} heartbeat(s) stayed queued (heartbeats are shed first, SPEC §4)"
    return None


def overflow_cap(f: Facts) -> int:
    """The outbox length a shed is believed "at a cap" by: the build profile's declared cap, else
    ``OVERFLOW_MIN_LENGTH``."""
    return f.policy.outbox_cap or OVERFLOW_MIN_LENGTH


def overflow_evidence(f: Facts, t: Track, at: Mark) -> str | None:
    """Why the harness believes the outbox was at a cap when ``t`` was shed (``at``: its removal,
    else its dead-letter record), or ``None``."""
    failing = [w for w, c in storage_failures(f.history) if c in (None, t.context) and w <= at.t_wall]
    if failing:
        return "storage was at its quota (the harness filled it)"
    w = f.write(at.seq) if at.kind != "seed" else None
    if w is None or w.key != f.history.outbox_key:
        w = _last_outbox_write(f, t.context, at.seq)
    if w is None or w.length is None:
        return None
    held = max(w.length, w.length + len(w.removed) - len(w.added))
    if held < overflow_cap(f):
        return None
    return f"the outbox held {held} entries at write #{w.seq}"


def _last_outbox_write(f: Facts, context: str, seq: int) -> OutboxWrite | None:
    """The context's last outbox write at or before ``seq`` (one bisection in the index)."""
    seqs, ws = f.outbox_index.get(context, ([], []))
    i = bisect.bisect_right(seqs, seq)
    return ws[i - 1] if i else None
