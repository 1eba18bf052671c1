"""A hook for scenario tests: the loader imports hooks at validation time, so they must exist."""
from __future__ import annotations

from typing import Any


def fn(run: Any, **args: Any) -> None:
    """Does nothing; tests only check that it resolves."""
