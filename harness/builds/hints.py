"""What the report says about the build beside the verdict: requests to other paths of the Sync
origin, and — for a build judged without a profile — which profile declaration would explain
its failures, so a release engineer can tell a design choice from data loss.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import TYPE_CHECKING

from harness.checker.verdict import ScenarioVerdict
from harness.contract.history import History

if TYPE_CHECKING:
    from harness.builds import Build

SYNC_PATH = "/api/sync"
_ABORTED = re.compile(r"aborted after ([0-9.]+)s|ran ([0-9.]+)s \(")


def build_notes(history: History, verdict: ScenarioVerdict, build: "Build") -> list[str]:
    notes = side_requests(history, build.profile.side_endpoints if build.profile else ())
    if build.profile is None and not verdict.passed:
        notes += [f"a build profile would explain this if it is by design: {h}" for h in declaration_hints(history, verdict)]
    return notes


def side_requests(history: History, declared: tuple[str, ...] = ()) -> list[str]:
    """Requests that reached the Sync origin on another path than the Sync endpoint: a declared
    side endpoint's are a side channel (not judged); any other path fails ``nothing_unexpected``."""
    paths = Counter((e.path, e.status) for e in history.journal if e.path != SYNC_PATH)
    out = []
    for (path, status), n in sorted(paths.items(), key=lambda x: (x[0][0], x[0][1] or 0)):
        if path in declared:
            out.append(f"side channel: {n} request(s) to {path} (a declared side endpoint; the stub answered "
                       f"{status}, not judged)")
        else:
            out.append(f"{n} request(s) to {path} on the Sync origin, answered {status}: not the Sync endpoint "
                       f"and not declared (nothing_unexpected)")
    return out


def declaration_hints(history: History, verdict: ScenarioVerdict) -> list[str]:
    """Profile declarations that would turn the observed failures into listed deviations."""
    out: list[str] = []
    g = verdict.guarantees
    if "timeout" in g and g["timeout"].status == "fail":
        seconds = [float(a or b) for v in g["timeout"].violations for a, b in _ABORTED.findall(v)]
        if seconds:
            out.append(f"`timeout: {math.ceil(min(seconds)):g}s` (fetches ran or were aborted after "
                       f"{min(seconds):g}–{max(seconds):g} s)")
    if "backoff" in g and g["backoff"].status == "fail":
        out.append("`backoff: {base: …, cap: …, jitter: …}` with the build's own retry schedule")
    if "dead_letter" in g and any("without its payload" in v for v in g["dead_letter"].violations):
        out.append("`dead_letter: {payload: false}` (its dead-letter records keep no payload)")
    sides = sorted({e.path for e in history.journal if e.path != SYNC_PATH})
    if sides:
        out.append(f"`side_endpoints: [{', '.join(sides)}]` (requests to other paths of the Sync origin)")
    lost = [f for f in verdict.fates if f.kind == "intent" and f.reason_code == "never_enqueued"]
    if any(f.ea == "form_submit" for f in lost):
        out.append("`emits: {forms: false}` (no form submit was ever enqueued)")
    gap = _repeat_click_gap(history, {f.id for f in lost})
    if gap is not None:
        out.append(f"`click_debounce: {max(1, math.ceil(gap / 1000)):g}s` (the lost clicks repeated the same "
                   f"target {gap / 1000:g} s after an earlier click)")
    return out


def _repeat_click_gap(history: History, lost_ids: set[str], window_ms: int = 5000) -> int | None:
    """The largest gap between a lost click and the previous click on the same target (≤ window)."""
    last: dict[tuple, int] = {}
    gaps = []
    for op in history.ops:
        if op.kind != "click":
            continue
        for it in op.intents:
            key = (it.context, it.page, it.ec, it.ea, it.el)
            if it.intent_id in lost_ids and key in last and it.t_page - last[key] <= window_ms:
                gaps.append(it.t_page - last[key])
            last[key] = it.t_page
    return max(gaps) if gaps else None
