"""What opening and closing a context costs, by phase: Playwright messages, page evaluations, CDP
messages between the driver and Chromium, and CPU by process kind (figures, never asserted).

A scenario (default: one visitor opening the home page, then 10 s of page time) runs ``--runs``
times in one world. Every Playwright call the harness sends and every event it receives is counted
by the phase it happened in: ``create`` (``ContextSession.create``), ``new_tab``, ``goto`` (the
tab's first load), ``close`` (``ContextSession.close``), ``rest`` (clock stops, settles, flushes).
With ``--cdp`` the driver logs its CDP traffic (``DEBUG=pw:protocol``) and those messages are
counted by the same phases (the driver writes them as they happen; phases are marked in the same
stream; ``KEEP_LOG=1`` keeps that log). ``--matrix`` runs every bundled scenario once instead.
CPU by phase is exact for phases that run alone; contexts closed side by side each count the
whole tree while they overlap, and a close is read 0.3 s after it returns (a renderer read while
it exits is missed by one reading and counted by the next). The harness's own CPU leaves out the /proc walks that measure it.

What it showed (one context, its observer and one tab; load 9-17): create 0.19-0.21 CPU-s, the
tab 0.08-0.10, its first load 0.10-0.12, close 0.04-0.08; a bare Playwright context with one page
on a data: URL costs 0.15, so two pages are most of it. The observer's first evaluation through
its own CDP session instead of Playwright's evaluate (no utility script in its document) was
within noise.

    PYTHONPATH=. python bench/opencost.py [--scenario FILE | --matrix] [--runs N] [--cdp] [--methods]
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright._impl import connection as pw_connection
from playwright.async_api import Page

from bench.pagetime import adopt_orphans, load, own_cpu_s, tree_cpu_s
from harness.builds import load_build
from harness.contract.adapter import Adapter
from harness.run.scenario import run_scenario
from harness.run.suite import select
from harness.scenario import load_scenario, load_scenarios
from harness.world.context import ContextSession
from harness.world.world import World, WorldOptions

ROOT = Path(__file__).resolve().parent.parent
CLOSE_SETTLE_S = 0.3
OPEN_HOME = "name: open_home\ndescription: one visitor opens the home page\njudges: [no_loss]\nsteps:\n  - open: home\n  - advance: 10s\n"


class Phases:
    """The phase now running, and what each phase sent, received and cost."""

    def __init__(self, marker_fd: int | None) -> None:
        self._active: list[str] = []  # phases running now (contexts close side by side), latest last
        self.sent: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        self.events: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        self.cpu: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        self.calls: collections.Counter[str] = collections.Counter()
        self._fd = marker_fd

    @property
    def now(self) -> str:
        return self._active[-1] if self._active else "rest"

    @contextlib.asynccontextmanager
    async def phase(self, name: str) -> Any:
        self._active.append(name)
        self.calls[name] += 1
        self._mark(name)
        c0 = tree_cpu_s()
        h0 = own_cpu_s()  # the walks' own CPU (~10-60 ms each on a busy box) is left out of the harness's
        try:
            yield
        finally:
            h1 = own_cpu_s()
            c1 = tree_cpu_s()
            for k, v in c1.items():
                self.cpu[name][k] += v - c0.get(k, 0.0)
            self.cpu[name]["harness"] += (h1 - h0) - (c1.get("harness", 0.0) - c0.get("harness", 0.0))
            self._active.remove(name)
            self._mark(self.now)

    def _mark(self, name: str) -> None:
        if self._fd is not None:
            os.write(self._fd, f"\n@@phase {name}\n".encode())


def instrument(phases: Phases) -> None:
    conn = pw_connection.Connection
    send, dispatch = conn.send_message_to_server, conn.dispatch

    def counted_send(self: Any, obj: Any, method: str, params: Any, options: dict[str, Any]) -> Any:
        phases.sent[phases.now][f"{obj._type}.{method}"] += 1
        return send(self, obj, method, params, options)

    def counted_dispatch(self: Any, message: dict[str, Any]) -> None:
        if not message.get("id"):
            obj = self._objects.get(message.get("guid") or "")
            kind = message.get("params", {}).get("type") if message.get("method") == "__create__" else None
            phases.events[phases.now][f"{getattr(obj, '_type', '?')}.{message.get('method')}" + (f"({kind})" if kind else "")] += 1
        dispatch(self, message)

    conn.send_message_to_server = counted_send  # type: ignore[method-assign]
    conn.dispatch = counted_dispatch  # type: ignore[method-assign]

    create = ContextSession.create.__func__  # type: ignore[attr-defined]
    ContextSession.create = classmethod(_phase_wrapped(create, phases, "create"))  # type: ignore[assignment,method-assign]
    close = ContextSession.close

    async def counted_close(self: ContextSession, *args: Any, **kwargs: Any) -> None:
        async with phases.phase("close"):
            await close(self, *args, **kwargs)
            await asyncio.sleep(CLOSE_SETTLE_S)  # the renderers' exit, read while they die, came out negative

    ContextSession.close = counted_close  # type: ignore[method-assign]
    tabs: set[int] = set()  # pages made by new_tab whose first load is still to come
    new_tab, goto = ContextSession.new_tab, Page.goto

    async def counted_new_tab(self: ContextSession, tab: str) -> Page:
        async with phases.phase("new_tab"):
            page = await new_tab(self, tab)
        tabs.add(id(page))
        return page

    async def counted_goto(self: Page, *args: Any, **kwargs: Any) -> Any:
        if id(self) not in tabs:
            return await goto(self, *args, **kwargs)
        tabs.discard(id(self))
        async with phases.phase("goto"):
            return await goto(self, *args, **kwargs)

    ContextSession.new_tab = counted_new_tab  # type: ignore[method-assign]
    Page.goto = counted_goto  # type: ignore[method-assign]


def _phase_wrapped(func: Any, phases: Phases, name: str) -> Any:
    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        async with phases.phase(name):
            return await func(*args, **kwargs)
    return wrapped


def cdp_counts(log: Path) -> dict[str, collections.Counter[str]]:
    """CDP messages the driver logged, by phase marker: ``SEND ►`` to Chromium, ``◀ RECV`` back."""
    out: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    now = "rest"
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("@@phase "):
            now = line.split()[1]
        elif "SEND ►" in line or "◀ RECV" in line:
            direction = "send" if "SEND ►" in line else "recv"
            method = line.split('"method":"', 1)[1].split('"', 1)[0] if '"method":"' in line else "(reply)"
            out[now][f"{direction} {method}"] += 1
    return out


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", type=Path, help="scenario file (default: open the home page, advance 10 s)")
    ap.add_argument("--matrix", action="store_true", help="every bundled scenario once instead (memory ingest, no soak)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cdp", action="store_true", help="count the driver's CDP messages too")
    ap.add_argument("--methods", action="store_true", help="list the counts by method")
    args = ap.parse_args()
    adopt_orphans()
    path = args.scenario
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="tank-opencost-")) / "open_home.yaml"
        path.write_text(OPEN_HOME)
    scenarios = [load_scenario(path)] * args.runs
    if args.matrix:
        scenarios = [sc for sc in select(load_scenarios([ROOT / "scenarios"]), [], [], "memory") if "soak" not in sc.tags]
    log = Path(tempfile.mkstemp(prefix="tank-opencost-", suffix=".log")[1]) if args.cdp else None
    saved_fd = None
    if log is not None:  # the driver inherits stderr: its protocol log and our phase marks share one file
        os.environ["DEBUG"] = "pw:protocol"
        saved_fd = os.dup(2)
        fd = os.open(log, os.O_WRONLY | os.O_APPEND)
        os.dup2(fd, 2)
        os.close(fd)
    phases = Phases(2 if log is not None else None)
    instrument(phases)
    build = load_build("reference")
    verdicts: list[str] = []
    steps = requests = 0
    t0, l0 = time.monotonic(), load()
    try:
        async with World(WorldOptions(ingest="memory")) as world:
            c0 = tree_cpu_s()
            for scenario in scenarios:
                r = await run_scenario(world, scenario, build, Adapter())
                verdicts.append("PASS" if r.verdict.passed and not r.error else f"FAIL {r.error}")
                steps += int(r.history.meta.get("clock_steps") or 0)
                requests += len(r.history.journal)
            c1 = tree_cpu_s()
    finally:
        if saved_fd is not None:
            os.dup2(saved_fd, 2)
    n = len(scenarios)
    print(f"opencost  {'matrix' if args.matrix else scenarios[0].name} x{n}  wall {time.monotonic() - t0:.1f} s  ({l0} at start, {load()} at end)  "
          f"verdicts {dict(collections.Counter(verdicts))}  clock stops {steps / n:.1f} per run  Sync requests {requests / n:.1f} per run")
    total = {k: (v - c0.get(k, 0.0)) / n for k, v in c1.items()}
    print(f"opencost  a run: cpu {sum(total.values()):.3f} s (" + " ".join(f"{k} {v:.3f}" for k, v in sorted(total.items())) + ")")
    cdp = cdp_counts(log) if log is not None else {}
    for name in ["create", "new_tab", "goto", "close", "rest"]:
        calls = phases.calls[name] or n
        sent, events = phases.sent[name], phases.events[name]
        evals = sum(v for k, v in sent.items() if "evaluate" in k.lower())
        cpu = phases.cpu[name]
        line = (f"opencost  {name:8} {phases.calls[name]:4} calls; per call ({calls / n:.2f} per run): sent {sum(sent.values()) / calls:6.1f}  "
                f"events {sum(events.values()) / calls:6.1f}  evaluations {evals / calls:4.1f}")
        if cdp:
            line += (f"  cdp send {sum(v for k, v in cdp[name].items() if k.startswith('send')) / calls:6.1f}"
                     f" recv {sum(v for k, v in cdp[name].items() if k.startswith('recv')) / calls:6.1f}")
        if name != "rest":
            line += (f"  cpu {sum(cpu.values()) / calls:.3f} s (" + " ".join(f"{k} {v / calls:.3f}" for k, v in sorted(cpu.items())) + ")")
        print(line)
        if args.methods:
            for k, v in sorted({**{f"> {k}": v for k, v in sent.items()}, **{f"< {k}": v for k, v in events.items()},
                                **{f"cdp {k}": v for k, v in cdp.get(name, {}).items()}}.items(), key=lambda kv: -kv[1]):
                print(f"opencost      {v / calls:7.2f}  {k}")
    if log is not None and not os.environ.get("KEEP_LOG"):
        log.unlink()
    elif log is not None:
        print(f"opencost  log kept: {log}")


if __name__ == "__main__":
    asyncio.run(main())
