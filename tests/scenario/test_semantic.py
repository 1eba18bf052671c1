"""Checks across steps: tab lifecycle, seeding order, toxics, database steps."""
from __future__ import annotations

from harness.scenario import Toxic, parse_scenario

from .helpers import issues, one_issue, steps


def test_step_on_tab_never_opened() -> None:
    text = "judges: [retry]\nsteps:\n  - open: home\n  - click: tel\n    tab: second\n"
    assert one_issue(text) == (
        4, "steps[1].click", "tab 'second' in context 'main' is not open yet; add an `open` step for it before this one")


def test_step_before_any_open() -> None:
    line, field, message = one_issue("judges: [retry]\nsteps:\n  - reload: true\n")
    assert (line, field) == (3, "steps[0].reload") and "is not open yet" in message


def test_same_tab_name_in_another_context_is_another_tab() -> None:
    line, field, message = one_issue(steps("- click: tel\n  context: other"))
    assert (line, field) == (4, "steps[1].click")
    assert message.startswith("tab 'main' in context 'other' is not open yet")


def test_closed_tab_used_again() -> None:
    text = steps("- close: true\n- advance: 1s\n- click: tel")
    assert one_issue(text) == (6, "steps[3].click", "tab 'main' in context 'main' was closed at line 4; `open` it again first")


def test_crashed_tab_used_again() -> None:
    line, _, message = one_issue(steps("- crash: true\n- reload: true"))
    assert line == 5 and "was crashed at line 4" in message


def test_restart_browser_closes_every_tab_of_its_context() -> None:
    text = steps(
        "- open: page2\n  tab: b\n"                  # 4
        "- open: home\n  context: other\n"           # 6
        "- restart_browser: true\n"                   # 8
        "- click: tel\n  context: other\n"           # 9: the other context's browser still runs
        "- click: tel\n  tab: b")                     # 11
    assert one_issue(text) == (
        11, "steps[5].click", "tab 'b' in context 'main' was closed by restart_browser at line 8; `open` it again first")


def test_restart_browser_takes_a_context_not_a_tab() -> None:
    sc = parse_scenario(steps("- open: home\n  context: v2\n- restart_browser: true\n  context: v2\n- open: home\n  context: v2"), "x.yaml")
    assert [(s.KIND, s.context) for s in sc.steps[1:]] == [("open", "v2"), ("restart_browser", "v2"), ("open", "v2")]
    line, field, message = one_issue(steps("- restart_browser: true\n  tab: main"))
    assert (line, field) == (5, "steps[1].tab") and "no meaning for restart_browser" in message


def test_storage_private_after_open() -> None:
    assert one_issue(steps("- storage: private"))[:2] == (4, "steps[1].storage")
    parse_scenario("judges: [retry]\nsteps:\n  - storage: private\n  - open: home\n  - storage: quota\n", "x.yaml")


def test_reopen_after_close_is_fine() -> None:
    sc = parse_scenario(steps("- close: true\n- open: page2\n- click: tel\n- restart_browser: true\n- open: home"), "x.yaml")
    assert len(sc.steps) == 6


def test_open_twice() -> None:
    assert one_issue(steps("- open: page2")) == (
        4, "steps[1].open", "tab 'main' in context 'main' is already open (line 3); use navigate, or close it first")


def test_seed_outbox_after_open_in_that_context() -> None:
    line, field, message = one_issue(steps("- seed_outbox: {raw: x}"))
    assert (line, field) == (4, "steps[1].seed_outbox")
    assert message.startswith("seed_outbox must come before the first `open` in context 'main' (line 3)")


def test_seed_outbox_in_other_context_is_fine() -> None:
    sc = parse_scenario(steps("- seed_outbox: {raw: x}\n  context: other\n- open: home\n  context: other"), "x.yaml")
    assert [s.context for s in sc.steps] == ["main", "other", "other"]


def test_toxic_lifecycle() -> None:
    text = steps(
        "- toxic: {add: {type: latency, stream: upstream, attributes: {latency: 1}}}\n"    # 4
        "- toxic: {add: {type: latency, stream: upstream, attributes: {latency: 2}}}\n"    # 5 duplicate
        "- toxic: {remove: latency_upstream}\n"                                           # 6
        "- toxic:\n"                                                                      # 7
        "    update:\n"                                                                   # 8
        "      name: latency_upstream\n"
        "      toxicity: 0.5\n"
        "- toxic: {remove: latency_downstream}"                                           # 11
    )
    found = issues(text)
    assert [(line, field) for line, field, _ in found] == [
        (5, "steps[2].toxic"), (8, "steps[4].toxic.update"), (11, "steps[5].toxic.remove")]
    assert "already added (line 4)" in found[0][2]
    assert found[1][2] == "no toxic named 'latency_upstream' is in place (in place: none)"
    assert "did you mean" not in found[2][2]


def test_toxic_update_checks_attributes_of_added_type() -> None:
    text = steps(
        "- toxic: {add: {name: slow, type: slicer, attributes: {average_size: 10}}}\n"
        "- toxic:\n"
        "    update:\n"
        "      name: slow\n"
        "      attributes:\n"
        "        delay: 5\n"
        "        latency: 1"
    )
    assert one_issue(text) == (
        10, "steps[2].toxic.update.attributes.latency",
        "a slicer toxic has no attribute 'latency' (it has: average_size, size_variation, delay)")


def test_toxic_update_and_remove_learn_type_and_stream() -> None:
    sc = parse_scenario(steps(
        "- toxic: {add: {name: cut, type: reset_peer, stream: upstream, attributes: {timeout: 0}}}\n"
        "- toxic: {update: {name: cut, attributes: {timeout: 10}}}\n"
        "- toxic: {remove: cut}"), "x.yaml")
    toxics = [s for s in sc.steps if isinstance(s, Toxic)]
    assert [(t.op, t.name, t.type, t.stream, t.toxicity, t.attributes) for t in toxics] == [
        ("add", "cut", "reset_peer", "upstream", 1.0, {"timeout": 0}),
        ("update", "cut", "reset_peer", "upstream", None, {"timeout": 10}),
        ("remove", "cut", "reset_peer", "upstream", None, {}),
    ]


def test_db_needs_postgres() -> None:
    assert one_issue(steps("- db: {call: create_next_month_partitions}")) == (
        4, "steps[1].db", "db steps need a real database: add `ingest: postgres` at the top")


def test_broken_open_does_not_cascade() -> None:
    """A typo in an `open` must not also make every later step on that tab an error."""
    text = "judges: [retry]\nsteps:\n  - open: hom\n  - click: tel\n  - reload: true\n"
    assert [(line, field) for line, field, _ in issues(text)] == [(3, "steps[0].open")]


def test_misspelled_action_guessed_for_cascade_control() -> None:
    """`opne:` is reported once; the steps after it are not 'not open yet' errors."""
    text = "judges: [retry]\nsteps:\n  - opne: home\n  - click: tel\n"
    assert [(line, field) for line, field, _ in issues(text)] == [(3, "steps[0].opne")]


def test_misspelled_click_does_not_hide_later_tab_errors() -> None:
    text = steps("- clik: tel\n- click: tel\n  tab: ghost")
    assert [(line, field) for line, field, _ in issues(text)] == [(4, "steps[1].clik"), (5, "steps[2].click")]
