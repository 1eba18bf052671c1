"""The plugin's command-line options and their ``ini`` equivalents, read into one Settings."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.report.rerun import DEVIATIONS_DEFAULT  # ``tankharness run --deviations``'s default, ours too

INGESTS = ("auto", "memory", "postgres")
TRACE_MODES = ("off", "on", "retain-on-failure")
DEVIATION_MODES = ("fail", "warn")

# (option, ini name, help, default); every option has an ini line of the same name with ``_``.
_OPTIONS: tuple[tuple[str, str, str, str | None], ...] = (
    ("--tank-tracker", "tank_tracker", "the tracker build under test: 'reference', 'mutant:NAME' or a JS file",
     "reference"),
    ("--tank-profile", "tank_profile", "build profile (YAML): adapter options and the build's declared differences "
     "from the contract (judged as --tank-deviations says)", None),
    ("--tank-deviations", "tank_deviations", "as `tankharness run --deviations`: fail adds a failing test "
     "declared_deviations when the profile declares any; warn lists them and that test passes", DEVIATIONS_DEFAULT),
    ("--tank-ingest", "tank_ingest",
     "where accepted events are stored: auto (PostgreSQL when DATABASE_URL is set or the server is "
     "installed, else memory), memory or postgres", "auto"),
    ("--tank-database-url", "tank_database_url", "use this PostgreSQL instead of a throwaway cluster "
     "(default: $DATABASE_URL)", None),
    ("--tank-browser-ws", "tank_browser_ws", "a remote Playwright server (playwright run-server) instead of a "
     "local Chromium", None),
    ("--tank-browser-cdp", "tank_browser_cdp", "a Chromium DevTools endpoint on this machine", None),
    ("--tank-trace", "tank_trace", "Playwright trace per browser context, end screenshots and page console: "
     "off, on, or retain-on-failure (kept only for failing scenarios)", "off"),
    ("--tank-output", "tank_output", "folder for kept traces, screenshots and consoles (one folder per scenario)",
     "tank-results"),
    ("--tank-shard", "tank_shard", "run only shard I of N of the collected tests (I/N, by sorted test id)", None),
)


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("tank", "tankharness (scenario files and world fixtures)")
    for flag, ini, text, default in _OPTIONS:
        kwargs: dict[str, object] = {"dest": ini, "default": None, "help": f"{text} (ini: {ini})"}
        if ini == "tank_ingest":
            kwargs["choices"] = INGESTS
        if ini == "tank_trace":
            kwargs["choices"] = TRACE_MODES
        if ini == "tank_deviations":
            kwargs["choices"] = DEVIATION_MODES
        group.addoption(flag, **kwargs)
        parser.addini(ini, text, default=default)
    group.addoption("--tank-strict", dest="tank_strict", action="store_true", default=None,
                    help="as `tankharness run --strict`: vacuous guarantees and events pending after settle (unless the scenario declares expect_pending) fail (ini: tank_strict)")
    parser.addini("tank_strict", "judge as tankharness run --strict", type="bool", default=False)
    parser.addini("tank_scenarios", "folders whose scenario YAML files are always collected "
                  "(besides files and folders named on the command line)", type="paths", default=[])


@dataclass(frozen=True)
class Settings:
    tracker: str
    ingest: str
    database_url: str | None
    strict: bool
    browser_ws: str | None
    browser_cdp: str | None
    shard: tuple[int, int] | None
    profile: Path | None
    deviations: str  # fail | warn, as ``tankharness run --deviations``
    trace: str
    output: Path

    @classmethod
    def from_config(cls, config: pytest.Config) -> "Settings":
        def value(name: str) -> str | None:
            v = config.getoption(name)
            return v if v is not None else (config.getini(name) or None)

        ingest = _choice("tank_ingest", value("tank_ingest") or "auto", INGESTS)
        strict = config.getoption("tank_strict")
        return cls(
            tracker=value("tank_tracker") or "reference",
            ingest=ingest,
            database_url=value("tank_database_url") or os.environ.get("DATABASE_URL") or None,
            strict=bool(config.getini("tank_strict")) if strict is None else True,
            browser_ws=value("tank_browser_ws"),
            browser_cdp=value("tank_browser_cdp"),
            shard=_shard(value("tank_shard")),
            profile=Path(config.invocation_params.dir) / value("tank_profile") if value("tank_profile") else None,
            deviations=_choice("tank_deviations", value("tank_deviations") or DEVIATIONS_DEFAULT, DEVIATION_MODES),
            trace=_choice("tank_trace", value("tank_trace") or "off", TRACE_MODES),
            output=Path(config.invocation_params.dir) / (value("tank_output") or "tank-results"),
        )

    def allowed_ingests(self) -> tuple[str, ...]:
        """The worlds ``tank_worlds.get`` may start: both under ``auto``."""
        return ("memory", "postgres") if self.ingest == "auto" else (self.ingest,)

    def default_ingest(self) -> str:
        """``tank_world`` and scenario items: like ``tankharness run --ingest auto``."""
        from harness.cli.common import resolve_ingest

        return resolve_ingest(self.ingest, self.database_url)


def _shard(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    from harness.contract.errors import UsageProblem
    from harness.run.shard import parse_shard

    try:
        return parse_shard(text)
    except UsageProblem as exc:
        raise pytest.UsageError(str(exc).replace("--shard", "--tank-shard")) from None


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise pytest.UsageError(f"{name} = {value!r}: expected one of {', '.join(choices)}")
    return value
