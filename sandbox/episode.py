"""One episode: a fresh browser on the start page, the agent loop, then (on the sandbox) the checker.

`run_in_browser` is the one place an episode's browser is opened and its agent run: evaluation's sandbox suite,
the oracle and data generation's jobs (which also solve on the live web) all go through it. On the sandbox each
episode has its own visitor cookie, so episodes in parallel never share state; after the run the checker reads
that visitor's state through the secret state API. Retrying episodes that the browser aborted is the caller's
business (`agent.retry.retry_aborted`).
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from agent.approval import Approver
from agent.environment import BrowserError
from agent.geometry import TRAINING_WINDOW
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

if TYPE_CHECKING:
    from playwright._impl._api_structures import SetCookieParam  # Playwright's cookie, not re-exported publicly

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
            state: dict[str, Any] = json.loads(response.read())
        return state

    def cookie(self, visitor: str) -> SetCookieParam:
        """The cookie that makes a browser `visitor` on this sandbox."""
        return {"name": VISITOR_COOKIE, "value": visitor, "url": self.url}


@dataclass(frozen=True)
class Crew:
    """Who plays an episode, made once its start page is open: the loop's policy, its hooks, and its approver
    (None: nobody is asked, as in the reference harness)."""

    policy: Policy
    hooks: Sequence[Hooks] = ()
    approver: Approver | None = None


@dataclass(frozen=True)
class Episode:
    task: Task
    visitor: str
    trajectory: Trajectory
    evidence: Evidence  # what the run left behind: the visitor's state, the answer, where it stopped
    result: CheckResult


async def run_in_browser(
    task: str,
    start_url: str,
    crew: Callable[[PlaywrightEnv], Crew],
    provenance: Callable[[Policy], Provenance],
    *,
    cookies: Sequence[SetCookieParam] = (),
    max_steps: int = 60,
    settle: SettleRule | None = None,
    viewport: tuple[int, int] = TRAINING_WINDOW,
) -> Trajectory:
    """Open `start_url` in a fresh browser window of `viewport` CSS pixels (with `cookies` set first), let `crew`
    work on `task`, and close the browser. Raises `BrowserError` when the start page does not load.
    `provenance` names the run from the crew's policy."""
    env = await PlaywrightEnv.launch(viewport=viewport, settle=settle)
    try:
        if cookies:
            await env.page.context.add_cookies(cookies)
        if failure := await env.goto(start_url):
            raise BrowserError(f"cannot load {start_url}: {failure}")
        await env.settle_page()
        chosen = crew(env)
        agent = Agent(
            env,
            chosen.policy,
            max_steps=max_steps,
            approver=chosen.approver,
            hooks=chosen.hooks,
            provenance=provenance(chosen.policy),
        )
        return await agent.run(task, start_url)
    finally:
        await env.close()


async def checked(task: Task, sandbox: Sandbox, visitor: str, trajectory: Trajectory) -> Episode:
    """The checker's verdict on what `visitor`'s run of `task` left behind."""
    evidence = evidence_of(trajectory, await asyncio.to_thread(sandbox.state, visitor))
    return Episode(task, visitor, trajectory, evidence, check(task, evidence))


async def run_episode(
    task: Task,
    sandbox: Sandbox,
    policy: PolicyFactory,
    *,
    approver: Approver | None = None,
    hooks: Sequence[Hooks] = (),
    provenance: Provenance | None = None,
    max_steps: int = 60,
    settle: SettleRule | None = None,
    viewport: tuple[int, int] = TRAINING_WINDOW,
) -> Episode:
    """Open the task's start page as a new visitor (a browser window of `viewport` CSS pixels), let `policy` work,
    then check the visitor's state.

    With no `approver` nobody is asked, as in the reference harness: a binding click the guard catches is
    refused (and recorded on the trajectory), and a critical point ends the episode as the model reported it."""
    visitor = uuid.uuid4().hex
    environment = f"sandbox seed {task.seed}"
    trajectory = await run_in_browser(
        task.task,
        sandbox.url + task.start_url,
        lambda env: Crew(policy(env), hooks, approver),
        lambda chosen: provenance or Provenance(source="eval", model=chosen.name, environment=environment),
        cookies=[sandbox.cookie(visitor)],
        max_steps=max_steps,
        settle=settle,
        viewport=viewport,
    )
    return await checked(task, sandbox, visitor, trajectory)


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
