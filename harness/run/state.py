"""The state of one scenario in progress: the parts it runs against and the recorder.

Driver and nemesis steps receive a ``ScenarioRun``; they act through it and record ops on it.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.contract.adapter import Adapter
from harness.run.clock import VirtualClock
from harness.contract.history import Intent
from harness.history.recorder import Recorder
from harness.world.context import ContextSession

if TYPE_CHECKING:
    from playwright.async_api import Page

    from harness.scenario.model import Scenario
    from harness.world.world import World
    from server_stub.app import StubServer


@dataclass
class ScenarioRun:
    world: "World"
    scenario: "Scenario"
    adapter: Adapter
    site_id: str
    stub: "StubServer"
    sync_url: str
    proxy_name: str | None
    recorder: Recorder
    clock: VirtualClock
    rng: random.Random
    sessions: dict[str, ContextSession] = field(default_factory=dict)
    closed_profiles: dict[str, Path] = field(default_factory=dict)
    persistent: bool = False
    pending_storage_mode: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    toxics: set[str] = field(default_factory=set)  # toxics in place on this run's proxy
    proxy_disabled: bool = False
    db_stopped: bool = False
    opened: dict[str, int] = field(default_factory=dict)  # contexts opened so far, by name

    @property
    def now(self) -> int:
        return self.clock.now

    def live_sessions(self) -> list[ContextSession]:
        return list(self.sessions.values())

    async def session(self, name: str) -> ContextSession:
        """The context called ``name``, opened (observer first) on first use."""
        if name in self.sessions:
            return self.sessions[name]
        session = await ContextSession.create(
            name=name, pw=self.world.pw, browser=self.world.browser, choice=self.world.browser_choice,
            recorder=self.recorder, adapter=self.adapter, site_url=self.stub.site_url,
            sync_url=self.sync_url, now_ms=self.now, persistent=self.persistent,
            profile_dir=self.closed_profiles.pop(name, None),
            storage_mode=self.pending_storage_mode.get(name, "normal"),
            seed=self.scenario.seed, generation=self.opened.get(name, 0),
            trace_dir=self.world.staging(self.scenario.name),
        )
        self.opened[name] = self.opened.get(name, 0) + 1
        self.sessions[name] = session
        return session

    def tab(self, session: ContextSession, tab: str, line: int) -> "Page":
        page = session.tabs.get(tab)
        if page is None or page.is_closed():
            raise StepFailed(line, f"tab {tab!r} in context {session.name!r} is not open")
        return page

    def intent(self, session: ContextSession, tab: str, ec: str, ea: str, el: str | None = None) -> Intent:
        return self.recorder.intent(session.name, tab, ec, ea, el, self.now)

    def op(self, kind: str, *, session: ContextSession | None = None, tab: str | None = None,
           detail: dict[str, Any] | None = None, intents: tuple[Intent, ...] = ()) -> None:
        d = dict(detail or {})
        if session is not None:
            d.setdefault("online", not session.offline)
        self.recorder.op(kind, self.now, context=session.name if session else None, page=tab,
                         detail=d, intents=intents)

    def activity(self) -> int:
        """A number that moves whenever a fact arrives (journal entry, write, attempt)."""
        return len(self.stub.journal.entries()) + len(self.recorder.writes) + len(self.recorder.attempts)

    async def flush(self) -> None:
        for s in self.live_sessions():
            await s.flush()


class StepFailed(Exception):
    """A step could not be performed (not a guarantee failure: the scenario or the build is broken)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
