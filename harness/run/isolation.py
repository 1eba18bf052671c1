"""What a scenario learns about attempts on the harness itself, and what it must refuse to judge.

Two findings, kept apart because they mean different things:

- *refusals*: a page (the build) or another process called a control API (the stub's
  /__control, the embedded proxy's API) and was refused. Nothing changed; the report names the
  build that was running, because a build that probes the harness is itself a finding.
- *outside changes*: the stub's fault plan changed by something other than the scenario's own
  steps. The run no longer tests what the scenario says, so the scenario is an environment error.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

from harness.contract.control import Refusal

MAX_LISTED = 20  # refusals saved in the history (a loopback scan makes thousands)


def refusal_notes(refusals: list[Refusal], build_name: str) -> list[str]:
    """One note naming the build and summing up who tried what; empty when nobody tried."""
    if not refusals:
        return []
    from_pages = sum(1 for r in refusals if r.origin or (r.user_agent or "").startswith("Mozilla/"))
    apis = ", ".join(f"{api} {n}" for api, n in sorted(Counter(r.api for r in refusals).items()))
    paths = sorted({f"{r.method} {r.path.split('?')[0]}" for r in refusals})
    shown = ", ".join(paths[:6]) + (f" and {len(paths) - 6} more" if len(paths) > 6 else "")
    who = (f"build {build_name}" if from_pages == len(refusals)
           else f"build {build_name} or another process on this machine")
    return [f"isolation: {len(refusals)} request(s) to the harness's control APIs refused "
            f"({apis}; {from_pages} from a page) — {who} tried: {shown}; nothing was changed"]


def refusal_records(refusals: list[Refusal]) -> dict[str, Any]:
    """The refusals as history meta: a count, a count per API and the first few in full."""
    return {"count": len(refusals), "by_api": dict(Counter(r.api for r in refusals)),
            "first": [asdict(r) for r in refusals[:MAX_LISTED]]}


def outside_change_error(changes: list[tuple[int, str, list[str]]]) -> str | None:
    """An environment error when the fault plan changed outside the scenario's steps."""
    if not changes:
        return None
    said = "; ".join(f"change #{v} by {src}: {', '.join(keys) or 'nothing'}" for v, src, keys in changes[:5])
    return (f"environment: the stub's fault plan was changed outside the scenario's steps ({said}); "
            "the run did not test what the scenario says")
