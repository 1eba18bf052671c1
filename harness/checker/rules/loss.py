"""``no_loss``: no envelope (or intent) ends ``lost``."""
from __future__ import annotations

from harness.checker.facts import Facts
from harness.checker.fmt import short
from harness.checker.rules.base import Outcome


def no_loss(f: Facts) -> Outcome:
    """Evidence: every envelope and every intent no envelope fulfilled."""
    bad = [f"{short(x.id)} {x.ec}/{x.ea} lost — {x.reason}" for x in f.fates.values() if x.fate == "lost"]
    return Outcome(len(f.fates), bad)
