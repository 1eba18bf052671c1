"""Page time against wall time: what a run costs, measured in one run (figures, never asserted).

Four parts (breakdown only when asked), each printed with its figures and ratios:

1. matrix — every bundled scenario (memory ingest) against the reference build with ``--workers N``
   (default: the CLI's default), then the same with one worker: wall seconds, simulated page
   hours, page hours per wall second, and the speed-up of N workers over one.
   Issue target: under 30 s on an idle 2-core machine.
2. storm — the 26-hour outage (scenarios/outage_26h_overflow.yaml) with the retry-storm mutant (a
   5 s timer chain per failure and per enqueue) and with the reference: wall seconds, clock stops,
   timers fired. Targets: storm under 60 s, reference under 5 s.

Every figure is printed with the load average when it was taken, and with the CPU seconds of the
harness and its browsers (every descendant process, live or exited, by a /proc walk: cpu_s): on a shared
machine wall time follows the load, CPU time much less.
3. soak — 100 faker visitors under a random fault schedule (bench/soak_100_visitors.yaml, not in the bundled set):
   visitors, events with a fate, page hours per wall second, peak memory (PSS, read when the
   tree's summed RSS sets a new high: PeakMemory) of the harness and its child processes. Target: under 60 s. ``--visitors N`` (repeatable)
   overrides the visitor count and prints CPU-s per visitor, and per added visitor between counts.
   The arrivals (page time stands still while every visitor opens and clicks) are printed apart:
   their wall and CPU by process kind, and the wall of the rest (clock stops, settles, closing).
   After them, each advance on a line of its own (``AdvanceLog``: clock mode, wall, CPU by kind,
   stops, evaluations, why settles ended; with contexts apart when each context reached the
   target, and the last ones), every advance summed per visitor (compare with ``--visitors 1``: a
   lone visitor), and the flushes, final read, closing and judging.
4. breakdown — every matrix scenario alone, one after another in one world: its wall against the
   CPU of the whole process tree, and the wall spent inside the clock's waits (settle, quiet), page
   calls (bulk runs, steps, probes), context opening and closing, stub start and stop. Wall beyond
   CPU is time nothing computed: a real-time wait (or the machine's other load). Then the fixed
   cost: the CPU of the whole tree inside what every scenario pays whatever its network does
   (opening its contexts and tabs, closing them, the stub's start and stop, judging), per scenario
   and as a share of the matrix's CPU (a /proc walk before and after each such call; other work
   running meanwhile — a renderer still busy — counts in it).

    .venv/bin/python bench/pagetime.py [--part matrix|storm|soak|breakdown ...] [--workers N] [--no-serial]
                                       [--visitors N ...] [--parallel N] [--chromium-arg FLAG ...] [--json]

``--json`` adds, after each printed figure line, one machine-readable line ``FIGURES {json}`` (part,
label, and the figures by name) for tools that compare runs (bench/ab.py) instead of reading prose.

(From another checkout: ``PYTHONPATH=. python bench/pagetime.py``, or the installed harness is measured.)
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import ctypes
import dataclasses
import inspect
import json
import os
import resource
import threading
import time
from pathlib import Path

from harness.builds import load_build
from harness.contract.adapter import Adapter
from harness.contract.errors import UsageProblem
from harness.driver import visitors as visitors_mod
from harness.run import scenario as scenario_mod
from harness.run import suite as suite_mod
from harness.run.pool import default_workers
from harness.run.scenario import run_scenario
from harness.run.suite import run_suite, select
from harness.scenario import load_scenario, load_scenarios
from harness.world import browser
from harness.world.world import World, WorldOptions

ROOT = Path(__file__).resolve().parent.parent
HOUR_MS = 3_600_000
SOAK_BUDGET_S = 1800.0


def tree_stats(root: int) -> dict[int, list[str]]:
    """/proc/PID/stat fields (after the command name) of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry)] = fields
        children.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = {}, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        if pid in stats:
            tree[pid] = stats[pid]
    return tree


def tree_pss_mb(root: int) -> float:
    """Proportional memory (PSS, /proc/PID/smaps_rollup) of a process and all its descendants, in
    MiB: pages the ~300 Chromium processes share are counted once in all, not once per process
    (summed RSS counted them hundreds of times)."""
    total_kb = 0
    for pid in tree_stats(root):
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                total_kb += next((int(line.split()[1]) for line in fh if line.startswith("Pss:")), 0)
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return total_kb / 1024


def adopt_orphans() -> None:
    """Make this process the reaper of its orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``).

    Chromium's browser process does not wait for its zygotes: when it exits they (and with them
    the CPU of every renderer they reaped) went to init, out of every figure here. Adopted, an
    exited one stays a zombie child of this process until the bench ends, and a zombie's
    /proc/PID/stat keeps its times: ``tree_cpu_s`` still counts it. Elsewhere: a no-op."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def cpu_s() -> float:
    """CPU seconds used so far by this process and every descendant, live or exited (the harness,
    the Playwright driver, Chromium's browser, renderers and utility processes, PostgreSQL): the
    /proc walk of ``tree_cpu_s``. A process that exited counts through its reaper's cutime/cstime
    or, orphaned, as a zombie child of this process (``adopt_orphans``, called by ``main``). A cost
    figure the machine's load does not inflate much, unlike wall time. (``RUSAGE_CHILDREN`` missed
    the renderers: 2.4x less than this for the 26 h reference run.)"""
    return sum(tree_cpu_s().values())


def own_cpu_s() -> float:
    """CPU seconds of this process alone: the harness (Python), without the driver and browsers."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


_KINDS: dict[tuple[int, str], str] = {}  # (pid, start time) -> kind, kept from its life: a zombie's cmdline reads empty


def _kind(pid: int, started: str, root: int) -> str:
    if pid == root:
        return "harness"
    if (pid, started) in _KINDS:
        return _KINDS[pid, started]
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmd = fh.read()
    except OSError:
        cmd = b""
    kind = ("driver" if b"run-driver" in cmd
            else "renderers" if b"--type=renderer" in cmd or b"--type=zygote" in cmd
            else "browser" if b"--type=" not in cmd and b"chrom" in cmd else "other")
    if cmd:
        _KINDS[pid, started] = kind
    return kind


def tree_cpu_s(root: int | None = None) -> dict[str, float]:
    """CPU seconds of a process tree by kind — the harness (Python), the Playwright driver
    (node), Chromium's browser processes, its renderers (their zygote, which reaps them, carries
    the finished ones), the rest (network service, reaper, PostgreSQL) — with what each one's
    reaped children used, zombies included. It moves while the world is open, so a scenario's
    share can be read while the browsers still run (a process that ends between two readings
    moves its CPU to its reaper's kind)."""
    root = root or os.getpid()
    kinds: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for pid, fields in tree_stats(root).items():
        kind = _kind(pid, fields[19], root)  # field 22 of stat: start time
        kinds[kind] = kinds.get(kind, 0.0) + sum(int(f) for f in fields[11:15]) / tick  # utime, stime, cutime, cstime
    return kinds


class WallIn:
    """Wall seconds spent inside chosen functions, per scenario (serial runs only: with one scenario
    at a time the figures are that scenario's), and for the labels wrapped with ``cpu=True`` the CPU
    seconds the whole process tree used meanwhile (``tree_cpu_s``: a scenario's set-up and tear-down,
    whose cost does not follow the network). Inclusive: a settle inside an advance counts in both."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._undo: list[tuple[object, str, object]] = []

    def _add(self, label: str, t0: float, c0: float | None) -> None:
        self.spent[label] = self.spent.get(label, 0.0) + time.monotonic() - t0
        if c0 is not None:
            self.cpu[label] = self.cpu.get(label, 0.0) + sum(tree_cpu_s().values()) - c0

    def wrap(self, owner: object, attr: str, label: str, cpu: bool = False) -> None:
        original = getattr(owner, attr)
        now = (lambda: sum(tree_cpu_s().values())) if cpu else (lambda: None)

        if inspect.iscoroutinefunction(original):
            async def timed(*args: object, **kwargs: object) -> object:
                t0, c0 = time.monotonic(), now()
                try:
                    return await original(*args, **kwargs)
                finally:
                    self._add(label, t0, c0)
        else:
            def timed(*args: object, **kwargs: object) -> object:  # type: ignore[misc]
                t0, c0 = time.monotonic(), now()
                try:
                    return original(*args, **kwargs)
                finally:
                    self._add(label, t0, c0)

        setattr(owner, attr, timed)
        self._undo.append((owner, attr, original))

    def take_cpu(self) -> dict[str, float]:
        out, self.cpu = self.cpu, {}
        return out

    def take(self) -> dict[str, float]:
        out, self.spent = self.spent, {}
        return out

    def undo(self) -> None:
        for owner, attr, original in reversed(self._undo):
            setattr(owner, attr, original)


# A page call the harness makes over a tab's own CDP session (harness/history/tabcall.py, the
# tamper check and the report drain): counted as a page evaluation, like Playwright's.
CDP_PAGE_CALLS = frozenset({"Runtime.callFunctionOn", "Runtime.evaluate"})
WATCHDOG_PING = "1"  # what harness/run/watchdog.py evaluates in a page it has not heard from


class Messages:
    """Messages the harness sends to the Playwright driver, by method (``Frame.evaluateExpression``
    is a page evaluation: clock runs, probes, flushes), counted while the block runs. Counts move
    with what a change does, not with the machine's load."""

    def __enter__(self) -> "Messages":
        from playwright._impl.connection import Connection  # the one door every call goes through

        self.counts: dict[str, int] = {}
        self.evals_by_context: dict[str | None, int] = {}  # page evaluations by the context whose clock asked (AdvanceLog)
        self.pings = 0  # the watchdog's "is this page still answering?" evaluations (among the evaluations)
        self.cdp_calls = 0  # page calls over a tab's own CDP session (harness/history/tabcall.py), since the last take
        self._owner, self._send = Connection, Connection.send_message_to_server

        def counted(conn: object, obj: object, method: str, *args: object, **kwargs: object) -> object:
            key = f"{type(obj).__name__}.{method}"
            self.counts[key] = self.counts.get(key, 0) + 1
            params = args[0] if args and isinstance(args[0], dict) else {}
            if method == "send" and params.get("method") in CDP_PAGE_CALLS:  # a page call over a tab's CDP session
                self.cdp_calls += 1
                ctx = CLOCK_CONTEXT.get()
                self.evals_by_context[ctx] = self.evals_by_context.get(ctx, 0) + 1
            if method == "evaluateExpression":
                ctx = CLOCK_CONTEXT.get()
                self.evals_by_context[ctx] = self.evals_by_context.get(ctx, 0) + 1
                if params.get("expression") == WATCHDOG_PING:
                    self.pings += 1
            return self._send(conn, obj, method, *args, **kwargs)

        Connection.send_message_to_server = counted  # type: ignore[method-assign,assignment]
        return self

    def take(self) -> tuple[int, int]:
        """(messages, page evaluations) since the last take: Playwright's evaluations and the page
        calls over a tab's own CDP session alike."""
        out = (sum(self.counts.values()), self.counts.get("Frame.evaluateExpression", 0) + self.cdp_calls)
        self.counts, self.cdp_calls = {}, 0
        return out

    def __exit__(self, *exc: object) -> None:
        self._owner.send_message_to_server = self._send  # type: ignore[method-assign]


CLOCK_CONTEXT: contextvars.ContextVar[str | None] = contextvars.ContextVar("clock_context", default=None)


def _settles(clock: object) -> tuple[dict[str, int], dict[str, float]]:
    """A clock's settles so far by why they ended, and the real seconds each reason took (an older
    harness counts none)."""
    return dict(getattr(clock, "settle_ends", {})), dict(getattr(clock, "settle_wall", {}))


def _ends(ends: dict[str, int], walls: dict[str, float]) -> str:
    """Settles by why they ended, with the real seconds they took, most frequent first."""
    return " ".join(f"{why} {n} ({walls.get(why, 0.0):.1f} s)" for why, n in sorted(ends.items(), key=lambda kv: -kv[1]))


class AdvanceLog:
    """Where a soak's time goes after the visitors arrive, advance by advance (printed by ``soak``).

    For each ``advance`` of the run's clock: how it ran (``clock_modes``: apart, or why in lockstep),
    wall, CPU by process kind, clock stops, timers, page evaluations, and why its settles ended
    with the real seconds each reason took (``VirtualClock.settle_ends``). With contexts apart the
    advance lasts as long as its slowest context: when each context's clock reached the target
    (seconds from the advance's start: median, 90th percentile, last) and, for the last ones, their
    stops, evaluations, bulk runs (by why each returned) and settles. Then the phases after the last
    advance (final read, closing the contexts, judging) and the flushes of every context before each
    step's op (in the final read too). Page evaluations are attributed to a
    context through a context variable set in its clock's task (``Messages.evals_by_context``)."""

    LAGGARDS = 3

    def __init__(self, messages: Messages) -> None:
        self.messages = messages
        self.rows: list[str] = []
        self.advances = 0
        self.total = {"wall": 0.0, "cpu": 0.0, "stops": 0, "evaluations": 0, "pings": 0}  # over every advance
        self.kinds: dict[str, float] = {}  # CPU-s by process kind over every advance
        self.phases: dict[str, float] = {}
        self._undo: list[tuple[object, str, object]] = []

    def _patch(self, owner: object, attr: str, new: object) -> None:
        self._undo.append((owner, attr, getattr(owner, attr)))
        setattr(owner, attr, new)

    def __enter__(self) -> "AdvanceLog":
        from harness.nemesis import places as places_mod
        from harness.run import clock as clock_mod
        from harness.run import pagetime as pagetime_mod

        vc = clock_mod.VirtualClock
        advance, run_until, run_bulk, held = vc.advance, vc._run_until, pagetime_mod.run_bulk, places_mod.held
        log = self
        self.asked = [0, 0.0]  # the fault places asked what they hold: times, harness CPU seconds inside
        self._current: dict[str, dict] = {}  # context -> its figures in the advance running now
        self._start = 0.0

        async def logged_advance(clock, ms: int, mode: str = "run") -> None:  # type: ignore[no-untyped-def]
            if clock.parent is not None:
                return await advance(clock, ms, mode)
            log._current, log._start = {}, time.monotonic()
            modes0, steps0, timers0 = dict(clock.modes), clock.steps, clock.timers
            ends0, walls0 = _settles(clock)
            c0, evals0 = tree_cpu_s(), dict(log.messages.evals_by_context)
            asked0, pings0 = list(log.asked), log.messages.pings
            try:
                return await advance(clock, ms, mode)
            finally:
                wall = time.monotonic() - log._start
                cpu = {k: v - c0.get(k, 0.0) for k, v in tree_cpu_s().items()}
                evals = sum(log.messages.evals_by_context.values()) - sum(evals0.values())
                mode_now = [k for k, n in clock.modes.items() if n != modes0.get(k, 0)]
                ends1, walls1 = _settles(clock)
                ends = {k: n - ends0.get(k, 0) for k, n in ends1.items() if n != ends0.get(k, 0)}
                walls = {k: v - walls0.get(k, 0.0) for k, v in walls1.items()}
                log.advances += 1
                for kind, c in cpu.items():
                    log.kinds[kind] = log.kinds.get(kind, 0.0) + c
                for key, value in (("wall", wall), ("cpu", sum(cpu.values())), ("stops", clock.steps - steps0),
                                   ("evaluations", evals), ("pings", log.messages.pings - pings0)):
                    log.total[key] += value
                log.rows.append(
                    f"advance {log.advances} (+{ms / 1000:g} s, {', '.join(mode_now) or 'one context'}): "
                    f"wall {wall:.1f} s  cpu {sum(cpu.values()):.1f} s ("
                    + " ".join(f"{k} {c:.1f}" for k, c in sorted(cpu.items(), key=lambda kc: -kc[1]))
                    + f")  stops {clock.steps - steps0}  timers {clock.timers - timers0}  page evaluations {evals}  "
                    f"(watchdog pings {log.messages.pings - pings0})  "
                    f"fault places asked {log.asked[0] - asked0[0]} times ({log.asked[1] - asked0[1]:.1f} cpu-s)"
                    + (f"  settles: {_ends(ends, walls)}" if ends else ""))
                log.rows.extend(log._contexts(wall))

        async def logged_run_until(clock, target: int) -> None:  # type: ignore[no-untyped-def]
            if clock.parent is None:
                return await run_until(clock, target)
            name = clock.sessions()[0].name
            CLOCK_CONTEXT.set(name)
            e0 = log.messages.evals_by_context.get(name, 0)
            mine = log._current.setdefault(name, {"bulk": {}})
            try:
                return await run_until(clock, target)
            finally:
                mine.update(done=time.monotonic() - log._start, stops=clock.steps, timers=clock.timers,
                            evals=log.messages.evals_by_context.get(name, 0) - e0, ends=_ends(*_settles(clock)))

        async def logged_bulk(page, *args, **kwargs):  # type: ignore[no-untyped-def]
            run = await run_bulk(page, *args, **kwargs)
            name = CLOCK_CONTEXT.get()
            if name is not None and run is not None:
                why = log._current.setdefault(name, {"bulk": {}})["bulk"]
                why[run.why] = why.get(run.why, 0) + 1
            return run

        def counted_held(*args, **kwargs):  # type: ignore[no-untyped-def]
            t0 = time.thread_time()
            try:
                return held(*args, **kwargs)
            finally:
                log.asked[0] += 1
                log.asked[1] += time.thread_time() - t0

        self._patch(places_mod, "held", counted_held)
        self._patch(vc, "advance", logged_advance)
        self._patch(vc, "_run_until", logged_run_until)
        self._patch(pagetime_mod, "run_bulk", logged_bulk)
        from harness.run import state as state_mod

        for owner, label, attr in [(state_mod.ScenarioRun, "flushes of every context", "flush"),
                                   (scenario_mod, "final read", "_final_read"),
                                   (scenario_mod, "close contexts", "_close_sessions"),
                                   (scenario_mod, "judge", "judge_history")]:
            self._patch(owner, attr, self._timed(label, getattr(owner, attr)))
        return self

    def _timed(self, label: str, original):  # type: ignore[no-untyped-def]
        def add(t0: float) -> None:
            self.phases[label] = self.phases.get(label, 0.0) + time.monotonic() - t0

        if asyncio.iscoroutinefunction(original):
            async def timed_async(*args, **kwargs):  # type: ignore[no-untyped-def]
                t0 = time.monotonic()
                try:
                    return await original(*args, **kwargs)
                finally:
                    add(t0)
            return timed_async

        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            t0 = time.monotonic()
            try:
                return original(*args, **kwargs)
            finally:
                add(t0)
        return timed

    def _contexts(self, wall: float) -> list[str]:
        """The contexts of an advance run apart: when each reached the target, and the last ones."""
        done = sorted(((c["done"], name, c) for name, c in self._current.items() if "done" in c), key=lambda d: d[0])
        if not done:
            return []
        times = [d[0] for d in done]
        rows = [f"  {len(done)} contexts apart reached the target at (s from the advance's start) median "
                f"{times[len(times) // 2]:.1f}, 90% {times[int(len(times) * 0.9)]:.1f}, last {times[-1]:.1f}"
                f" (advance ended {wall:.1f}); stops per context median {sorted(d[2]['stops'] for d in done)[len(done) // 2]}, "
                f"evaluations per context median {sorted(d[2]['evals'] for d in done)[len(done) // 2]}"]
        for t, name, c in done[-self.LAGGARDS:][::-1]:
            bulk = " ".join(f"{k} {n}" for k, n in sorted(c["bulk"].items()))
            rows.append(f"  last: {name} at {t:.1f} s  stops {c['stops']}  timers {c['timers']}  "
                        f"evaluations {c['evals']}  bulk runs ({bulk or 'none'})  settles: {c['ends'] or 'none'}")
        return rows

    def __exit__(self, *exc: object) -> None:
        for owner, attr, original in reversed(self._undo):
            setattr(owner, attr, original)


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


FIGURES_PREFIX = "FIGURES "
EMIT_JSON = False  # --json


def fate_counts(verdict: object) -> dict[str, int]:
    """A verdict's count of each fate (``fate_delivered``, ``fate_duplicated``…), zeros included."""
    return {f"fate_{k}": n for k, n in verdict.counts.items()}  # type: ignore[attr-defined]


def figures(part: str, label: str, **values: float | int | str | None) -> None:
    """With ``--json``: one ``FIGURES {json}`` line with a run's figures by name (bench/ab.py reads it)."""
    if EMIT_JSON:
        print(FIGURES_PREFIX + json.dumps({"part": part, "label": label, **values}, sort_keys=True), flush=True)


class PeakMemory:
    """The process tree's peak PSS (the harness, the Playwright driver, the browsers, PostgreSQL if
    any), watched from a thread while the block runs.

    Every 0.5 s the thread sums the tree's RSS from the /proc/PID/stat lines it reads anyway (no
    extra file); PSS (/proc/PID/smaps_rollup, a walk of every page table of ~100-300 Chromium
    processes, ~60 ms of CPU per read at 20 visitors) is read only when that sum sets a new high
    ``RISE`` above the sum at the last PSS read, or a new high ``EVERY_S`` after it. The printed peak
    is the highest of those reads: PSS at the moments the tree's memory was highest, up to a 10% rise
    or 10 s of growth it may have missed. Reading PSS twice a second cost the harness 3.0 of 40 CPU-s
    at 20 visitors (``cpu``: the thread's own CPU, printed beside the peak)."""

    TICK_S = 0.5
    RISE = 1.10
    EVERY_S = 10.0

    def __enter__(self) -> "PeakMemory":
        self.peak = 0.0
        self.reads = 0
        self.cpu = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        self._clock = time.pthread_getcpuclockid(self._thread.ident)  # type: ignore[arg-type]
        return self

    def cpu_now(self) -> float:
        """The sampler thread's CPU so far (it runs in the harness's process: a figure of the
        harness's CPU over part of a run leaves it out with this)."""
        try:
            return time.clock_gettime(self._clock)
        except OSError:  # the thread has ended
            return self.cpu

    def _sample(self) -> None:
        # The sampler measures the run, it is not part of it: at the lowest priority its /proc walks
        # (6-7 CPU-s at 100 visitors) take what the run leaves instead of ~3 s of its wall on 2 cores.
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        high = at_read = 0  # summed RSS (pages): highest seen, and when PSS was last read
        read_t = 0.0
        while not self._stop.is_set():
            rss = sum(int(fields[21]) for fields in tree_stats(os.getpid()).values())
            now = time.monotonic()
            if rss > high and (rss > at_read * self.RISE or now - read_t >= self.EVERY_S):
                self.peak = max(self.peak, tree_pss_mb(os.getpid()))
                self.reads += 1
                at_read, read_t = rss, now
            high = max(high, rss)
            self._stop.wait(self.TICK_S)
        self.cpu = time.thread_time()  # this thread's own CPU (with the kernel's smaps walks): counted as harness

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def matrix(workers: int, serial: bool) -> None:
    scenarios = select(load_scenarios([ROOT / "scenarios"]), [], [], "memory")
    scenarios = [s for s in scenarios if "soak" not in s.tags]
    walls = {}
    started: dict[str, float] = {}
    original = suite_mod.run_scenario_or_error

    async def noted(world: World, scenario, *args, **kwargs):  # type: ignore[no-untyped-def]
        started[scenario.name] = time.monotonic()  # when its worker took it: the tail is read from it
        return await original(world, scenario, *args, **kwargs)

    suite_mod.run_scenario_or_error = noted  # type: ignore[assignment]
    for n in ([workers, 1] if serial and workers != 1 else [workers]):
        t0, c0, h0 = time.monotonic(), cpu_s(), own_cpu_s()
        report, results = await run_suite(load_build("reference"), scenarios, Adapter(), WorldOptions(ingest="memory"),
                                          workers=n)
        walls[n] = time.monotonic() - t0
        cpu, harness_cpu = cpu_s() - c0, own_cpu_s() - h0
        page_h = sum(r.sim_ms for r in results) / HOUR_MS
        failed = [r.scenario.name for r in results if r.error or not r.verdict.passed]
        steps = sum(int(r.history.meta.get("clock_steps") or 0) for r in results)
        longest = max(results, key=lambda r: r.wall_s)
        print(f"matrix  workers={n}: {len(results)} scenarios  wall {walls[n]:.1f} s  cpu {cpu:.1f} s "
              f"(harness {harness_cpu:.1f}, driver and browsers {cpu - harness_cpu:.1f})  "
              f"clock stops {steps}  page {page_h:.1f} h  {page_h / walls[n]:.2f} page-h per wall-s  ({load()})  "
              f"failed: {', '.join(failed) or 'none'}")
        figures("matrix", f"workers={n}", wall_s=walls[n], cpu_s=cpu, harness_cpu_s=harness_cpu, clock_stops=steps,
                page_h_per_wall_s=page_h / walls[n], failed=len(failed))
        # The wall cannot beat the longest scenario nor the CPU spread over the cores.
        print(f"matrix  workers={n}: longest {longest.scenario.name} {longest.wall_s:.1f} s; "
              f"cpu / {os.cpu_count()} cores {cpu / (os.cpu_count() or 1):.1f} s; slowest five: "
              + ", ".join(f"{r.scenario.name} {r.wall_s:.1f}" for r in sorted(results, key=lambda r: -r.wall_s)[:5]))
        # The tail: the last to end, with when they started (seconds from the run's start).
        ends = sorted(results, key=lambda r: -(started[r.scenario.name] + r.wall_s))[:5]
        print(f"matrix  workers={n}: last to end (start -> end s): "
              + ", ".join(f"{r.scenario.name} {started[r.scenario.name] - t0:.1f} -> "
                          f"{started[r.scenario.name] + r.wall_s - t0:.1f}" for r in ends))
    suite_mod.run_scenario_or_error = original
    if len(walls) == 2:
        print(f"matrix  speed-up of {workers} workers over 1: {walls[1] / walls[workers]:.2f}x")


async def breakdown() -> None:
    """Every matrix scenario alone, one after another in one world: wall against the CPU of the
    whole process tree, and the wall spent inside the waits and calls a scenario is made of. Wall
    beyond CPU is time nothing computed: real-time waits (or the machine's other load).

    Then what each scenario costs whatever its network does — opening its contexts (context,
    clock, init script, observer page), its tabs (page, report channel), closing them, the stub's
    start and stop, judging its history — in CPU of the whole tree, and that fixed part's share of
    the matrix's CPU."""
    from harness.run import clock as clock_mod
    from harness.run import pagetime as pagetime_mod
    from harness.run import state as state_mod
    from harness.world import context as context_mod
    from server_stub import app as stub_mod

    scenarios = select(load_scenarios([ROOT / "scenarios"]), [], [], "memory")
    scenarios = [s for s in scenarios if "soak" not in s.tags]
    walls = WallIn()
    vc = clock_mod.VirtualClock
    for owner, attr, label in [(vc, "settle", "settle"), (vc, "quiet", "quiet"), (vc, "advance", "advance"),
                               (pagetime_mod, "run_bulk", "bulk"), (pagetime_mod, "run_to", "run_to"),
                               (state_mod.ScenarioRun, "flush", "flush"),
                               (scenario_mod, "_final_read", "final read"),
                               (scenario_mod, "_delete_proxy", "proxy del"),
                               (context_mod.ContextSession, "probe_detail", "probe")]:
        walls.wrap(owner, attr, label)
    # What every scenario pays whatever its network does (a /proc walk before and after each call).
    fixed = [(context_mod.ContextSession, "create", "open ctx"), (context_mod.ContextSession, "new_tab", "new tab"),
             (scenario_mod, "_close_sessions", "close ctx"), (stub_mod.StubServer, "start", "stub start"),
             (stub_mod.StubServer, "stop", "stub stop"), (scenario_mod, "judge_history", "judge")]
    for owner, attr, label in fixed:
        walls.wrap(owner, attr, label, cpu=True)
    rows = []
    build = load_build("reference")
    try:
        async with World(WorldOptions(ingest="memory")) as world:
            for scenario in scenarios:
                l0 = os.getloadavg()[0]
                t0, c0 = time.monotonic(), tree_cpu_s()
                r = await run_scenario(world, scenario, build, Adapter())
                wall, c1 = time.monotonic() - t0, tree_cpu_s()
                cpu = {k: c1.get(k, 0.0) - c0.get(k, 0.0) for k in c1}
                rows.append((scenario.name, wall, cpu, walls.take(), l0, r, walls.take_cpu()))
    finally:
        walls.undo()
    labels = ["advance", "settle", "quiet", "bulk", "run_to", "probe", "flush", "open ctx", "new tab", "final read",
              "close ctx", "stub start", "stub stop", "proxy del"]
    kinds = ["harness", "driver", "browser", "renderers", "other"]
    print("breakdown  scenario  wall  cpu  idle=wall-cpu  (cpu: " + " ".join(kinds) + ")  | wall inside: "
          + "  ".join(labels))
    for name, wall, cpu, spent, l0, r, _ in sorted(rows, key=lambda row: -row[1]):
        total = sum(cpu.values())
        print(f"breakdown  {name:28} {wall:6.2f} {total:6.2f} {wall - total:6.2f} ("
              + " ".join(f"{cpu.get(k, 0.0):5.2f}" for k in kinds) + ") | "
              + "  ".join(f"{spent.get(k, 0.0):5.2f}" for k in labels)
              + f"  (load {l0:.1f}, stops {r.history.meta.get('clock_steps')}, {'ok' if r.verdict.passed and not r.error else 'FAIL'})")
    tw = sum(row[1] for row in rows)
    tc = {k: sum(row[2].get(k, 0.0) for row in rows) for k in kinds}
    print(f"breakdown  total: wall {tw:.1f} s  cpu {sum(tc.values()):.1f} s ("
          + ", ".join(f"{k} {v:.1f}" for k, v in tc.items()) + f")  wall beyond cpu {tw - sum(tc.values()):.1f} s  "
          + "  ".join(f"{k} {sum(row[3].get(k, 0.0) for row in rows):.1f}" for k in labels))
    fixed_labels = [label for _, _, label in fixed]
    print("breakdown  fixed cost (cpu of the whole tree inside):  scenario  " + "  ".join(fixed_labels)
          + "  fixed  of its cpu")
    for name, _, cpu, _, _, _, fixed in sorted(rows, key=lambda row: -sum(row[6].values())):
        total, part = sum(cpu.values()), sum(fixed.values())
        print(f"breakdown  fixed  {name:28} " + "  ".join(f"{fixed.get(k, 0.0):5.2f}" for k in fixed_labels)
              + f"  {part:5.2f}  {part / total if total else 0.0:4.0%}")
    fixed_total = {k: sum(row[6].get(k, 0.0) for row in rows) for k in fixed_labels}
    part, total = sum(fixed_total.values()), sum(tc.values())
    print(f"breakdown  fixed total: {part:.1f} s of {total:.1f} CPU-s ({part / total if total else 0.0:.0%}): "
          + ", ".join(f"{k} {v:.1f} ({v / len(rows):.3f} a scenario)" for k, v in fixed_total.items()))
    figures("breakdown", "fixed", cpu_s=total, fixed_cpu_s=part, scenarios=len(rows),
            **{k.replace(" ", "_") + "_cpu_s": v for k, v in fixed_total.items()})


async def one(world: World, path: Path, tracker: str) -> tuple[float, object]:
    t0 = time.monotonic()
    result = await run_scenario(world, load_scenario(path), load_build(tracker), Adapter())
    return time.monotonic() - t0, result


async def storm(trackers: list[str]) -> None:
    walls = {}
    for tracker in trackers or ["mutant:retry_storm", "reference"]:
        c0 = cpu_s()
        with Messages() as messages:
            async with World(WorldOptions(ingest="memory")) as world:  # a world each: its browsers' CPU is counted
                messages.take()
                k0 = tree_cpu_s()
                wall, r = await one(world, ROOT / "scenarios" / "outage_26h_overflow.yaml", tracker)
                kinds = {k: v - k0.get(k, 0.0) for k, v in tree_cpu_s().items()}
                sent, evals = messages.take()
        cpu = cpu_s() - c0
        walls[tracker] = wall
        meta = r.history.meta  # type: ignore[attr-defined]
        print(f"storm   {tracker:20} 26 h outage: wall {wall:.1f} s  cpu (with world start) {cpu:.1f} s  "
              f"clock stops {meta.get('clock_steps')}  timers {meta.get('clock_timers')}  "
              f"requests {len(r.history.journal)}  driver messages {sent} (page evaluations {evals})  "  # type: ignore[attr-defined]
              f"{r.sim_ms / HOUR_MS / wall:.1f} page-h per wall-s  ({load()})  error {r.error}")  # type: ignore[attr-defined]
        figures("storm", tracker, wall_s=wall, cpu_s=cpu, clock_stops=meta.get("clock_steps"),
                timers=meta.get("clock_timers"), requests=len(r.history.journal),  # type: ignore[attr-defined]
                messages=sent, evaluations=evals, error=None if r.error is None else str(r.error),  # type: ignore[attr-defined]
                scenario_cpu_s=sum(kinds.values()), outbox_writes=len(r.history.writes),  # type: ignore[attr-defined]
                **fate_counts(r.verdict))  # type: ignore[attr-defined]
        print(f"storm   {tracker:20} scenario cpu {sum(kinds.values()):.2f} s ("
              + " ".join(f"{k} {c:.2f}" for k, c in sorted(kinds.items(), key=lambda kc: -kc[1]))
              + f")  outbox writes {len(r.history.writes)}")  # type: ignore[attr-defined]
    if len(walls) == 2:
        print(f"storm   retry storm / reference wall: {walls['mutant:retry_storm'] / walls['reference']:.1f}x")


async def soak(counts: list[int], parallel: int | None) -> None:
    """The soak scenario, once per visitor count (``--visitors``; default: the file's), each in a
    world of its own so its browsers' CPU is counted; CPU-s per visitor, and between two counts the
    added CPU per added visitor (world start cancels out)."""
    path = ROOT / "bench" / "soak_100_visitors.yaml"
    base = load_scenario(path)
    assert base.visitors is not None
    if parallel is not None:
        if not hasattr(visitors_mod, "PARALLEL"):  # an older harness (bench/ab.py --base): it would not apply
            raise SystemExit("--parallel: this harness's visitors module has no PARALLEL to set")
        visitors_mod.PARALLEL = parallel
    print(f"soak    visitors arriving at once: {visitors_mod.PARALLEL}")
    arrivals: dict[str, object] = {}
    arrive = scenario_mod.arrive

    async def timed_arrive(*args: object, **kwargs: object) -> None:  # the arrivals apart from what follows
        t0, c0, s0 = time.monotonic(), tree_cpu_s(), mem.cpu_now()
        messages.take()
        await arrive(*args, **kwargs)  # type: ignore[arg-type]
        sampler = mem.cpu_now() - s0
        cpu = {k: v - c0.get(k, 0.0) for k, v in tree_cpu_s().items()}
        cpu["harness"] = cpu.get("harness", 0.0) - sampler  # the bench's memory sampler runs in the harness's process
        arrivals.update(wall=time.monotonic() - t0, cpu=cpu, messages=messages.take(), sampler=sampler)

    scenario_mod.arrive = timed_arrive  # type: ignore[assignment]
    per: list[tuple[int, float]] = []
    for count in counts or [base.visitors.count]:
        scenario = dataclasses.replace(base, visitors=dataclasses.replace(base.visitors, count=count))
        c0, l0 = cpu_s(), os.getloadavg()[0]
        with PeakMemory() as mem, Messages() as messages, AdvanceLog(messages) as advances:
            # A budget past the target: on a loaded machine the figure is still measured, not cut off.
            async with World(WorldOptions(ingest="memory", scenario_timeout_s=SOAK_BUDGET_S)) as world:
                t0 = time.monotonic()
                r = await run_scenario(world, scenario, load_build("reference"), Adapter())
                wall = time.monotonic() - t0
                rest = messages.take()
        cpu = cpu_s() - c0
        per.append((count, cpu))
        v = r.verdict
        print(f"soak    {count} visitors  {len(v.fates)} events with a fate "
              f"({', '.join(f'{k} {n}' for k, n in v.counts.items() if n)})  wall {wall:.1f} s  "
              f"cpu (with world start) {cpu:.1f} s = {cpu / count:.2f} cpu-s per visitor  "
              f"clock stops {r.history.meta.get('clock_steps')}  "
              f"{r.sim_ms / HOUR_MS / wall:.3f} page-h per wall-s  peak memory {mem.peak:.0f} MiB PSS "
              f"({mem.reads} reads, sampler {mem.cpu:.1f} cpu-s)  (load {l0:.1f} -> {os.getloadavg()[0]:.1f})  "
              f"verdict {'STOPPED' if r.error else ('PASS' if v.passed else 'FAIL')}  error {r.error}")
        soak_figures = dict(wall_s=wall, cpu_s=cpu, cpu_s_per_visitor=cpu / count, events=len(v.fates),
                            clock_stops=r.history.meta.get("clock_steps"), peak_mib=mem.peak,
                            verdict="STOPPED" if r.error else ("PASS" if v.passed else "FAIL"), **fate_counts(v))
        if arrivals:  # page time stands still while visitors arrive; the clock's stops come after
            kinds = arrivals["cpu"]  # type: ignore[assignment]
            sent, evals = arrivals["messages"]  # type: ignore[misc]
            soak_figures.update(advances_wall_s=advances.total["wall"], advances_cpu_s=advances.total["cpu"],
                                advances_evaluations=advances.total["evaluations"])
            # CPU by process kind (bench/ab.py tabulates every figure): what a clock stop costs, and where
            stops = max(1, int(advances.total["stops"]))
            soak_figures.update(advances_cpu_ms_per_stop=1000 * advances.total["cpu"] / stops,
                                **{f"advances_cpu_s_{k}": c for k, c in sorted(advances.kinds.items())},
                                **{f"arrivals_cpu_s_{k}": c for k, c in sorted(kinds.items())})
            soak_figures.update(arrivals_wall_s=arrivals["wall"], arrivals_cpu_s=sum(kinds.values()),
                                arrivals_evaluations=evals, after_wall_s=wall - arrivals["wall"],  # type: ignore[operator]
                                after_evaluations=rest[1])
            print(f"soak    {count} visitors: arrivals wall {arrivals['wall']:.1f} s  cpu {sum(kinds.values()):.1f} s ("
                  + " ".join(f"{k} {c:.1f}" for k, c in sorted(kinds.items(), key=lambda kc: -kc[1]))
                  + f"; the bench's memory sampler {arrivals['sampler']:.1f} apart)  driver messages {sent} (page evaluations {evals}); the rest (clock stops, settle, close) "
                  f"wall {wall - arrivals['wall']:.1f} s  driver messages {rest[0]} (page evaluations {rest[1]})")  # type: ignore[operator]
            arrivals.clear()
        for row in advances.rows:
            print(f"soak    {count} visitors: {row}")
        t = advances.total
        print(f"soak    {count} visitors: every advance: wall {t['wall']:.1f} s  cpu {t['cpu']:.1f} s = "
              f"{t['cpu'] / count:.2f} cpu-s per visitor  stops {t['stops']}  page evaluations {t['evaluations']} "
              f"= {t['evaluations'] / count:.1f} per visitor (watchdog pings {t['pings']})")
        print(f"soak    {count} visitors: besides the advances (flushes: before each step's op, at the heal and "
              "the final read): "
              + "  ".join(f"{k} {v:.1f} s" for k, v in advances.phases.items()))
        figures("soak", f"visitors={count}", **soak_figures)  # type: ignore[arg-type]
    scenario_mod.arrive = arrive  # type: ignore[assignment]
    for (n0, c0_), (n1, c1) in zip(per, per[1:]):
        if n1 != n0:
            print(f"soak    {n0} -> {n1} visitors: {(c1 - c0_) / (n1 - n0):.2f} cpu-s per added visitor")


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", action="append", choices=["matrix", "storm", "soak", "breakdown"], default=[])
    ap.add_argument("--workers", type=int, default=default_workers())
    ap.add_argument("--storm-build", action="append", default=[], choices=["mutant:retry_storm", "reference"],
                    help="storm: run only this build (repeatable; default: both)")
    ap.add_argument("--no-serial", action="store_true", help="matrix: skip the one-worker run")
    ap.add_argument("--visitors", type=int, action="append", default=[], metavar="N",
                    help="soak: run with N visitors instead of the file's count (repeat for several runs)")
    ap.add_argument("--parallel", type=int, help="soak: visitors arriving at once (default: the harness's)")
    ap.add_argument("--chromium-arg", action="append", default=[], metavar="FLAG",
                    help="an extra Chromium flag for every part (repeatable): measure what a flag costs or saves; "
                         "--disable-features=/--enable-features= lists join the harness's (RenderDocument stays off)")
    ap.add_argument("--json", action="store_true",
                    help="after each figure line, a FIGURES {json} line with the same figures (for bench/ab.py)")
    args = ap.parse_args()
    global EMIT_JSON
    EMIT_JSON = args.json
    adopt_orphans()
    parts = args.part or ["matrix", "storm", "soak"]  # breakdown only when asked
    browser.LAUNCH_ARGS.extend(args.chromium_arg)
    if args.chromium_arg:
        try:  # feature lists are joined with the harness's at launch; a conflict is refused before any part
            browser.merge_feature_switches(browser.LAUNCH_ARGS)
        except UsageProblem as exc:
            raise SystemExit(f"pagetime: {exc}") from None
        print(f"extra Chromium flags: {' '.join(args.chromium_arg)}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if "matrix" in parts:
        await matrix(args.workers, not args.no_serial)
    if "breakdown" in parts:
        await breakdown()
    if "storm" in parts:
        await storm(args.storm_build)
    if "soak" in parts:
        await soak(args.visitors, args.parallel)


if __name__ == "__main__":
    asyncio.run(main())
