"""Database faults (ingest mode): stop and start the server, call a maintenance function."""
from __future__ import annotations

from typing import Any

from harness.nemesis.places import start_database
from harness.run.state import ScenarioRun, StepFailed
from harness.scenario import model as m


async def db(run: ScenarioRun, step: m.Db) -> None:
    pg = run.world.pg
    if pg is None:
        raise StepFailed(step.line, "db steps need --ingest postgres")
    await run.flush()
    run.op("db", detail={"action": step.action, "function": step.function, "args": list(step.args)})
    try:
        if step.action == "stop":
            run.world.pg_store.set_down(True)  # the outage lasts in page time, not pool timeouts
            await pg.stop_server()
            run.faults.db_stopped = True
        elif step.action == "start":
            await start_database(run)
        else:
            await run.world.call_db_function(step.function or "", list(step.args))
    except RuntimeError as exc:  # e.g. stopping a database the harness did not start
        raise StepFailed(step.line, f"db {step.action}: {exc}") from exc
    await run.clock.settle()


HANDLERS: dict[type, Any] = {m.Db: db}
