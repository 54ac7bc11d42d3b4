"""The runner `farol eval steps` and `farol eval grounding` share: every task of the chosen splits, K at a time, each
scored on its oracle replay, into one results file that is rewritten as each task finishes.

Resumable: a task already in the results file is skipped, and a replay already recorded under the results folder
is read rather than run again (so one folder's replays also serve a later run with another model). The sandbox
server of a data seed starts the first time a task of that seed needs a new replay.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from agent.fanout import fan_out
from agent.geometry import TRAINING_WINDOW
from agent.terminal import ProgressBar
from eval.replay import Replay, ReplayError, load_or_record
from sandbox.episode import Sandbox
from sandbox.server import SandboxServer
from sandbox.splits import split_tasks, task_ref
from sandbox.taskspec import Task, select

R = TypeVar("R")


@dataclass(frozen=True)
class Chosen:
    split: str
    task: Task

    @property
    def ref(self) -> str:
        return task_ref(self.task)


def choose(splits: Sequence[str], names: Sequence[str] = (), limit: int | None = None) -> list[Chosen]:
    """The tasks of each split (narrowed to `names`, the first `limit` of each). ValueError for a bad name."""
    return [Chosen(split, task) for split in splits for task in select(split_tasks(split), names)[:limit]]


class Servers:
    """One sandbox server per data seed, started when first needed."""

    def __init__(self) -> None:
        self._running: dict[int, SandboxServer] = {}
        self._lock = asyncio.Lock()

    async def of(self, seed: int) -> Sandbox:
        async with self._lock:
            if seed not in self._running:
                self._running[seed] = await asyncio.to_thread(SandboxServer(seed=seed).start)
            server = self._running[seed]
        return Sandbox(server.url, server.secret)

    def stop(self) -> None:
        for server in self._running.values():
            server.stop()


def read_results(path: Path, model: str) -> dict[str, Any] | None:
    """The results file's content, or None when there is none. A file made with another model is an error: its
    tasks must not be taken for this model's."""
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    if data.get("model") != model:
        raise ValueError(f"{path} holds results of {data.get('model')!r}, not {model!r}: give another --out")
    return data


def write_atomically(path: Path, data: dict[str, Any]) -> None:
    """A killed run leaves the previous file whole, never half of a new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=1))
    os.replace(temporary, path)


async def score_tasks(
    chosen: list[Chosen],
    out: Path,
    done: set[str],
    score: Callable[[Replay], Awaitable[R]],
    on_scored: Callable[[Chosen, R | ReplayError], None],
    *,
    label: str,
    concurrency: int,
    show_progress: bool = True,
    viewport: tuple[int, int] = TRAINING_WINDOW,
) -> None:
    """`score(replay)` for every chosen task not in `done`; `on_scored` gets each result (or why the task has no
    replay) in this process as it comes. Replays are recorded in a window of `viewport` CSS pixels."""
    pending = [item for item in chosen if item.ref not in done]
    servers = Servers()

    async def work(item: Chosen) -> R | ReplayError:
        try:
            replay = await load_or_record(item.task, item.split, lambda: servers.of(item.task.seed), out, viewport)
        except ReplayError as error:
            return error
        return await score(replay)

    try:
        with ProgressBar(label, len(chosen), done=len(chosen) - len(pending), show=show_progress) as bar:

            def finished(item: Chosen, result: R | ReplayError) -> None:
                on_scored(item, result)
                bar.advance(item.ref)

            await fan_out(work, pending, concurrency=concurrency, on_result=finished)
    finally:
        servers.stop()
