"""Worlds for pytest: a World on its own event loop in a background thread, shared by a session.

Synchronous tests (and scenario items) hand coroutines to it. Starting Chromium, the fault proxy
and PostgreSQL once per session (per xdist worker) instead of once per test keeps a suite fast;
each scenario still gets its own stub, proxy listener and browser contexts.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

import pytest

from harness.builds import Build, load_build
from harness.contract.adapter import Adapter
from harness.run.scenario import ScenarioResult
from harness.scenario import Scenario
from harness.world.postgres import PostgresUnavailable, find_binaries
from harness.world.world import World, WorldOptions


def postgres_available() -> bool:
    """PostgreSQL server binaries are installed (a throwaway cluster can be started)."""
    try:
        find_binaries()
    except PostgresUnavailable:
        return False
    return True


class WorldThread:
    """A started World driven from synchronous code (``with WorldThread(options) as wt``)."""

    def __init__(self, options: WorldOptions) -> None:
        self.options = options
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="tank-world", daemon=True)
        self.world = World(options)

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float = 600) -> Any:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except BaseException:  # timeout, Ctrl-C: a runaway scenario must not keep running into the next test
            future.cancel()
            raise

    def __enter__(self) -> "WorldThread":
        self.thread.start()
        try:
            self.call(self.world.__aenter__(), timeout=120)
        except BaseException:
            self._stop_loop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.call(self.world.__aexit__(None, None, None), timeout=120)
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()

    def run(self, build: Build | str, scenario: Scenario, adapter: Adapter | None = None) -> ScenarioResult:
        """Run one scenario in this world; the raw result (history and verdict)."""
        from harness.run.suite import run_scenario_or_error

        b = load_build(build) if isinstance(build, str) else build
        return self.call(run_scenario_or_error(self.world, scenario, b, adapter or Adapter()))


class WorldPool:
    """The session's worlds, one per ingest kind, started on first use and stopped at the end.

    ``allowed`` is what ``--tank-ingest`` permits: asking for another kind skips the test, as does
    asking for PostgreSQL where neither ``DATABASE_URL`` nor the server binaries exist.
    """

    def __init__(self, make_options: Any, allowed: tuple[str, ...]) -> None:
        self._make_options = make_options
        self.allowed = allowed
        self._worlds: dict[str, WorldThread] = {}
        self._failed: dict[str, BaseException] = {}
        self._lock = threading.Lock()

    def get(self, ingest: str) -> WorldThread:
        if ingest not in self.allowed:
            pytest.skip(f"--tank-ingest {'/'.join(self.allowed)}: the {ingest} world is not used")
        with self._lock:
            if ingest in self._failed:  # one broken environment, one error: not one start per test
                raise self._failed[ingest]
            if ingest not in self._worlds:
                options: WorldOptions = self._make_options(ingest)
                if ingest == "postgres" and not options.database_url and not postgres_available():
                    pytest.skip("PostgreSQL: no DATABASE_URL and no server binaries (make setup installs them)")
                wt = WorldThread(options)
                try:
                    wt.__enter__()
                except BaseException as exc:
                    self._failed[ingest] = exc
                    raise
                self._worlds[ingest] = wt
            return self._worlds[ingest]

    def close(self) -> None:
        with self._lock:
            worlds, self._worlds = self._worlds, {}
        for wt in worlds.values():
            wt.__exit__(None, None, None)
