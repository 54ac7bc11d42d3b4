"""What the stages hand each other: proposals, solved jobs and verdicts."""

from __future__ import annotations

import hashlib
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.trajectory import Trajectory
from datagen.meter import RoleUsage
from datagen.page import PageView
from eval.tasks import Rubric
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
        key = f"{self.site}|{seed}|{self.start_url}|{normalised(self.task)}"
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    @property
    def seed(self) -> int:
        """The sandbox data seed the task is about (its web)."""
        return self.check.seed if self.check else 0


def normalised(text: str) -> str:
    """The task's words without case, punctuation or spacing, as duplicates are compared."""
    return " ".join(re.findall(r"\w+", text.casefold()))


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


class VerifierVerdict(BaseModel):
    name: str
    passed: bool
    score: float = Field(ge=0.0, le=1.0)
    reason: str
