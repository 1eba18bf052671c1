"""Runaway builds end within the budget with a verdict naming the cause: a busy loop at load or
in a timer, a setTimeout(0) storm, a request flood; a retry storm cannot outlive its budget."""
from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import pytest

from harness.builds import Build, load_build
from harness.run import watchdog
from tests.harness.e2e import scenario_from_text

SCENARIO = """
name: runaway_{name}
judges: [no_loss]
settle: 1h
steps:
  - open: home
  - click: tel
  - advance: 1h
"""

SYNC = "document.querySelector('script[data-api]').getAttribute('data-api')"
RUNAWAYS = {
    "busy_at_load": ("while (true) {}", "stopped answering"),
    "busy_in_timer": ("setTimeout(() => { while (true) {} }, 2000);", "stopped answering"),
    "timer_storm": ("setTimeout(() => { const f = () => setTimeout(f, 0); f(); }, 2000);", "timer storm"),
    "flood": (f"setTimeout(() => {{ const u = {SYNC}; setInterval(() => {{ for (let i = 0; i < 50; i++) "
              "fetch(u, {method: 'POST', body: '{}', headers: {'Content-Type': 'application/json'}}).catch(() => {}); }, 5); }, 2000);",
              "request flood"),
}


BUDGET_S = 45.0


@pytest.fixture
def quick_watchdog(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thresholds a busy 2-core CI machine reaches quickly; the budget caps whatever slips through."""
    monkeypatch.setattr(watchdog, "STALL_S", 3.0)
    monkeypatch.setattr(watchdog, "FLOOD_PER_S", 40)
    original = watchdog.Watchdog.__init__

    def capped(self, run, budget_s, pages):  # type: ignore[no-untyped-def]
        original(self, run, min(budget_s, BUDGET_S), pages)

    monkeypatch.setattr(watchdog.Watchdog, "__init__", capped)


@pytest.mark.browser
@pytest.mark.parametrize("name", sorted(RUNAWAYS))
def test_a_runaway_build_is_stopped_with_its_cause(name: str, tank_worlds, quick_watchdog) -> None:
    source, cause = RUNAWAYS[name]
    build = Build(name=f"file:{name}.js", source=load_build("reference").source + "\n" + source, kind="file", path=None)
    started = time.monotonic()
    result = tank_worlds.get("memory").run(build, scenario_from_text(SCENARIO.format(name=name)))
    elapsed = time.monotonic() - started
    assert result.error is not None, name
    # A storm the clock still gets through slowly ends at the budget, which says how the clock fared.
    assert cause in result.error or (name == "timer_storm" and "had stepped" in result.error), result.error
    assert "stopped after" in result.error and "step " in result.error
    assert elapsed < BUDGET_S + 30, f"{name}: took {elapsed:.0f} s"


class _Page:
    """A page whose trivial evaluation answers after ``delay_s`` (``None``: never, a busy loop)."""

    url = "http://127.0.0.1/fake"

    def __init__(self, delay_s: float | None) -> None:
        self.delay_s = delay_s

    def is_closed(self) -> bool:
        return False

    async def evaluate(self, _script: str) -> int:
        await asyncio.sleep(self.delay_s if self.delay_s is not None else 3600)
        return 1


class _Counted(_Page):
    """A ``_Page`` that counts the watchdog's pings."""

    def __init__(self, delay_s: float | None) -> None:
        super().__init__(delay_s)
        self.pings = 0

    async def evaluate(self, _script: str) -> int:
        self.pings += 1
        return await super().evaluate(_script)


class _Journal:
    """What the watchdog reads of the stub's journal: a count, never a copy."""

    def __init__(self, requests: list[int]) -> None:
        self.requests = requests

    @property
    def received(self) -> int:
        return len(self.requests)


def _checks(page: _Page, for_s: float, requests_per_tick: int = 0, writes_per_tick: int = 0) -> str | None:
    """Run the watchdog's checks every tick for ``for_s`` seconds against one page, clock standing
    still, the Sync endpoint receiving ``requests_per_tick`` and the recorder ``writes_per_tick``."""
    journal: list[int] = []
    writes: list[int] = []
    def activity() -> int:
        # Writes arrive between any two ticks, however late a loaded machine runs them (a writer on
        # its own timer could lose the race to a tick delayed past STALL_S).
        writes.extend(range(writes_per_tick))
        return len(journal) + len(writes)

    run = SimpleNamespace(clock=SimpleNamespace(steps=0, now=0), activity=activity,
                          stub=SimpleNamespace(journal=_Journal(journal)))
    dog = watchdog.Watchdog(run, 300.0, lambda: [page])

    async def requests() -> None:
        while True:
            journal.extend(range(requests_per_tick))
            await asyncio.sleep(watchdog.TICK_S)

    async def watch() -> str | None:
        sender = asyncio.ensure_future(requests())
        try:
            await dog.guard(asyncio.sleep(for_s))
        except watchdog.Stopped as exc:
            return exc.cause
        finally:
            sender.cancel()
        return None

    return asyncio.run(watch())


def test_a_slow_page_is_not_a_busy_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """A starved CPU: every evaluation answers late (here 0.4 s, on a loaded machine seconds), but answers."""
    monkeypatch.setattr(watchdog, "STALL_S", 1.0)
    monkeypatch.setattr(watchdog, "TICK_S", 0.05)
    assert _checks(_Page(0.4), 2.5) is None


def test_a_page_that_never_answers_is_a_busy_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watchdog, "STALL_S", 1.0)
    monkeypatch.setattr(watchdog, "TICK_S", 0.05)
    cause = _checks(_Page(None), 60.0)  # named after ~1.2 s; the rest is slack for a loaded machine
    assert cause is not None and "stopped answering for 1 s" in cause, cause


def test_a_page_that_stops_answering_while_requests_pour_in_is_a_flood(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a starved CPU a flooding page stops answering before the flood rate is reached."""
    monkeypatch.setattr(watchdog, "STALL_S", 1.0)
    monkeypatch.setattr(watchdog, "TICK_S", 0.05)
    monkeypatch.setattr(watchdog, "FLOOD_PER_S", 1000)  # 20 per 50 ms tick: 400/s, under the rate
    cause = _checks(_Page(None), 60.0, requests_per_tick=20)  # ends when named
    assert cause is not None and cause.startswith("request flood: the page") and "stopped answering" in cause, cause


def test_a_silent_page_whose_writes_keep_arriving_is_not_a_busy_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """An observer page catching up on a backlog of outbox writes answers nothing else for a while."""
    monkeypatch.setattr(watchdog, "STALL_S", 1.0)
    monkeypatch.setattr(watchdog, "TICK_S", 0.05)
    assert _checks(_Page(None), 2.5, writes_per_tick=1) is None


def test_a_watchdog_tick_counts_the_journal_without_copying_it() -> None:
    """A tick reads how many requests arrived (flood, busy page), never a copy of the journal: a
    day-long run's journal grows to thousands of entries and the watchdog ticks every 0.5 s."""
    from server_stub.journal import Journal

    class NoCopies(Journal):
        def entries(self):  # noqa: ANN202
            raise AssertionError("the watchdog copied the journal")

    journal = NoCopies()
    for _ in range(3):
        journal.begin(method="POST", path="/api/sync")
    run = SimpleNamespace(clock=SimpleNamespace(steps=0, now=0), activity=lambda: journal.received,
                          stub=SimpleNamespace(journal=journal))
    dog = watchdog.Watchdog(run, 300.0, lambda: [])
    dog._journal_mark = (dog._journal_mark[0] - 10.0, 0)  # the flood check's window is due
    assert asyncio.run(dog.check()) is None
    assert dog._journal_mark[1] == 3


def test_a_page_that_answers_the_harness_is_not_pinged(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page that answered a clock run or probe within the ping interval is not stalled: no ping
    (each is a protocol round trip through the harness, the driver and the page). Once its answers
    stop, it is pinged again and a page that never answers is still named."""
    from harness.history import pagecall

    monkeypatch.setattr(watchdog, "STALL_S", 1.0)
    monkeypatch.setattr(watchdog, "TICK_S", 0.05)

    busy = _Counted(None)  # answers the harness's calls, never a ping

    def pages() -> list[_Page]:
        # The page answers a harness call between any two ticks, however late a loaded machine
        # runs them (a call answered every 50 ms of real time lost the race to a tick delayed by
        # more than the 0.17 s ping interval and was pinged).
        pagecall.answered(busy)
        return [busy]

    async def watch() -> None:
        run = SimpleNamespace(clock=SimpleNamespace(steps=0, now=0), activity=lambda: 0,
                              stub=SimpleNamespace(journal=_Journal([])))
        await watchdog.Watchdog(run, 300.0, pages).guard(asyncio.sleep(2.5))

    asyncio.run(watch())
    assert busy.pings == 0
    silent = _Counted(None)
    pagecall.answered(silent)  # answered once, then nothing: pinged after the interval, then named
    cause = _checks(silent, 60.0)  # named after ~1.2 s; the rest is slack for a loaded machine
    assert silent.pings >= 1 and cause is not None and "stopped answering" in cause, cause


def test_a_page_just_opened_is_not_pinged_before_the_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page first seen counts as answering then: its first ping comes a ping interval later (one
    evaluation per page opened — every visitor's observer and tab — went for nothing). A page that
    never answers is still named: test_a_page_that_never_answers_is_a_busy_loop."""
    monkeypatch.setattr(watchdog, "STALL_S", 60.0)  # a ping interval of 10 s against 0.1 s watched: a
    # loaded machine may hold the process for seconds between two ticks
    monkeypatch.setattr(watchdog, "TICK_S", 0.02)

    fresh = _Counted(None)
    assert _checks(fresh, 0.1) is None
    assert fresh.pings == 0
