"""The build profile's declared deviations as one test item, as ``tankharness run`` judges them.

``run`` passes each scenario on its guarantees and fails the *run* for a profile's declared
deviations under ``--deviations fail`` (its JUnit has a test case ``declared_deviations`` in a suite
``run``). In pytest the run's outcome is the session's, so a session that runs the harness (a
scenario item, or a test using a ``tank_*`` fixture) with a profile declaring deviations gets one
more item, ``declared_deviations``: it fails under ``--tank-deviations fail`` (the default, as
``run``'s) with the words of the JSON report's ``run_failures``, and passes under ``warn``. It is
added after ``-k``/``-m`` and ``--tank-shard`` have chosen the items, so every shard says it, as
every shard of ``run`` exits 1 for it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.report.model import RunFailure, deviations_failure

FIXTURES = frozenset({"tank_run", "tank_world", "tank_worlds", "tank_build"})
FLAG = "--tank-deviations"
NAME = "declared_deviations"
NODEID = f"tank-profile::{NAME}"  # not under a file: the session's id is a path relative to the invocation


def judgement(profile: Any, mode: str) -> RunFailure | None:
    """Why the session fails for the profile's declarations (``None`` under warn): ``run``'s rule."""
    return deviations_failure(profile.name, list(profile.deviations), mode, flag=FLAG)


def heading(profile: Any, mode: str) -> str:
    """The summary section's title, in the words of ``run``'s DEVIATIONS section."""
    from harness.builds.deviations import heading as run_heading

    return run_heading(profile, mode, FLAG).rstrip(":")


class DeviationsFailed(Exception):
    """The profile's declared deviations fail the session (``--tank-deviations fail``)."""


class DeclaredDeviations(pytest.Item):
    """The run's own test: the profile's declared deviations, judged by ``run``'s rule."""

    def __init__(self, *, profile: Any, mode: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.profile, self.mode = profile, mode

    def runtest(self) -> None:
        self.user_properties.extend([("profile", f"{self.profile.name} ({self.profile.path})"),
                                     ("deviations", self.mode)])
        failure = judgement(self.profile, self.mode)
        if failure is not None:
            raise DeviationsFailed(f"{failure.kind}: {failure.head}:\n" + "\n".join(f"  • {d}" for d in failure.details))
        self.add_report_section("call", "tank deviations", f"{FLAG} {self.mode}: listed, not failing the run\n"
                                + "\n".join(f"  • {d}" for d in self.profile.deviations))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, DeviationsFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return Path(self.profile.path), 0, f"declared deviations of build profile {self.profile.name}"


def uses_the_harness(item: pytest.Item) -> bool:
    from harness.pytest_plugin.items import ScenarioItem

    return isinstance(item, ScenarioItem) or bool(FIXTURES & set(getattr(item, "fixturenames", ())))


class Deviations:
    """Registered when ``--tank-profile`` is given: adds the item once the items are chosen."""

    def __init__(self, profile: Any, mode: str) -> None:
        self.profile, self.mode = profile, mode

    @pytest.hookimpl(trylast=True)  # after -k/-m deselection and --tank-shard
    def pytest_collection_modifyitems(self, session: pytest.Session, items: list[pytest.Item]) -> None:
        if self.profile.deviations and any(uses_the_harness(i) for i in items):
            items.append(DeclaredDeviations.from_parent(session, name=NAME, nodeid=NODEID, path=Path(self.profile.path),
                                                       profile=self.profile, mode=self.mode))

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """The declarations, as ``run`` prints them, whether or not the item ran."""
        if self.profile.deviations:
            terminalreporter.section(heading(self.profile, self.mode))
            for deviation in self.profile.deviations:
                terminalreporter.line(f"  • {deviation}")
