"""Solving one proposal: a fresh browser, the team around the one agent loop, and (on the sandbox) the checker.

The team: the WebSurfer is the loop's policy (or, with no surfer model, the sandbox oracle for tasks the
sandbox's generator wrote), the Orchestrator watches and steers it through the loop's hooks, and the
UserSimulator is the loop's approver. `SolveJob` is what a worker runs, here or on a Ray worker: it returns
the trajectory with its screenshots and page readings, and the caller stores them.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from dataclasses import dataclass, field
from typing import Any

from agent import __version__
from agent.environment import BrowserError
from agent.loop import Agent, Hooks
from agent.playwright_env import PlaywrightEnv
from agent.policy import ModelReply, Policy
from agent.settle import SettleRule
from agent.trajectory import Provenance, Step, Trajectory
from datagen.config import Config, ConfigError
from datagen.meter import Meter
from datagen.models import RoleModels
from datagen.orchestrator import Orchestrator
from datagen.page import PageView, read_page
from datagen.records import SANDBOX, CheckerVerdict, Proposal, Solved
from datagen.surfer import WebSurfer
from datagen.user_simulator import UserSimulator
from eval.fanout import per_process, release_shared
from eval.runner import retry_aborted
from sandbox.checks import check, evidence_of
from sandbox.episode import Sandbox
from sandbox.oracle import NAME as ORACLE_NAME
from sandbox.oracle import Oracle
from sandbox.server import SandboxServer
from sandbox.state import VISITOR_COOKIE
from sandbox.variety import Variety

SOLVE_ROLES = ("surfer", "orchestrator", "user_simulator")


def sandbox_for(seed: int) -> Sandbox:
    """The sandbox web of a data seed, served once per process (every job of a worker shares it)."""
    server = per_process(("sandbox", seed), lambda: SandboxServer(seed=seed).start())
    return Sandbox(server.url, server.secret)


def stop_sandboxes() -> None:
    """Stop the sandbox webs this process served (at the end of a stage; Ray workers keep theirs)."""
    for value in release_shared():
        if isinstance(value, SandboxServer):
            value.stop()


class PageWatch:
    """A policy that reads the page before its inner policy answers (the oracle does not keep its reading)."""

    def __init__(self, policy: Policy, env: PlaywrightEnv) -> None:
        self.policy, self.env, self.name = policy, env, policy.name
        self.latest: PageView | None = None

    async def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        self.latest = await read_page(self.env.page, with_tree=False)
        return await self.policy.complete(messages)


class DetourMarker(Hooks):
    """Marks the steps of the oracle's detours (`Step.detour`): recorded, never trained on."""

    def __init__(self, oracle: Oracle) -> None:
        self.oracle = oracle

    async def on_step(self, trajectory: Trajectory, step: Step) -> None:
        step.detour = self.oracle.detoured


class PageRecorder(Hooks):
    """Keeps the page reading behind each step's screenshot (the auxiliary data is labelled from it)."""

    def __init__(self, source: WebSurfer | PageWatch) -> None:
        self.source = source
        self.pages: dict[str, PageView] = {}

    async def on_step(self, trajectory: Trajectory, step: Step) -> None:
        if self.source.latest is not None:
            self.pages.setdefault(step.screenshot, self.source.latest)


@dataclass
class _Attempt:
    trajectory: Trajectory
    pages: dict[str, PageView]
    checker: CheckerVerdict | None
    targets: list[str] = field(default_factory=list)
    ledgers: list[dict[str, Any]] = field(default_factory=list)
    exchanges: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class SolveJob:
    """`await SolveJob(config)(proposal)` -> `Solved`. Picklable, for Ray."""

    config: Config

    async def __call__(self, proposal: Proposal) -> Solved:
        meter = Meter()
        async with RoleModels(self.config, meter) as models:
            attempt, attempts = await retry_aborted(
                lambda: self._attempt(proposal, models),
                label=f"proposal {proposal.id}",
                attempts=self.config.solve.attempts,
            )
        worker = f"{socket.gethostname()}:{os.getpid()}"
        if attempt is None:
            error = "every attempt failed before the agent started"
            return Solved(proposal_id=proposal.id, trajectory=None, attempts=attempts, error=error, worker=worker)
        trajectory = attempt.trajectory
        screenshots = {step.screenshot: step.image.png for step in trajectory.steps if step.image is not None}
        return Solved(
            proposal_id=proposal.id, trajectory=trajectory, screenshots=screenshots, pages=attempt.pages,
            usage=meter.rows(), checker=attempt.checker, targets=attempt.targets, attempts=attempts, worker=worker,
            roles=self._roles(models), ledgers=attempt.ledgers, exchanges=attempt.exchanges,
        )  # fmt: skip

    def _roles(self, models: RoleModels) -> dict[str, str]:
        """Who played each role of the team: a model's name, or the offline stand-in."""
        offline = {"surfer": ORACLE_NAME, "user_simulator": "rules"}
        names = {role: model.name for role in SOLVE_ROLES if (model := models.get(role)) is not None}
        return {role: names.get(role, offline.get(role, "none")) for role in SOLVE_ROLES}

    async def _attempt(self, proposal: Proposal, models: RoleModels) -> _Attempt:
        sandbox = sandbox_for(proposal.seed) if proposal.site == SANDBOX else None
        start = sandbox.url + proposal.start_url if sandbox else proposal.start_url
        visitor = uuid.uuid4().hex  # on the sandbox: a new visitor, so parallel jobs never share a cart
        env = await PlaywrightEnv.launch(
            viewport=self.config.solve.viewport, settle=SettleRule(quiet_seconds=self.config.solve.quiet_seconds)
        )
        try:
            if sandbox:
                await env.page.context.add_cookies([{"name": VISITOR_COOKIE, "value": visitor, "url": sandbox.url}])
            if failure := await env.goto(start):
                raise BrowserError(f"cannot load {start}: {failure}")
            await env.settle_page()
            surfer, orchestrator = self._team(env, proposal, sandbox, models)
            pages = PageRecorder(surfer)
            hooks: list[Hooks] = [pages] + ([orchestrator] if orchestrator else [])
            if isinstance(surfer, PageWatch) and isinstance(surfer.policy, Oracle):
                hooks.append(DetourMarker(surfer.policy))
            user = UserSimulator(
                proposal.task, proposal.hidden, models.get("user_simulator"), approves=proposal.approves,
                on_answer=orchestrator.user_answered if orchestrator else None,
            )  # fmt: skip
            agent = Agent(
                env,
                surfer,
                max_steps=self.config.solve.max_steps,
                hooks=hooks,
                approver=user,
                provenance=Provenance(
                    source="datagen",
                    model=surfer.name,
                    environment=f"sandbox seed {proposal.seed}" if sandbox else "web",
                    task_ref=proposal.ref,
                    farol_version=__version__,
                ),
            )
            trajectory = await agent.run(proposal.task, start)
        finally:
            await env.close()
        checker = None
        if sandbox and proposal.check:
            evidence = evidence_of(trajectory, await asyncio.to_thread(sandbox.state, visitor))
            result = check(proposal.check, evidence)
            checker = CheckerVerdict(passed=result.passed, failures=result.failures)
        return _Attempt(
            trajectory, pages.pages, checker, orchestrator.targets if orchestrator else [],
            ledgers=[ledger.model_dump() for ledger in orchestrator.ledgers] if orchestrator else [],
            exchanges=[exchange.model_dump() for exchange in user.exchanges],
        )  # fmt: skip

    def _team(
        self, env: PlaywrightEnv, proposal: Proposal, sandbox: Sandbox | None, models: RoleModels
    ) -> tuple[WebSurfer | PageWatch, Orchestrator | None]:
        surfer_model = models.get("surfer")
        if surfer_model is None:
            if sandbox is None or proposal.check is None:
                raise ConfigError("only the sandbox generator's tasks can be solved without a surfer model")
            variety = Variety.for_run(proposal.id, self.config.solve.detour_share)
            return PageWatch(Oracle(env, proposal.check, sandbox.url, variety=variety), env), None
        settings = self.config.solve
        orchestrator_model = models.get("orchestrator")
        orchestrator = (
            Orchestrator(orchestrator_model, max_stalls=settings.max_stalls, max_replans=settings.max_replans)
            if orchestrator_model
            else None
        )
        surfer = WebSurfer(env, surfer_model, steering=orchestrator, max_overrides=settings.max_overrides)
        return surfer, orchestrator
