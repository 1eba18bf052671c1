"""Where Chromium's CPU goes in one advance of the soak: a Chromium trace (CDP ``Tracing`` through
Playwright's ``browser.start_tracing``) of one top-level advance, summed per clock stop.

Runs bench/pagetime.py's soak part (same options) and traces only the advance asked for (by its
number; default: the longest in page time, the 10-minute settle). Prints, per clock stop of that
advance: each process kind's traced thread time by thread and by the task's origin (the
``toplevel`` tasks' ``posted_from``), and counts of chosen events (frames begun and drawn, storage
IPCs, DevTools messages, console messages, network requests). Thread time of traced tasks is not
the processes' whole CPU (tracing adds its own, and untraced work is missing): read the shares and
counts, and the CPU by /proc that pagetime prints beside them.

    PYTHONPATH=. .venv/bin/python bench/stoptrace.py --part soak --visitors 10 [--advance 5] [--save trace.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CATEGORIES = ["toplevel", "mojom", "cc", "viz", "gpu", "blink", "v8", "devtools", "devtools.timeline",
              "loading", "navigation", "input", "content"]
# Events counted by name per stop (exact names, by process kind): what one stop makes Chromium do.
COUNTED = {
    "frames begun": ("Scheduler::BeginFrame", "ProxyImpl::ScheduledActionSendBeginMainFrame"),
    "main frames (BeginMainFrame)": ("ProxyMain::BeginMainFrame", "ThreadProxy::BeginMainFrame"),
    "frames drawn": ("LayerTreeHostImpl::DrawLayers", "Graphics.Pipeline.DrawAndSwap", "Display::DrawAndSwap"),
    "paint / layout": ("Paint", "Layout", "UpdateLayoutTree", "PrePaint"),
    "any cc/viz event": (),
    "timers fired (page)": ("TimerFire",),
    "script calls": ("FunctionCall",),
    "DevTools commands": ("DevToolsSession::DispatchProtocolCommand",),
    "MessagePort tasks": ("MessagePort::Accept",),
}


def _meta(events: Iterable[dict[str, Any]]) -> tuple[dict[int, str], dict[tuple[int, int], str]]:
    """Process names (``process_name`` metadata) and thread names."""
    procs: dict[int, str] = {}
    threads: dict[tuple[int, int], str] = {}
    for e in events:
        if e.get("ph") != "M":
            continue
        name, args = e.get("name"), e.get("args") or {}
        if name == "process_name":
            procs[e["pid"]] = str(args.get("name", "?"))
        elif name == "thread_name":
            threads[e["pid"], e["tid"]] = str(args.get("name", "?"))
    return procs, threads


def _kind(name: str) -> str:
    low = name.lower()
    return ("renderers" if "renderer" in low else "browser" if "browser" in low
            else "network service" if "network" in low else "tracing service" if "tracing" in low
            else f"other ({name})")


def _mojo(e: dict[str, Any]) -> str | None:
    info = (e.get("args") or {}).get("chrome_mojo_event_info") or {}
    tag = info.get("mojo_interface_tag")
    return f"mojo {tag}" if tag else None


def _label(task: dict[str, Any], inner: list[dict[str, Any]]) -> str:
    """What a top-level task did: the mojo interface of the message it handled, the DevTools
    command it ran, the page function it called, else where it was posted from."""
    for e in [task, *inner]:
        tag = _mojo(e)
        if tag:
            return tag
    for e in inner:
        if e.get("name") == "DevToolsSession::DispatchProtocolCommand":
            return "DevTools command"
    for e in inner:
        if e.get("name") == "FunctionCall":
            data = (e.get("args") or {}).get("data") or {}
            return f"page function {data.get('functionName') or '(anonymous)'}"
        if e.get("name") == "TimerFire":
            return "page timer"
    args = task.get("args") or {}
    if args.get("src_func"):
        return f"{args['src_func']} ({Path(str(args.get('src_file', '?'))).name})"
    return str(task.get("name"))


def summarize(trace: dict[str, Any] | list[dict[str, Any]], stops: int, top: int = 10) -> list[str]:
    """The trace's figures per clock stop, as printable lines: each process kind's traced thread
    time in its outermost tasks, by what the task did (exclusive: a task is counted once), and
    counts of chosen events."""
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    procs, threads = _meta(events)
    by_thread: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    counted: dict[str, Counter[str]] = defaultdict(Counter)
    for e in events:
        if e.get("ph") == "M":
            continue
        kind = _kind(procs.get(e.get("pid", -1), "?"))
        name, cats = str(e.get("name")), str(e.get("cat", "")).split(",")
        for label, names in COUNTED.items():
            if name in names or (not names and ("cc" in cats or "viz" in cats)):
                counted[kind][label] += 1
        if e.get("ph") == "X":
            by_thread[e["pid"], e["tid"]].append(e)
    per_thread: dict[str, Counter[str]] = defaultdict(Counter)
    per_label: dict[str, Counter[str]] = defaultdict(Counter)
    label_n: dict[str, Counter[str]] = defaultdict(Counter)
    for (pid, tid), evs in by_thread.items():
        kind = _kind(procs.get(pid, "?"))
        evs.sort(key=lambda x: (x["ts"], -x.get("dur", 0)))
        task: dict[str, Any] | None = None
        inner: list[dict[str, Any]] = []

        def close() -> None:
            if task is None:
                return
            ms = float(task.get("tdur", task.get("dur", 0))) / 1000.0
            label = _label(task, inner)
            per_thread[kind][threads.get((pid, tid), str(tid))] += ms
            per_label[kind][label] += ms
            label_n[kind][label] += 1

        for e in evs:
            if task is not None and e["ts"] < task["ts"] + task.get("dur", 0):
                inner.append(e)
                continue
            if "toplevel" in str(e.get("cat", "")).split(","):
                close()
                task, inner = e, []
        close()
    s = max(1, stops)
    out = [f"trace: {len(events)} events, {stops} clock stops; per stop: ms of thread time in traced "
           "top-level tasks (exclusive), and counts"]
    for kind in sorted(per_thread, key=lambda k: -sum(per_thread[k].values())):
        out.append(f"  {kind}: {sum(per_thread[kind].values()) / s:.2f} ms a stop; by thread: "
                   + ", ".join(f"{t} {ms / s:.2f}" for t, ms in per_thread[kind].most_common(5)))
        for label, ms in per_label[kind].most_common(top):
            out.append(f"      {ms / s:7.3f} ms  {label_n[kind][label] / s:6.2f} tasks  {label}")
    for kind in sorted(counted):
        out.append(f"  {kind} counts a stop: "
                   + ", ".join(f"{k} {counted[kind][k] / s:.2f}" for k in COUNTED))
    return out


def js_profile(profiles: list[dict[str, Any]], stops: int, top: int = 25) -> list[str]:
    """Sampled JavaScript self time of every page, summed by function (name, script, line), per stop."""
    self_us: Counter[str] = Counter()
    total = 0.0
    for prof in profiles:
        nodes = {n["id"]: n for n in prof.get("nodes", [])}
        deltas = prof.get("timeDeltas", [])
        for sample, dt in zip(prof.get("samples", []), deltas[1:] + [0]):
            frame = nodes[sample]["callFrame"]
            url = frame.get("url") or "(init script)"
            key = f"{frame.get('functionName') or '(anonymous)'}  {Path(url).name or url}:{frame.get('lineNumber', -1) + 1}"
            self_us[key] += dt
            total += dt
    s = max(1, stops)
    out = [f"JavaScript of every page, sampled: {total / 1000 / s:.2f} ms a stop (idle and program included); "
           "self time by function, ms a stop:"]
    for key, us in self_us.most_common(top):
        out.append(f"      {us / 1000 / s:7.3f}  {key}")
    return out


def _install(which: int | None, save: Path | None, visitors: int, js: bool = False) -> list[str]:
    """Trace the chosen top-level advance (patched before bench/pagetime.py wraps ``advance``)."""
    from harness.run.clock import VirtualClock  # noqa: PLC0415 - the bench's path first
    from harness.world import world as world_mod  # noqa: PLC0415

    lines: list[str] = []
    browsers: list[Any] = []
    start = world_mod.start_browser

    async def kept(*args: Any, **kwargs: Any) -> Any:
        b = await start(*args, **kwargs)
        browsers.append(b)
        return b

    world_mod.start_browser = kept  # type: ignore[assignment]
    advance = VirtualClock.advance
    seen = [0]
    longest = [0]

    async def traced(clock: Any, ms: int, mode: str = "run") -> None:
        if clock.parent is not None:
            return await advance(clock, ms, mode)
        seen[0] += 1
        chosen = seen[0] == which if which is not None else ms > longest[0] and ms >= 600_000
        longest[0] = max(longest[0], ms)
        if not chosen or not browsers:
            return await advance(clock, ms, mode)
        steps = clock.steps
        if js:  # the pages' JavaScript, sampled by V8's profiler on each tab's own CDP session
            sessions = []
            for context in browsers[-1].contexts:
                for page in context.pages:
                    cdp = await context.new_cdp_session(page)
                    await cdp.send("Profiler.enable")
                    await cdp.send("Profiler.setSamplingInterval", {"interval": 100})
                    await cdp.send("Profiler.start")
                    sessions.append(cdp)
            try:
                return await advance(clock, ms, mode)
            finally:
                profiles = [(await cdp.send("Profiler.stop"))["profile"] for cdp in sessions]
                lines.append(f"advance {seen[0]} (+{ms / 1000:g} s), {len(sessions)} pages profiled:")
                lines.extend(js_profile(profiles, clock.steps - steps))
        await browsers[-1].start_tracing(categories=CATEGORIES)
        try:
            return await advance(clock, ms, mode)
        finally:
            raw = await browsers[-1].stop_tracing()
            if save:
                save.write_bytes(raw)
            lines.append(f"advance {seen[0]} (+{ms / 1000:g} s), traced:")
            lines.extend(summarize(json.loads(raw), clock.steps - steps))

    VirtualClock.advance = traced  # type: ignore[method-assign]
    if which == 0:  # the arrivals instead: clicks and navigations, which do draw frames
        from harness.run import scenario as scenario_mod  # noqa: PLC0415

        arrive = scenario_mod.arrive

        async def traced_arrive(*args: Any, **kwargs: Any) -> None:
            await browsers[-1].start_tracing(categories=CATEGORIES)
            try:
                await arrive(*args, **kwargs)  # type: ignore[arg-type]
            finally:
                raw = await browsers[-1].stop_tracing()
                if save:
                    save.write_bytes(raw)
                lines.append("the arrivals, traced (figures per visitor: read \"a stop\" as \"a visitor\"):")
                lines.extend(summarize(json.loads(raw), visitors))

        scenario_mod.arrive = traced_arrive  # type: ignore[assignment]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--advance", type=int, help="the top-level advance to trace, counted from 1 (default: the "
                    "10-minute one); 0: the visitors' arrivals instead, figures per visitor")
    ap.add_argument("--js", action="store_true", help="profile the pages' JavaScript (V8's sampling profiler) "
                    "instead of tracing Chromium")
    ap.add_argument("--save", type=Path, help="also write the raw trace here (chrome://tracing, Perfetto)")
    ours, rest = ap.parse_known_args()
    sys.argv = [sys.argv[0], *rest]
    sys.path.insert(0, "bench")
    visitors = [int(v) for k, v in zip(rest, rest[1:]) if k == "--visitors"] or [100]
    lines = _install(ours.advance, ours.save, visitors[0], ours.js)
    import pagetime  # noqa: PLC0415 - after the patch

    try:
        asyncio.run(pagetime.main())
    finally:
        print("\n".join(lines))


if __name__ == "__main__":
    main()
