"""A scenario using every step kind parses into exactly the expected model."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from harness.scenario import (
    DEFAULT_SETTLE_MS,
    Advance,
    Click,
    Close,
    Crash,
    Db,
    Hook,
    Navigate,
    Open,
    ProxyEnabled,
    Reload,
    RestartBrowser,
    SeedEnvelope,
    SeedOutbox,
    Send,
    SetOffline,
    Storage,
    StubFault,
    Toxic,
    Visitors,
    parse_scenario,
)

FULL = """\
name: every_step
description: Phone clicks lost after the wifi dropped.
judges: [no_loss, trigger_online, retry]
seed: 7
start: 2026-03-31T23:50:00Z
tags: [customer, wifi]
ingest: postgres
tracker_attrs: {data-timeout-ms: 5000, data-flag: "1"}
policy: {timeout_tolerance_ms: 250ms, drop_attempts: 10, drop_age_ms: 24h}
settle: 5m
heal: false
steps:
  - seed_outbox:
      - {age: 25h, attempts: 11, payload: {ec: conversion, ea: phone_call}}
      - {id: e2, ts: "2026-03-30T10:00:00Z", omit: [attempts], extra: {beaconed: true}}
  - seed_outbox: {raw: "not json", key: opsmantik_deadletter_v2}
    context: other
  - storage: quota
  - open: home
    query: {gclid: 0123}
    referrer: https://www.google.com/
  - click: tel
    note: the first lead
  - offline: true
  - click: whatsapp
  - send: {category: conversion, action: form_submit, label: x, value: 1, meta: {k: v}}
  - advance: 30s
  - jump: 00:05:00
  - online: true
  - stub: {fault: {status: 503, retry_after: 2}, times: 2}
  - stub: {sequence: [{delay_ms: 6s}, {hang: true}, {close: rst}, {process_then_fail: 502}, {ok: true}]}
  - stub: {default: null, random: {p: 0.1, fault: {status: 500}, seed: 3}, clear: true, release: true}
  - toxic: {add: {type: latency, attributes: {latency: 6000, jitter: 100}}}
  - toxic: {update: {name: latency_downstream, toxicity: 0.5}}
  - toxic: {remove: latency_downstream}
  - proxy: {enabled: false}
  - open: page2
    tab: second
  - navigate: /landing
    query: {a: b}
  - reload: true
  - close: {before_unload: false}
  - crash: true
    tab: second
  - restart_browser: true
  - open: page2
  - click: "[data-x='1']"
  - db: stop
  - db: start
  - db: {call: create_next_month_partitions, args: ["2026-04-01"]}
  - hook: tests.scenario.hook_fixture:fn
  - open: home
    context: other
    tab: t
  - hook: {target: tests.scenario.hook_fixture:fn, args: {n: 3}}
    context: other
    tab: t
  - close: true
"""


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def test_every_step_kind() -> None:
    sc = parse_scenario(FULL, "scenarios/every_step.yaml")
    assert (sc.name, sc.description, sc.judges, sc.seed) == (
        "every_step", "Phone clicks lost after the wifi dropped.", ("no_loss", "trigger_online", "retry"), 7)
    assert sc.start_ms == ms("2026-03-31T23:50:00+00:00")
    assert sc.tags == ("customer", "wifi")
    assert sc.ingest == "postgres"
    assert sc.tracker_attrs == {"data-timeout-ms": "5000", "data-flag": "1"}
    assert sc.policy == {"timeout_tolerance_ms": 250, "drop_attempts": 10, "drop_age_ms": 86_400_000}
    assert (sc.settle_ms, sc.heal, sc.visitors, sc.path) == (300_000, False, None, "scenarios/every_step.yaml")
    fault503 = {"status": 503, "retry_after": 2}
    expected = [
        SeedOutbox(line=13, envelopes=(
            SeedEnvelope(age_ms=90_000_000, attempts=11, payload={"ec": "conversion", "ea": "phone_call"}),
            SeedEnvelope(id="e2", ts_ms=ms("2026-03-30T10:00:00+00:00"), omit=("attempts",), extra={"beaconed": True}),
        )),
        SeedOutbox(line=16, context="other", raw="not json", key="opsmantik_deadletter_v2"),
        Storage(line=18, mode="quota"),
        Open(line=19, page="home", query={"gclid": "0123"}, referrer="https://www.google.com/"),
        Click(line=22, target="tel", selector="#tel", note="the first lead"),
        SetOffline(line=24, offline=True),
        Click(line=25, target="whatsapp", selector="#wa"),
        Send(line=26, category="conversion", action="form_submit", label="x", value=1, meta={"k": "v"}),
        Advance(line=27, ms=30_000, mode="run"),
        Advance(line=28, ms=300_000, mode="jump"),
        SetOffline(line=29, offline=False),
        StubFault(line=30, spec={"push": [fault503, fault503]}),
        StubFault(line=31, spec={"push": [{"delay_ms": 6000}, {"hang": True}, {"close": "rst"},
                                          {"process_then_fail": 502}, {"ok": True}]}),
        StubFault(line=32, spec={"clear": True, "release": True, "default": None,
                                 "random": {"p": 0.1, "fault": {"status": 500}, "seed": 3}}),
        Toxic(line=33, op="add", name="latency_downstream", type="latency", stream="downstream",
              toxicity=1.0, attributes={"latency": 6000, "jitter": 100}),
        Toxic(line=34, op="update", name="latency_downstream", type="latency", stream="downstream", toxicity=0.5),
        Toxic(line=35, op="remove", name="latency_downstream", type="latency", stream="downstream", toxicity=None),
        ProxyEnabled(line=36, enabled=False),
        Open(line=37, page="page2", tab="second"),
        Navigate(line=39, page="/landing", query={"a": "b"}),
        Reload(line=41),
        Close(line=42, before_unload=False),
        Crash(line=43, tab="second"),
        RestartBrowser(line=45),
        Open(line=46, page="page2"),
        Click(line=47, target="[data-x='1']", selector="[data-x='1']"),
        Db(line=48, action="stop"),
        Db(line=49, action="start"),
        Db(line=50, action="call", function="create_next_month_partitions", args=("2026-04-01",)),
        Hook(line=51, target="tests.scenario.hook_fixture:fn"),
        Open(line=52, page="home", context="other", tab="t"),
        Hook(line=55, target="tests.scenario.hook_fixture:fn", args={"n": 3}, context="other", tab="t"),
        Close(line=58),
    ]
    assert list(sc.steps) == expected
    assert {type(s).KIND for s in sc.steps} == {
        "seed_outbox", "storage", "open", "click", "offline", "send", "advance", "stub", "toxic", "proxy",
        "navigate", "reload", "close", "crash", "restart_browser", "db", "hook"}
    assert sc.tabs() == [("main", "main"), ("main", "second"), ("other", "t")]
    assert sc.contexts() == ["main", "other"]


def test_defaults() -> None:
    sc = parse_scenario("judges: [retry]\nsteps:\n  - open: home\n", "scenarios/tiny_one.yaml")
    assert sc.name == "tiny_one"
    assert (sc.description, sc.seed, sc.tracker_attrs, sc.policy, sc.tags) == ("", 0, {}, {}, ())
    assert sc.start_ms == ms("2026-03-10T09:00:00+00:00")
    assert (sc.settle_ms, sc.heal, sc.ingest, sc.visitors) == (DEFAULT_SETTLE_MS, True, "any", None)
    assert sc.steps == (Open(line=3, page="home"),)
    step = sc.steps[0]
    assert (step.context, step.tab, step.note, step.query, step.referrer) == ("main", "main", None, {}, None)


def test_visitors_without_steps() -> None:
    sc = parse_scenario("judges: [no_loss]\nseed: 4\nvisitors: {count: 20, actions: [view, tel, whatsapp]}\n", "v.yaml")
    assert sc.visitors == Visitors(count=20, seed=4, tabs_per_visitor=1, actions=("view", "tel", "whatsapp"))
    assert sc.steps == ()


def test_start_with_offset_and_settle_zero() -> None:
    sc = parse_scenario("judges: [retry]\nstart: '2026-03-10T12:00:00+03:00'\nsettle: 0\nsteps: [{open: home}]\n", "s.yaml")
    assert sc.start_ms == int(datetime(2026, 3, 10, 9, tzinfo=timezone.utc).timestamp() * 1000)
    assert sc.settle_ms == 0


def test_docs_example_is_valid() -> None:
    """The full example in docs/scenarios.md parses (the docs cannot drift from the loader)."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "scenarios.md").read_text(encoding="utf-8")
    example = re.findall(r"```yaml\n(.*?)```", doc, re.S)[0]
    sc = parse_scenario(example, "scenarios/phone_clicks_after_wifi_drop.yaml")
    assert sc.name == "phone_clicks_after_wifi_drop"
    assert "no_loss" in sc.judges and len(sc.steps) > 10


def test_tracker_is_the_short_key_for_tracker_attrs() -> None:
    sc = parse_scenario("judges: [retry]\ntracker: {data-heartbeat-ms: 86400000}\nsteps: [{open: home}]\n", "t.yaml")
    assert sc.tracker_attrs == {"data-heartbeat-ms": "86400000"}
