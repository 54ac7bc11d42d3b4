"""What every judge shares: the verdict, the judge interface, the client, and the trajectory as evidence.

Judges call an OpenAI-compatible endpoint through `agent.policy.OpenAIPolicy` (temperature 0, logged
retries, `ModelUnavailable` when the endpoint keeps failing). A reply a judge cannot parse counts as a
failed task, as in the reference harness; the raw replies stay in the verdict for inspection.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any, Protocol

import openai
from pydantic import BaseModel, Field

from agent.policy import OpenAIPolicy, Policy
from agent.trajectory import Trajectory
from eval.tasks import EvalTask

ScreenshotReader = Callable[[str], bytes]  # digest -> PNG bytes, e.g. agent.store.Store.read_screenshot
Content = str | list[dict[str, Any]]


class Verdict(BaseModel):
    passed: bool
    score: float = Field(ge=0.0, le=1.0)
    reason: str
    replies: list[str] = Field(default_factory=list)  # the judge's raw replies, in the order they came


class Judge(Protocol):
    async def judge(self, task: EvalTask, trajectory: Trajectory, read_screenshot: ScreenshotReader) -> Verdict: ...


class JudgeModel(OpenAIPolicy):
    """The agent's OpenAI-compatible client pointed at a judge model; only its error wording differs."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        *,
        timeout: float = 300.0,
        retries: int = 4,
        max_tokens: int | None = None,
        temperature: float | None = 0.0,  # None for judges that refuse the parameter, such as o4-mini
    ) -> None:
        super().__init__(
            base_url, model, api_key, timeout=timeout, retries=retries, max_tokens=max_tokens, temperature=temperature
        )

    def _describe(self, error: Exception) -> str:
        if isinstance(error, openai.APIConnectionError):
            return f"cannot reach the judge model at {self.base_url}"
        return f"the judge model at {self.base_url} keeps failing ({error})"


async def ask(model: Policy, system: str, content: Content) -> str:
    """One system + user exchange; returns the reply's text."""
    reply = await model.complete([{"role": "system", "content": system}, {"role": "user", "content": content}])
    return reply.text


def no_answer(trajectory: Trajectory) -> Verdict | None:
    """A run that never terminated has failed (the step budget ran out, an error, a stop); no judge is asked."""
    if trajectory.final_answer is not None:
        return None
    reason = f"no final answer: the run ended {trajectory.status} ({trajectory.reason})"
    return Verdict(passed=False, score=0.0, reason=reason)


def screenshot_digests(trajectory: Trajectory) -> list[str]:
    """Each observation once, oldest first (a step retried after a parse error repeats its screenshot)."""
    digests: list[str] = []
    for step in trajectory.steps:
        if not digests or digests[-1] != step.screenshot:
            digests.append(step.screenshot)
    return digests


def image_part(png: bytes) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(png).decode("ascii")}}


def action_history(trajectory: Trajectory) -> list[str]:
    """Each action the agent took as its `computer_use` arguments in JSON (model coordinates)."""
    return [json.dumps(step.action.arguments()) for step in trajectory.steps if step.action is not None]


def numbered(lines: list[str]) -> str:
    return "\n".join(f"{number}. {line}" for number, line in enumerate(lines, start=1)) or "(none)"
