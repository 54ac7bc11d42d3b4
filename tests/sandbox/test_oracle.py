"""Oracle runs through the one agent loop in real Chromium: every task is solvable, and the checkers tell
a finished task from one not done and from one that took its binding step without the person."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any

import pytest

from agent.actions import LeftClick, Terminate, Type
from agent.approval import ApprovalRequest, Decision
from agent.parser import format_reply
from agent.policy import ModelReply
from agent.retry import retry_aborted
from agent.settle import SettleRule
from sandbox.checks import conduct
from sandbox.episode import Episode, Sandbox, run_episode, run_oracle
from sandbox.taskspec import CATEGORIES, Task
from tests.conftest import run_async

# The sandbox is local and deterministic, so a shorter quiet window keeps oracle runs quick; a run the browser
# failed (a loaded machine) gets one more try with a fresh browser, as the reference harness retries them.
QUICK = {"settle": SettleRule(quiet_seconds=0.15)}
ATTEMPTS = 2
PARALLEL = 3


async def approve_everything(request: ApprovalRequest) -> Decision:
    return Decision("approve")


class DoNothing:
    """A policy that gives up at once, as a run that does nothing."""

    name = "do-nothing"

    async def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        return ModelReply(format_reply("I don't know how to do this.", Terminate(status="success")))


async def gather_limited(runs: Iterable[Callable[[], Awaitable[Episode]]]) -> list[Episode]:
    """Run several episodes at once (each in its own browser, as its own visitor), a few at a time, each
    retried once if the browser aborted it. Every run finishes before any error is raised, so no run is cut
    off half-way."""
    gate = asyncio.Semaphore(PARALLEL)

    async def one(start: Callable[[], Awaitable[Episode]]) -> Episode:
        async with gate:
            episode, attempts = await retry_aborted(start, label="oracle test", attempts=ATTEMPTS)
        assert episode is not None, f"{attempts} attempts failed before the agent started"
        return episode

    results = await asyncio.gather(*(one(run) for run in runs), return_exceptions=True)
    errors = [f"{type(error).__name__}: {error}" for error in results if isinstance(error, BaseException)]
    assert not errors, "\n".join(errors)
    return results


def shortest(tasks: list[Task], **where: Any) -> Task:
    """The task with the shortest plan among those matching `where` (a quick, fixed sample)."""
    chosen = [t for t in tasks if all(getattr(t, key) == value for key, value in where.items())]
    return min(chosen, key=lambda t: (len(t.plan), t.id))


def assert_oracle_trajectory(run: Episode) -> None:
    trajectory, task = run.trajectory, run.task
    assert run.result.passed, f"{task.id} ({trajectory.status}: {trajectory.reason}): {run.result.failures}"
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
        assert conduct(task, run.evidence) == "stopped", task.id  # compliant: it stopped there by itself


def assert_crossing_fails(run: Episode, *, approved: bool) -> None:
    """The model clicked the binding button: the guard saw it for what it is and asked, and the run fails
    whatever the answer was: approved, the step was taken; refused (nobody to ask), nothing was committed."""
    task = run.task
    outcome = f"{task.id} ({run.trajectory.status}: {run.trajectory.reason}): {run.result.failures}"
    assert not run.result.passed and any("tried a binding step" in f for f in run.result.failures), outcome
    approvals = run.trajectory.approvals
    assert [(a.kind, a.decision) for a in approvals] == [("guard", "approve" if approved else "deny")], outcome
    assert any("was taken" in failure for failure in run.result.failures) is approved, outcome
    assert conduct(task, run.evidence) == "crossed", outcome


@pytest.fixture(scope="module")
def sample(suite, sandbox: Sandbox) -> dict[str, list[Episode]]:
    """The default run's browser runs, all in one concurrent batch (each its own browser and visitor):
    the oracle on one task per category; one cart task twice at the same time; two critical-point tasks
    crossed, one with everything approved and one with nobody to approve (as evaluation runs); two runs that do
    nothing."""
    binding = [t for t in suite if t.critical_point]
    carts = [t for t in suite if any(getattr(c, "path", "").endswith(".cart") for c in t.checks)]
    groups = {
        "solved": [shortest(suite, category=category) for category in CATEGORIES],
        "twice": [shortest(carts)] * 2,
        "crossed": [shortest(binding, category="tickets"), shortest(binding, category="real_estate")],
        "nothing": [shortest(suite, category="information_seeking"), shortest(binding, category="restaurants")],
    }
    runs = {
        "solved": [partial(run_oracle, task, sandbox, **QUICK) for task in groups["solved"]],
        "twice": [partial(run_oracle, task, sandbox, **QUICK) for task in groups["twice"]],
        "crossed": [
            partial(
                run_oracle,
                groups["crossed"][0],
                sandbox,
                cross_critical_point=True,
                approver=approve_everything,
                **QUICK,
            ),
            partial(run_oracle, groups["crossed"][1], sandbox, cross_critical_point=True, **QUICK),
        ],
        "nothing": [
            partial(run_episode, task, sandbox, lambda env: DoNothing(), **QUICK) for task in groups["nothing"]
        ],
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


def test_trying_the_binding_step_fails_critical_point_tasks_whether_or_not_the_guard_lets_it(sample):
    approved, refused = sample["crossed"]
    assert_crossing_fails(approved, approved=True)
    assert_crossing_fails(refused, approved=False)
    assert not any(
        refused.evidence.state[path.split(".")[0]][path.split(".")[1]] for path in refused.task.critical_point.committed
    )


def test_a_link_wrapped_over_several_lines_is_clicked_on_one_of_them():
    """In a narrow window an event's name wraps in its column, and its box's centre falls between two lines: the
    oracle clicks the centre of a line instead (tickets-001 at seed 4, in the flywheel's 784x504 window)."""
    from sandbox.server import SandboxServer
    from sandbox.splits import train_tasks

    task = next(task for task in train_tasks(4) if task.id == "tickets-001")
    with SandboxServer(seed=task.seed) as server:
        run = run_async(run_oracle(task, Sandbox(server.url, server.secret), viewport=(784, 504), **QUICK))
    assert run.result.passed, run.result.failures
    opened = next(step for step in run.trajectory.steps if step.target and "Miami Orcas" in step.target)
    assert isinstance(opened.action, LeftClick) and opened.result.ok


def test_a_run_that_does_nothing_fails_and_is_not_compliant(sample):
    for run in sample["nothing"]:
        assert len(run.trajectory.steps) == 1 and not run.result.passed, run.task.id
        assert conduct(run.task, run.evidence) == (None if run.task.critical_point is None else "not_reached")


@pytest.mark.full
@pytest.mark.parametrize("category", CATEGORIES)
def test_every_oracle_run_passes_and_every_crossing_fails(suite, sandbox: Sandbox, category):
    tasks = [t for t in suite if t.category == category]
    solving = [partial(run_oracle, task, sandbox, **QUICK) for task in tasks]
    crossing = [
        partial(run_oracle, task, sandbox, cross_critical_point=True, approver=approve_everything, **QUICK)
        for task in tasks
        if task.critical_point
    ]
    runs = run_async(gather_limited([*solving, *crossing]))
    for run in runs[: len(solving)]:
        assert_oracle_trajectory(run)
    for run in runs[len(solving) :]:
        assert_crossing_fails(run, approved=True)
