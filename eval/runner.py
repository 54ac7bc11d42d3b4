"""`farol eval run`: every task of a suite, K at a time, R runs each, resumable, into a results folder.

Layout: `OUT/run{r}/{task_id}/` holds the reference webeval files (`screenshot{n}.png`,
`{id}_final_answer.json`, `web_surfer.log`, `times.json`, `trajectory.json`) plus our `result.json`;
`OUT/farol.db` holds the trajectories. A task whose `result.json` exists is skipped, so a killed run
picks up where it stopped. Runs that aborted (browser or model failure) are retried with a fresh browser,
up to 5 attempts; a run that finished with a wrong answer is never retried.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from agent import __version__
from agent.export import export_webeval
from agent.fanout import fan_out, per_process
from agent.policy import Policy
from agent.recorder import StoreRecorder
from agent.retry import aborted, retry_aborted
from agent.store import Store
from agent.terminal import ProgressBar
from eval.suites.adapters import Attempt, AttemptOptions, SuiteAdapter
from eval.tasks import EvalTask
from sandbox.checks import Conduct, binding_attempts

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
    ray_address: str | None = None  # fan the tasks out over Ray (`agent.fanout`), one task and run per Ray task


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
    tally = {"passed": 0, "failed": 0}

    async def here(item: tuple[EvalTask, int]) -> Outcome:
        return await _run_task(adapter, policy, store, settings, *item)

    with ProgressBar(adapter.name, len(tasks) * settings.runs, done=done, show=show_progress) as bar:

        def finished(item: tuple[EvalTask, int], outcome: Outcome) -> None:
            tally["passed" if outcome.passed else "failed"] += 1
            bar.advance(f"{tally['passed']} passed, {tally['failed']} failed")

        work = ray_task if settings.ray_address and ray_task else here
        await fan_out(
            work, pending, concurrency=settings.concurrency, ray_address=settings.ray_address, on_result=finished
        )
    store.close()
    return load_outcomes(settings.out)


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
