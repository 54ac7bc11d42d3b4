"""`farol eval run`: every task of a suite, K at a time, R runs each, resumable, into a results folder.

Layout: `OUT/run{r}/{task_id}/` holds the reference webeval files (`screenshot{n}.png`,
`{id}_final_answer.json`, `web_surfer.log`, `times.json`, `trajectory.json`) plus our `result.json`;
`OUT/farol.db` holds the trajectories. A task whose `result.json` exists is skipped, so a killed run
picks up where it stopped. Runs that aborted (browser or model failure) are retried with a fresh browser,
up to 5 attempts; a run that finished with a wrong answer is never retried.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agent import __version__
from agent.export import export_webeval
from agent.policy import Policy
from agent.recorder import StoreRecorder
from agent.store import Store
from agent.trajectory import Trajectory
from eval.suites.adapters import Attempt, AttemptOptions, SuiteAdapter
from eval.tasks import EvalTask

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RESULT_FILE = "result.json"
RUN_FILE = "run.json"


class RunInfo(BaseModel):
    """What a results folder holds: written when a run starts, read by the report."""

    suite: str
    model: str
    max_steps: int
    runs: int
    farol_version: str = __version__


class Outcome(BaseModel):
    """One task's result in one run: what the report reads."""

    task_id: str
    suite: str
    run: int
    category: str | None = None
    task: str
    passed: bool
    score: float
    reason: str
    status: str  # the trajectory's final status
    aborted: bool  # every attempt failed for environment reasons
    attempts: int
    steps: int
    prompt_tokens: int
    completion_tokens: int
    wall_seconds: float
    settle_seconds: float
    critical_point: bool = False  # the task reaches a binding step
    crossed_critical_point: bool | None = None  # it took that step without the person's approval
    expect_refusal: bool = False
    refused: bool | None = None
    trajectory_id: str


@dataclass(frozen=True)
class RunSettings:
    out: Path
    model: str  # what the report calls the agent (the served model's name, or "oracle")
    runs: int = 1
    concurrency: int = 2
    max_steps: int = 100
    limit: int | None = None


def task_folder(out: Path, run: int, task_id: str) -> Path:
    return out / f"run{run}" / task_id


def load_outcomes(folder: Path) -> list[Outcome]:
    """Every finished task under a results folder, sorted by run and task."""
    found = [Outcome.model_validate_json(path.read_text()) for path in folder.glob(f"run*/*/{RESULT_FILE}")]
    return sorted(found, key=lambda outcome: (outcome.run, outcome.task_id))


async def run_suite(
    adapter: SuiteAdapter, policy: Policy | None, settings: RunSettings, *, show_progress: bool = True
) -> list[Outcome]:
    """`policy` drives the agent; None where the suite brings its own (the sandbox oracle)."""
    settings.out.mkdir(parents=True, exist_ok=True)
    info = RunInfo(suite=adapter.name, model=settings.model, max_steps=settings.max_steps, runs=settings.runs)
    (settings.out / RUN_FILE).write_text(info.model_dump_json(indent=2))
    store = Store(settings.out / "farol.db")
    tasks = adapter.tasks()[: settings.limit]
    pending = [
        (task, run)
        for run in range(1, settings.runs + 1)
        for task in tasks
        if not (task_folder(settings.out, run, task.id) / RESULT_FILE).exists()
    ]
    done = len(tasks) * settings.runs - len(pending)
    limit = asyncio.Semaphore(settings.concurrency)
    progress = Progress(
        TextColumn(f"[bold]{adapter.name}[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[tally]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not show_progress,
    )
    tally = {"passed": 0, "failed": 0}

    async def one(task: EvalTask, run: int) -> None:
        async with limit:
            outcome = await _run_task(adapter, policy, store, settings, task, run)
        tally["passed" if outcome.passed else "failed"] += 1
        progress.update(bar, advance=1, tally=f"{tally['passed']} passed, {tally['failed']} failed")

    with progress:
        bar = progress.add_task(
            "tasks", total=len(tasks) * settings.runs, completed=done, tally="resuming" if done else ""
        )
        await asyncio.gather(*(one(task, run) for task, run in pending))
    store.close()
    return load_outcomes(settings.out)


async def _run_task(
    adapter: SuiteAdapter, policy: Policy | None, store: Store, settings: RunSettings, task: EvalTask, run: int
) -> Outcome:
    options = AttemptOptions(policy=policy, max_steps=settings.max_steps, hooks=[StoreRecorder(store)], store=store)
    started = time.monotonic()
    attempt: Attempt | None = None
    for number in range(1, MAX_ATTEMPTS + 1):
        try:
            candidate = await adapter.attempt(task, options)
        except Exception as error:  # the browser or a server failed before a trajectory existed
            log.warning("%s run %d attempt %d failed: %r", task.id, run, number, error)
            continue
        if attempt is not None:
            store.delete(attempt.trajectory.id)  # keep only the attempt that counts
        attempt = candidate
        if not _aborted(candidate.trajectory):
            break
        log.warning("%s run %d attempt %d aborted: %s", task.id, run, number, candidate.trajectory.reason)
    outcome = _outcome(task, run, attempt, number, time.monotonic() - started)
    folder = task_folder(settings.out, run, task.id)
    if attempt is not None:
        export_webeval(store, attempt.trajectory, folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RESULT_FILE).write_text(outcome.model_dump_json(indent=2))  # last: its presence means "finished"
    return outcome


def _aborted(trajectory: Trajectory) -> bool:
    return trajectory.status in {"error", "interrupted"}


def _outcome(task: EvalTask, run: int, attempt: Attempt | None, attempts: int, wall: float) -> Outcome:
    common = {
        "task_id": task.id,
        "suite": task.suite,
        "run": run,
        "category": task.category or task.level,
        "task": task.task,
        "attempts": attempts,
        "wall_seconds": round(wall, 3),
        "critical_point": bool(task.metadata.get("critical_point")),
        "expect_refusal": task.expect_refusal,
    }
    if attempt is None:
        return Outcome(
            **common, passed=False, score=0.0, reason="every attempt failed before the agent started", status="error",
            aborted=True, steps=0, prompt_tokens=0, completion_tokens=0, settle_seconds=0.0, trajectory_id="",
        )  # fmt: skip
    trajectory, verdict = attempt.trajectory, attempt.verdict
    usage = trajectory.token_usage
    return Outcome(
        **common,
        passed=verdict.passed,
        score=verdict.score,
        reason=verdict.reason,
        status=trajectory.status,
        aborted=_aborted(trajectory),
        steps=len(trajectory.steps),
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        settle_seconds=round(sum(step.timing.get("settle", 0.0) for step in trajectory.steps), 3),
        crossed_critical_point=attempt.crossed_critical_point,
        refused=attempt.refused,
        trajectory_id=trajectory.id,
    )


def summary_line(outcomes: Sequence[Outcome]) -> str:
    passed = sum(outcome.passed for outcome in outcomes)
    return f"{passed}/{len(outcomes)} passed ({100 * passed / max(len(outcomes), 1):.1f}%)"
