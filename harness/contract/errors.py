"""Errors that end a run with exit code 2 and a one-line reason (usage or environment)."""
from __future__ import annotations


class HarnessError(Exception):
    """Base of errors the CLI turns into exit code 2."""


class EnvironmentProblem(HarnessError):
    """Something outside the project is missing or busy: no browser, no PostgreSQL, port in use."""


class UsageProblem(HarnessError):
    """The command line or a scenario asks for something that cannot be done."""
