"""``--shard I/N``: a deterministic slice of the scenarios, so a CI matrix of N jobs runs each once.

Names are sorted and dealt round-robin: shard sizes differ by at most one, and every job of the
matrix computes the same split from the same scenario set, on any machine.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

from harness.contract.errors import UsageProblem

T = TypeVar("T")
_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/3"`` → ``(2, 3)``; shards count from 1."""
    m = _SHARD.fullmatch(text or "")
    if not m:
        raise UsageProblem(f"--shard {text!r}: expected I/N, e.g. 1/3")
    index, total = int(m.group(1)), int(m.group(2))
    if total < 1 or not 1 <= index <= total:
        raise UsageProblem(f"--shard {text!r}: I must be between 1 and N (N ≥ 1)")
    return index, total


def take_shard(items: Sequence[T], shard: tuple[int, int] | None, key: Callable[[T], str]) -> list[T]:
    """The items of shard ``(I, N)`` (all of them when ``shard`` is None), in their given order."""
    if shard is None:
        return list(items)
    index, total = shard
    order = sorted(range(len(items)), key=lambda i: (key(items[i]), i))
    mine = {i for rank, i in enumerate(order) if rank % total == index - 1}
    return [item for i, item in enumerate(items) if i in mine]
