"""When a context could act: pages alive and online, from ops; wall time → page time."""
from __future__ import annotations

from harness.checker.lifecycle import Lifecycle, WallToPage

from .builders import HB


def test_pages_and_network_make_good_stretches():
    b = HB()
    t0 = b.now
    b.op("open", page="a")
    b.advance(10_000).op("close", page="a")
    b.advance(10_000).op("open", page="b")  # t0+20s
    b.advance(5_000).op("offline", online=False)  # t0+25s
    b.advance(5_000).op("online", online=True)  # t0+30s
    life = Lifecycle(b.build(end_after=100_000))
    assert life.alive_at("main", t0 + 5_000) and not life.alive_at("main", t0 + 15_000)
    assert not life.alive_at("main", t0 + 27_000) and life.alive_at("main", t0 + 31_000)
    assert not life.online_at("main", t0 + 27_000) and life.online_at("main", t0 + 30_000)
    assert life.good_stretch("main", t0, 10_000, t0 + 10**9)  # [t0, t0+10s] while a lived
    assert not life.good_stretch("main", t0 + 1, 10_000, t0 + 29_000)
    assert life.good_stretch("main", t0 + 1, 50_000, t0 + 10**9)  # after t0+30s, for ever
    assert life.page_gone("main", "a", t0, t0 + 10_000) and not life.page_gone("main", "b", t0, t0 + 100_000)
    assert life.page_gone("main", "unknown-page", t0, t0 + 10_000)  # unnamed page: any page of the context


def test_contexts_without_page_ops_are_always_alive():
    b = HB()
    b.add(b.env(), ctx="other")
    life = Lifecycle(b.build())
    assert life.alive_at("other", 0) and life.good_stretch("other", 0, 10**9, 10**10)


def test_restart_stop_ends_pages():
    b = HB()
    t0 = b.now
    b.op("open", page="a")
    b.advance(1000).op("restart", page=None, phase="stop")
    life = Lifecycle(b.build())
    assert life.alive_at("main", t0 + 500) and not life.alive_at("main", t0 + 1500)
    assert life.page_gone("main", "a", t0, t0 + 1000)


def test_wall_to_page_is_the_latest_recorded_page_time():
    b = HB()
    t0 = b.now
    b.op("open")
    w1 = b.wall
    b.advance(5000).op("advance")
    m = WallToPage(b.build())
    assert m(w1) == t0 and m(b.wall + 5) == t0 + 5000 and m(0) is None
