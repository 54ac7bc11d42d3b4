"""Waiting for something the system under test does in its own time, without blocking the event loop."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any


async def poll(
    read: Callable[[], Any | Awaitable[Any]],
    until: Callable[[Any], Any],
    *,
    timeout: float,
    failure: Callable[[Any], str],
    interval: float = 0.1,
) -> Any:
    """Read every `interval` s until `until(value)` holds and return the value; after `timeout` s fail
    with `failure(last value)`. `read` may be a plain or an async function."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if inspect.isawaitable(value):
            value = await value
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(failure(value))
        await asyncio.sleep(interval)
