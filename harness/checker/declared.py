"""Intents a build declared it does not act on, taken out before judging.

A build profile may say the build tracks no form submits, or ignores a repeated click on the same
target within a debounce window. Such intents are not promises the build broke: they are
removed from the history the checker judges (a copy; the recorded facts stay as they were), and
the verdict notes say how many and why.
"""
from __future__ import annotations

import dataclasses

from harness.checker.policy import Policy
from harness.contract.history import History, Intent


def declared_intents(history: History, policy: Policy) -> tuple[History, list[str]]:
    """The history with undeclared-as-tracked intents removed, and notes on what was removed."""
    if not policy.silent_events and not policy.click_debounce_ms:
        return history, []
    silent = set(policy.silent_events)
    last: dict[tuple, int] = {}
    dropped_silent = dropped_debounced = 0
    ops = []
    for op in history.ops:  # recorded in seq order
        kept: list[Intent] = []
        for it in op.intents:
            if (it.ec, it.ea) in silent:
                dropped_silent += 1
                continue
            # The same target: a click on another link of the same kind (wa.me, then WhatsApp Web)
            # is no repeat, even though both intents say conversion/whatsapp with no label.
            key = (it.context, it.page, it.ec, it.ea, it.el, op.detail.get("target") if op.kind == "click" else None)
            previous = last.get(key)
            last[key] = it.t_page
            if op.kind == "click" and previous is not None and it.t_page - previous < policy.click_debounce_ms:
                dropped_debounced += 1
                continue
            kept.append(it)
        ops.append(op if len(kept) == len(op.intents) else dataclasses.replace(op, intents=tuple(kept)))
    notes = []
    if dropped_silent:
        kinds = ", ".join(f"{ec}/{ea}" for ec, ea in sorted(silent))
        notes.append(f"{dropped_silent} intent(s) not expected: the build profile declares it does not track {kinds}")
    if dropped_debounced:
        notes.append(f"{dropped_debounced} repeated click(s) not expected: the build profile declares a click "
                     f"debounce of {policy.click_debounce_ms / 1000:g} s")
    return dataclasses.replace(history, ops=ops), notes
