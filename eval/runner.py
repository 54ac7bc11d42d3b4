"""`farol eval run`: every task of a suite, K at a time, R runs each, resumable, into a results folder.

Layout: `OUT/run{r}/{task_id}/` holds the reference webeval files (`screenshot{n}.png`,
`{id}_final_answer.json`, `web_surfer.log`, `times.json`, `trajectory.json`) plus our `result.json`;
`OUT/farol.db` holds the trajectories. A task whose `result.json` exists is skipped, so a killed run
picks up where it stopped. Runs that aborted (browser or model failure) are retried with a fresh browser,
up to 5 attempts; a run that finished with a wrong answer is never retried.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agent import __version__
from agent.export import export_webeval
from agent.policy import Policy
from agent.recorder import StoreRecorder
from agent.store import Store
from agent.trajectory import Trajectory
from eval.fanout import fan_out, per_process
from eval.suites.adapters import Attempt, AttemptOptions, SuiteAdapter
from eval.tasks import EvalTask
from sandbox.checks import Conduct, binding_attempts

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
    approvals: str = ""  # who answered the guard and critical points (the suite's policy; "" in older folders)
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
    # How the model met it (sandbox): "stopped" there by itself, "crossed" (tried the binding step), or
    # "not_reached" (never stopped there). None where the suite cannot tell.
    critical_point_conduct: Conduct | None = None
    tried_binding: bool = False  # the guard caught the model trying a binding action (any suite)
    approved: int = 0  # approvals granted in the run (by the suite's policy: `RunInfo.approvals`)
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
    ray_address: str | None = None  # fan the tasks out over Ray (`eval.fanout`), one task and run per Ray task


@dataclass(frozen=True)
class RayTask:
    """One task and run on a Ray worker, which rebuilds the suite (once per worker) and the policy from picklable
    recipes; it writes into the results folder itself, so the workers must share it (a local Ray instance, or a
    shared filesystem)."""

    suite: Callable[[], SuiteAdapter]
    policy: Callable[[], Policy] | None
    settings: RunSettings

    async def __call__(self, item: tuple[EvalTask, int]) -> Outcome:
        adapter = per_process(("eval suite", repr(self.suite)), self.suite)
        policy = self.policy() if self.policy else None
        store = Store(self.settings.out / "farol.db")
        try:
            return await _run_task(adapter, policy, store, self.settings, *item)
        finally:
            store.close()
            if policy is not None:
                await policy.close()  # type: ignore[attr-defined]


def task_folder(out: Path, run: int, task_id: str) -> Path:
    return out / f"run{run}" / task_id


def load_outcomes(folder: Path) -> list[Outcome]:
    """Every finished task under a results folder, sorted by run and task."""
    found = [Outcome.model_validate_json(path.read_text()) for path in folder.glob(f"run*/*/{RESULT_FILE}")]
    return sorted(found, key=lambda outcome: (outcome.run, outcome.task_id))


async def run_suite(
    adapter: SuiteAdapter,
    policy: Policy | None,
    settings: RunSettings,
    *,
    show_progress: bool = True,
    ray_task: RayTask | None = None,
) -> list[Outcome]:
    """`policy` drives the agent; None where the suite brings its own (the sandbox oracle). With
    `settings.ray_address`, `ray_task` runs each task and run on a Ray worker instead."""
    if settings.ray_address and ray_task is None:
        raise ValueError("running over Ray needs a RayTask (the suite and policy rebuilt on the workers)")
    settings.out.mkdir(parents=True, exist_ok=True)
    info = RunInfo(
        suite=adapter.name,
        model=settings.model,
        max_steps=settings.max_steps,
        runs=settings.runs,
        approvals=adapter.approvals,
    )
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

    async def here(item: tuple[EvalTask, int]) -> Outcome:
        return await _run_task(adapter, policy, store, settings, *item)

    def finished(item: tuple[EvalTask, int], outcome: Outcome) -> None:
        tally["passed" if outcome.passed else "failed"] += 1
        progress.update(bar, advance=1, tally=f"{tally['passed']} passed, {tally['failed']} failed")

    with progress:
        bar = progress.add_task(
            "tasks", total=len(tasks) * settings.runs, completed=done, tally="resuming" if done else ""
        )
        work = ray_task if settings.ray_address and ray_task else here
        await fan_out(
            work, pending, concurrency=settings.concurrency, ray_address=settings.ray_address, on_result=finished
        )
    store.close()
    return load_outcomes(settings.out)


class _HasTrajectory(Protocol):
    @property
    def trajectory(self) -> Trajectory: ...


A = TypeVar("A", bound=_HasTrajectory)


async def retry_aborted(
    start: Callable[[], Awaitable[A]],
    *,
    label: str,
    attempts: int = MAX_ATTEMPTS,
    discard: Callable[[A], None] | None = None,
) -> tuple[A | None, int]:
    """The one retry loop for runs the environment aborted: call `start` (a fresh browser each time) until an
    attempt finishes or `attempts` are used; a finished run, right or wrong, is never retried.

    Returns the attempt that counts (the last one that produced a trajectory; None when every attempt raised
    before there was one) and how many attempts were made. `discard` gets each attempt that was superseded."""
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts}")
    kept: A | None = None
    for number in range(1, attempts + 1):
        try:
            candidate = await start()
        except Exception as error:  # the browser or a server failed before a trajectory existed
            log.warning("%s attempt %d failed: %r", label, number, error)
            continue
        if kept is not None and discard is not None:
            discard(kept)
        kept = candidate
        if not aborted(candidate.trajectory):
            break
        log.warning("%s attempt %d aborted: %s", label, number, candidate.trajectory.reason)
    return kept, number


async def _run_task(
    adapter: SuiteAdapter, policy: Policy | None, store: Store, settings: RunSettings, task: EvalTask, run: int
) -> Outcome:
    options = AttemptOptions(policy=policy, max_steps=settings.max_steps, hooks=[StoreRecorder(store)], store=store)
    started = time.monotonic()
    attempt, attempts = await retry_aborted(
        lambda: adapter.attempt(task, options),
        label=f"{task.id} run {run}",
        discard=lambda superseded: store.delete(superseded.trajectory.id),  # keep only the attempt that counts
    )
    outcome = _outcome(task, run, attempt, attempts, time.monotonic() - started)
    folder = task_folder(settings.out, run, task.id)
    if attempt is not None:
        export_webeval(store, attempt.trajectory, folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RESULT_FILE).write_text(outcome.model_dump_json(indent=2))  # last: its presence means "finished"
    return outcome


def aborted(trajectory: Trajectory) -> bool:
    """The environment, not the agent, ended the run (a browser or model failure, a killed process)."""
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
        aborted=aborted(trajectory),
        steps=len(trajectory.steps),
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        settle_seconds=round(sum(step.timing.get("settle", 0.0) for step in trajectory.steps), 3),
        critical_point_conduct=attempt.critical_point_conduct,
        tried_binding=bool(binding_attempts(trajectory)),
        approved=sum(approval.decision == "approve" for approval in trajectory.approvals),
        refused=attempt.refused,
        trajectory_id=trajectory.id,
    )


def summary_line(outcomes: Sequence[Outcome]) -> str:
    passed = sum(outcome.passed for outcome in outcomes)
    return f"{passed}/{len(outcomes)} passed ({100 * passed / max(len(outcomes), 1):.1f}%)"
