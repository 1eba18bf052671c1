"""Contexts apart inside one advance (no browser: pages and places are scripted): when the clock
runs apart, what each context's clock does with its own timers and held answers, and what the
fault places say couples contexts."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from harness.nemesis import places
from harness.run import clock as clock_mod
from harness.run import pagetime
from harness.run.clock import ONE_CONTEXT, Held, VirtualClock
from server_stub.faults import FaultPlan

START = 1_000_000


class Page:
    def __init__(self, timers: list[int]) -> None:
        self.timers = sorted(timers)

    def is_closed(self) -> bool:
        return False

    def next_due(self) -> int | None:
        return self.timers[0] if self.timers else None

    def fire(self, to: int) -> int:
        fired = [t for t in self.timers if t <= to]
        self.timers = [t for t in self.timers if t > to]
        return len(fired)


class Adapter:
    def watched_keys(self) -> list[str]:
        return []


@dataclass
class Session:
    name: str
    timers: list[int]
    tabs: dict[str, Page] = field(default_factory=dict)
    adapter: Adapter = field(default_factory=Adapter)
    recorder: Any = None

    def __post_init__(self) -> None:
        self.tabs = {"main": Page(self.timers)}

    async def probe_detail(self, wait_ms: int = 0, held: int = 0) -> tuple[int, int, int | None, int]:
        return 0, 0, self.tabs["main"].next_due(), 0


class Calls(list):
    """Page runs made, and which context each fake page belongs to."""

    def __init__(self) -> None:
        super().__init__()
        self.owner: dict[int, str] = {}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """Every page run: (context, "bulk" or "to", page time run to)."""
    made = Calls()
    owner = made.owner

    async def run_bulk(page: Page, to: int, keys: list[str], budget_ms: float = 30.0) -> pagetime.PageRun:
        made.append((owner[id(page)], "bulk", to))
        await asyncio.sleep(0)  # another context's clock runs meanwhile
        fired = page.fire(to)
        return pagetime.PageRun(to, fired, "done", probe=(0, 0, page.next_due(), 0))

    async def run_to(page: Page, to: int) -> pagetime.PageRun:
        made.append((owner[id(page)], "to", to))
        return pagetime.PageRun(to, page.fire(to), probe=(0, 0, page.next_due(), 0))

    monkeypatch.setattr(pagetime, "run_bulk", run_bulk)
    monkeypatch.setattr(pagetime, "run_to", run_to)
    return made


def make_clock(calls: Calls, sessions: list[Session], couples: str | None = None,
               held: dict[str, int] | None = None, released: list | None = None) -> VirtualClock:
    for s in sessions:
        calls.owner[id(s.tabs["main"])] = s.name
    dues = dict(held or {})

    def release(context: str, now: int) -> int:
        if context in dues and dues[context] <= now:
            (released if released is not None else []).append((context, now))
            del dues[context]
            return 1
        return 0

    return VirtualClock(START, lambda: sessions,  # type: ignore[arg-type, return-value]
                        held=lambda: Held(due=min(dues.values(), default=None)),
                        held_in=lambda c: Held(due=dues.get(c)), release_due_in=release,
                        couples=lambda: couples, opens_later=lambda: False)


async def test_contexts_apart_each_run_their_own_timers_in_bulk(calls: Calls) -> None:
    """Both contexts have timers: in lockstep a context runs in bulk only up to the other's next
    timer; apart, each runs its own in one bulk run to the target, and the run's clock is there after."""
    a, b = Session("a", [START + 1_000, START + 2_000]), Session("b", [START + 1_500])
    c = make_clock(calls, [a, b])
    await c.advance(10_000)
    assert sorted(calls) == [("a", "bulk", START + 10_000), ("b", "bulk", START + 10_000)]
    assert c.now == START + 10_000 and c.timers == 3 and c.modes == {"apart": 1}
    assert c.steps == 2 and c.now_in("a") == c.now  # stops of both contexts counted; no context apart now
    assert c.mode_notes() == ["clock: 1 advance(s) of several contexts ran with a clock per context (contexts apart)"]


async def test_lockstep_when_something_couples_the_contexts(calls: Calls) -> None:
    a, b = Session("a", [START + 1_000, START + 2_000]), Session("b", [START + 1_500])
    c = make_clock(calls, [a, b], couples="a toxic is in place on the proxy")
    await c.advance(10_000)
    # A lone context runs in bulk only up to the other's next timer; every stop is shared.
    assert calls[0] == ("a", "bulk", START + 1_499) and len(calls) > 2, calls
    assert c.now == START + 10_000 and c.timers == 3
    assert c.modes == {"a toxic is in place on the proxy": 1}
    assert "0 advance(s)" in c.mode_notes()[0] and "1 because a toxic is in place" in c.mode_notes()[0]


async def test_one_context_or_switched_off_is_lockstep(calls: Calls, monkeypatch: pytest.MonkeyPatch) -> None:
    a = Session("a", [START + 1_000])
    c = make_clock(calls, [a])
    assert c._lockstep_why() == ONE_CONTEXT
    await c.advance(5_000)
    assert c.modes == {} and c.mode_notes() == []  # the same either way: not counted
    monkeypatch.setattr(clock_mod, "APART", False)
    off = make_clock(calls, [Session("x", []), Session("y", [])])
    assert off._lockstep_why() == "per-context clocks are off"
    assert VirtualClock(START, lambda: [Session("x", []), Session("y", [])])._lockstep_why() is not None  # type: ignore[list-item, return-value]


async def test_a_held_answer_is_due_in_its_own_contexts_time(calls: Calls) -> None:
    """A's held answer is due at +3 s: A's clock stops there and lets it go; B runs past it to the
    target in one run and releases nothing. While they run, each context has its own page time."""
    a, b = Session("a", []), Session("b", [START + 500])
    released: list[tuple[str, int]] = []
    c = make_clock(calls, [a, b], held={"a": START + 3_000}, released=released)
    seen: list[tuple[int, int, int]] = []
    real_bulk = pagetime.run_bulk

    async def watching(page: Page, to: int, keys: list[str], budget_ms: float = 30.0) -> pagetime.PageRun:
        run = await real_bulk(page, to, keys, budget_ms)
        seen.append((c.now, c.now_in("a"), c.now_in("b")))
        return run

    pagetime.run_bulk = watching  # type: ignore[assignment]  # restored by the fixture's monkeypatch
    await c.advance(10_000)
    assert released == [("a", START + 3_000)]
    assert ("a", "bulk", START + 3_000) in calls and ("b", "bulk", START + 10_000) in calls
    assert c.now == START + 10_000 and c.modes == {"apart": 1}
    assert any(now == min(ta, tb) and ta != tb for now, ta, tb in seen), seen  # the run's now: the least reached


async def test_page_time_at_reads_a_contexts_own_clock(calls: Calls) -> None:
    a, b = Session("a", [START + 1_000]), Session("b", [])
    c = make_clock(calls, [a, b])
    c._moves_in["a"] = clock_mod.deque([(100.0, START), (200.0, START + 7_000)])
    c._moves.clear()
    c._moves.extend([(50.0, START), (300.0, START + 9_000)])
    assert c.page_time_at(250.0) == START and c.page_time_at(250.0, "a") == START + 7_000
    assert c.page_time_at(250.0, "b") == START and c.page_time_at(90.0, "a") == START  # before its own clock
    assert c.page_time_at(400.0, "a") == START + 9_000  # the run's clock caught up


def fake_run(**kw: Any) -> Any:
    plan = FaultPlan()
    plan.holds.follow_page_clock()
    run = SimpleNamespace(faults=SimpleNamespace(toxics=set(), toxic_types={}), proxy_clock=None,
                          recorder=SimpleNamespace(ended_sends=set()),
                          stub=SimpleNamespace(faults=plan, store=SimpleNamespace()),
                          live_sessions=lambda: [SimpleNamespace(name="v1"), SimpleNamespace(name="v2")])
    for k, v in kw.items():
        setattr(run, k, v)
    return run


async def test_what_couples_contexts() -> None:
    run = fake_run()
    assert places.couples(run) is None
    run.stub.faults.random(0.5, {"status": 503})
    run.stub.faults.set_default({"delay_ms": 3000})
    assert places.couples(run) is None  # drawn by what a request is, whenever it comes
    run.stub.faults.push({"status": 503})
    assert "arrival order" in (places.couples(run) or "")
    run.stub.faults.clear()
    run.faults.toxics.add("lat")
    assert "toxic" in (places.couples(run) or "")
    run.faults.toxics.clear()
    run.stub.store.rate_limited = True
    assert "rate-limits" in (places.couples(run) or "")
    run.stub.store.rate_limited = False
    held = asyncio.ensure_future(run.stub.faults.holds.delay(0, 3000, key="x.1", context="gone"))
    await asyncio.sleep(0)
    assert "no open context" in (places.couples(run) or "")
    run.stub.faults.holds.release_all()
    await held
    mine = asyncio.ensure_future(run.stub.faults.holds.delay(0, 3000, key="x.2", context="v1"))
    await asyncio.sleep(0)
    assert places.couples(run) is None
    assert places.held(run, "v1").due == 3000 and places.held(run, "v2").due is None
    assert places.release_due(run, 3000, "v2") == 0 and places.release_due(run, 3000, "v1") == 1
    assert await mine == "released"


async def test_stops_of_contexts_ahead_are_counted_when_the_advance_ends(calls: Calls) -> None:
    """The watchdog names a timer storm by stops against the run's page time (the least any context
    reached): only the stops of the context holding it back count while the advance runs."""
    a = Session("a", [START + 1_000 * i for i in range(1, 9)])
    b = Session("b", [START + 9_000])
    c = make_clock(calls, [a, b])
    live: list[int] = []
    real_bulk = pagetime.run_bulk
    a_done = asyncio.Event()

    async def one_timer_at_a_time(page: Page, to: int, keys: list[str], budget_ms: float = 30.0) -> pagetime.PageRun:
        live.append(c.steps)
        if calls.owner[id(page)] == "b":
            await a_done.wait()  # b's page answers slowly: b holds the run's page time back meanwhile
            return await real_bulk(page, to, keys, budget_ms)
        to = min(to, page.timers[0]) if page.timers else to  # a stops at each of its timers (as at each request)
        run = await real_bulk(page, to, keys, budget_ms)
        if not page.timers:
            a_done.set()
        return run

    pagetime.run_bulk = one_timer_at_a_time  # type: ignore[assignment]  # restored by the fixture's monkeypatch
    await c.advance(10_000)
    assert c.now == START + 10_000 and c.timers == 9
    assert c.steps == sum(1 for _ in calls)  # every stop, in the end
    assert max(live) <= 3 < 10 == c.steps  # a's stops ahead of b were not counted while b lagged


async def test_a_context_raising_mid_bulk_leaves_no_hold_on_the_journal(
        calls: Calls, tmp_path: Any) -> None:
    """Contexts apart, each holding the journal's file lines through its bulk run: one context's
    page raises (a hostile build's error), the advance cancels the other mid-run; both holds are
    released, so the failed scenario's journal file keeps every line after that point."""
    from server_stub.journal import Journal
    journal = Journal(tmp_path / "j.jsonl")
    a, b = Session("a", [START + 1_000]), Session("b", [START + 1_500])
    c = make_clock(calls, [a, b])
    c.on_bulk = lambda context: pagetime.journal_catch_up(journal, context)
    b_running = asyncio.Event()
    real_bulk = pagetime.run_bulk

    async def raising(page: Page, to: int, keys: list[str], budget_ms: float = 30.0) -> pagetime.PageRun:
        if calls.owner[id(page)] == "a":
            await b_running.wait()
            raise RuntimeError("the build broke its page")
        b_running.set()
        await asyncio.Event().wait()  # still running when a raises: cancelled
        return await real_bulk(page, to, keys, budget_ms)

    pagetime.run_bulk = raising  # type: ignore[assignment]  # restored by the fixture's monkeypatch
    with pytest.raises(RuntimeError, match="broke its page"):
        await c.advance(10_000)
    assert journal._holders == 0 and journal._held is None
    seq = journal.begin(method="POST", path="/sync", via="fetch").seq
    journal.finish(seq, outcome="ok", status=200, processed=True)
    assert len((tmp_path / "j.jsonl").read_text().splitlines()) == 1  # written at once, not held
    journal.close()


class TwoTabs(Session):
    async def probe_detail(self, wait_ms: int = 0, held: int = 0) -> tuple[int, int, int | None, int]:
        dues = [d for p in self.tabs.values() if (d := p.next_due()) is not None]
        return 0, 0, min(dues, default=None), 0


async def test_two_tabs_of_one_context_due_at_one_stop_run_in_turn(calls: Calls) -> None:
    """Two tabs sharing an outbox with timers due at one page time: the second runs only after the
    first's work (its Web Lock, writes, send) has settled, so which tab writes first and sends the
    batch does not depend on real time (lockstep, two tabs and 7 s delays: duplicated 36 to 39 and
    other timelines from run to run; the same in five runs after). Another context runs meanwhile."""
    a, b = TwoTabs("a", []), Session("b", [START + 1_000])
    c = make_clock(calls, [a, b])
    a.tabs = {"t1": Page([START + 1_000]), "t2": Page([START + 1_000])}
    for name, page in a.tabs.items():
        calls.owner[id(page)] = f"a.{name}"
    c.apart = False
    c.bulk = False
    real_settle = c.settle

    async def settle(session: Any = None) -> int | None:
        calls.append(("settle", session.name if session is not None else None))
        return await real_settle(session)

    c.settle = settle  # type: ignore[method-assign]
    await c.advance(2_000)
    mine = [x for x in calls if x[0] in ("a.t1", "a.t2") or x == ("settle", "a")]
    assert mine[:3] == [("a.t1", "to", START + 1_000), ("settle", "a"), ("a.t2", "to", START + 1_000)], calls
    assert ("b", "to", START + 1_000) in calls and c.now == START + 2_000 and c.timers == 3
