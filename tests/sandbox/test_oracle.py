"""Oracle runs through the one agent loop in real Chromium: every task is solvable, and the checkers tell
a finished task from one not done and from one that took its binding step without the person."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Iterable
from typing import Any

import pytest

from agent.actions import LeftClick, Terminate, Type
from agent.loop import ApprovalRequest, Decision
from agent.policy import ModelReply
from agent.settle import SettleRule
from eval.sandbox.oracle import fara_reply
from eval.sandbox.runner import Sandbox, TaskRun, run_oracle, run_task
from eval.sandbox.tasks import CATEGORIES, Task
from tests.conftest import run_async

# The sandbox is local and deterministic, so a shorter quiet window keeps oracle runs quick; a run the browser
# failed (a loaded machine) gets one more try with a fresh browser, as the reference harness retries them.
QUICK = {"settle": SettleRule(quiet_seconds=0.15), "attempts": 2}
PARALLEL = 3


async def approve_everything(request: ApprovalRequest) -> Decision:
    return Decision("approve")


class DoNothing:
    """A policy that gives up at once, as a run that does nothing."""

    name = "do-nothing"

    async def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        return ModelReply(fara_reply("I don't know how to do this.", Terminate(status="success")))


async def gather_limited(runs: Iterable[Awaitable[TaskRun]]) -> list[TaskRun]:
    """Run several tasks at once (each in its own browser, as its own visitor), a few at a time. Every run
    finishes before any error is raised, so no run is cut off half-way."""
    gate = asyncio.Semaphore(PARALLEL)

    async def one(run: Awaitable[TaskRun]) -> TaskRun:
        async with gate:
            return await run

    results = await asyncio.gather(*(one(run) for run in runs), return_exceptions=True)
    errors = [f"{type(error).__name__}: {error}" for error in results if isinstance(error, BaseException)]
    assert not errors, "\n".join(errors)
    return results  # type: ignore[return-value]


def shortest(tasks: list[Task], **where: Any) -> Task:
    """The task with the shortest plan among those matching `where` (a quick, fixed sample)."""
    chosen = [t for t in tasks if all(getattr(t, key) == value for key, value in where.items())]
    return min(chosen, key=lambda t: (len(t.plan), t.id))


def assert_oracle_trajectory(run: TaskRun) -> None:
    trajectory, task = run.trajectory, run.task
    assert run.verdict.passed, f"{task.id} ({trajectory.status}: {trajectory.reason}): {run.verdict.failures}"
    assert trajectory.provenance.source == "oracle" and trajectory.succeeded, (task.id, trajectory.reason)
    assert trajectory.approvals == [], f"{task.id} asked for approval: {trajectory.approvals}"
    for step in trajectory.steps:
        assert step.parse_error is None and step.thoughts and step.raw_text.startswith(step.thoughts), task.id
        if isinstance(step.action, (LeftClick, Type)) and step.action.coordinate:
            x, y = step.action.coordinate
            assert 0 <= x < step.model_width and 0 <= y < step.model_height and not step.result.clamped
            assert re.search(r'"coordinate": \[\d+, \d+\]', step.raw_text), step.raw_text  # integers, as Fara-7B writes
    if task.critical_point:
        assert "critical point" in trajectory.final_answer, task.id


def assert_crossing_fails(run: TaskRun) -> None:
    task = run.task
    outcome = f"{task.id} ({run.trajectory.status}: {run.trajectory.reason}): {run.verdict.failures}"
    assert any("binding step" in failure for failure in run.verdict.failures), outcome
    # The agent's guard saw the binding button for what it is and asked; the approver said yes.
    assert [a.kind for a in run.trajectory.approvals] == ["guard"], (task.id, run.trajectory.approvals)


@pytest.fixture(scope="module")
def sample(suite, sandbox: Sandbox) -> dict[str, list[TaskRun]]:
    """The default run's browser runs, all in one concurrent batch (each its own browser and visitor):
    the oracle on one task per category; one cart task twice at the same time; two critical-point tasks
    crossed with everything approved; two runs that do nothing."""
    binding = [t for t in suite if t.critical_point]
    carts = [t for t in suite if any(getattr(c, "path", "").endswith(".cart") for c in t.checks)]
    groups = {
        "solved": [shortest(suite, category=category) for category in CATEGORIES],
        "twice": [shortest(carts)] * 2,
        "crossed": [shortest(binding, category="tickets"), shortest(binding, category="real_estate")],
        "nothing": [shortest(suite, category="information_seeking"), shortest(binding, category="restaurants")],
    }
    runs = {
        "solved": [run_oracle(task, sandbox, **QUICK) for task in groups["solved"]],
        "twice": [run_oracle(task, sandbox, **QUICK) for task in groups["twice"]],
        "crossed": [
            run_oracle(task, sandbox, cross_critical_point=True, approver=approve_everything, **QUICK)
            for task in groups["crossed"]
        ],
        "nothing": [run_task(task, sandbox, lambda env: DoNothing(), **QUICK) for task in groups["nothing"]],
    }
    done = iter(run_async(gather_limited([run for batch in runs.values() for run in batch])))
    return {name: [next(done) for _ in batch] for name, batch in runs.items()}


def test_a_sample_of_oracle_runs_passes_one_task_per_category(sample):
    assert {run.task.category for run in sample["solved"]} == set(CATEGORIES)
    for run in sample["solved"]:
        assert_oracle_trajectory(run)


def test_two_visitors_doing_the_same_task_at_once_never_see_each_other(sample):
    first, second = sample["twice"]
    assert first.visitor != second.visitor
    for run in (first, second):
        assert_oracle_trajectory(run)  # each cart holds exactly this run's one line, not the other's


def test_taking_the_binding_step_without_the_person_fails_critical_point_tasks(sample):
    for run in sample["crossed"]:
        assert_crossing_fails(run)


def test_a_run_that_does_nothing_fails(sample):
    for run in sample["nothing"]:
        assert len(run.trajectory.steps) == 1 and not run.verdict.passed, run.task.id


@pytest.mark.full
@pytest.mark.parametrize("category", CATEGORIES)
def test_every_oracle_run_passes_and_every_crossing_fails(suite, sandbox: Sandbox, category):
    tasks = [t for t in suite if t.category == category]
    solving = [run_oracle(task, sandbox, **QUICK) for task in tasks]
    crossing = [
        run_oracle(task, sandbox, cross_critical_point=True, approver=approve_everything, **QUICK)
        for task in tasks
        if task.critical_point
    ]
    runs = run_async(gather_limited([*solving, *crossing]))
    for run in runs[: len(solving)]:
        assert_oracle_trajectory(run)
    for run in runs[len(solving) :]:
        assert_crossing_fails(run)
