"""A request made during a bulk run is journaled with the page time it was made at, though the
harness clock's ``now`` lags the page until the run returns (no browser: the page is scripted)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from harness.run import pagetime
from harness.run.clock import VirtualClock
from server_stub.journal import Journal

START = 1_000_000
REQUEST_AT = START + 3_600_000  # an hour of timers later, in the same bulk run


class Page:
    def is_closed(self) -> bool:
        return False


@dataclass
class Session:
    name: str = "c1"
    observer: Page = field(default_factory=Page)
    tabs: dict[str, Page] = field(default_factory=lambda: {"main": Page()})
    adapter: Any = None
    recorder: Any = None

    async def probe_detail(self, wait_ms: int = 0, held: int = 0) -> tuple[int, int, int | None, int]:
        return 0, 0, None, 0


class Adapter:
    def watched_keys(self) -> list[str]:
        return []


def make_clock(journal: Journal) -> VirtualClock:
    session = Session(adapter=Adapter())
    c = VirtualClock(START, lambda: [session],  # type: ignore[list-item, return-value]
                     on_bulk=lambda context: pagetime.journal_catch_up(journal, context))
    journal.page_clock = c.now_in
    return c


def stub_answers(journal: Journal, context: str | None) -> int:
    """What the stub does with a request that arrives and is answered during the bulk run."""
    seq = journal.begin(method="POST", path="/sync", via="fetch").seq
    journal.update(seq, context=context)
    journal.finish(seq, outcome="ok", status=200, processed=True)
    return seq


async def test_a_request_ended_during_a_bulk_run_carries_the_page_time_it_was_made_at(
        monkeypatch: pytest.MonkeyPatch) -> None:
    journal = Journal()
    earlier = stub_answers(journal, "c1")  # before the run: ended at the clock's own time
    c = make_clock(journal)
    seqs: list[int] = []

    async def run_bulk(page: Page, to: int, keys: list[str], budget_ms: float = 30.0) -> pagetime.PageRun:
        seqs.append(stub_answers(journal, "c1"))  # the page's request, answered before the run returns
        seqs.append(stub_answers(journal, "c2"))  # another context's (a late beacon): not this page's
        return pagetime.PageRun(REQUEST_AT, fired=60, why="request")

    async def run_to(page: Page, to: int) -> pagetime.PageRun:
        return pagetime.PageRun(to)

    monkeypatch.setattr(pagetime, "run_bulk", run_bulk)
    monkeypatch.setattr(pagetime, "run_to", run_to)
    await c._run_to(START + 7_200_000, START + 7_200_000)
    mine, other = (journal.get(s) for s in seqs)
    assert mine is not None and other is not None
    assert (c.now, mine.t_page_done) == (REQUEST_AT, REQUEST_AT)
    assert other.t_page_done == START  # left as the stub journaled it
    assert journal.get(earlier).t_page_done is None  # type: ignore[union-attr]  # no page clock then


async def test_page_time_is_set_before_timers_fire_so_their_requests_are_stamped_with_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    journal = Journal()
    c = make_clock(journal)
    c.bulk = False
    seqs: list[int] = []

    async def run_to(page: Page, to: int) -> pagetime.PageRun:
        seqs.append(stub_answers(journal, "c1"))
        return pagetime.PageRun(to, fired=1)

    monkeypatch.setattr(pagetime, "run_to", run_to)
    await c._run_to(START + 5_000, START + 60_000)
    assert {journal.get(s).t_page_done for s in seqs} == {START + 5_000}  # type: ignore[union-attr]


@pytest.mark.parametrize("why", ["request", "done", "gone"])
async def test_the_journal_file_keeps_the_corrected_page_time(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any, why: str) -> None:
    """The JSONL line of a request ended during a bulk run is written after the correction, once;
    whatever the run returned with, no line is held back after it."""
    from server_stub.journal_codec import read_jsonl
    journal = Journal(tmp_path / "j.jsonl")
    c = make_clock(journal)
    seqs: list[int] = []

    async def run_bulk(page: Page, to: int, keys: list[str], budget_ms: float = 30.0) -> pagetime.PageRun | None:
        seqs.append(stub_answers(journal, "c1"))
        return None if why == "gone" else pagetime.PageRun(REQUEST_AT, fired=60, why=why)

    async def run_to(page: Page, to: int) -> pagetime.PageRun:
        return pagetime.PageRun(to)

    monkeypatch.setattr(pagetime, "run_bulk", run_bulk)
    monkeypatch.setattr(pagetime, "run_to", run_to)
    await c._run_to(START + 7_200_000, START + 7_200_000)
    lines = (tmp_path / "j.jsonl").read_text().splitlines()  # before close: nothing held back
    assert len(lines) == 1
    [(entry, _)] = read_jsonl(tmp_path / "j.jsonl")
    assert entry.seq == seqs[0]
    assert entry.t_page_done == journal.get(seqs[0]).t_page_done  # type: ignore[union-attr]
    assert entry.t_page_done == (REQUEST_AT if why == "request" else START)
    journal.close()


def test_lines_held_back_are_written_on_release_close_or_clear(tmp_path: Any) -> None:
    for end in ("release", "close", "clear"):
        path = tmp_path / f"{end}.jsonl"
        journal = Journal(path)
        journal.hold()
        seq = stub_answers(journal, "c1")
        journal.update(seq, t_page_done=42)
        assert not path.exists() or path.read_text() == ""
        getattr(journal, end)()
        [line] = path.read_text().splitlines()
        assert '"t_page_done": 42' in line
        journal.close()


def test_holds_nest_and_each_context_dates_its_own_requests() -> None:
    """Contexts running apart each hold the journal's lines through their bulk runs: the lines wait
    for the last release; a request ends at its own context's page time."""
    journal = Journal()
    written: list[int] = []
    journal._write = lambda entry, body: written.append(entry.seq)  # type: ignore[method-assign]
    journal.page_clock = {"c1": START + 5_000, "c2": START + 9_000, None: START}.get  # type: ignore[assignment]
    journal.hold()
    journal.hold()
    one, two = stub_answers(journal, "c1"), stub_answers(journal, "c2")
    untagged = stub_answers(journal, None)
    journal.release()
    assert written == []  # the other context still corrects its requests' times
    journal.release()
    assert written == [one, two, untagged]
    assert [journal.get(s).t_page_done for s in (one, two, untagged)] == [START + 5_000, START + 9_000, START]  # type: ignore[union-attr]


def test_clear_and_close_write_what_holds_never_released_kept_back(tmp_path: Any) -> None:
    """Holds a failed run left (two contexts apart) do not keep lines back past ``clear`` or
    ``close``, nor the next scenario's lines after ``clear``."""
    for end in ("close", "clear"):
        path = tmp_path / f"{end}.jsonl"
        journal = Journal(path)
        journal.hold()
        journal.hold()
        stub_answers(journal, "c1")
        getattr(journal, end)()
        assert len(path.read_text().splitlines()) == 1
        assert journal._holders == 0 and journal._held is None
        if end == "clear":
            stub_answers(journal, "c2")
            assert len(path.read_text().splitlines()) == 2
        journal.close()
