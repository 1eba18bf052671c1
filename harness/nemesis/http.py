"""HTTP faults in the Sync stub: status sequences, Retry-After, hang, close, process-then-fail."""
from __future__ import annotations

from typing import Any

from harness.run.state import ScenarioRun
from harness.scenario import model as m


async def stub_fault(run: ScenarioRun, step: m.StubFault) -> None:
    await run.flush()
    run.op("fault", detail={"stub": dict(step.spec)})
    run.stub.faults.apply(step.spec)  # the loader already gave it the control endpoint's shape
    await run.clock.settle()


HANDLERS: dict[type, Any] = {m.StubFault: stub_fault}
