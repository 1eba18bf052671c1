"""HTTP faults in the Sync stub: status sequences, Retry-After, hang, close, process-then-fail."""
from __future__ import annotations

from harness.scenario import model as m
from harness.scenario_run import ScenarioRun


def apply_fault_spec(plan, spec: dict) -> None:  # noqa: ANN001
    """Apply a validated ``stub:`` step to the stub's fault plan (keys: see docs/scenarios.md)."""
    if spec.get("clear"):
        plan.clear()
    if spec.get("release"):
        plan.release_hung()
    for key in ("push", "sequence"):
        for fault in spec.get(key) or ():
            plan.push(fault)
    if "fault" in spec:
        plan.push(spec["fault"], count=int(spec.get("times", 1)))
    if "default" in spec:
        plan.set_default(spec["default"])
    if spec.get("random"):
        r = spec["random"]
        plan.random(r["p"], r["fault"], r.get("seed", 1))


async def stub_fault(run: ScenarioRun, step: m.StubFault) -> None:
    await run.flush()
    run.op("fault", detail={"stub": dict(step.spec)})
    apply_fault_spec(run.stub.faults, dict(step.spec))
    await run.clock.settle()


HANDLERS = {m.StubFault: stub_fault}
