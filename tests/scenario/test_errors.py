"""Every kind of mistake is reported as file:line: field: message, at the exact line."""
from __future__ import annotations

import pytest

from harness.contract.errors import UsageProblem
from harness.scenario import ScenarioError, ScenarioIssue, parse_scenario

from .helpers import issues, one_issue, steps

CLICK_MESSAGE = (
    "unknown target 'tell' (did you mean 'tel'?) (expected one of: tel, whatsapp, whatsapp_web, form, page2_link, home_link, "
    "or a CSS selector starting with # . or [)"
)


def test_click_target_message_is_exact() -> None:
    text = steps("- advance: 1s\n- click: tell")
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "scenarios/x.yaml")
    assert str(info.value) == f"scenarios/x.yaml:5: steps[2].click: {CLICK_MESSAGE}"
    assert info.value.errors == [ScenarioIssue("scenarios/x.yaml", 5, "steps[2].click", CLICK_MESSAGE)]
    assert isinstance(info.value, UsageProblem)  # the CLI turns it into exit code 2


CASES = [
    # (id, scenario text, line, field, message fragment)
    ("unknown step key", steps("- clik: tel"), 4, "steps[1].clik", "unknown key 'clik' (did you mean 'click'?)"),
    ("unknown top key", "judgs: [retry]\nsteps: [{open: home}]\n", 1, "judgs", "unknown key 'judgs' (did you mean 'judges'?)"),
    ("two actions", steps("- click: tel\n  note: x\n  send: {category: a, action: b}"), 6, "steps[1]",
     "two actions in one step: 'click' and 'send'"),
    ("no action", steps("- note: just a note"), 4, "steps[1]", "no action (expected one of: open,"),
    ("bare action", steps("- reload"), 4, "steps[1]", "a step is a mapping: write `reload: ...`"),
    ("duplicate key", steps("- send:\n    category: a\n    action: b\n    category: c"), 7, "steps[1].send.category",
     "duplicate key 'category' (first given on line 5)"),
    ("missing required", steps("- send:\n    category: a"), 5, "steps[1].send.action", "'action' is required"),
    ("wrong type", steps("- offline: 'yes please'"), 4, "steps[1].offline", "expected true or false, got a string"),
    ("number for string", steps("- send: {category: 5, action: b}"), 4, "steps[1].send.category",
     "expected a string, got an integer '5' (quote it to make it a string)"),
    ("switch false", steps("- reload: false"), 4, "steps[1].reload", "only `true` makes sense here"),
    ("bad duration", steps("- advance: 10 minutes"), 4, "steps[1].advance", "cannot read '10 minutes' as a duration"),
    ("negative duration", steps("- jump: -1h"), 4, "steps[1].jump", "must not be negative"),
    ("unknown page", steps("- navigate: hom"), 4, "steps[1].navigate", "unknown page 'hom' (did you mean 'home'?)"),
    ("query in path", steps("- navigate: /a?b=c"), 4, "steps[1].navigate", "in `query:` instead"),
    ("query on wrong step", steps("- reload: true\n  query: {a: b}"), 5, "steps[1].query",
     "'query' only goes with open or navigate, not reload"),
    ("referrer on navigate", steps("- navigate: page2\n  referrer: https://x.test/"), 5, "steps[1].referrer",
     "'referrer' only goes with open, not navigate"),
    ("bad referrer", "judges: [retry]\nsteps:\n  - open: home\n    referrer: google\n", 4, "steps[0].referrer",
     "'google' is not an http(s) URL"),
    ("tab on world step", steps("- advance: 1s\n  tab: x"), 5, "steps[1].tab", "'tab' has no meaning for advance"),
    ("tab on context step", steps("- offline: true\n  tab: x"), 5, "steps[1].tab", "'tab' has no meaning for offline"),
    ("bad tab name", steps("- click: tel\n  tab: 'a b'"), 5, "steps[1].tab", "'a b' is not valid: letters, digits, _ and - only"),
    ("unknown guarantee", "judges:\n  - retry\n  - no_los\nsteps: [{open: home}]\n", 3, "judges[1]",
     "unknown guarantee 'no_los' (did you mean 'no_loss'?)"),
    ("empty judges", "judges: []\nsteps: [{open: home}]\n", 1, "judges", "must not be empty"),
    ("missing judges", "steps: [{open: home}]\n", 1, "judges", "'judges' is required"),
    ("start without timezone", "judges: [retry]\nstart: 2026-03-10T09:00:00\nsteps: [{open: home}]\n", 2, "start",
     "has no timezone"),
    ("start as date", "judges: [retry]\nstart: 2026-03-10\nsteps: [{open: home}]\n", 2, "start", "is a date"),
    ("bad name", "name: Wifi-Drop\njudges: [retry]\nsteps: [{open: home}]\n", 1, "name", "'Wifi-Drop' is not valid"),
    ("unknown policy", "judges: [retry]\npolicy:\n  timeout_ms: 5s\n  drop_atempts: 3\nsteps: [{open: home}]\n", 4,
     "policy.drop_atempts", "unknown key 'drop_atempts' (did you mean 'drop_attempts'?)"),
    ("bad ingest", "judges: [retry]\ningest: postgresql\nsteps: [{open: home}]\n", 2, "ingest",
     "unknown value 'postgresql' (did you mean 'postgres'?)"),
    ("visitor action", "judges: [retry]\nvisitors:\n  count: 3\n  actions: [view, tell]\n", 4, "visitors.actions[1]",
     "unknown value 'tell' (did you mean 'tel'?)"),
    ("stub fault status", steps("- stub:\n    fault:\n      status: 99\n    times: 2"), 6, "steps[1].stub.fault.status",
     "must be an integer 200–599, got 99"),
    ("stub fault kinds", steps("- stub:\n    push:\n      - {ok: true}\n      - {status: 503, hang: true}"), 7,
     "steps[1].stub.push[1]", "a fault has exactly one kind"),
    ("stub unknown fault key", steps("- stub: {fault: {stauts: 503}}"), 4, "steps[1].stub.fault.stauts",
     "unknown key 'stauts' (did you mean 'status'?)"),
    ("stub push and fault", steps("- stub:\n    push: [{ok: true}]\n    fault: {ok: true}"), 6, "steps[1].stub.fault",
     "give one of push, sequence, fault"),
    ("stub times alone", steps("- stub:\n    clear: true\n    times: 3"), 6, "steps[1].stub.times",
     "times repeats a single `fault:`"),
    ("stub random p", steps("- stub: {random: {p: 1.5, fault: {status: 500}}}"), 4, "steps[1].stub.random.p",
     "must be between 0.0 and 1.0"),
    ("stub empty", steps("- stub: {}"), 4, "steps[1].stub", "says nothing"),
    ("toxic type", steps("- toxic: {add: {type: latncy, attributes: {latency: 5}}}"), 4, "steps[1].toxic.add.type",
     "unknown value 'latncy' (did you mean 'latency'?)"),
    ("toxic attribute", steps("- toxic:\n    add:\n      type: latency\n      attributes:\n        latency: 10\n        jiter: 3"),
     9, "steps[1].toxic.add.attributes.jiter", "unknown key 'jiter' (did you mean 'jitter'?)"),
    ("toxic required attribute", steps("- toxic: {add: {type: bandwidth}}"), 4, "steps[1].toxic.add.attributes",
     "a bandwidth toxic needs attributes.rate (KB/s)"),
    ("toxic stream", steps("- toxic: {add: {type: timeout, stream: up, attributes: {timeout: 0}}}"), 4,
     "steps[1].toxic.add.stream", "unknown value 'up' (expected one of: upstream, downstream)"),
    ("toxic toxicity", steps("- toxic: {add: {type: timeout, toxicity: 2, attributes: {timeout: 0}}}"), 4,
     "steps[1].toxic.add.toxicity", "must be between 0.0 and 1.0"),
    ("toxic two ops", steps("- toxic:\n    remove: a\n    update: {name: a, toxicity: 1}"), 6, "steps[1].toxic",
     "one toxic operation per step"),
    ("proxy", steps("- proxy: {enable: false}"), 4, "steps[1].proxy.enable", "unknown key 'enable' (did you mean 'enabled'?)"),
    ("storage", steps("- storage: ful"), 4, "steps[1].storage", "unknown value 'ful'"),
    ("envelope age and ts", "judges: [retry]\nsteps:\n  - seed_outbox:\n      - age: 1h\n        ts: 5\n  - open: home\n",
     5, "steps[0].seed_outbox[0].ts", "give age or ts, not both"),
    ("envelope payload key", "judges: [retry]\nsteps:\n  - seed_outbox: [{payload: {ecc: x}}]\n  - open: home\n",
     3, "steps[0].seed_outbox[0].payload.ecc", "unknown key 'ecc' (did you mean 'ec'?)"),
    ("envelope omit clash", "judges: [retry]\nsteps:\n  - seed_outbox: [{attempts: 2, omit: [attempts]}]\n  - open: home\n",
     3, "steps[0].seed_outbox[0].omit", "'attempts' is omitted but 'attempts' is also given"),
    ("envelope extra clash", "judges: [retry]\nsteps:\n  - seed_outbox: [{extra: {ts: 1}}]\n  - open: home\n",
     3, "steps[0].seed_outbox[0].extra", "'ts' is an envelope field"),
    ("seed raw and envelopes", "judges: [retry]\nsteps:\n  - seed_outbox:\n      raw: x\n      envelopes: []\n  - open: home\n",
     5, "steps[0].seed_outbox.envelopes", "give raw or envelopes, not both"),
    ("date in json", steps("- send: {category: a, action: b, meta: {day: 2026-03-10}}"), 4, "steps[1].send.meta.day",
     "reads as a date; quote it"),
    ("hook shape", steps("- hook: mypkg.mod.fn"), 4, "steps[1].hook", "is not valid: 'package.module:function'"),
    ("db without postgres", steps("- db: stop"), 4, "steps[1].db", "add `ingest: postgres`"),
    ("db function", "judges: [retry]\ningest: postgres\nsteps:\n  - db: {call: 'drop table x'}\n", 4, "steps[0].db.call",
     "is not valid: an SQL function name"),
    ("tracker attr", "judges: [retry]\ntracker_attrs:\n  data-a: 1\n  'bad name': 2\nsteps: [{open: home}]\n", 4,
     "tracker_attrs.bad name", "is not an HTML attribute name"),
    ("merge key", "judges: [retry]\nsteps:\n  - <<: {open: home}\n", 3, "steps[0].<<", "merge keys (<<) are not supported"),
    ("yaml syntax", "judges: [retry]\nsteps:\n  - open: home\n   click: tel\n", 4, "yaml", "not valid YAML"),
    ("second document", "judges: [retry]\nsteps: [{open: home}]\n---\nx: 1\n", 4, "yaml", "one scenario per file"),
    ("empty file", "", 1, "", "the file is empty"),
    ("not a mapping", "- open: home\n", 1, "scenario", "expected a mapping of scenario settings"),
    ("empty steps", "judges: [retry]\nsteps: []\n", 2, "steps", "must not be empty"),
]


@pytest.mark.parametrize(("text", "line", "field", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_points_at_line_and_field(text: str, line: int, field: str, fragment: str) -> None:
    got_line, got_field, message = one_issue(text)
    assert (got_line, got_field) == (line, field), message
    assert fragment in message


def test_all_errors_reported_sorted_by_line() -> None:
    text = (
        "name: ok_name\n"            # 1
        "judges: [no_los]\n"         # 2
        "steps:\n"                   # 3
        "  - open: home\n"           # 4
        "  - advance: soon\n"        # 5
        "  - click: tell\n"          # 6
        "settle: forever\n"          # 7
        "polcy: {}\n"                # 8
    )
    found = issues(text, "scenarios/many.yaml")
    assert [(line, field) for line, field, _ in found] == [
        (2, "judges[0]"), (5, "steps[1].advance"), (6, "steps[2].click"), (7, "settle"), (8, "polcy"),
    ]
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "scenarios/many.yaml")
    lines = str(info.value).splitlines()
    assert len(lines) == 5 and all(line.startswith("scenarios/many.yaml:") for line in lines)
    assert lines[2] == f"scenarios/many.yaml:6: steps[2].click: {CLICK_MESSAGE}"


def test_several_errors_inside_one_step_all_reported() -> None:
    text = steps("- send:\n    category: 1\n    action: 2\n    lable: x")
    assert [(line, field) for line, field, _ in issues(text)] == [
        (5, "steps[1].send.category"), (6, "steps[1].send.action"), (7, "steps[1].send.lable")]


def test_tracker_and_tracker_attrs_together() -> None:
    text = "judges: [retry]\ntracker: {data-a: 1}\ntracker_attrs: {data-b: 2}\nsteps: [{open: home}]\n"
    assert one_issue(text) == (3, "tracker_attrs", "give tracker or tracker_attrs (the same thing), not both")


def test_toxic_checked_by_the_proxy_spec_too() -> None:
    """Limits the embedded proxy declares (slicer average_size ≥ 1) fail at load time, at the attribute."""
    line, field, message = one_issue(steps("- toxic: {add: {type: slicer, attributes: {average_size: 0}}}"))
    assert (line, field) == (4, "steps[1].toxic.add.attributes.average_size")
    assert message == "must be ≥ 1, got 0"
