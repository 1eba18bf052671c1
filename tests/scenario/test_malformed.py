"""Malformed scenario files, table-driven: each is rejected with its one-line error (file, line,
field), without a browser and within 2 s of CPU — bombs, endless durations and huge counts included."""
from __future__ import annotations

import time

import pytest

from harness.scenario import ScenarioError, parse_scenario

H = "judges: [no_loss]\nsteps:\n  - open: home\n"


def alias_bomb() -> str:
    """A "billion laughs" inside send.meta: 9 lines that expand to 10^9 values."""
    lines = ["a0: &a0 [x,x,x,x,x,x,x,x,x,x]"] + [f"a{i}: &a{i} [" + ",".join([f"*a{i-1}"] * 10) + "]" for i in range(1, 9)]
    return H + "  - send:\n      category: c\n      action: a\n      meta:\n" + "\n".join("        " + line for line in lines) + "\n"


CASES = {
    "empty": "",
    "not_a_mapping": "- open: home\n",
    "unknown_top_key": H + "judgs: [retry]\n",
    "no_judges": "steps:\n  - open: home\n",
    "unknown_guarantee": "judges: [no_los]\nsteps:\n  - open: home\n",
    "two_actions": H + "  - click: tel\n    reload: true\n",
    "unknown_step_key": H + "  - advnce: 1s\n",
    "unknown_page": "judges: [no_loss]\nsteps:\n  - open: hme\n",
    "unknown_click": H + "  - click: tell\n",
    "toxic_type": H + "  - toxic: {add: {type: latancy, attributes: {latency: 100}}}\n",
    "toxic_stream": H + "  - toxic: {add: {type: latency, stream: dwonstream, attributes: {latency: 100}}}\n",
    "toxic_attr_missing": H + "  - toxic: {add: {type: latency}}\n",
    "toxic_attr_huge": H + "  - toxic: {add: {type: latency, attributes: {latency: 99999999999}}}\n",
    "toxic_remove_unknown": H + "  - toxic: {remove: latency_downstream}\n",
    "tab_not_open": H + "  - click: tel\n    tab: second\n",
    "world_step_with_tab": H + "  - advance: 1s\n    tab: main\n",
    "context_never_opened": H + "  - offline: true\n    context: visitr\n",
    "hook_missing": H + "  - hook: surely_not_installed.mod:fn\n",
    "endless_advance": H + "  - advance: 999999d\n",
    "endless_settle": "judges: [no_loss]\nsettle: 999999d\nsteps:\n  - open: home\n",
    "huge_advance_ms": H + "  - advance: 999999999999999\n",
    "span_too_long": H + "".join("  - advance: 30d\n" for _ in range(4)),
    "start_year_10000": "judges: [no_loss]\nstart: '10000-01-01T00:00:00Z'\nsteps:\n  - open: home\n",
    "start_near_9999": "judges: [no_loss]\nstart: '9999-12-31T00:00:00Z'\nsteps:\n  - open: home\n  - advance: 2d\n",
    "start_without_timezone": "judges: [no_loss]\nstart: '2026-03-10T09:00:00'\nsteps:\n  - open: home\n",
    "too_many_visitors": "judges: [no_loss]\nvisitors: {count: 1000000}\n",
    "visitor_tabs": "judges: [no_loss]\nvisitors: {count: 400, tabs_per_visitor: 5}\n",
    "stub_times_huge": H + "  - stub: {fault: {status: 503}, times: 1000000000}\n",
    "too_many_steps": "judges: [no_loss]\nsteps:\n" + "  - {advance: 1ms}\n" * 1001,
    "file_too_big": H + "# " + "x" * 70_000 + "\n",
    "alias_bomb": alias_bomb(),
    "alias_cycle": H + "  - send: {category: c, action: a, meta: &m {x: *m}}\n",
    "deep_nesting": H + "  - send: {category: c, action: a, meta: {x: " + "[" * 20000 + "]" * 20000 + "}}\n",
    "deep_block_nesting": H + "  - send: {category: c, action: a, meta: {x: " + "[" * 40 + "]" * 40 + "}}\n",
    "payload_too_big": H + "  - send: {category: c, action: a, label: '" + "x" * 40000 + "'}\n",
    "seed_negative": "judges: [no_loss]\nseed: -1\nsteps:\n  - open: home\n",
    "seed_huge": "judges: [no_loss]\nseed: 99999999999999999999\nsteps:\n  - open: home\n",
    "settle_no_unit": "judges: [no_loss]\nsettle: '5'\nsteps:\n  - open: home\n",
    "policy_unknown": "judges: [no_loss]\npolicy: {timeout: 5s}\nsteps:\n  - open: home\n",
    "jitter_over_one": "judges: [backoff]\npolicy: {backoff_jitter: 2}\nsteps:\n  - open: home\n",
    "storage_mode": H + "  - storage: qouta\n",
    "seed_after_open": H + "  - seed_outbox: []\n",
    "db_without_postgres": H + "  - db: stop\n",
    "close_false": H + "  - close: false\n",
    "age_too_old": "judges: [drop_rule]\nsteps:\n  - seed_outbox: [{age: 400d}]\n  - open: home\n",
    "duplicate_key": "judges: [no_loss]\njudges: [retry]\nsteps:\n  - open: home\n",
    "yaml_syntax": "judges: [no_loss\nsteps:\n",
    "empty_stub": H + "  - stub: {}\n",
    "long_tab_name": H + "  - open: home\n    tab: " + "t" * 100 + "\n",
}

EXPECTED = {
    'empty': 'bad.yaml:1: the file is empty; a scenario needs at least `judges` and `steps`',
    'not_a_mapping': 'bad.yaml:1: scenario: expected a mapping of scenario settings (judges, steps, …), got a list',
    'unknown_top_key': "bad.yaml:4: judgs: unknown key 'judgs' (did you mean 'judges'?)",
    'no_judges': "bad.yaml:1: judges: 'judges' is required: the guarantees this scenario judges (any of: retry, timeout, response_ok, drop_rule, last_gasp, trigger_load, trigger_online, no_loss, exactly_once, nothing_unexpected, dead_letter, overflow, backoff, session_month)",
    'unknown_guarantee': "bad.yaml:1: judges[0]: unknown guarantee 'no_los' (did you mean 'no_loss'?) (expected one of: retry, timeout, response_ok, drop_rule, last_gasp, trigger_load, trigger_online, no_loss, exactly_once, nothing_unexpected, dead_letter, overflow, backoff, session_month)",
    'two_actions': "bad.yaml:5: steps[1]: two actions in one step: 'click' and 'reload'; write one step per action",
    'unknown_step_key': "bad.yaml:4: steps[1].advnce: unknown key 'advnce' (did you mean 'advance'?)",
    'unknown_page': "bad.yaml:3: steps[0].open: unknown page 'hme' (did you mean 'home'?) (expected home, page2 or a path starting with /)",
    'unknown_click': "bad.yaml:4: steps[1].click: unknown target 'tell' (did you mean 'tel'?) (expected one of: tel, whatsapp, whatsapp_web, form, page2_link, home_link, or a CSS selector starting with # . or [)",
    'toxic_type': "bad.yaml:4: steps[1].toxic.add.type: unknown value 'latancy' (did you mean 'latency'?) (expected one of: latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data)",
    'toxic_stream': "bad.yaml:4: steps[1].toxic.add.stream: unknown value 'dwonstream' (did you mean 'downstream'?) (expected one of: upstream, downstream)",
    'toxic_attr_missing': 'bad.yaml:4: steps[1].toxic.add.attributes: a latency toxic needs attributes.latency (milliseconds)',
    'toxic_attr_huge': 'bad.yaml:4: steps[1].toxic.add.attributes.latency: must be ≤ 2147483647, got 99999999999',
    'toxic_remove_unknown': "bad.yaml:4: steps[1].toxic.remove: no toxic named 'latency_downstream' is in place (in place: none)",
    'tab_not_open': "bad.yaml:4: steps[1].click: tab 'second' in context 'main' is not open yet; add an `open` step for it before this one",
    'world_step_with_tab': "bad.yaml:5: steps[1].tab: 'tab' has no meaning for advance (it applies to every context)",
    'context_never_opened': "bad.yaml:4: steps[1].context: no `open` step ever opens context 'visitr' (opened: main)",
    'hook_missing': "bad.yaml:4: steps[1].hook: cannot import 'surely_not_installed.mod': ModuleNotFoundError: No module named 'surely_not_installed'",
    'endless_advance': 'bad.yaml:4: steps[1].advance: 999999d is longer than the 31d a scenario may ask for',
    'endless_settle': 'bad.yaml:2: settle: 999999d is longer than the 31d a scenario may ask for',
    'huge_advance_ms': 'bad.yaml:4: steps[1].advance: 999999999999999 is longer than the 31d a scenario may ask for',
    'span_too_long': "bad.yaml:7: steps[4].advance: the scenario's page time reaches 120d here; at most 92d (advances, jumps and settle) are allowed",
    'start_year_10000': "bad.yaml:2: start: '10000-01-01T00:00:00Z' is not an ISO 8601 time like '2026-03-10T09:00:00Z'",
    'start_near_9999': 'bad.yaml:5: steps[1].advance: the page clock passes the year 9999 here (start + 2d)',
    'start_without_timezone': "bad.yaml:2: start: '2026-03-10T09:00:00' has no timezone; add 'Z' or '+03:00' so runs are reproducible",
    'too_many_visitors': 'bad.yaml:2: visitors.count: must be ≤ 500, got 1000000',
    'visitor_tabs': 'bad.yaml:2: visitors.count: 400 visitors × 5 tabs is more than the 1000 pages a run may open',
    'stub_times_huge': 'bad.yaml:4: steps[1].stub.times: must be ≤ 1000, got 1000000000',
    'too_many_steps': 'bad.yaml:3: steps: has 1001 items; at most 1000 are allowed',
    'file_too_big': 'bad.yaml: the file is larger than 64 KB; a scenario is a few KB',
    'alias_bomb': 'bad.yaml:13: yaml: more than 200000 values once aliases are expanded; write a smaller scenario',
    'alias_cycle': 'bad.yaml:4: yaml: an alias (*name) refers to a value that contains it; write the values out',
    'deep_nesting': 'bad.yaml:4: yaml: not valid YAML: exceeded maximum nesting depth (while increasing flow level)',
    'deep_block_nesting': 'bad.yaml:4: steps[1].send.meta.x[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nested more than 32 levels deep',
    'payload_too_big': 'bad.yaml:4: steps[1].send.label: is 40000 characters long; at most 32768 are allowed',
    'seed_negative': 'bad.yaml:2: seed: must be ≥ 0, got -1',
    'seed_huge': 'bad.yaml:2: seed: must be ≤ 4294967295, got 99999999999999999999',
    'settle_no_unit': "bad.yaml:2: settle: '5' has no unit; write '5ms' or '5s' (an integer of ms, or a string like '250ms', '5s', '1.5s', '5m', '26h', '2d', '1h30m', '00:05:00')",
    'policy_unknown': "bad.yaml:2: policy.timeout: unknown key 'timeout' (did you mean 'timeout_ms'?)",
    'jitter_over_one': 'bad.yaml:2: policy.backoff_jitter: must be between 0 and 1, got 2',
    'storage_mode': "bad.yaml:4: steps[1].storage: unknown value 'qouta' (did you mean 'quota'?) (expected one of: quota, private, normal)",
    'seed_after_open': "bad.yaml:4: steps[1].seed_outbox: seed_outbox must come before the first `open` in context 'main' (line 3): the running build would race the seeding",
    'db_without_postgres': 'bad.yaml:4: steps[1].db: db steps need a real database: add `ingest: postgres` at the top',
    'close_false': 'bad.yaml:4: steps[1].close: only `true` makes sense here; write `close: {before_unload: false}` to close without beforeunload',
    'age_too_old': 'bad.yaml:3: steps[0].seed_outbox[0].age: 400d is longer than the 366d a scenario may ask for',
    'duplicate_key': "bad.yaml:2: judges: duplicate key 'judges' (first given on line 1)",
    'yaml_syntax': "bad.yaml:2: yaml: not valid YAML: did not find expected ',' or ']' (while parsing a flow sequence)",
    'empty_stub': 'bad.yaml:4: steps[1].stub: says nothing; give one of: push, sequence, fault, times, default, random, clear, release',
    'long_tab_name': 'bad.yaml:5: steps[1].tab: is 100 characters long; at most 64 are allowed',
}


def test_the_table_is_complete() -> None:
    assert set(CASES) == set(EXPECTED) and len(CASES) >= 30


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_scenario_is_rejected_with_its_error(name: str) -> None:
    # CPU time of this process, not wall time: a bomb is work the loader does, and a loaded machine
    # stretched the wall time of a refusal past the bound (too_many_steps: 2.72 s at load ~20).
    started = time.process_time()
    with pytest.raises(ScenarioError) as info:
        parse_scenario(CASES[name], "bad.yaml")
    cpu = time.process_time() - started
    assert [str(i) for i in info.value.errors] == [EXPECTED[name]]
    assert cpu < 2.0, f"{name} took {cpu:.2f} s of CPU"
