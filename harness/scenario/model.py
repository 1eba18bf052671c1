"""The validated scenario: frozen, plain data the driver and nemesis execute step by step.

Every step carries the YAML ``line`` it came from so run-time failures and reports can point
back at the scenario file, and the ``context``/``tab`` it acts on (``main`` unless given).
``SCOPE`` says what a step acts on: ``tab`` (a page), ``context`` (a browser context: one
visitor's browser, profile and storage), ``world`` (clock, stub, proxy, database) or ``any`` (hooks).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from harness.checker.policy import SCENARIO_SETTINGS
from harness.contract import site

DEFAULT_START = "2026-03-10T09:00:00Z"
DEFAULT_SETTLE_MS = 10 * 60 * 1000

CLICK_TARGETS: dict[str, str] = {name: t.selector for name, t in site.CLICK_TARGETS.items()}
"""Named click targets on the test site → CSS selectors (declared in ``harness.contract.site``)."""

PAGES: tuple[str, ...] = tuple(site.PAGES)
"""Named pages of the test site (``home`` is ``/``); any other page is a path starting with ``/``."""

VISITOR_ACTIONS: tuple[str, ...] = site.VISITOR_ACTIONS
"""What a generated visitor may do: open a page, click a target, go to page 2."""

POLICY_FIELDS: dict[str, str] = dict(SCENARIO_SETTINGS)
"""Checker policy overrides a scenario may set, and how their values are read."""


@dataclass(frozen=True, kw_only=True)
class StepBase:
    """What every step has: where it was written and what it acts on."""

    KIND: ClassVar[str] = ""
    SCOPE: ClassVar[Literal["tab", "context", "world", "any"]] = "tab"
    line: int
    context: str = "main"
    tab: str = "main"
    note: str | None = None


@dataclass(frozen=True)
class Open(StepBase):
    """Open ``page`` in a new tab: ``home``, ``page2`` or a ``/path``."""

    KIND: ClassVar[str] = "open"
    page: str
    query: dict[str, str] = field(default_factory=dict)
    referrer: str | None = None


@dataclass(frozen=True)
class Navigate(StepBase):
    """Navigate the tab's page (runs ``beforeunload``/``pagehide`` of the old page)."""

    KIND: ClassVar[str] = "navigate"
    page: str
    query: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reload(StepBase):
    KIND: ClassVar[str] = "reload"


@dataclass(frozen=True)
class Close(StepBase):
    """Close the tab; ``before_unload=False`` skips ``beforeunload`` (``pagehide`` still runs)."""

    KIND: ClassVar[str] = "close"
    before_unload: bool = True


@dataclass(frozen=True)
class Crash(StepBase):
    """Kill the tab's renderer: no unload handlers at all."""

    KIND: ClassVar[str] = "crash"


@dataclass(frozen=True)
class Click(StepBase):
    """Click ``selector``; ``target`` is the name written (``tel``) or the raw selector."""

    KIND: ClassVar[str] = "click"
    target: str
    selector: str
    at_once: bool = False  # no human pause after the tab's previous click (harness/driver/journey.py)


@dataclass(frozen=True)
class Send(StepBase):
    """Call the build's public API: ``send(category, action, label, value, meta)``."""

    KIND: ClassVar[str] = "send"
    category: str
    action: str
    label: Any = None  # usually a string; any JSON scalar, to provoke a 422
    value: Any = None
    meta: dict[str, Any] | None = None


@dataclass(frozen=True)
class SetOffline(StepBase):
    """``BrowserContext.set_offline``: fires the window ``offline``/``online`` events."""

    KIND: ClassVar[str] = "offline"
    SCOPE: ClassVar[Literal["tab", "context", "world", "any"]] = "context"
    offline: bool


@dataclass(frozen=True)
class Advance(StepBase):
    """Move the page clock: ``run`` fires timers event by event, ``jump`` fast-forwards once."""

    KIND: ClassVar[str] = "advance"
    SCOPE: ClassVar[Literal["tab", "context", "world", "any"]] = "world"
    ms: int
    mode: Literal["run", "jump"] = "run"


@dataclass(frozen=True)
class StubFault(StepBase):
    """HTTP faults in the Sync stub; ``spec`` is the validated mapping as written."""

    KIND: ClassVar[str] = "stub"
    SCOPE: ClassVar[Literal["tab", "context", "world", "any"]] = "world"
    spec: dict[str, Any]


@dataclass(frozen=True)
class Toxic(StepBase):
    """Add, remove or update a Toxiproxy toxic on the Sync proxy (defaults already filled in)."""

    KIND: ClassVar[str] = "toxic"
    SCOPE: ClassVar[Literal["tab", "context", "world", "any"]] = "world"
    op: Literal["add", "remove", "update"]
    name: str | None = None
    type: str | None = None  # for remove/update: the type of the toxic the scenario added
    stream: str | None = "downstream"  # for remove/update: the stream of the added toxic
    toxicity: float | None = 1.0  # update: None = unchanged
    attributes: dict[str, int] = field(default_factory=dict)  # update: only the changed ones


@dataclass(frozen=True)
class ProxyEnabled(StepBase):
    """Enable/disable the Sync proxy: refused connections while ``navigator.onLine`` stays true."""

    KIND: ClassVar[str] = "proxy"
    SCOPE: ClassVar[Literal["tab", "context", "world", "any"]] = "world"
    enabled: bool


@dataclass(frozen=True)
class SeedEnvelope:
    """An envelope to pre-seed; ``None`` fields get harness defaults unless listed in ``omit``."""

    id: str | None = None
    age_ms: int | None = None  # ts = page clock now - age (negative: from the future)
    ts_ms: int | None = None  # absolute ts (ms since epoch); exclusive with age_ms
    attempts: int | None = None
    payload: dict[str, Any] | None = None
    omit: tuple[str, ...] = ()  # envelope fields to leave out (broken envelopes)
    extra: dict[str, Any] = field(default_factory=dict)  # extra envelope fields, written as is


@dataclass(frozen=True)
class SeedOutbox(StepBase):
    """Write the outbox (or ``key``) before the build loads: envelopes, or a ``raw`` string."""

    KIND: ClassVar[str] = "seed_outbox"
    SCOPE: ClassVar[Literal["tab", "context", "world", "any"]] = "context"
    envelopes: tuple[SeedEnvelope, ...] | None = None
    raw: str | None = None
    key: str | None = None  # None: the adapter's outbox key


@dataclass(frozen=True)
class Storage(StepBase):
    """``quota``: fill localStorage to quota; ``private``: localStorage throws; ``normal``: undo."""

    KIND: ClassVar[str] = "storage"
    SCOPE: ClassVar[Literal["tab", "context", "world", "any"]] = "context"
    mode: Literal["quota", "private", "normal"]


@dataclass(frozen=True)
class RestartBrowser(StepBase):
    """Restart the context's browser on its persistent profile: its tabs are gone, storage survives."""

    KIND: ClassVar[str] = "restart_browser"
    SCOPE: ClassVar[Literal["tab", "context", "world", "any"]] = "context"


@dataclass(frozen=True)
class Db(StepBase):
    """Stop/start the ingest database, or call one of its SQL functions."""

    KIND: ClassVar[str] = "db"
    SCOPE: ClassVar[Literal["tab", "context", "world", "any"]] = "world"
    action: Literal["stop", "start", "call"]
    function: str | None = None
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Hook(StepBase):
    """Call ``module:function`` (imported at run time) for what the format cannot say."""

    KIND: ClassVar[str] = "hook"
    SCOPE: ClassVar[Literal["tab", "context", "world", "any"]] = "any"
    target: str
    args: dict[str, Any] = field(default_factory=dict)


Step = (
    Open | Navigate | Reload | Close | Crash | Click | Send | SetOffline | Advance | StubFault | Toxic
    | ProxyEnabled | SeedOutbox | Storage | RestartBrowser | Db | Hook
)


@dataclass(frozen=True)
class Visitors:
    """Many faker-made visitors, each in its own context, doing ``actions`` in order."""

    count: int
    seed: int
    tabs_per_visitor: int = 1
    actions: tuple[str, ...] = ("view",)


@dataclass(frozen=True)
class Scenario:
    """One validated scenario file."""

    name: str
    description: str
    judges: tuple[str, ...]
    seed: int
    start_ms: int
    tracker_attrs: dict[str, str]
    policy: dict[str, int | float]
    settle_ms: int
    heal: bool
    tags: tuple[str, ...]
    ingest: Literal["any", "postgres"]
    visitors: Visitors | None
    path: str
    steps: tuple[Step, ...]
    expect_pending: bool = False  # events may still be pending after settle (--strict accepts them)

    def sets_stub_faults(self) -> bool:
        """Whether a step may put an HTTP fault in the stub (a hook may do anything)."""
        return any(isinstance(s, (StubFault, Hook)) for s in self.steps)

    def tabs(self) -> list[tuple[str, str]]:
        """Every ``(context, tab)`` the steps open, in order of first appearance."""
        seen: dict[tuple[str, str], None] = {}
        for step in self.steps:
            if isinstance(step, Open):
                seen.setdefault((step.context, step.tab), None)
        return list(seen)

    def contexts(self) -> list[str]:
        """Every context any step names, in order of first appearance."""
        seen: dict[str, None] = {}
        for step in self.steps:
            if step.SCOPE in ("tab", "context"):
                seen.setdefault(step.context, None)
        return list(seen)
