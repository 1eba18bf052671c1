"""Page-side clock stepping: run one page's fake clock directly, alone or timer by timer in bulk.

Playwright's ``context.clock.run_for`` adds an init script per call (so new documents can replay
the clock) and evaluates in every frame: a day-long run of thousands of steps grows thousands of
init scripts. The harness instead drives each page's clock controller (``__pwClock``, the same
private object ``PROBE_JS`` reads; Playwright is pinned) and, once per ``advance``, logs the time
reached for documents that open later (``log_time``).

``RUN_BULK_JS`` runs one page's timers back to back inside the page: after each timer it lets the
work that timer started finish (real time, a short budget) before it fires the next, so page time
never moves while a request is open. It returns to Python when it reaches the target, right after
the instant a request started (fetch, beacon or XHR: the harness clock settles it, held or not — so
the cost of a run follows its network exchanges, not its timers, and ``journal_catch_up`` gives
requests that ended meanwhile their page time), when lock work stays open past the budget, after a
real-time slice (progress), or when the page wrote a watched key without the instrumentation's time
stamp (the observer would stamp it late; the harness falls back to stepping).

While it runs, the page arbitrates its own Web Locks (``localLocks`` in instrument.js): it is the
only page of its context with work, so no grant needs a round trip to the browser process (two per
timer were most of a retry storm's cost); the real locks stay held for other pages meanwhile.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from playwright.async_api import Page

from harness.history.pagecall import PROBE_READ_JS, call_page, check_moves, require, returning_json

if TYPE_CHECKING:
    from server_stub.journal import Journal

# The clock runs read the instrumentation's captured builtins, ``own`` their promises and return
# ``bare`` answers (pagecall.BUILTINS_JS), find timers through the captured Map.prototype.forEach and
# read a closing probe as ``ContextSession.probe_detail`` does (``probeRead``: pagecall.PROBE_READ_JS).

# Fire every timer due at the first due instant up to ``ticks``, in Playwright's order, each in its
# own task: like ``runFor``, but one scan of the timer list per instant rather than per timer,
# which is what keeps a build with a thousand parallel timer chains cheap.
FIRE_INSTANT_JS = PROBE_READ_JS + """
const byOrder = (a, b) =>
  ((a.type === "Immediate") === (b.type === "Immediate") ? 0 : (a.type === "Immediate" ? -1 : 1))
  || (a.createdAt - b.createdAt) || (a.id - b.id);
// The controller's changes of page time (instrument.js ``__tankClockMoves``) and those this run made
// itself: any other was made by the page (``check_moves``).
const clockMoves = () => { const m = window.__tankClockMoves; return m ? m[1] : 0; };
let ownMoves = 0;
const advance = (c, to) => { const m = clockMoves(); c._advanceNow(to); ownMoves += clockMoves() - m; };
const moved = (m0) => { const m = window.__tankClockMoves; return m ? [m[0], m0, m[1], ownMoves, m[2], m[3]] : null; };
// A thrown value as "Name: message", or its stack. The value is the build's: a getter or a
// toString of it may throw (with any words, such as a navigation's), which must not end the run.
const describe = (e, stack) => {
  try { return stack ? String(e && e.stack || "") : e && e.name ? e.name + ": " + e.message : String(e); }
  catch (_) { return stack ? "" : "a thrown value whose name, message or text threw when read"; }
};
const fireInstant = async (c, ticks, errors) => {
  const first = firstTimer(c, ticks, B);
  if (!first) return 0;
  const at = first.callAt, due = [];
  B.apply(B.mapForEach, c._timers, [(t) => { if (t.callAt === at) B.put(due, due.length, t); }]);  // no iterator a build could patch
  B.apply(B.sort, due, [byOrder]);
  advance(c, at);
  let fired = 0;
  for (let i = 0; i < due.length; i++) {
    const timer = due[i];
    if (B.apply(B.mapGet, c._timers, [timer.id]) !== timer || timer.callAt !== at) continue;  // cleared by an earlier one
    if (timer.type === "Interval") timer.callAt += timer.delay; else B.apply(B.mapDelete, c._timers, [timer.id]);
    c._duringTick = true;
    try {
      if (typeof timer.func === "function") {
        B.apply(timer.func, null, timer.type === "AnimationFrame" ? [c._now.ticks]
          : timer.type === "IdleCallback" ? [{ didTimeout: false, timeRemaining: () => 0 }] : timer.args);
      } else { window.eval(timer.func); }
    } catch (e) {
      B.put(errors, errors.length, [c._now.time, describe(e, false), describe(e, true)]);
    } finally { c._duringTick = false; }
    fired++;
    await own(new B.Promise((f) => c._embedder.postTask(f)));  // a task per timer, as in a browser
  }
  return fired;
};
"""

# Fire due timers up to page time ``to`` (ms since epoch); report errors of timers that threw.
RUN_TO_JS = """async (to) => {
  if (typeof to !== "number") throw new TypeError("the harness's argument arrived as " + typeof to);  // Playwright's parsing broken
  """ + FIRE_INSTANT_JS + """
  const c = clockOf();
  if (!c) return null;
  c._replayLogOnce();
  const m0 = clockMoves();
  const ticks = c._now.ticks + (to - c._now.time);
  const errors = [];
  let fired = 0, n;
  while ((n = await own(fireInstant(c, ticks, errors))) > 0) fired += n;
  advance(c, ticks);
  // What a probe right after would read (the last timer's task has ended): the clock skips that
  // round trip for a page left with nothing open (``PageRun.probe``).
  return bare({ t: c._now.time, fired, errors, why: "done", probe: probeRead(c), moves: moved(m0) });
}"""

RUN_BULK_JS = """async (arg) => {
  """ + FIRE_INSTANT_JS + """
  const c = clockOf();
  if (!c) return null;
  // The arguments by index: a destructuring would walk the page's array iterator.
  const to = arg[0], budgetMs = arg[1], sliceMs = arg[2], keys = arg[3], localLocks = arg[4];
  c._replayLogOnce();
  const m0 = clockMoves();
  const real = () => c._embedder.performanceNow();
  // A task boundary: a MessageChannel task (Playwright's own between timers), not a 1 ms timer,
  // which a loaded machine stretches to several ms — once per instant, it was a third of a storm's cost.
  const task = () => new B.Promise((r) => c._embedder.postTask(r));
  const busy = () => (window.__tankInflight || 0) + (window.__tankLocks || 0);
  const read = () => {
    const out = [];
    for (let i = 0; i < keys.length; i++) {
      let v = null;
      try { v = B.apply(B.getItem, localStorage, [keys[i]]); } catch (e) { /* private mode */ }
      B.put(out, out.length, v);
    }
    return out;
  };
  const changed = (now) => { for (let i = 0; i < now.length; i++) if (now[i] !== last[i]) return true; return false; };
  const ticks = c._now.ticks + (to - c._now.time);
  const begin = real(), errors = [];
  let fired = 0, last = read(), stamps = window.__tankStamps || 0, sends = window.__tankSends || 0;
  // The page arbitrates its own Web Locks while it runs alone (instrument.js localLocks); every
  // return hands the real ones back (a document that goes away releases them with it).
  const locks = localLocks && typeof window.__tankLocalLocks === "function" ? window.__tankLocalLocks : () => false;
  // Wait (real time, up to the budget) until no work is open; then a task boundary before the clock
  // moves: idle resolves in the instrumentation's own reaction to the settled send, and the build's
  // reactions (a .then chain that reads Date.now() to schedule its retry) are later microtasks;
  // firing timers first would run them at a later page time. Repeat while that reaction opened more.
  const sent = () => (window.__tankSends || 0) !== sends;
  const settle = async () => {
    const start = real();
    while (busy() > 0 && !sent()) {
      const left = budgetMs - (real() - start);
      if (left <= 0) return false;
      let cancel;
      const timeout = new B.Promise((r) => { cancel = c._embedder.setTimeout(r, Math.max(1, left)); });
      const idle = typeof window.__tankIdle === "function" ? window.__tankIdle()
        : new B.Promise((r) => c._embedder.setTimeout(r, 1));  // no instrumentation: poll
      await own(new B.Promise((r) => { B.apply(B.then, idle, [r, r]); B.apply(B.then, timeout, [r, r]); }));
      cancel();
      await own(task());
    }
    return true;
  };
  const body = async () => {
    while (true) {
      if (busy() > 0 && !(await own(settle()))) return "held";
      if (sent()) return "request";  // page time stops where a request starts: the harness clock takes it
      const now = read();
      if (stamps === (window.__tankStamps || 0) && changed(now)) return "unstamped";
      last = now; stamps = window.__tankStamps || 0;
      if (real() - begin > sliceMs) return "slice";
      locks("firing");
      const n = await own(fireInstant(c, ticks, errors));
      locks("fired");
      if (!n) break;
      fired += n;
    }
    advance(c, ticks);
    return "done";
  };
  let why;
  locks(true);
  // Whatever ends the run (a return, or a throw from a builtin the build patched) hands the locks back.
  try { why = await own(body()); } finally { locks(false); }
  // What a probe right after would read, the locks handed back (as ``RUN_TO_JS`` reads it): the
  // clock needs no run to this time when no timer is due by it (``PageRun.due_after``).
  return bare({ t: c._now.time, fired, errors, why, probe: probeRead(c), moves: moved(m0) });
}"""


# What the harness evaluates: the same functions, returning JSON text (harness/history/pagecall.py).
RUN_TO_CALL = returning_json(RUN_TO_JS, is_async=True)
RUN_BULK_CALL = returning_json(RUN_BULK_JS, is_async=True)
RUN_KEYS = ("t", "fired", "errors")


@dataclass
class PageRun:
    """What one page's clock did: where it stopped, timers fired, why it returned, timer errors."""

    t: int
    fired: int = 0
    why: str = "done"
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    # (sends in flight, Web Locks pending, next due timer, lock grants on their way) read at the
    # end of a ``run_to``, as a probe of the page would read them then; None when not read.
    probe: tuple[int, int, int | None, int] | None = None

    @property
    def idle(self) -> bool:
        """The run left nothing open in the page (no send, lock or lock grant): known without a probe."""
        return self.probe is not None and self.probe[0] + self.probe[1] + self.probe[3] == 0

    @property
    def due_after(self) -> bool:
        """The run left no timer due at the time it reached, and no Web Lock pending or on its way:
        a run of the page to that time would fire nothing (only a request's answer may run page code
        before it, in real time)."""
        return (self.probe is not None and self.probe[1] + self.probe[3] == 0
                and (self.probe[2] is None or self.probe[2] > self.t))


async def run_to(page: Page, to: int) -> PageRun | None:
    """Fire the page's timers due up to ``to``; None when the page is gone or has no readable clock."""
    ok, r = await call_page(page, RUN_TO_CALL, to, "the page clock's run")
    if not ok or r is None:  # navigating, closing or crashed: its new document replays the log
        return None
    require(r, "the page clock's run", RUN_KEYS)
    check_moves(page, r.get("moves"), "the page clock's run")
    return PageRun(int(r["t"]), int(r["fired"]), "done", [tuple(e) for e in r["errors"]],  # type: ignore[misc]
                   _probe(r.get("probe")))


def _probe(raw: Any) -> tuple[int, int, int | None, int] | None:
    """A run's closing probe as ``ContextSession.probe_detail`` sums one tab: a grant is on its way
    for a lock name waited for that the tab does not hold. None when it is not that shape."""
    if not (isinstance(raw, list) and len(raw) == 5 and isinstance(raw[3], dict) and isinstance(raw[4], dict)):
        return None
    inflight, locks, due, waits, held = raw
    granting = sum(int(n) for name, n in waits.items() if name not in held)
    return int(inflight), int(locks), (None if due is None else int(due)), granting


async def run_bulk(page: Page, to: int, keys: list[str], budget_ms: float = 30.0,
                   slice_ms: float = 1000.0, local_locks: bool = True) -> PageRun | None:
    """Run the page's timers in bulk up to ``to`` (see the module docstring); ``local_locks``: the
    page arbitrates its own Web Locks meanwhile (False: every grant goes through the browser)."""
    ok, r = await call_page(page, RUN_BULK_CALL, [to, budget_ms, slice_ms, keys, local_locks], "the page clock's bulk run")
    if not ok or r is None:
        return None
    require(r, "the page clock's bulk run", (*RUN_KEYS, "why"))
    check_moves(page, r.get("moves"), "the page clock's bulk run")
    return PageRun(int(r["t"]), int(r["fired"]), str(r["why"]), [tuple(e) for e in r["errors"]],
                   _probe(r.get("probe")))


def log_script(now_ms: int) -> str:
    """An init script that puts documents opened later at page time ``now_ms`` (paused)."""
    return (f"window.__pwClock && window.__pwClock.controller.log('pauseAt', {int(time.time() * 1000)}, "
            f"{int(now_ms)});")


def journal_catch_up(journal: "Journal", context: str) -> Callable[[int | None], None]:
    """Before a bulk run of ``context``: a function to call when it returns, with the page time it
    returned at when it stopped for a request (else None), that gives the requests it ended the page
    time they were made at. The stub journals a request's end with the harness clock's ``now``, which
    lags the page until the run returns; a run returns right after the instant a request started
    (page time stands still while it is open), so that instant is the time of every request it
    ended. The journal file's lines of requests ending meanwhile wait for the correction."""
    mark = journal.received
    journal.hold()

    def caught_up(t: int | None) -> None:
        if t is not None:
            for e in journal.since(mark):
                if e.context == context and e.t_done is not None:
                    journal.update(e.seq, t_page_done=max(t, e.t_page or 0))
        journal.release()
    return caught_up
