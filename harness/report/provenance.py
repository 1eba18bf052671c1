"""Which run a saved history is the record of: the scenario file, the build, the seed and the shard.

They are stamped into ``History.meta`` when the history is recorded, so that a history found in a
folder is paired with a report entry only when it records the same run — a stale history of an
edited scenario, another build or another shard split would draw swimlanes of a different run
under this run's verdict.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.report.rerun import sha256_file

if TYPE_CHECKING:
    from harness.builds.profile import Profile

WORDS = {"scenario_sha256": "scenario file", "build_sha256": "build", "seed": "seed", "shard": "shard"}


def stamp(*, scenario_sha256: str | None, build_sha256: str | None, seed: int | None,
          shard: str | None) -> dict[str, Any]:
    """The ``History.meta`` entries that say which run recorded it (``shard``: ``I/N`` or None)."""
    return {"scenario_sha256": scenario_sha256, "build_sha256": build_sha256, "seed": seed, "shard": shard}


def profile_stamp(profile: "Profile | None") -> dict[str, Any] | None:
    """What a report and each saved history say of the build profile the run was judged against:
    ``judge`` re-reads a history's declared deviations from it, as ``merge`` reads a report's."""
    if profile is None:
        return None
    return {"name": profile.name, "path": profile.path, "sha256": sha256_file(profile.path),
            "deviations": list(profile.deviations)}


def mismatch(recorded: dict[str, Any], expected: dict[str, Any]) -> str | None:
    """What differs between the run a history records and the one expected, in words, or None.

    A value missing on either side (a history saved before stamping, an inline scenario with no
    file to hash) is not held against it."""
    differ = [f"{WORDS[k]} {_show(recorded[k])} (the report's: {_show(expected[k])})" for k in WORDS
              if recorded.get(k) is not None and expected.get(k) is not None and recorded[k] != expected[k]]
    return ", ".join(differ) or None


def _show(value: Any) -> str:
    text = str(value)
    return text[:12] if len(text) == 64 else text  # a SHA-256 by its first 12, as the table prints it
