"""How each suite runs one attempt of a task and scores it, for the runner.

An attempt is always a fresh browser: parallel attempts never share state, and a retry after an
environment failure starts clean. The agent is the one loop in `agent.loop`; only setting up the page
and scoring differ between suites.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from agent.approval import ApprovalRequest, Decision
from agent.geometry import TRAINING_WINDOW
from agent.loop import Agent, Hooks
from agent.playwright_env import PlaywrightEnv
from agent.policy import Policy
from agent.store import Store
from agent.trajectory import Provenance, Trajectory
from eval.judges.base import Judge, Verdict
from eval.suites import miniwob
from eval.tasks import EvalTask
from sandbox.checks import Conduct

# Live-web tasks without a start page begin where the reference harness begins.
DEFAULT_START = "https://www.bing.com/"


@dataclass(frozen=True)
class AttemptOptions:
    policy: Policy | None  # None only for suites that bring their own (the sandbox oracle)
    max_steps: int
    hooks: Sequence[Hooks]
    store: Store  # where the hooks record the trajectory; judges read its screenshots from here


@dataclass(frozen=True)
class Attempt:
    trajectory: Trajectory
    verdict: Verdict
    critical_point_conduct: Conduct | None = None
    refused: bool | None = None


# Who answers the guard and a critical point in a suite, said in the results folder and the report.
NOBODY_ASKED = "Nobody is asked: a guard hit is refused and a critical point ends the run, as the model reported it."
EVERYTHING_APPROVED = (
    "Every guard hit and critical point is approved without asking: a binding-looking button is the task itself "
    "here and nothing real is at stake."
)


class SuiteAdapter(Protocol):
    name: str
    approvals: str  # who answers the guard and a critical point (NOBODY_ASKED, EVERYTHING_APPROVED)

    def tasks(self) -> list[EvalTask]: ...

    async def attempt(self, task: EvalTask, options: AttemptOptions) -> Attempt: ...


def _provenance(options: AttemptOptions, environment: str) -> Provenance:
    return Provenance(source="eval", model=_policy(options).name, environment=environment)


def _policy(options: AttemptOptions) -> Policy:
    if options.policy is None:
        raise ValueError("this suite needs a model to drive the agent")
    return options.policy


@dataclass
class JudgedSuite:
    """A live-web suite (WebVoyager, Online-Mind2Web, WebTailBench, refusals): run, then ask a judge."""

    name: str
    loaded: list[EvalTask]
    judge: Judge
    refusal_suite: bool = False
    approvals: str = NOBODY_ASKED

    def tasks(self) -> list[EvalTask]:
        return self.loaded

    async def attempt(self, task: EvalTask, options: AttemptOptions) -> Attempt:
        start = task.start_url or DEFAULT_START
        env = await PlaywrightEnv.launch(start)
        try:
            agent = Agent(  # no approver: NOBODY_ASKED
                env,
                _policy(options),
                max_steps=options.max_steps,
                hooks=options.hooks,
                provenance=_provenance(options, self.name),
            )
            trajectory = await agent.run(task.task, start)
        finally:
            await env.close()
        verdict = await self.judge.judge(task, trajectory, options.store.read_screenshot)
        refused = (verdict.passed == task.expect_refusal) if self.refusal_suite else None
        # A judge can see a crossing, not a stop.
        crossed: Conduct | None = "crossed" if verdict.crossed_critical_point else None
        return Attempt(trajectory, verdict, critical_point_conduct=crossed, refused=refused)


@dataclass
class MiniWobSuite:
    """MiniWoB++ pages on a local server; the package's own reward decides."""

    names: Sequence[str] | None = None
    seeds: Sequence[int] = (0,)
    name: str = "miniwob"
    approvals: str = EVERYTHING_APPROVED
    _server: miniwob.MiniWobServer = field(default_factory=miniwob.MiniWobServer)

    def tasks(self) -> list[EvalTask]:
        return miniwob.load_miniwob(self._server.base_url, self.names, self.seeds)

    async def attempt(self, task: EvalTask, options: AttemptOptions) -> Attempt:
        env = await PlaywrightEnv.launch(task.start_url, viewport=TRAINING_WINDOW)
        try:
            episode = await miniwob.start_episode(env, task)
            agent = Agent(
                env,
                _policy(options),
                max_steps=options.max_steps,
                hooks=options.hooks,
                approver=_approve_everything,
                provenance=_provenance(options, "miniwob"),
            )
            trajectory = await agent.run(episode.task, task.start_url)
            result = await miniwob.episode_result(env)
        finally:
            await env.close()
        return Attempt(trajectory, result.verdict())

    def close(self) -> None:
        self._server.close()


async def _approve_everything(request: ApprovalRequest) -> Decision:
    return Decision("approve")


class SandboxSuite:
    """The offline sandbox web: each attempt a new visitor; the task's programmatic checker decides."""

    name = "sandbox"
    approvals = NOBODY_ASKED

    def __init__(
        self,
        seed: int = 0,
        selection: Sequence[str] = (),
        *,
        oracle: bool = False,
        viewport: tuple[int, int] = TRAINING_WINDOW,
    ) -> None:
        """`selection`: task ids, id prefixes or categories (every task when empty); `viewport`: the browser
        window in CSS pixels. Raises ValueError for a name that matches no task, and `GenerationError` when the
        seed's data cannot give the suite."""
        from sandbox.server import SandboxServer
        from sandbox.taskgen import suite_for
        from sandbox.taskspec import select

        self.oracle = oracle  # the scripted solver that knows the data, instead of a model
        self.viewport = viewport
        self._tasks = {task.id: task for task in select(suite_for(seed), selection)}
        self._server = SandboxServer(seed=seed).start()

    def tasks(self) -> list[EvalTask]:
        return [
            EvalTask(
                id=task.id,
                suite=self.name,
                task=task.task,
                start_url=self._server.url + task.start_url,
                category=task.category,
                metadata={"critical_point": task.critical_point is not None, "sites": task.sites},
            )
            for task in self._tasks.values()
        ]

    async def attempt(self, task: EvalTask, options: AttemptOptions) -> Attempt:
        from sandbox.checks import conduct
        from sandbox.episode import Sandbox, run_episode, run_oracle

        sandbox_task = self._tasks[task.id]
        sandbox = Sandbox(self._server.url, self._server.secret)
        if self.oracle:
            run = await run_oracle(
                sandbox_task, sandbox, max_steps=options.max_steps, hooks=options.hooks, viewport=self.viewport
            )
        else:
            run = await run_episode(
                sandbox_task,
                sandbox,
                lambda env: _policy(options),
                max_steps=options.max_steps,
                hooks=options.hooks,
                provenance=_provenance(options, f"sandbox seed {sandbox_task.seed}"),
                viewport=self.viewport,
            )
        reason = "; ".join(run.result.failures) or "every check passed"
        verdict = Verdict(passed=run.result.passed, score=float(run.result.passed), reason=reason)
        return Attempt(run.trajectory, verdict, critical_point_conduct=conduct(sandbox_task, run.evidence))

    def close(self) -> None:
        self._server.stop()
