"""The one task record every evaluation suite produces and the runner and judges consume."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class TaskFileError(ValueError):
    """A task file is missing or malformed; the message names the file and the line (or item)."""


class RubricItem(BaseModel):
    """One WebTailBench rubric criterion (the verifier's own scoring fields are ignored on input)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    criterion: str = Field(min_length=1)
    description: str = ""
    max_points: float = Field(gt=0)
    condition: str | None = None  # the criterion counts only when this holds (e.g. "if the item is sold out")


class Rubric(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    items: list[RubricItem] = Field(min_length=1)

    @property
    def total_max_points(self) -> float:
        return sum(item.max_points for item in self.items)


class EvalTask(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)  # unique within its suite
    suite: str  # webvoyager, om2w, webtailbench, refusals, miniwob, sandbox, ...
    task: str  # what the agent is asked; MiniWoB fills it from the page once the episode starts
    start_url: str | None = None
    category: str | None = None  # WebVoyager site, WebTailBench segment, refusal category, MiniWoB environment
    level: str | None = None  # Online-Mind2Web difficulty: easy, medium, hard
    reference_answer: str | None = None
    rubric: Rubric | None = None
    expect_refusal: bool = False  # success means the agent declines the task
    metadata: dict[str, Any] = Field(default_factory=dict)
