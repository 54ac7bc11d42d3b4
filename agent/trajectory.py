"""The one trajectory record: a user session, a synthetic trajectory and an eval run alike.

Screenshots are referenced by the sha256 of their PNG bytes; the store keeps the files.
`SCHEMA_VERSION` goes up whenever a stored field changes meaning; readers refuse newer versions.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.actions import Action
from agent.screenshot import Screenshot

SCHEMA_VERSION = 1

# interrupted: the process running it ended mid-task (a bridge restart); it can be continued.
Status = Literal["running", "awaiting_user", "stopped", "error", "cancelled", "interrupted"]
# shared: a session a collector received, whatever its sender called it (`collector/collector.py` sets it).
Source = Literal["cli", "extension", "datagen", "eval", "oracle", "test", "shared"]
# The verifier score data generation writes on a trajectory its keep rule kept (1.0) or not (0.0): training
# reads synthetic trajectories only when it is 1.0.
KEPT_SCORE = "kept"
# guard: an action the guard stopped for the person; critical_point: the model stopped at a binding step.
ApprovalKind = Literal["guard", "critical_point"]
# Why a trajectory is right to learn from (set where its outcome was verified): it answered, verified; it stopped at
# a critical point that should stop it (declined, or a guard stop judged compliant); or it went on after an
# approval to a verified end.
Outcome = Literal["answered", "stopped_at_critical_point", "approved_and_completed"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class TokenUsage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class StepResult(BaseModel):
    ok: bool = True
    observation: str = ""  # what the action did, for logs (never sent to the model, as in the reference)
    error: str | None = None
    clamped: bool = False  # the model's point lay outside the screenshot and was clamped into the viewport
    blocked: str | None = None  # why the guard refused the action
    # Why the chosen action was never run: the person paused, took over or stopped before it could act.
    not_run: str | None = None


class ParseFailure(BaseModel):
    kind: str
    message: str


class Step(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: int
    started_at: datetime = Field(default_factory=utcnow)
    screenshot: str  # sha256 of the kept screenshot (`image`): the capture before the model call, secrets masked
    screenshot_withheld: str | None = None  # why the kept screenshot is a placeholder, not the capture
    url: str
    title: str = ""
    css_width: int
    css_height: int
    device_pixel_ratio: float = 1.0
    model_width: int
    model_height: int
    raw_text: str | None = None  # verbatim model reply; None if the model could not be reached
    thoughts: str = ""
    action: Action | None = None
    css_point: tuple[float, float] | None = None  # where the action landed on the page
    target: str | None = None  # what it landed on, in words (`the button “Place order”`), from the page
    parse_error: ParseFailure | None = None
    result: StepResult | None = None
    timing: dict[str, float] = Field(default_factory=dict)  # seconds per phase
    tokens: TokenUsage | None = None
    detour: bool = False  # a deliberate wrong turn of a generated trajectory: recorded, never trained on
    # The kept screenshot itself, while the step is live (not serialised: the store keeps it as a file).
    image: Screenshot | None = Field(default=None, exclude=True, repr=False)

    def __eq__(self, other: object) -> bool:
        """Steps are equal when their records are: a live step (with `image`) equals itself loaded back."""
        return isinstance(other, Step) and self.model_dump() == other.model_dump()

    @property
    def in_history(self) -> bool:
        """Whether the model's reply became part of the conversation (parse failures and actions the person
        held back do not: the model decides again from a fresh screenshot)."""
        return self.action is not None and not (self.result is not None and self.result.not_run)


class UserTurn(BaseModel):
    text: str
    before_step: int  # the first step that sees this message
    at: datetime = Field(default_factory=utcnow)
    from_approval: bool = False  # the answer to an approval card (recorded as the `Approval` too)


class Approval(BaseModel):
    step: int
    kind: ApprovalKind
    reason: str
    decision: Literal["approve", "deny", "reply"]
    text: str | None = None
    at: datetime = Field(default_factory=utcnow)


class Provenance(BaseModel):
    source: Source = "cli"
    model: str | None = None
    environment: str | None = None
    task_ref: str | None = None  # the generated task it solved, "template@seed" (held-out splits are checked by it)
    farol_version: str | None = None  # the Farol that recorded it
    # Set by a collector when a person contributes the session (never taken from the sender).
    contributor: str | None = None
    received_at: datetime | None = None


class Consent(BaseModel):
    shared: bool = False
    at: datetime | None = None


class Trajectory(BaseModel):
    schema_version: int = SCHEMA_VERSION
    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    task: str
    start_url: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    status: Status = "running"
    terminate_status: Literal["success", "failure"] | None = None
    final_answer: str | None = None
    reason: str | None = None  # why the run stopped, in words
    steps: list[Step] = Field(default_factory=list)
    user_turns: list[UserTurn] = Field(default_factory=list)
    approvals: list[Approval] = Field(default_factory=list)
    memorized_facts: list[str] = Field(default_factory=list)
    verifier_scores: dict[str, float] = Field(default_factory=dict)
    verifier_reasons: dict[str, str] = Field(default_factory=dict)  # why each verifier scored as it did
    outcome: Outcome | None = None  # the verified kind of a right outcome; None: not verified, or not right
    provenance: Provenance = Field(default_factory=Provenance)
    consent: Consent = Field(default_factory=Consent)

    @property
    def succeeded(self) -> bool:
        return self.status == "awaiting_user" and self.terminate_status == "success"

    @property
    def token_usage(self) -> TokenUsage:
        steps = [step.tokens for step in self.steps if step.tokens]
        return TokenUsage(
            prompt_tokens=sum(t.prompt_tokens for t in steps),
            completion_tokens=sum(t.completion_tokens for t in steps),
        )
