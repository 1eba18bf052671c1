"""A misspelt value gets a did-you-mean, like a misspelt key: every closed vocabulary of the format."""
from __future__ import annotations

import pytest

from .helpers import one_issue, steps


@pytest.mark.parametrize("body,field,suggestion", [
    ("- toxic: {add: {type: latancy, attributes: {latency: 1}}}", "steps[1].toxic.add.type", "latency"),
    ("- toxic: {add: {type: latency, stream: dwonstream, attributes: {latency: 1}}}", "steps[1].toxic.add.stream", "downstream"),
    ("- click: whatsap", "steps[1].click", "whatsapp"),
    ("- navigate: pag2", "steps[1].navigate", "page2"),
    ("- storage: privte", "steps[1].storage", "private"),
    ("- stub: {fault: {close: rsst}}", "steps[1].stub.fault.close", "rst"),
    ("- stub: {fault: {status: 503, via: beacn}}", "steps[1].stub.fault.via", "beacon"),
    ("- stub: {fault: {ok: true, method: PSOT}}", "steps[1].stub.fault.method", "POST"),
])
def test_misspelt_value(body: str, field: str, suggestion: str) -> None:
    line, got_field, message = one_issue(steps(body))
    assert (line, got_field) == (4, field) and f"(did you mean '{suggestion}'?)" in message


def test_misspelt_guarantee_and_visitor_action() -> None:
    assert "(did you mean 'exactly_once'?)" in one_issue("judges: [exactly_one]\nsteps: [{open: home}]\n")[2]
    assert "(did you mean 'whatsapp'?)" in one_issue("judges: [no_loss]\nvisitors: {count: 1, actions: [whatsap]}\n")[2]
