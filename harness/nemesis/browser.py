"""Browser faults: offline/online, storage trouble, pre-seeded outboxes, browser restart."""
from __future__ import annotations

import json
import time
import uuid
from typing import Any

from harness.nemesis.places import set_online
from harness.run.state import ScenarioRun, StepFailed
from harness.scenario import model as m


async def set_offline(run: ScenarioRun, step: m.SetOffline) -> None:
    session = await run.session(step.context)
    await run.flush()
    await set_online(run, session, not step.offline)
    await run.clock.settle()


async def storage(run: ScenarioRun, step: m.Storage) -> None:
    """``quota``: fill localStorage; ``private``: pages opened from now on cannot use it."""
    if step.mode == "private" and step.context not in run.contexts.sessions:
        run.contexts.pending_storage_mode[step.context] = "private"
        run.op("storage", detail={"mode": "private", "context": step.context})
        return
    session = await run.session(step.context)
    if step.mode == "private":
        raise StepFailed(step.line, "storage: private must come before the context's first open")
    await session.flush()
    run.op("storage", session=session, detail={"mode": step.mode})
    if step.mode == "quota":
        await session.fill_storage()
    else:
        await session.clear_filler()


def _month(ts_ms: int) -> str:
    return time.strftime("%Y-%m-01", time.gmtime(ts_ms / 1000))


def seed_envelope(run: ScenarioRun, s: m.SeedEnvelope, index: int) -> dict[str, Any]:
    """A complete envelope as the reference build would have written it, minus ``omit``."""
    env_id = s.id or str(uuid.UUID(int=run.rng.getrandbits(128), version=4))
    ts = s.ts_ms if s.ts_ms is not None else run.now - (s.age_ms or 0)
    payload: dict[str, Any] = {
        "s": run.site_id, "u": f"{run.stub.site_url}/", "sid": f"seed-session-{index}", "sm": _month(ts),
        "ec": "interaction", "ea": "view", "el": "", "ev": None, "r": "", "meta": {},
    }
    payload.update(s.payload or {})
    payload["meta"] = {"fp": "seed", **(s.payload or {}).get("meta", {}), "eid": env_id}
    env: dict[str, Any] = {"id": env_id, "ts": ts, "payload": payload, "attempts": s.attempts or 0, **s.extra}
    for field in s.omit:
        env.pop(field, None)
    return env


async def seed_outbox(run: ScenarioRun, step: m.SeedOutbox) -> None:
    session = await run.session(step.context)
    key = step.key or run.adapter.outbox_key
    if step.raw is not None:
        raw = step.raw
    else:
        raw = json.dumps([seed_envelope(run, s, i) for i, s in enumerate(step.envelopes or ())])
    run.op("seed_outbox", session=session, detail={"key": key, "bytes": len(raw)})
    # Recorded before writing: the observer never reports its own write, and nothing may overtake it.
    run.recorder.on_read(session.name, key, raw, run.now, kind="seed")
    await session.write_key(key, raw)


async def restart_browser(run: ScenarioRun, step: m.RestartBrowser) -> None:
    """Stop the browser of a context (no unload handlers run) and start it on the same profile."""
    if not run.contexts.persistent:
        raise StepFailed(step.line, "restart_browser needs a persistent profile (internal: scenario not flagged)")
    session = await run.session(step.context)
    await run.flush()
    run.op("restart", session=session, detail={"phase": "stop"})
    profile = session.profile_dir
    await session.close(remove_profile=False)
    run.notes.extend(session.notes())
    del run.contexts.sessions[step.context]
    if profile is not None:
        run.contexts.closed_profiles[step.context] = profile
    session = await run.session(step.context)  # re-opens on the same profile; snapshot records what survived
    run.op("restart", session=session, detail={"phase": "start"})


HANDLERS = {
    m.SetOffline: set_offline,
    m.Storage: storage,
    m.SeedOutbox: seed_outbox,
    m.RestartBrowser: restart_browser,
}
