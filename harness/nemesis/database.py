"""Database faults (ingest mode): stop and start the server, call a maintenance function."""
from __future__ import annotations

from harness.scenario import model as m
from harness.run.state import ScenarioRun, StepFailed


async def db(run: ScenarioRun, step: m.Db) -> None:
    pg = run.world.pg
    if pg is None:
        raise StepFailed(step.line, "db steps need --ingest postgres")
    await run.flush()
    run.op("db", detail={"action": step.action, "function": step.function, "args": list(step.args)})
    try:
        if step.action == "stop":
            await pg.stop_server()
            run.db_stopped = True
        elif step.action == "start":
            await restart(run)
        else:
            await run.world.call_db_function(step.function or "", list(step.args))
    except RuntimeError as exc:  # e.g. stopping a database the harness did not start
        raise StepFailed(step.line, f"db {step.action}: {exc}") from exc
    await run.clock.settle()


async def restart(run: ScenarioRun) -> None:
    """Start the stopped database again (a step, or the heal at the end of a scenario)."""
    await run.world.pg.start_server()
    await run.world.pg_store.check()  # replace pooled connections that died with the server
    run.db_stopped = False


HANDLERS = {m.Db: db}
