"""The driver: journey steps (open, click, send, navigate, …) and generated visitors.

Exports ``HANDLERS`` (step type → coroutine), like the nemesis.
"""
from __future__ import annotations

from harness.driver.journey import HANDLERS

__all__ = ["HANDLERS"]
