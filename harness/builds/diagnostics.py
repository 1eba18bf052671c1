"""Did the build start at all? A build that throws at load, never writes the declared outbox key,
or reads its settings from other attributes makes every guarantee fail for one reason that is not
the build's behaviour: say so as an environment error naming the likely cause, instead of
reporting "N events never enqueued" or "25 unexpected".
"""
from __future__ import annotations

from harness.contract.adapter import Adapter
from harness.contract.history import History

ENVIRONMENT = "environment:"
"""Prefix of a scenario error that is not the build's behaviour (it never ran as configured, a
fault plan changed from outside): ``run`` and ``gate`` exit 2 on it, not 1."""
STORAGE_OPS = ("storage", "seed_outbox")
# Builds batch or send on a timer: only a build that had this much page time after its first
# queued event and still sent nothing is taken as one that cannot find its Sync URL.
SEND_WINDOW_MS = 60_000


def start_problem(history: History, adapter: Adapter) -> str | None:
    """Why the build apparently never ran as configured, or ``None`` when it did."""
    if not any(op.intents for op in history.ops):
        return None  # nothing was expected of it
    api, how = adapter.api_name, adapter.send_api.describe(adapter.api_name)
    if any("send failed in the page:" in n and f"window.{adapter.send_name}." in n and " is missing" in n
           for n in history.notes):
        return (f"the build exposes no {how}: the scenario's send steps could not call it. Check "
                f"--api-name {api!r} (a profile's adapter.api_name) and the profile's send_api "
                f"(shape {adapter.send_api.shape!r})")
    key = adapter.outbox_key
    posted = [ev for e in history.journal if e.method == "POST" for ev in e.events]
    if any(w.key == key and w.kind == "write" for w in history.writes):
        return _unheard(history, adapter, posted) or _sending_problem(history, adapter, posted)
    errors = [m for m in history.page_messages if m.kind == "pageerror"]
    if errors and not posted:
        first = errors[0]
        return (f"the build never started: page error in {first.context}/{first.page}: {first.text.splitlines()[0][:200]} "
                f"(it wrote nothing to {key!r} and sent nothing; the page console is in the history)")
    if any(op.kind in STORAGE_OPS for op in history.ops):
        return None  # storage was made to fail or was seeded: judged as such
    if posted:
        return None  # a wrong key or a build that sends before it stores: the verdict decides, a note hints
    return (f"the build never wrote the outbox key {key!r} and sent nothing: it did not start on the test "
            f"page. Check --site-attr {adapter.site_attr!r} and --api-attr {adapter.api_attr!r} (the attributes "
            f"the harness puts on the script tag), --api-name {adapter.api_name!r} and --outbox-key")


def start_notes(history: History, adapter: Adapter) -> list[str]:
    """Hints that are no environment error: events arrived, yet none went through the watched key.

    Either the key is wrong or the build sends before it stores (a real bug, SPEC §1): the
    guarantees judge it either way, this says which declaration to check first."""
    key = adapter.outbox_key
    if not any(op.intents for op in history.ops) or any(op.kind in STORAGE_OPS for op in history.ops):
        return []
    if any(w.key == key for w in history.writes):
        return []
    posted = sum(len(e.events) for e in history.journal if e.method == "POST")
    if not posted:
        return []
    return [f"the build sent {posted} event(s) but never wrote the outbox key {key!r}: a wrong --outbox-key "
            f"(or a profile's adapter.outbox_key), or a build that sends before it stores"]


def _sending_problem(history: History, adapter: Adapter, posted: list) -> str | None:
    """It queues events: does it send them, with a site id?"""
    first_write = min((w.t_page for w in history.writes if w.key == adapter.outbox_key and w.kind == "write"),
                      default=history.t_page_end)
    had_time = history.t_page_end - first_write >= SEND_WINDOW_MS
    if had_time and not posted and not history.attempts and not any(e.method == "POST" for e in history.journal):
        return (f"the build queued events but never sent one: it found no Sync URL. Check --api-attr "
                f"{adapter.api_attr!r} (the attribute the harness puts the Sync URL in)")
    if posted and all(isinstance(ev.payload, dict) and not ev.payload.get("s") for ev in posted):
        return (f"every event arrived without a site id (`s`): the build reads it from another attribute "
                f"than --site-attr {adapter.site_attr!r}")
    return None


def _unheard(history: History, adapter: Adapter, posted: list) -> str | None:
    """The build runs (it stores its own events) yet stored or sent none of the events the
    scenario sent through the declared API: it does not listen where the profile says."""
    sent = {(it.ec, it.ea) for op in history.ops if op.kind == "send" for it in op.intents}
    if not sent:
        return None
    seen = {(p.get("ec"), p.get("ea")) for w in history.writes if w.key == adapter.outbox_key
            for env in (*w.added, *w.changed) if isinstance(p := env.payload, dict)}
    seen |= {(ev.payload.get("ec"), ev.payload.get("ea")) for ev in posted if isinstance(ev.payload, dict)}
    if sent & seen:
        return None
    how = adapter.send_api.describe(adapter.api_name)
    shown = ", ".join(sorted(f"{ec}/{ea}" for ec, ea in sent))
    return (f"the build stores its own events but none of the {len(sent)} kind(s) sent through {how} "
            f"({shown}): it does not read that API. Check the profile's send_api (shape "
            f"{adapter.send_api.shape!r}, name, method, template) against how the build is called")
