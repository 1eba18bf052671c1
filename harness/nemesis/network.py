"""Network faults through the Toxiproxy API only: toxics and the proxy's ``enabled`` flag."""
from __future__ import annotations

import asyncio

from harness.run.state import ScenarioRun, StepFailed
from harness.scenario import model as m
from harness.toxiproxy.pagetime import PAGE_TIME_TOXICS

# Toxic attributes that are durations (ms; a slicer's delay is µs) or rates: real time in a Toxiproxy
# (the embedded one applies them in page time when the run gives it a page clock).
REAL_TIME_ATTRIBUTES = ("latency", "jitter", "rate", "delay", "timeout")


def _client(run: ScenarioRun, line: int):  # noqa: ANN202
    if run.proxy_name is None or run.world.proxy_client is None:
        raise StepFailed(line, "this run has no fault proxy (--no-proxy)")
    return run.world.proxy_client


async def toxic(run: ScenarioRun, step: m.Toxic) -> None:
    client = _client(run, step.line)
    await run.flush()
    run.op("toxic", detail={"op": step.op, "name": step.name, "type": step.type, "stream": step.stream,
                            "attributes": dict(step.attributes)})
    if step.op == "add":
        created = await asyncio.to_thread(
            client.add_toxic, run.proxy_name, step.type, stream=step.stream or "downstream",
            toxicity=1.0 if step.toxicity is None else step.toxicity,
            attributes=dict(step.attributes), name=step.name,
        )
        run.faults.toxics.add(created["name"])
        run.faults.toxic_types[created["name"]] = str(created.get("type") or step.type)
        _note_real_time(run, step, created["name"])
    elif step.op == "update":
        await asyncio.to_thread(client.update_toxic, run.proxy_name, step.name,
                                attributes=dict(step.attributes) or None, toxicity=step.toxicity)
        _note_real_time(run, step, step.name or "")
    else:
        await asyncio.to_thread(client.remove_toxic, run.proxy_name, step.name)
        run.faults.toxics.discard(step.name or "")
        run.faults.toxic_types.pop(step.name or "", None)
    await run.clock.settle()


def _note_real_time(run: ScenarioRun, step: m.Toxic, name: str) -> None:
    """A toxic's durations (added or updated) that act in real time — a real Toxiproxy, or no page
    clock: say so in the run's notes."""
    timed = {k: v for k, v in step.attributes.items() if k in REAL_TIME_ATTRIBUTES and v}
    type_ = step.type or ""
    if timed and not (run.proxy_clock is not None and type_ in PAGE_TIME_TOXICS):
        kind = run.world.proxy_kind or "proxy"
        run.notes.append(f"line {step.line}: toxic {name} ({type_}) acts in real time in the "
                         f"{kind} Toxiproxy: {', '.join(f'{k}={v}' for k, v in sorted(timed.items()))}; "
                         "the page clock moves on once a held request makes no progress for 0.1 s")


async def proxy_enabled(run: ScenarioRun, step: m.ProxyEnabled) -> None:
    client = _client(run, step.line)
    await run.flush()
    run.op("proxy", detail={"enabled": step.enabled})
    await asyncio.to_thread(client.set_enabled, run.proxy_name, step.enabled)
    run.faults.proxy_disabled = not step.enabled
    await run.clock.settle()


HANDLERS = {m.Toxic: toxic, m.ProxyEnabled: proxy_enabled}
