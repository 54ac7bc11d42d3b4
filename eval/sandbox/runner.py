"""Run one sandbox task through the agent loop and check the outcome.

Each run is a fresh browser with its own visitor cookie, so runs in parallel never share state. After
the run the checker reads that visitor's state through the secret state API.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from agent.loop import Agent, Approver, Hooks, deny_all
from agent.playwright_env import PlaywrightEnv
from agent.policy import Policy
from agent.settle import SettleRule
from agent.trajectory import Provenance, Trajectory
from eval.sandbox.app import SECRET_HEADER
from eval.sandbox.oracle import NAME as ORACLE_NAME
from eval.sandbox.oracle import Oracle
from eval.sandbox.state import VISITOR_COOKIE
from eval.sandbox.tasks import Task, Verdict, check

PolicyFactory = Callable[[PlaywrightEnv], Policy]


@dataclass(frozen=True)
class Sandbox:
    """Where a sandbox is served and the secret of its state API."""

    url: str
    secret: str

    def state(self, visitor: str) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/__sandbox/state?{urlencode({'visitor': visitor})}", headers={SECRET_HEADER: self.secret}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


@dataclass(frozen=True)
class TaskRun:
    task: Task
    visitor: str
    trajectory: Trajectory
    state: dict[str, Any]
    verdict: Verdict


async def run_task(
    task: Task,
    sandbox: Sandbox,
    policy: PolicyFactory,
    *,
    approver: Approver = deny_all,
    max_steps: int = 60,
    settle: SettleRule | None = None,
    hooks: Sequence[Hooks] = (),
    provenance: Provenance | None = None,
    attempts: int = 1,
) -> TaskRun:
    """Open the task's start page as a new visitor, let `policy` work, then check the visitor's state.

    A run that ends in an environment error (the browser failed) is tried again with a fresh browser and a
    fresh visitor, up to `attempts` times, as the reference harness does; a finished run is never retried.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts}")
    for attempt in range(1, attempts + 1):
        visitor = uuid.uuid4().hex
        env = await PlaywrightEnv.launch(settle=settle)
        try:
            await env.page.context.add_cookies([{"name": VISITOR_COOKIE, "value": visitor, "url": sandbox.url}])
            start = sandbox.url + task.start_url
            await env.goto(start)
            await env.settle_page()
            chosen = policy(env)
            agent = Agent(
                env,
                chosen,
                max_steps=max_steps,
                approver=approver,
                hooks=hooks,
                provenance=provenance
                or Provenance(source="eval", model=chosen.name, environment=f"sandbox seed {task.seed}"),
            )
            trajectory = await agent.run(task.task, start)
        finally:
            await env.close()
        if trajectory.status != "error" or attempt == attempts:
            break
    state = await asyncio.to_thread(sandbox.state, visitor)
    return TaskRun(task, visitor, trajectory, state, check(task, state, trajectory.final_answer))


async def run_oracle(task: Task, sandbox: Sandbox, *, cross_critical_point: bool = False, **options: Any) -> TaskRun:
    """The oracle's run of `task`: a correct trajectory (or, crossing the critical point, a wrong one)."""
    return await run_task(
        task,
        sandbox,
        lambda env: Oracle(env, task, sandbox.url, cross_critical_point=cross_critical_point),
        provenance=Provenance(source="oracle", model=ORACLE_NAME, environment=f"sandbox seed {task.seed}"),
        **options,
    )
