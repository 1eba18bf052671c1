"""Run one scenario: start its stub and proxy listener, act, heal, settle, record, judge."""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import importlib
import random
import shutil
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import driver, nemesis
from harness.builds import Build
from harness.builds.diagnostics import ENVIRONMENT, start_notes, start_problem
from harness.builds.hints import build_notes
from harness.checker.judge import judge_history, policy_of
from harness.contract import sync
from harness.contract.adapter import Adapter
from harness.contract.history import History, StoredEvent, save_history
from harness.driver.visitors import VisitorArrivals, arrive, page_vars, visitor_arrivals
from harness.history.pagecall import TamperedPageError
from harness.history.recorder import Recorder
from harness.nemesis import places
from harness.report import provenance
from harness.report.artifacts import capture_pages, retain
from harness.report.model import ScenarioEntry
from harness.report.rerun import sha256_file, sha256_text
from harness.run.clock import VirtualClock
from harness.run.isolation import outside_change_error, refusal_notes, refusal_records
from harness.run.state import ScenarioRun, StepFailed
from harness.run.watchdog import Progress, Stopped, Watchdog
from harness.scenario import model as m
from harness.toxiproxy.pagetime import PageClock
from harness.world.context import ContextSession
from harness.world.world import World
from server_stub.app import StubServer

_proxy_counter = 0
FINAL_READ_S = 15.0  # the final outbox read after a scenario stopped by the watchdog must end too
CLOSE_S = 10.0


@dataclass
class ScenarioResult:
    scenario: "m.Scenario"
    history: History
    verdict: Any
    wall_s: float
    sim_ms: int
    error: str | None = None
    notes: list[str] | None = None
    artifacts: Path | None = None  # traces, screenshots and console kept for this scenario (--trace)


@dataclass
class Phase:
    """How far ``run_scenario`` got: a failure escaping it is named by its phase (setup, the run,
    teardown, judging), and a history it already saved is not overwritten by the error's."""

    name: str = "setup"
    saved: Path | None = None  # where run_scenario saved the history, once it did


async def hook(run: ScenarioRun, step: m.Hook) -> None:
    """The rare step the format cannot say: ``module:function(run, **args)``."""
    module_name, _, func_name = step.target.partition(":")
    try:
        func = getattr(importlib.import_module(module_name), func_name)
    except (ImportError, AttributeError) as exc:
        raise StepFailed(step.line, f"hook {step.target!r} cannot be imported: {exc}") from exc
    await run.flush()
    run.op("hook", detail={"target": step.target})
    result = func(run, **dict(step.args))
    if asyncio.iscoroutine(result):
        await result
    await run.clock.settle()


HANDLERS: dict[type, Any] = {**driver.HANDLERS, **nemesis.HANDLERS, m.Hook: hook}
# Steps that may open a document in a context (the clock logs its time for them, ``log_time``): a
# tab, a navigation or reload, a click (its target may navigate), a new browser, a hook, visitors.
OPENS_DOCUMENTS = (m.Open, m.Navigate, m.Reload, m.Click, m.RestartBrowser, m.Hook, VisitorArrivals)


async def run_scenario(world: World, scenario: "m.Scenario", build: Build, adapter: Adapter,
                       on_clock: Callable[[VirtualClock], None] | None = None, phase: Phase | None = None,
                       on_word: Callable[[str], None] | None = None) -> ScenarioResult:
    """Run a scenario against a build. Guarantee failures are in the verdict; a broken step is ``error``.

    ``on_clock`` receives the scenario's clock once it exists (live progress reads it); ``phase``
    follows how far it got (for the caller of one that raises); ``on_word`` what the watchdog says
    of the run while it goes (a slow one), live."""
    global _proxy_counter
    phase = phase if phase is not None else Phase()
    started = time.monotonic()
    seed = scenario.seed
    site_id = world.options.site_id or f"site-{scenario.name}-{seed}-{random.getrandbits(24):06x}"
    store = await world.make_store(site_id, "127.0.0.1")
    await world.prepare_months(months_needed(scenario))
    stub = StubServer(tracker_source=build.source, site_id=site_id, adapter=adapter, store=store, seed=seed,
                      side_endpoints=build.profile.side_endpoints if build.profile is not None else (),
                      journal_path=(world.options.out_dir / f"{scenario.name}.journal.jsonl") if world.options.out_dir else None)
    recorder = Recorder(scenario.name, adapter.outbox_key, adapter.deadletter_key,
                        judges=tuple(scenario.judges), policy=dict(scenario.policy or {}),
                        profile_policy=dict(getattr(getattr(build, "profile", None), "policy", None) or {}))
    error: str | None = None
    proxy_name: str | None = None
    proxy_refused_before = len(world.proxy_refusals or ())
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(store.close)  # the run-wide PostgreSQL store ignores this
        await stub.start()
        stack.push_async_callback(stub.stop)
        sync_url = f"http://127.0.0.1:{stub.sync_port}{sync.PATH}"
        if world.proxy_client is not None:
            _proxy_counter += 1
            proxy_name = f"sync_{scenario.name}_{_proxy_counter}"
            info = await asyncio.to_thread(world.proxy_client.create_proxy, proxy_name, f"127.0.0.1:{stub.sync_port}")
            stack.push_async_callback(_delete_proxy, world, proxy_name)
            sync_url = f"http://127.0.0.1:{info.listen_port}{sync.PATH}"
        stub.set_sync_url(sync_url)
        stub.set_tracker(build.source, {**adapter.extra_attrs, **scenario.tracker_attrs})
        stub.page_vars.update(page_vars(seed))
        run = ScenarioRun.start(world=world, scenario=scenario, adapter=adapter, site_id=site_id, stub=stub,
                                sync_url=sync_url, proxy_name=proxy_name, recorder=recorder)
        stub.faults.holds.follow_page_clock()  # late answers are due in page time
        if proxy_name is not None and world.proxy_embedded is not None:  # so are proxy latency and bandwidth
            run.proxy_clock = PageClock(lambda: run.clock.now, seed=seed)  # seeds jitter draws
            await asyncio.to_thread(world.proxy_embedded.attach_page_clock, proxy_name, run.proxy_clock)
        stub.journal.page_clock = run.clock.now_in  # contexts apart: each its own page time
        if on_clock is not None:
            on_clock(run.clock)
        recorder.clock = lambda: run.clock.now
        recorder.clock_in, recorder.clock_at = run.clock.now_in, run.clock.page_time_at
        recorder.clock_ceiling = run.clock.ceiling_in
        stack.push_async_callback(_close_sessions, run)
        progress = Progress()
        phase.name = "the run"
        watchdog = Watchdog(run, world.options.scenario_timeout_s, lambda: _pages(run), say=on_word)
        try:
            await watchdog.guard(_act(run, progress))
        except Stopped as exc:
            error = (f"{scenario.path}: stopped after {time.monotonic() - started:.0f} s at {progress.describe()}, "
                     f"page time +{(run.clock.now - scenario.start_ms) / 1000:g} s — {exc.cause}")
        except StepFailed as exc:
            error = f"{scenario.path}:{exc}"
        except TamperedPageError as exc:  # the build broke what the harness's page calls run on: the step is named
            error = f"{scenario.path}: at {progress.describe()}: {exc}"
            run.notes.extend(getattr(exc, "__notes__", ()))  # e.g. other contexts' failed flushes
        except Exception as exc:  # noqa: BLE001 - a broken step must not lose the history
            error = f"{scenario.path}: {describe(exc)}"
            run.notes.append("traceback: " + traceback.format_exc(limit=-6))  # ends with the exception's notes
        run.notes.extend(watchdog.notes)
        try:
            run.notes.extend(await asyncio.wait_for(_final_read(run), FINAL_READ_S))
        except asyncio.TimeoutError:
            run.notes.append(f"the final outbox could not be read within {FINAL_READ_S:g} s (a page stopped answering); "
                             "pending events there may be missing from the verdict")
        staging = world.staging(scenario.name)
        if staging is not None:
            try:
                run.notes.extend(await asyncio.wait_for(capture_pages(run.live_sessions(), staging), FINAL_READ_S))
            except asyncio.TimeoutError:
                run.notes.append("screenshots could not be taken (a page stopped answering)")
        for session in run.live_sessions():  # no send report waits for a marker past this point
            session.sends.release()
        run.notes.extend(run.clock.notes)
        run.notes.extend(run.clock.mode_notes())
        run.notes.extend(w for s in run.live_sessions() for w in s.notes())
        rows, rows_source, rows_problem = await _read_rows(store, site_id)
        if rows_problem is not None:
            error = error or f"{scenario.path}: rows at rest could not be read: {rows_problem}"
        refused = [*stub.refusals, *(world.proxy_refusals or ())[proxy_refused_before:]]
        run.notes.extend(refusal_notes(refused, build.name))
        run.notes.extend(stub.journal.notes())
        error = outside_change_error(stub.faults.outside_changes()) or error
        history = recorder.history(
            t_page_end=run.clock.now, journal=list(stub.journal.entries()), at_rest=rows, at_rest_source=rows_source,
            site_shared=world.options.site_id is not None, notes=run.notes, error=error,
            meta={"site_id": site_id, "sync_url": sync_url, "clock_steps": run.clock.steps, "clock_timers": run.clock.timers,
                  "clock_fallback": run.clock.fallback_used,
                  "clock_modes": dict(run.clock.modes), "refused": refusal_records(refused),
                  "storage_channels": dict(run.contexts.channels),
                  **provenance.stamp(scenario_sha256=sha256_file(scenario.path), build_sha256=sha256_text(build.source),
                                     seed=seed, shard=world.options.shard),
                  "profile": provenance.profile_stamp(build.profile)})
        phase.name = "teardown"
    phase.name = "judging"
    problem = start_problem(history, adapter)
    if problem is not None and history.error is None:
        history.error = f"{ENVIRONMENT} {problem}"
    if world.options.out_dir is not None:
        save_history(history, world.options.out_dir / f"{scenario.name}.history.json")
        phase.saved = world.options.out_dir / f"{scenario.name}.history.json"
    declared = build.profile.policy if build.profile is not None else {}
    verdict = judge_history(history, policy_of(history, declared))
    verdict.notes.extend([*start_notes(history, adapter), *build_notes(history, verdict, build)])
    judged = ScenarioEntry(scenario.name, verdict, error=history.error, strict=world.options.strict,
                           expect_pending=scenario.expect_pending)
    keep = world.options.trace == "on" or not judged.passed  # --strict failures keep their traces too
    kept = retain(world.staging(scenario.name), (world.options.artifacts_dir or Path("tank-results")) / scenario.name,
                  history, keep)
    return ScenarioResult(scenario, history, verdict, time.monotonic() - started,
                          history.t_page_end - scenario.start_ms, history.error, run.notes, kept)


def scenario_steps(scenario: "m.Scenario") -> list["m.Step | VisitorArrivals"]:
    """The scenario's steps, with its generated visitors arriving (concurrently) just before time first moves."""
    steps: list[m.Step | VisitorArrivals] = list(scenario.steps)
    if scenario.visitors is None:
        return steps
    first_time = next((i for i, s in enumerate(steps) if isinstance(s, m.Advance)), len(steps))
    return [*steps[:first_time], visitor_arrivals(scenario.visitors), *steps[first_time:]]


def months_needed(scenario: "m.Scenario") -> list[dt.date]:
    """Every month the scenario's page time crosses — except that a scenario which calls
    ``create_next_month_partitions`` itself wants the next month missing until it does."""
    span = sum(s.ms for s in scenario.steps if isinstance(s, m.Advance)) + scenario.settle_ms
    first = dt.datetime.fromtimestamp(scenario.start_ms / 1000, dt.timezone.utc).date().replace(day=1)
    last = dt.datetime.fromtimestamp((scenario.start_ms + span) / 1000, dt.timezone.utc).date().replace(day=1)
    if any(isinstance(s, m.Db) and s.function == "create_next_month_partitions" for s in scenario.steps):
        return [first]
    months, month = [], first
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"


async def _read_rows(store: Any, site_id: str) -> tuple[list[StoredEvent] | None, str, str | None]:
    """The site's rows at rest, where they were read, and why they could not be (the rest is still judged)."""
    try:
        rows = await store.rows({site_id})
    except Exception as exc:  # noqa: BLE001 - e.g. the database is down
        return None, "none", describe(exc)
    return rows, (getattr(store, "name", "memory") if rows is not None else "none"), None


async def _heal_and_settle(run: ScenarioRun) -> None:
    """Heal every fault the scenario left, then let the build drain in page time."""
    scenario = run.scenario
    if scenario.heal:
        await run.flush()
        run.op("heal")
        await places.heal(run)
    if scenario.settle_ms:
        # a build holding new events for a declared batch window gets it at the end too: an
        # event written just before the end would otherwise be left pending by design
        window = int(run.recorder.profile_policy.get("batch_window_ms", 0))
        await run.clock.advance(scenario.settle_ms + window)


async def _final_read(run: ScenarioRun) -> list[str]:
    """Record the final outbox of every context (writes the observer missed show as snapshots).

    Returns notes: a context whose storage could not be read is not silently taken as empty.
    The short real-time quiet first is needed: an unload write or beacon of the last step reaches
    the stub and the observer with no page left to probe for it (``VirtualClock.quiet``)."""
    notes = []
    with contextlib.suppress(Exception):
        await run.flush()
        await run.clock.quiet(0.05, 1.0)
    for session in run.live_sessions():
        try:
            await session.snapshot(run.clock.now)
        except Exception as exc:  # noqa: BLE001
            notes.append(f"context {session.name}: the final outbox could not be read ({describe(exc)}); "
                         "pending events there may be missing from the verdict")
    return notes


async def _act(run: ScenarioRun, progress: Progress) -> None:
    """The scenario's steps, then heal and settle; ``progress`` says how far it got."""
    steps = scenario_steps(run.scenario)
    progress.total = len(steps) + 1
    opens = [isinstance(s, OPENS_DOCUMENTS) for s in steps]
    for i, step in enumerate(steps, 1):
        progress.step, progress.line, progress.what = i, getattr(step, "line", None), type(step).__name__.lower()
        run.clock.opens_later = (lambda later=any(opens[i - 1:]): later)
        if isinstance(step, VisitorArrivals):
            await arrive(run, step, HANDLERS)
        else:
            await HANDLERS[type(step)](run, step)
    progress.step, progress.line, progress.what = len(steps) + 1, None, "heal and settle"
    run.clock.opens_later = lambda: False
    await _heal_and_settle(run)


def _pages(run: ScenarioRun) -> list[Any]:
    return [p for s in run.live_sessions() for p in (s.observer, *s.live_tabs()) if p is not None]


async def _close_sessions(run: ScenarioRun) -> None:
    """Close every context at once (they are independent); each gets ``CLOSE_S``."""

    async def close(session: "ContextSession") -> None:
        try:
            await asyncio.wait_for(session.close(), CLOSE_S)
        except asyncio.TimeoutError:  # a renderer that never answers: the browser's close ends it
            if session.profile_dir is not None:
                shutil.rmtree(session.profile_dir, ignore_errors=True)

    await asyncio.gather(*(close(s) for s in run.live_sessions()))
    run.contexts.sessions.clear()
    # A profile kept over a browser restart whose reopening never came (a failed step, an error).
    for profile in run.contexts.closed_profiles.values():
        shutil.rmtree(profile, ignore_errors=True)
    run.contexts.closed_profiles.clear()


async def _delete_proxy(world: World, name: str) -> None:
    with contextlib.suppress(Exception):
        await asyncio.to_thread(world.proxy_client.delete_proxy, name)
