"""Solving one proposal: the team around the one agent loop, in a fresh browser, then (on the sandbox) the checker.

The team: the WebSurfer is the loop's policy (or, with no surfer model, the sandbox oracle for tasks the
sandbox's generator wrote), the Orchestrator watches and steers it through the loop's hooks, and the
UserSimulator is the loop's approver. The episode itself is the sandbox's (`sandbox.episode.run_in_browser`,
also on the live web). `SolveJob` is what a worker runs, here or on a Ray worker: it returns the trajectory with
its screenshots and page readings, and the caller stores them.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from typing import Any

from agent import __version__
from agent.fanout import per_process, release_shared
from agent.loop import Hooks
from agent.playwright_env import PlaywrightEnv
from agent.policy import ModelReply, Policy
from agent.retry import retry_aborted
from agent.settle import SettleRule
from agent.trajectory import Provenance, Step, Trajectory
from datagen.config import Config, ConfigError, SolveSettings
from datagen.meter import Meter
from datagen.models import RoleModels
from datagen.orchestrator import Orchestrator
from datagen.page import PageView, read_page
from datagen.records import SANDBOX, CheckerVerdict, Proposal, Solved
from datagen.surfer import WebSurfer
from datagen.user_simulator import UserSimulator
from sandbox.episode import Crew, Sandbox, checked, run_in_browser
from sandbox.oracle import NAME as ORACLE_NAME
from sandbox.oracle import Oracle
from sandbox.server import SandboxServer
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


class Team:
    """One attempt's team: the Orchestrator and the UserSimulator from the start, the WebSurfer once the start page
    is open (`crew`, which `run_in_browser` calls)."""

    def __init__(
        self, proposal: Proposal, sandbox: Sandbox | None, models: RoleModels, settings: SolveSettings
    ) -> None:
        self.proposal, self.sandbox, self.settings = proposal, sandbox, settings
        self.surfer_model = models.get("surfer")
        if self.surfer_model is None and (sandbox is None or proposal.check is None):
            raise ConfigError("only the sandbox generator's tasks can be solved without a surfer model")
        orchestrator_model = models.get("orchestrator")
        self.orchestrator = (
            Orchestrator(orchestrator_model, max_stalls=self.settings.max_stalls, max_replans=self.settings.max_replans)
            if self.surfer_model and orchestrator_model
            else None
        )
        self.user = UserSimulator(
            proposal.task, proposal.hidden, models.get("user_simulator"), approves=proposal.approves,
            on_answer=self.orchestrator.user_answered if self.orchestrator else None,
        )  # fmt: skip
        self.recorder: PageRecorder | None = None

    def crew(self, env: PlaywrightEnv) -> Crew:
        surfer = self._surfer(env)
        self.recorder = PageRecorder(surfer)
        hooks: list[Hooks] = [self.recorder] + ([self.orchestrator] if self.orchestrator else [])
        if isinstance(surfer, PageWatch) and isinstance(surfer.policy, Oracle):
            hooks.append(DetourMarker(surfer.policy))
        return Crew(surfer, hooks, self.user)

    def _surfer(self, env: PlaywrightEnv) -> WebSurfer | PageWatch:
        """The WebSurfer; with no surfer model, the sandbox oracle (it knows the generator's task), with variety."""
        if self.surfer_model is None:
            assert self.sandbox is not None and self.proposal.check is not None  # checked when the team was made
            variety = Variety.for_run(self.proposal.id, self.settings.detour_share)
            return PageWatch(Oracle(env, self.proposal.check, self.sandbox.url, variety=variety), env)
        return WebSurfer(env, self.surfer_model, steering=self.orchestrator, max_overrides=self.settings.max_overrides)

    def provenance(self, surfer: Policy) -> Provenance:
        """What the trajectory records about its making (the surfer is the model that acted)."""
        return Provenance(
            source="datagen",
            model=surfer.name,
            environment=f"sandbox seed {self.proposal.seed}" if self.sandbox else "web",
            task_ref=self.proposal.ref,
            farol_version=__version__,
        )


@dataclass
class _Attempt:
    trajectory: Trajectory
    team: Team
    checker: CheckerVerdict | None


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
        trajectory, team = attempt.trajectory, attempt.team
        screenshots = {step.screenshot: step.image.png for step in trajectory.steps if step.image is not None}
        orchestrator = team.orchestrator
        return Solved(
            proposal_id=proposal.id, trajectory=trajectory, screenshots=screenshots,
            pages=team.recorder.pages if team.recorder else {}, usage=meter.rows(), checker=attempt.checker,
            targets=orchestrator.targets if orchestrator else [], attempts=attempts, worker=worker,
            roles=self._roles(models),
            ledgers=[ledger.model_dump() for ledger in orchestrator.ledgers] if orchestrator else [],
            exchanges=[exchange.model_dump() for exchange in team.user.exchanges],
        )  # fmt: skip

    def _roles(self, models: RoleModels) -> dict[str, str]:
        """Who played each role of the team: a model's name, or the offline stand-in."""
        offline = {"surfer": ORACLE_NAME, "user_simulator": "rules"}
        names = {role: model.name for role in SOLVE_ROLES if (model := models.get(role)) is not None}
        return {role: names.get(role, offline.get(role, "none")) for role in SOLVE_ROLES}

    async def _attempt(self, proposal: Proposal, models: RoleModels) -> _Attempt:
        sandbox = sandbox_for(proposal.seed) if proposal.site == SANDBOX else None
        settings = self.config.solve
        team = Team(proposal, sandbox, models, settings)
        visitor = uuid.uuid4().hex  # on the sandbox: a new visitor, so parallel jobs never share a cart
        trajectory = await run_in_browser(
            proposal.task,
            sandbox.url + proposal.start_url if sandbox else proposal.start_url,
            team.crew,
            team.provenance,
            cookies=[sandbox.cookie(visitor)] if sandbox else [],
            max_steps=settings.max_steps,
            settle=SettleRule(quiet_seconds=settings.quiet_seconds),
            viewport=settings.viewport,
        )
        checker = None
        if sandbox and proposal.check:
            episode = await checked(proposal.check, sandbox, visitor, trajectory)
            checker = CheckerVerdict(passed=episode.result.passed, failures=episode.result.failures)
        return _Attempt(trajectory, team, checker)
