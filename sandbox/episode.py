"""One episode of a sandbox task: a fresh browser as a new visitor, the agent loop, then the checker.

Each episode has its own visitor cookie, so episodes in parallel never share state. After the run the
checker reads that visitor's state through the secret state API. Retrying episodes that the browser aborted
is the caller's business (`eval.runner.retry_aborted`).
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

from agent.approval import Approver
from agent.loop import Agent, Hooks
from agent.playwright_env import PlaywrightEnv
from agent.policy import Policy
from agent.settle import SettleRule
from agent.trajectory import Provenance, Trajectory
from sandbox.app import SECRET_HEADER
from sandbox.checks import CheckResult, Evidence, check, evidence_of
from sandbox.oracle import NAME as ORACLE_NAME
from sandbox.oracle import Oracle
from sandbox.state import VISITOR_COOKIE
from sandbox.taskspec import Task

PolicyFactory = Callable[[PlaywrightEnv], Policy]
VIEWPORT = (1440, 900)  # the window Fara-7B was trained at; data generation and offline scores may ask for another


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
class Episode:
    task: Task
    visitor: str
    trajectory: Trajectory
    evidence: Evidence  # what the run left behind: the visitor's state, the answer, where it stopped
    result: CheckResult


async def run_episode(
    task: Task,
    sandbox: Sandbox,
    policy: PolicyFactory,
    *,
    approver: Approver | None = None,
    max_steps: int = 60,
    settle: SettleRule | None = None,
    hooks: Sequence[Hooks] = (),
    provenance: Provenance | None = None,
    viewport: tuple[int, int] = VIEWPORT,
) -> Episode:
    """Open the task's start page as a new visitor (a browser window of `viewport` CSS pixels), let `policy` work,
    then check the visitor's state.

    With no `approver` nobody is asked, as in the reference harness: a binding click the guard catches is
    refused (and recorded on the trajectory), and a critical point ends the episode as the model reported it."""
    visitor = uuid.uuid4().hex
    env = await PlaywrightEnv.launch(viewport=viewport, settle=settle)
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
    evidence = evidence_of(trajectory, await asyncio.to_thread(sandbox.state, visitor))
    return Episode(task, visitor, trajectory, evidence, check(task, evidence))


async def run_oracle(
    task: Task,
    sandbox: Sandbox,
    *,
    cross_critical_point: bool = False,
    wrap: Callable[[Oracle], Policy] | None = None,
    **options: Any,
) -> Episode:
    """The oracle's episode of `task`: a correct trajectory (or, crossing the critical point, a wrong one).
    `wrap` puts a policy around the oracle (one that records what it is asked and answers, as `farol eval steps`)."""

    def oracle(env: PlaywrightEnv) -> Policy:
        chosen = Oracle(env, task, sandbox.url, cross_critical_point=cross_critical_point)
        return wrap(chosen) if wrap is not None else chosen

    return await run_episode(
        task,
        sandbox,
        oracle,
        provenance=Provenance(source="oracle", model=ORACLE_NAME, environment=f"sandbox seed {task.seed}"),
        **options,
    )
