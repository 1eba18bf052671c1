"""Database faults (ingest mode): stop and start the server, call a maintenance function."""
from __future__ import annotations

from harness.scenario import model as m
from harness.scenario_run import ScenarioRun, StepFailed


async def db(run: ScenarioRun, step: m.Db) -> None:
    pg = run.world.pg
    if pg is None:
        raise StepFailed(step.line, "db steps need --ingest postgres")
    await run.flush()
    try:
        if step.action == "stop":
            await pg.stop_server()
        elif step.action == "start":
            await pg.start_server()
            await run.world.pg_store.check()  # replace pooled connections that died with the server
        else:
            await run.world.call_db_function(step.function or "", list(step.args))
    except RuntimeError as exc:  # e.g. stopping a database the harness did not start
        raise StepFailed(step.line, f"db {step.action}: {exc}") from exc
    run.op("db", detail={"action": step.action, "function": step.function, "args": list(step.args)})
    await run.clock.settle()


HANDLERS = {m.Db: db}
