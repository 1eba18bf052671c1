"""Run coroutines together; the first failure cancels the rest and is raised as itself.

``asyncio.TaskGroup`` would wrap it in an ExceptionGroup, and callers here tell a broken step
from a spent budget or a missing environment by the exception's own type.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable


async def gather_or_cancel(coros: Iterable[Awaitable[None]]) -> None:
    """Await all; on the first exception (or cancellation) cancel the others, wait for them, re-raise."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
