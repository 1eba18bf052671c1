"""Many visitors at once: faker-made people, each in their own browser context.

Each visitor gets a Turkish-looking session (a gclid on most ad clicks, a referrer) and performs
the scenario's ``visitors.actions`` through the ordinary driver steps, so every click is an op
with its intent, exactly as if a scenario file had spelled it out.
"""
from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from faker import Faker

from harness.contract import site
from harness.run.tasks import gather_or_cancel
from harness.scenario import model as m

if TYPE_CHECKING:
    from harness.run.state import ScenarioRun

REFERRERS = ("https://www.google.com/", "https://www.google.com.tr/", "https://www.facebook.com/",
             "https://www.instagram.com/", None)


def page_vars(seed: int) -> dict[str, str]:
    """The phone and WhatsApp numbers printed on the test pages (seeded, Turkish)."""
    fake = Faker("tr_TR")
    fake.seed_instance(seed)
    digits = "90" + "5" + "".join(str(fake.random_digit()) for _ in range(9))
    return {"phone": f"+{digits[:2]} {digits[2:5]} {digits[5:8]} {digits[8:10]} {digits[10:]}", "wa_number": digits}


@dataclass(frozen=True)
class VisitorArrivals:
    """Every generated visitor's steps; visitors arrive concurrently, each one's steps in order."""

    journeys: tuple[tuple[m.Step, ...], ...]
    parallel: int = 8  # visitors opening at once (each is a browser context with two pages)


PARALLEL = VisitorArrivals.parallel  # read at each run: bench/pagetime.py --parallel measures others


def visitor_arrivals(visitors: m.Visitors) -> VisitorArrivals:
    """The visitors' journeys, one per context, in arrival order."""
    journeys: dict[str, list[m.Step]] = {}
    for step in visitor_steps(visitors):
        journeys.setdefault(step.context, []).append(step)
    return VisitorArrivals(tuple(tuple(j) for j in journeys.values()), PARALLEL)


async def arrive(run: "ScenarioRun", arrivals: VisitorArrivals, handlers: Mapping[type, Any]) -> None:
    """Run the journeys concurrently (``parallel`` at once); context seeds come from context names,
    so they do not depend on which visitor arrives first."""
    slots = asyncio.Semaphore(arrivals.parallel)

    async def journey(steps: tuple[m.Step, ...]) -> None:
        async with slots:
            for step in steps:
                await handlers[type(step)](run, step)

    await gather_or_cancel(journey(j) for j in arrivals.journeys)


def targets_of(action: str) -> tuple[str, ...]:
    """The click targets a visitor's ``action`` clicks, in order (``view``: none)."""
    if action == "view":
        return ()
    return ("page2_link", "home_link") if action == "page2" else (action,)  # there and back


def navigates(action: str) -> bool:
    """Whether a visitor's ``action`` loads another document in its tab."""
    return any(site.CLICK_TARGETS[t].navigates_to for t in targets_of(action))


def visitor_context(i: int) -> str:
    """The context of the ``i``-th generated visitor (from 0)."""
    return f"visitor{i + 1}"


def tab_channel_contexts(scenario: m.Scenario, navigations_seen: bool = True) -> frozenset[str]:
    """The generated visitors' contexts whose storage writes are recorded from their one tab's
    ``DOMStorage`` events instead of an observer page (harness/history/tabwatch.py): chosen once,
    before the run, never switched. Only when nothing in the scenario can close, crash, restart,
    reload or open a second tab in them — a page being closed takes its tab's channel with it — so:
    one tab per visitor, no step naming a visitor's context (their steps are the generated ones
    alone), no ``restart_browser`` (persistent profiles start with storage) and no hook (it may do
    anything). A visitor whose actions navigate (``page2``) unloads documents: their last writes
    reach the tab's channel only in a browser launched with RenderDocument off
    (``navigations_seen``: the harness's own launch, harness/world/browser.py; a remote browser's
    flags are not ours — Chromium then drops the old document's events still on their way: 13 and
    16 of 40 navigations lost their ``beforeunload`` writes, bench/storage_events_nav.py). Every
    other context keeps the observer."""
    v = scenario.visitors
    if v is None:
        return scripted_tab_channel(scenario, navigations_seen)
    if v.tabs_per_visitor != 1:
        return frozenset()
    if not navigations_seen and any(navigates(a) for a in v.actions):
        return frozenset()
    if any(isinstance(s, (m.Hook, m.RestartBrowser)) for s in scenario.steps) or page_ms(scenario) > TAB_CHANNEL_PAGE_MS:
        return frozenset()
    named = set(scenario.contexts())
    return frozenset(name for name in map(visitor_context, range(v.count)) if name not in named)


# Steps that neither touch a context's storage nor close, crash, reload or restart its pages, nor
# run code of their own (a hook): what a scenario recorded through its tab's channel may hold.
TAB_CHANNEL_STEPS = (m.Open, m.Click, m.Send, m.Advance, m.SetOffline, m.StubFault, m.Toxic, m.ProxyEnabled)
TAB_CHANNEL_PAGE_MS = 3_600_000
"""A scenario running longer in page time (its advances and its settle) keeps the observer: a long
outage piles up the outbox, and the tab channel ships every whole value through the protocol into
Python (the 26 h reference, 3,057 writes of ~37 KB: 2.9x the CPU, docs/architecture.md) where the
observer diffs them in its page. The settle counts: a 26 h outage left to it cost 3x the wall."""


def page_ms(scenario: m.Scenario) -> int:
    """The page time a scenario's advances and its settle run (its steps' own jumps aside)."""
    return sum(s.ms for s in scenario.steps if isinstance(s, m.Advance)) + scenario.settle_ms


def scripted_tab_channel(scenario: m.Scenario, navigations_seen: bool = True) -> frozenset[str]:
    """A scripted scenario's one context recorded through its one tab (``tab_channel_contexts``):
    when a single ``open`` makes its only tab, every step is of ``TAB_CHANNEL_STEPS`` (no close,
    crash, reload, restart, storage or outbox step, no hook, no database step) and its page time
    (``page_ms``) stays within ``TAB_CHANNEL_PAGE_MS``; in the harness's own browser only (a click may navigate,
    and a remote browser's RenderDocument is not ours). The observer page it saves is ~0.2 CPU-s a
    scenario, a third of a small scenario's set-up (bench/pagetime.py --part breakdown)."""
    steps = scenario.steps
    opens = [s for s in steps if isinstance(s, m.Open)]
    if not navigations_seen or len(opens) != 1 or not all(isinstance(s, TAB_CHANNEL_STEPS) for s in steps):
        return frozenset()
    if page_ms(scenario) > TAB_CHANNEL_PAGE_MS:
        return frozenset()
    if set(scenario.contexts()) != {opens[0].context}:
        return frozenset()
    return frozenset({opens[0].context})


def visitor_steps(visitors: m.Visitors) -> list[m.Step]:
    """The driver steps for every visitor, in arrival order."""
    fake = Faker("tr_TR")
    fake.seed_instance(visitors.seed)
    steps: list[m.Step] = []
    for i in range(visitors.count):
        context = visitor_context(i)
        query = {"gclid": fake.pystr(min_chars=24, max_chars=24)} if fake.boolean(chance_of_getting_true=60) else {}
        referrer = fake.random_element(REFERRERS)
        for t in range(visitors.tabs_per_visitor):
            tab = f"tab{t + 1}"
            steps.append(m.Open(line=0, context=context, tab=tab, page="home", query=query, referrer=referrer))
            for action in visitors.actions:
                targets = targets_of(action)
                # at once: visitors click concurrently and one shared page clock cannot pause for each
                steps += [m.Click(line=0, context=context, tab=tab, target=t, selector=site.CLICK_TARGETS[t].selector,
                                  at_once=True) for t in targets]
    return steps
