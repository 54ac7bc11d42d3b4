"""Many independent jobs, K at a time: here (asyncio) or over a Ray cluster, one job per Ray task.

The same `work` coroutine function runs either way. Over Ray it is pickled to a worker, which runs it in an
event loop of its own and sends the result back; so `work` builds what it needs inside the job (a browser, a
model client) or through `per_process` (a server every job of a worker process can share), and returns
plain data. `on_result` runs here, in the caller's process, as each job finishes: that is where results are
stored, so a cluster's workers need no access to the caller's files. Ray is imported only when asked for.

`farol datagen` (one trajectory per task), `farol eval run` and the offline scores all fan out through it.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
Value = TypeVar("Value")

LOCAL_RAY = "local"  # `--ray local`: start a Ray instance on this machine

_shared: dict[Hashable, Any] = {}
_shared_lock = threading.Lock()


def per_process(key: Hashable, build: Callable[[], Value]) -> Value:
    """One `build()` per process and key, shared by every job this process runs (a Ray worker runs many)."""
    with _shared_lock:
        if key not in _shared:
            _shared[key] = build()
        built: Value = _shared[key]  # what `build` returned for this key
        return built


def release_shared() -> list[Any]:
    """Forget what `per_process` built in this process and return it, for its owner to close (end of a run)."""
    with _shared_lock:
        values = list(_shared.values())
        _shared.clear()
        return values


async def fan_out(
    work: Callable[[Item], Awaitable[Result]],
    items: Sequence[Item],
    *,
    concurrency: int,
    ray_address: str | None = None,
    on_result: Callable[[Item, Result], None] | None = None,
) -> list[Result]:
    """`work(item)` for every item, at most `concurrency` at once; results in the order of `items`.
    `ray_address`: a Ray cluster's address ("auto", "ray://head:10001"), or "local" for one on this machine."""
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")
    if ray_address is None:
        return await _here(work, items, concurrency, on_result)
    return await _over_ray(work, items, concurrency, ray_address, on_result)


async def _here(
    work: Callable[[Item], Awaitable[Result]],
    items: Sequence[Item],
    concurrency: int,
    on_result: Callable[[Item, Result], None] | None,
) -> list[Result]:
    gate = asyncio.Semaphore(concurrency)

    async def one(item: Item) -> Result:
        async with gate:
            result = await work(item)
        if on_result is not None:
            on_result(item, result)
        return result

    return list(await asyncio.gather(*(one(item) for item in items)))


def _in_worker(work: Callable[[Item], Awaitable[Result]], item: Item) -> Result:
    async def one() -> Result:  # asyncio.run takes a coroutine, `work` may return any awaitable
        return await work(item)

    return asyncio.run(one())


class ClusterUnreachable(ConnectionError):
    """The Ray cluster named does not accept connections."""


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """A cluster named by HOST:PORT (or ray://HOST:PORT) must accept a connection: Ray itself retries an unreachable
    head for minutes without a word. `local`, "auto" and other forms are left to Ray."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if address == LOCAL_RAY or not host or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as error:
        raise ClusterUnreachable(f"cannot reach the Ray cluster at {address}: {error}") from None


async def _over_ray(
    work: Callable[[Item], Awaitable[Result]],
    items: Sequence[Item],
    concurrency: int,
    address: str,
    on_result: Callable[[Item, Result], None] | None,
) -> list[Result]:
    try:
        import ray
    except ImportError:
        raise RuntimeError("--ray needs Ray: pip install 'farol[datagen]' (or pip install ray)") from None
    if not ray.is_initialized():  # (a caller, such as a test, may have connected already)
        if address == LOCAL_RAY:
            ray.init(include_dashboard=False, logging_level=logging.WARNING)
        else:
            check_reachable(address)
            ray.init(address=address, logging_level=logging.WARNING)
    remote = ray.remote(num_cpus=1, max_retries=0)(_in_worker)
    work_ref = ray.put(work)
    results: dict[int, Result] = {}
    waiting = list(enumerate(items))
    running: dict[Any, int] = {}
    while waiting or running:
        while waiting and len(running) < concurrency:
            index, item = waiting.pop(0)
            running[remote.remote(work_ref, item)] = index
        done, _ = await asyncio.to_thread(ray.wait, list(running), num_returns=1)
        for ref in done:
            index = running.pop(ref)
            results[index] = await asyncio.to_thread(ray.get, ref)
            if on_result is not None:
                on_result(items[index], results[index])
    return [results[index] for index in range(len(items))]
