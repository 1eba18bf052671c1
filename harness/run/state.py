"""The state of one scenario in progress: the parts it runs against and the recorder.

Driver and nemesis steps receive a ``ScenarioRun``; they act through it and record ops on it.
"""
from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.contract.adapter import Adapter
from harness.contract.history import Intent
from harness.contract.vocabulary import OpKind
from harness.history.recorder import Recorder
from harness.run import pagetime
from harness.run.activity import ContextActivity
from harness.run.clock import VirtualClock
from harness.world.context import ContextSession

if TYPE_CHECKING:
    from playwright.async_api import Page

    from harness.scenario.model import Scenario
    from harness.world.world import World
    from server_stub.app import StubServer


@dataclass
class Contexts:
    """The scenario's browser contexts: open sessions, and what outlives one (a profile kept
    over ``restart_browser``, a storage mode set before the first ``open``, how often a name opened)."""

    persistent: bool  # a restart_browser step needs persistent profiles
    sessions: dict[str, ContextSession] = field(default_factory=dict)
    closed_profiles: dict[str, Path] = field(default_factory=dict)
    pending_storage_mode: dict[str, str] = field(default_factory=dict)
    opened: dict[str, int] = field(default_factory=dict)  # contexts opened so far, by name
    tab_channel: frozenset[str] = frozenset()  # contexts recorded through their tab, not an observer page
    channels: dict[str, int] = field(default_factory=dict)  # contexts opened so far, by storage channel


@dataclass
class FaultsInPlace:
    """Faults the scenario's steps left on the proxy and the database (the stub keeps its own)."""

    toxics: set[str] = field(default_factory=set)  # toxics in place on this run's proxy
    toxic_types: dict[str, str] = field(default_factory=dict)  # their types, by name
    proxy_disabled: bool = False
    db_stopped: bool = False


def ours(world: "World") -> bool:
    """Whether the world's browser was launched with the harness's flags (not a remote one)."""
    choice = getattr(world, "browser_choice", None)
    return not (choice is not None and choice.remote)


@dataclass
class ScenarioRun:
    """One scenario in progress. Made by ``start`` so the clock is built with the run it reads."""

    # what it runs against
    world: "World"
    scenario: "Scenario"
    adapter: Adapter
    site_id: str
    stub: "StubServer"
    sync_url: str
    proxy_name: str | None
    # what it records
    recorder: Recorder
    rng: random.Random
    notes: list[str]
    # what the steps changed
    contexts: Contexts
    faults: FaultsInPlace
    clock: VirtualClock = field(init=False)
    proxy_clock: Any = None  # the embedded proxy's PageClock (toxic durations in page time); None: real time

    @classmethod
    def start(cls, *, world: "World", scenario: "Scenario", adapter: Adapter, site_id: str, stub: "StubServer",
              sync_url: str, proxy_name: str | None, recorder: Recorder) -> "ScenarioRun":
        """A run at the scenario's start time, its page clock asking every place what it holds."""
        from harness.driver.visitors import tab_channel_contexts
        from harness.nemesis import places  # places act on runs; imported when one is made
        from harness.scenario.model import RestartBrowser

        run = cls(world=world, scenario=scenario, adapter=adapter, site_id=site_id, stub=stub, sync_url=sync_url,
                  proxy_name=proxy_name, recorder=recorder, rng=random.Random(scenario.seed), notes=[],
                  contexts=Contexts(persistent=any(isinstance(s, RestartBrowser) for s in scenario.steps),
                                    tab_channel=tab_channel_contexts(scenario, navigations_seen=ours(world))),
                  faults=FaultsInPlace())
        run.clock = VirtualClock(scenario.start_ms, run.live_sessions, activity=run.activity,
                                 held=lambda: places.held(run), release_due=lambda now: places.release_due(run, now),
                                 on_bulk=lambda context: pagetime.journal_catch_up(stub.journal, context),
                                 held_in=lambda context: places.held(run, context),
                                 release_due_in=lambda context, now: places.release_due(run, now, context),
                                 couples=lambda: places.couples(run), activity_in=ContextActivity(run))
        return run

    @property
    def now(self) -> int:
        return self.clock.now

    def live_sessions(self) -> list[ContextSession]:
        return list(self.contexts.sessions.values())

    async def session(self, name: str) -> ContextSession:
        """The context called ``name``, opened (observer first) on first use."""
        c = self.contexts
        if name in c.sessions:
            return c.sessions[name]
        session = await ContextSession.create(
            name=name, pw=self.world.pw, browser=self.world.browser, choice=self.world.browser_choice,
            recorder=self.recorder, adapter=self.adapter, site_url=self.stub.site_url,
            sync_url=self.sync_url, now_ms=self.now, persistent=c.persistent,
            profile_dir=c.closed_profiles.pop(name, None),
            storage_mode=c.pending_storage_mode.get(name, "normal"),
            seed=self.scenario.seed, generation=c.opened.get(name, 0),
            trace_dir=self.world.staging(self.scenario.name),
            page_time_tags=self.scenario.sets_stub_faults(),
            channel="tab" if name in c.tab_channel else "observer",
        )
        c.opened[name] = c.opened.get(name, 0) + 1
        c.channels[session.channel] = c.channels.get(session.channel, 0) + 1
        c.sessions[name] = session
        return session

    def tab(self, session: ContextSession, tab: str, line: int) -> "Page":
        page = session.tabs.get(tab)
        if page is None or page.is_closed():
            raise StepFailed(line, f"tab {tab!r} in context {session.name!r} is not open")
        return page

    def intent(self, session: ContextSession, tab: str, ec: str, ea: str, el: str | None = None) -> Intent:
        return self.recorder.intent(session.name, tab, ec, ea, el, self.now)

    def op(self, kind: OpKind, *, session: ContextSession | None = None, tab: str | None = None,
           detail: dict[str, Any] | None = None, intents: tuple[Intent, ...] = ()) -> None:
        d = dict(detail or {})
        if session is not None:
            d.setdefault("online", not session.offline)
        self.recorder.op(kind, self.now, context=session.name if session else None, page=tab,
                         detail=d, intents=intents)

    def activity(self) -> int:
        """A number that moves whenever a fact arrives (journal entry, write, attempt)."""
        return self.stub.journal.received + len(self.recorder.writes) + len(self.recorder.attempts)

    async def flush(self) -> None:
        """Every context's writes so far reached the recorder (before a step's op). Contexts side by
        side: each waits for its own observer's round trip, and one after another a hundred
        visitors' flushes took seconds of real time before every step. The first failure, in the
        contexts' order, is raised once all have ended, the others' named on it (a second context's
        tampering would otherwise go unsaid)."""
        sessions = self.live_sessions()
        done = await asyncio.gather(*(s.flush() for s in sessions), return_exceptions=True)
        failed = [(s.name, o) for s, o in zip(sessions, done) if isinstance(o, BaseException)]
        if failed:
            first = failed[0][1]
            for name, other in failed[1:]:
                first.add_note(f"context {name}'s flush failed too: {type(other).__name__}: {other}")
            raise first


class StepFailed(Exception):
    """A step could not be performed (not a guarantee failure: the scenario or the build is broken)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
