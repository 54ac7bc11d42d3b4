"""What the stages hand each other: proposals, solved jobs and verdicts."""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.trajectory import Trajectory
from datagen.meter import RoleUsage
from datagen.page import PageView
from eval.tasks import Rubric
from sandbox.splits import answer_of, contamination, task_ref, words
from sandbox.taskspec import Task

Source = Literal["generator", "targeted", "exploratory", "mutation"]
SANDBOX = "sandbox"


class Proposal(BaseModel):
    """A task to solve. On the sandbox, `start_url` is a path on the sandbox's origin and `check` (when the
    sandbox's generator wrote the task) holds its checker and the oracle's plan."""

    model_config = ConfigDict(frozen=True)

    task: str = Field(min_length=1)
    start_url: str = Field(min_length=1)
    site: str = "web"  # "sandbox", or "web" for the live web
    category: str | None = None
    source: Source
    parent: str | None = None  # the proposal a mutation varies
    # What the user would answer if asked (name, dates, preferences); never shown to the solver.
    hidden: dict[str, str] = Field(default_factory=dict)
    rubric: Rubric | None = None
    check: Task | None = None

    @property
    def id(self) -> str:
        seed = self.check.seed if self.check else 0
        key = f"{self.site}|{seed}|{self.start_url}|{words(self.task)}"
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    @property
    def seed(self) -> int:
        """The sandbox data seed the task is about (its web)."""
        return self.check.seed if self.check else 0

    @property
    def ref(self) -> str | None:
        """The generator task it poses, `template@seed` (None for a task a model wrote)."""
        return task_ref(self.check) if self.check else None

    @property
    def approves(self) -> bool:
        """Whether the task's user agreed to its binding step (asked at the critical point, they approve)."""
        return bool(self.check and self.check.critical_point and self.check.critical_point.approved)

    def contamination(self) -> str | None:
        """Why the task is in a held-out split (`sandbox/splits.py`); None when it may be generated from."""
        return contamination(self.task, self.ref, answer_of(self.check) if self.check else None)


class Rejection(BaseModel):
    proposal: Proposal
    reason: str


class CheckerVerdict(BaseModel):
    passed: bool
    failures: list[str] = Field(default_factory=list)


class Solved(BaseModel):
    """One job's result, made where the job ran (a Ray worker, or here) and stored by the driver."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    proposal_id: str
    trajectory: Trajectory | None  # None when every attempt failed before the agent started
    screenshots: dict[str, bytes] = Field(default_factory=dict)  # digest -> PNG, the kept screenshots
    pages: dict[str, PageView] = Field(default_factory=dict)  # screenshot digest -> the page as it was read
    usage: list[RoleUsage] = Field(default_factory=list)
    checker: CheckerVerdict | None = None
    targets: list[str] = Field(default_factory=list)  # the URLs the Orchestrator named for the verifiers
    attempts: int = 1
    error: str | None = None
    worker: str = ""  # host:pid of the process that solved it
    roles: dict[str, str] = Field(default_factory=dict)  # role -> the model that played it
    ledgers: list[dict[str, Any]] = Field(default_factory=list)  # the Orchestrator's progress ledgers, in order
    exchanges: list[dict[str, Any]] = Field(default_factory=list)  # what the surfer asked the user, and the answers


class VerifierVerdict(BaseModel):
    name: str
    passed: bool
    score: float = Field(ge=0.0, le=1.0)
    reason: str
