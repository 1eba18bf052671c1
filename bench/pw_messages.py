"""Playwright messages on the harness's connection to the driver, counted around any part of
bench/pagetime.py: what the harness sends (calls, and answers to bindings) and what it receives
(replies and events, by kind), and the per-report cost of the send-report channel. Each advance of
the page clock (a scenario's ``advance`` step) is also counted alone, per clock stop: what one
request cycle after the visitors arrived costs in messages (a heartbeat: one evaluation, the
observer's batches and the tab's reports as CDP binding calls, the answers).

    PYTHONPATH=. .venv/bin/python bench/pw_messages.py --part soak --visitors 20

Takes the same options as bench/pagetime.py and prints its figures, then the counts.
"""
from __future__ import annotations

import asyncio
import sys
from collections import Counter
from typing import Any

from playwright._impl import connection as pw_connection

SENT: Counter[str] = Counter()
RECEIVED: Counter[str] = Counter()
ADVANCES: list[str] = []  # one line per advance: messages per clock stop, by kind
TOP = 8  # kinds shown per advance


def _install() -> None:
    send, dispatch = pw_connection.Connection.send_message_to_server, pw_connection.Connection.dispatch

    def counted_send(self: Any, obj: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        SENT[method] += 1
        return send(self, obj, method, *args, **kwargs)

    def counted_dispatch(self: Any, message: dict[str, Any]) -> None:
        method = message.get("method")
        if message.get("id"):
            RECEIVED["(reply)"] += 1
        elif method == "event":  # a CDP session's event: by CDP method
            RECEIVED[f"cdp {message.get('params', {}).get('method')}"] += 1
        else:
            RECEIVED[str(method)] += 1
        dispatch(self, message)

    pw_connection.Connection.send_message_to_server = counted_send  # type: ignore[method-assign]
    pw_connection.Connection.dispatch = counted_dispatch  # type: ignore[method-assign]
    _count_advances()


def _both() -> Counter[str]:
    return Counter({**{f"> {k}": v for k, v in SENT.items()}, **{f"< {k}": v for k, v in RECEIVED.items()}})


def _count_advances() -> None:
    """Count each top-level advance apart (patched before bench/pagetime.py wraps ``advance``: its
    own wrapper calls this one)."""
    from harness.run.clock import VirtualClock  # noqa: PLC0415 - the bench's path first

    advance = VirtualClock.advance

    async def counted_advance(clock: Any, ms: int, mode: str = "run") -> None:
        if clock.parent is not None:
            return await advance(clock, ms, mode)
        before, steps = _both(), clock.steps
        try:
            return await advance(clock, ms, mode)
        finally:
            delta, stops = _both() - before, max(1, clock.steps - steps)
            ADVANCES.append(f"advance {len(ADVANCES) + 1} (+{ms / 1000:g} s): stops {clock.steps - steps}  messages "
                            f"{sum(delta.values())} = {sum(delta.values()) / stops:.1f} a stop: "
                            + "  ".join(f"{k} {n / stops:.2f}" for k, n in delta.most_common(TOP)))

    VirtualClock.advance = counted_advance  # type: ignore[method-assign]


def _print() -> None:
    sent, received = sum(SENT.values()), sum(RECEIVED.values())
    print(f"playwright messages: {sent + received} (sent {sent}, received {received})")
    for name, n in _both().most_common(25):
        print(f"  {n:8d}  {name}")
    print(f"Playwright binding calls (send reports before the CDP channel): {RECEIVED['bindingCall']} "
          f"(answered: {SENT['resolve']}); CDP binding calls (observer batches, send reports): "
          f"{RECEIVED['cdp Runtime.bindingCalled']}")
    for row in ADVANCES:
        print(row)


def main() -> None:
    sys.path.insert(0, "bench")
    import pagetime  # noqa: PLC0415 - after the patch: the bench imports Playwright's connection

    _install()
    try:
        asyncio.run(pagetime.main())
    finally:
        _print()


if __name__ == "__main__":
    main()
