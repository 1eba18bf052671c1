"""Database faults (ingest mode): stop and start the server, call a maintenance function."""
from __future__ import annotations

from harness.scenario import model as m
from harness.scenario_run import ScenarioRun, StepFailed


async def db(run: ScenarioRun, step: m.Db) -> None:
    pg = run.world.pg
    if pg is None:
        raise StepFailed(step.line, "db steps need --ingest postgres")
    await run.flush()
    if step.action == "stop":
        await pg.stop_server()
    elif step.action == "start":
        await pg.start_server()
    else:
        await run.world.call_db_function(step.function or "", list(step.args))
    run.op("db", detail={"action": step.action, "function": step.function, "args": list(step.args)})
    await run.clock.settle()


HANDLERS = {m.Db: db}
