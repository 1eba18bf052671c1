"""The one fate of every envelope (SPEC §8), by proof, in a fixed order of precedence.

delivered > pending > rejected > dropped_policy > lost. A build's own claim (a dead-letter
record saying ``ttl``, ``overflow`` or ``rejected``, the ``attempts`` and ``ts`` it writes) is never
proof by itself: ``ttl`` needs more than 10 failed sends the harness saw and the removal 24 h after
the harness first saw the envelope; ``overflow`` needs the outbox at a cap, and never covers a
conversion (``checker.dropproof``); ``rejected`` needs the endpoint to have answered a
non-retryable 4xx. Anything else that left the outbox undelivered is ``lost``,
with the most specific reason the history supports.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from harness.checker.dropproof import drop_proof, idless_at_removal, overflow_cap, overflow_shed, shed_refusal
from harness.checker.facts import Facts
from harness.checker.fmt import hours, rel
from harness.checker.fold import Mark, Track
from harness.checker.payload import altered, labels
from harness.checker.policy import ok_status
from harness.checker.subjects import DirectSubject, IntentSubject
from harness.checker.twins import twins
from harness.checker.verdict import EnvelopeFate

Decision = tuple[str, str, str]  # fate, reason code, reason text


def _malformed(t: Track) -> bool:
    if not t.states:
        return True
    env = t.states[-1].env
    return env.payload is None or env.ts is None or env.attempts is None


def _lost(f: Facts, t: Track) -> Decision:
    p, t0 = f.policy, f.t0
    removal = t.final_removal
    claims = {d.reason for d in t.dead}
    if removal is None:
        return "lost", "dead_lettered", f"only ever in the dead-letter list (reason {sorted(map(str, claims))}), never delivered"
    when = rel(removal.t_page, t0)
    attempts = t.max_attempts
    proof = drop_proof(f, t, removal)
    shape = proof.shape()
    need = f"needs attempts>{p.drop_attempts} AND age>{hours(p.drop_age_ms)}"
    forged = proof.unsupported(p.drop_attempts, p.drop_age_ms)
    if forged is not None:
        return "lost", "unproven_drop", (f"dropped at {when} with attempts={proof.attempts} age={hours(proof.age)} "
                                           f"on the harness's evidence, past the limits only on the build's numbers ({forged}; {need})")
    if "ttl" in claims:
        return "lost", "dropped_early", f"dropped at {when} with {shape}, recorded as ttl ({need})"
    down = f.taken_down(t.id)
    if down is not None and f.reject_status(t.id) is None:
        return ("lost", "taken_down_with_batch", f"removed at {when} after a {down} that refused other events of its "
                "request, not this one" + (" (dead-lettered as rejected)" if "rejected" in claims else ""))
    if "overflow" in claims:
        return "lost", "unproven_overflow", f"dead-lettered as overflow at {when}, but {_why_not_shed(f, t)}"
    if "rejected" in claims:
        unread = next((s for s in f.non_ok(t.id) if p.rejecting(s)), None)
        if unread is not None:  # a 4xx that named no event, for an event valid as queued
            return ("lost", "refused_unread", f"dead-lettered as rejected at {when} after a {unread} that named "
                    "none of its request's events, while the event was valid as queued")
        return "lost", "rejected_without_4xx", f"dead-lettered as rejected at {when} but never answered a non-retryable 4xx"
    status = f.removed_as_success(t)
    if status is not None:
        return _after_answer(f, t, removal, status)
    bounce = _overwrite_evidence(f, t, removal)
    if bounce is not None:
        return "lost", "overwritten", f"overwritten at {when} by a write from another page ({bounce})"
    if f.beaconed_before(t, removal.seq):
        refused = [h.entry.status for h in f.hits(t.id) if h.entry.via == "beacon" and not h.entry.processed]
        how = f"a beacon the endpoint refused ({refused[-1]})" if refused and refused[-1] is not None else "a beacon that never arrived"
        return "lost", "removed_after_beacon", f"removed at {when} after {how}"
    idless = idless_at_removal(f, t)
    if idless is not None:
        return ("lost", "unproven_overflow", f"shed at {when} with a dead-letter record without an id (write "
                f"#{idless.seq}), taken for an overflow shed, but {_why_not_shed(f, t)}")
    trim = _trim_evidence(f, t, removal.seq)
    if trim is not None:
        return "lost", "trimmed", f"cut at {when} without a dead-letter record (silent overflow trim; evidence: {trim})"
    if attempts >= 1:
        return "lost", "dropped_early", f"dropped at {when} with {shape} ({need})"
    answers = f.non_ok(t.id)
    if answers:
        return _after_answer(f, t, removal, answers[-1])
    if not f.hits(t.id) and not f.attempts(t.id):
        added = t.states[0].mark
        if _other_page(added, removal):
            return ("lost", "overwritten", f"overwritten at {when} by a write from another page "
                    f"({removal.url if removal.url != added.url else _label(removal, added)}) before any send")
        return "lost", "removed_unsent", f"removed at {when} before any send (stale save or another tab's overwrite)"
    return "lost", "removed", f"removed at {when} without delivery or dead-letter record"


def _why_not_shed(f: Facts, t: Track) -> str:
    return shed_refusal(f, t) or (f"no evidence the outbox was at a cap (fewer than {overflow_cap(f)} "
                                  "entries, no storage quota)")


def _after_answer(f: Facts, t: Track, removal: Mark, status: int | None) -> Decision:
    """A removal after the envelope's own non-2xx answer, worded from what the page heard last:
    when that was a 2xx for a request that did not carry the envelope (a build isolating a
    refused batch, then clearing more than it sent), that is the evidence, not the old answer."""
    when = rel(removal.t_page, f.t0)
    last = f.answer_before(t.context, removal.t_wall)
    if last is not None and last.status is not None and ok_status(last.status) \
            and not any(h.entry.seq == last.seq for h in f.hits(t.id)):
        return ("lost", "removed_after_other_success", f"removed at {when} after a {last.status} for a request that did "
                f"not carry it (request #{last.seq}; its own last answer was {status})")
    return "lost", "removed_after_error", f"removed at {when} after {status} without delivery"


def _page(url: str | None) -> str:
    return urlsplit(url).path or "/" if url else "?"


def _other_page(a: Mark, b: Mark) -> bool:
    """Whether two writes came from different pages: by the page load that wrote each, where the
    instrumentation stamped it (two tabs on one URL), else by their URLs."""
    if a.writer and b.writer:
        return a.writer != b.writer
    return bool(a.url and b.url and a.url != b.url)


def _label(m: Mark, other: Mark) -> str:
    """A write's page for a report: its path, and its tab where the other write has the same path."""
    path = _page(m.url)
    return f"{path} in tab {m.writer.split('#')[0]} ({m.writer})" if m.writer and m.url == other.url else path


LOAD_KINDS = ("open", "navigate", "reload", "restart")


def _overwrite_evidence(f: Facts, t: Track, removal: Mark) -> str | None:
    """Another page's copy of the outbox written back over this envelope. The final removal came
    from another page (another page load, where the writes name theirs; else another URL) than the
    last write of the envelope, and either (a) earlier on a removal by
    one page was undone by a write of another page (each re-adds what the other erased), or (b)
    no page of the context loaded between the envelope's first write and its removal: the removing
    page predates the envelope and wrote back a copy made before it existed.
    A page's own decision (a beacon it trusted, a failure it gave up on) is made by the page that
    last wrote the envelope, or by a page that loaded after it."""
    before = [r for r in t.states if r.mark.seq < removal.seq]
    if not before or not _other_page(before[-1].mark, removal):
        return None
    last = before[-1].mark
    where = f"write #{removal.seq} from {_label(removal, last)}, last written by {_label(last, removal)}"
    bounces = 0
    for gone in t.removes:
        if gone.seq >= removal.seq:
            continue
        back = next((r for r in before if r.mark.seq > gone.seq), None)
        if back is not None and back.added and _other_page(back.mark, gone):
            bounces += 1
    if bounces:
        return f"{where}; erased and put back {bounces} time(s) before by writes of different pages"
    first = before[0].mark.seq
    loads = [o for o in f.history.ops if o.kind in LOAD_KINDS and o.context in (None, removal.context)
             and first < o.seq < removal.seq]
    if not loads:
        return f"{where}, a page open since before the envelope was written"
    return None


TRIM_MIN_LENGTH = 10


def _trim_evidence(f: Facts, t: Track, seq: int) -> str | None:
    """A write that enqueued and, in the same breath, removed several unsent envelopes: the
    outbox was cut at a cap. Decided by the write itself, not by the envelope's attempts."""
    w = f.write(seq)
    if w is None or w.kind != "write" or not w.added or len(w.removed) < 2 or (w.length or 0) < TRIM_MIN_LENGTH:
        return None  # a short outbox rewritten is an overwrite (stale save, another tab), not a cap
    if any(f.deliveries(i) for i in w.removed):
        return None
    length = f" leaving {w.length}" if w.length is not None else ""
    return (f"write #{w.seq} added {len(w.added)} and removed {len(w.removed)} undelivered envelope(s){length}")


def _lost_with_source(f: Facts, t: Track) -> Decision:
    fate, code, reason = _lost(f, t)
    removal = t.final_removal
    if removal is not None and removal.kind == "snapshot":
        reason += " (the removal was found by the harness's read, not seen as a write)"
    return fate, code, reason


def decide(f: Facts, t: Track) -> Decision:
    """Fate of one envelope (see module docstring for the precedence)."""
    p = f.policy
    requeued = f.changed_in_queue(t)
    if requeued is not None:
        return "lost", "altered_in_queue", "the build turned it into another event in its outbox — " + _shown(*requeued)
    row = f.stored_other(t)
    if row is not None:  # the arrival that made it, where the journal shows one; else the row itself
        return _altered_in_transit(f, t) or ("lost", "altered_at_rest", f"the row stored under its id is another event — "
                                             f"ec {row.ec!r}, ea {row.ea!r} (queued {t.labels()[0]!r}, {t.labels()[1]!r})")
    n = f.deliveries(t.id)
    if n:
        return "delivered", "accepted", f"accepted {n} time(s)" if n > 1 else "accepted"
    if t.pending_end:
        return "pending", "queued", f"still queued at the end (attempts={t.last_env.attempts})"
    swapped = _altered_in_transit(f, t)
    if swapped is not None:
        return swapped
    status = f.reject_status(t.id)
    rec = t.dead_reason("rejected") if f.history.deadletter_key is not None else None
    if rec is not None and status is not None:
        kept = "" if rec.has_payload else " (without its payload)"
        return "rejected", "rejected", f"dead-lettered after {status} at {rel(rec.mark.t_page, f.t0)}{kept}"
    if status is not None and t.final_removal is not None and not t.dead:
        if f.history.deadletter_key is None:
            return "rejected", "rejected", f"removed after {status} at {rel(t.final_removal.t_page, f.t0)} (no dead-letter key)"
        idless = idless_at_removal(f, t)  # the record of this refusal, not a stray one before it
        if idless is not None:
            return ("rejected", "rejected", f"removed after {status} at {rel(t.final_removal.t_page, f.t0)}; the build's "
                    f"dead-letter records carry no id (write #{idless.seq}: {idless.parse_error})")
    removal = t.final_removal
    if removal is not None and t.states:
        proof = drop_proof(f, t, removal)
        if proof.past(p.drop_attempts, p.drop_age_ms):
            return "dropped_policy", "ttl", f"ttl: dropped at {rel(removal.t_page, f.t0)} with {proof.shape()}"
    shed = overflow_shed(f, t)
    if shed is not None:
        return "dropped_policy", "overflow", shed
    rec = t.dead_reason("malformed")
    if rec is not None and _malformed(t):
        return "dropped_policy", "malformed", f"malformed envelope dead-lettered at {rel(rec.mark.t_page, f.t0)}"
    return _lost_with_source(f, t)


def _altered_in_transit(f: Facts, t: Track) -> Decision | None:
    """What the endpoint took (stored, or refused for good) under this envelope's id was another
    event: its identity fields differ from every payload the envelope had queued. Neither
    delivers nor rejects it: it is lost, and the reason shows queued against received."""
    for h in f.hits(t.id):
        diffs = f.changed_in_transit(h)
        if not diffs or not (h.entry.processed or f.policy.rejecting(h.entry.status)):
            continue
        return ("lost", "altered_in_transit", f"request #{h.entry.seq} (answered {h.entry.status}) carried its id with "
                f"other content — {_shown(t.payload or {}, h.event.payload, diffs)}")
    return None


def _shown(queued: dict, got: dict, diffs: list[str] | None = None) -> str:
    """Queued against received (or later queued) on the identity fields that differ, four at most."""
    diffs = altered(queued, got) if diffs is None else diffs
    return "; ".join(f"{k}: queued {_field(queued, k)!r}, received {_field(got, k)!r}" for k in diffs[:4])


def _field(p: dict, key: str) -> object:
    if key.startswith("meta."):
        meta = p.get("meta")
        return meta.get(key[5:]) if isinstance(meta, dict) else None
    v = p.get(key)
    return v[:40] + "…" if isinstance(v, str) and len(v) > 40 else v


def decide_intent(f: Facts, s: IntentSubject) -> Decision:
    it = s.intent
    what = f"{it.ec}/{it.ea}" + (f" ({it.el})" if it.el else "")
    n = f.deliveries(s.id)
    if n:
        return "delivered", "accepted", f"{what} arrived without ever being in an outbox; accepted {n} time(s)"
    if s.hits:
        return "lost", "never_enqueued", f"{what} at {rel(it.t_page, f.t0)} was never in an outbox; sent but never accepted"
    return "lost", "never_enqueued", f"{what} at {rel(it.t_page, f.t0)} was never enqueued and never arrived"


def decide_direct(f: Facts, s: DirectSubject) -> Decision:
    n = f.deliveries(s.id)
    if n:
        return "delivered", "direct", f"sent without an outbox while storage was failing; accepted {n} time(s)"
    return "lost", "direct_unaccepted", "sent without an outbox while storage was failing; never accepted"


def assign(f: Facts) -> dict[str, EnvelopeFate]:
    """Fates of every envelope, then of intents no envelope fulfilled, then of direct sends (timelines added later)."""
    out: dict[str, EnvelopeFate] = {}
    rows = f.m.rows
    for t in sorted(f.tracks.values(), key=lambda t: t.order):
        fate, code, reason = decide(f, t)
        n = f.deliveries(t.id)
        ec, ea, el = t.labels()
        removal = t.final_removal
        out[t.id] = EnvelopeFate(
            t.id, t.context, fate, reason, n, max(0, n - 1), None if rows is None else rows.get(t.id, 0),
            ec, ea, el, t.first_seen.t_page, removal.t_page if removal else None, [], code, "envelope", f.browser_copies(t.id))
    for g in twins(f.tracks, out, f.m.intent_of):  # one cause delivered under several ids: the extra ones are duplicates
        for sid in [i for i in g.ids if i not in f.m.intent_of][:g.surplus]:
            out[sid].duplicates += 1
    for s in f.m.intents.values():
        fate, code, reason = decide_intent(f, s)
        n = f.deliveries(s.id)
        out[s.id] = EnvelopeFate(
            s.id, s.intent.context, fate, reason, n, max(0, n - 1), None if rows is None else rows.get(s.id, 0),
            s.intent.ec, s.intent.ea, s.intent.el, s.intent.t_page, None, [], code, "intent", f.browser_copies(s.id))
    for d in f.m.direct.values():
        fate, code, reason = decide_direct(f, d)
        n = f.deliveries(d.id)
        ec, ea, el = labels(d.hits[0].event.payload)
        out[d.id] = EnvelopeFate(
            d.id, d.context, fate, reason, n, max(0, n - 1), None if rows is None else rows.get(d.id, 0),
            ec, ea, el, f.wall_to_page(d.hits[0].entry.t_wall, d.hits[0].entry.context), None, [], code, "direct", f.browser_copies(d.id))
    return out
