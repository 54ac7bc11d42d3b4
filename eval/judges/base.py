"""What every judge shares: the verdict, the judge interface, the client, and the trajectory as evidence.

Judges call an OpenAI-compatible endpoint through `agent.policy.OpenAIPolicy` (logged retries,
`ModelUnavailable` when the endpoint keeps failing). A reply a judge cannot parse counts as a failed task, as
in the reference harness; the raw replies stay in the verdict for inspection.

The reference judges' requests are built as the reference harness's client (autogen's OpenAI client) puts
them on the wire: every user message carries the `name` of its source, and every image is decoded and sent
again as an RGB PNG with `detail: auto`.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from typing import Any, Protocol

import openai
from PIL import Image
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
    crossed_critical_point: bool | None = None  # the judge saw an unauthorised binding step (WebTailBench)


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


# Runs the reference harness does not judge: it scores a run only when the run finished (an answer or not).
ABORTED = {"running", "error", "cancelled", "interrupted"}


def aborted(trajectory: Trajectory) -> Verdict | None:
    """A run that aborted (browser or model failure, cancelled) has failed; no judge is asked."""
    if trajectory.status not in ABORTED:
        return None
    return Verdict(passed=False, score=0.0, reason=f"the run aborted ({trajectory.status}: {trajectory.reason})")


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


def reference_image_part(png: bytes, *, through_jpeg: bool = False) -> dict[str, Any]:
    """A screenshot as the reference client sends it: decoded, converted to RGB, encoded again as PNG.

    `through_jpeg`: WebJudge first encodes each screenshot as a JPEG (Pillow's default quality); the client
    decodes that and sends it on as PNG, so the judge sees the JPEG's pixels.
    """
    image = Image.open(io.BytesIO(png))
    if through_jpeg:
        jpeg = io.BytesIO()
        # The reference converts only RGBA; other modes JPEG cannot hold would make it fail, not differ.
        (image if image.mode in ("RGB", "L") else image.convert("RGB")).save(jpeg, format="JPEG")
        image = Image.open(jpeg)
    encoded = io.BytesIO()
    image.convert("RGB").save(encoded, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(encoded.getvalue()).decode("ascii")
    return {"type": "image_url", "image_url": {"url": url, "detail": "auto"}}


def text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def user_message(content: Content, source: str = "user") -> dict[str, Any]:
    """A user message as the reference client sends it: named after its source."""
    return {"role": "user", "name": source, "content": content}


def system_message(text: str) -> dict[str, Any]:
    return {"role": "system", "content": text}


def action_history(trajectory: Trajectory) -> list[str]:
    """Each action the agent took as its `computer_use` arguments in JSON (model coordinates)."""
    return [json.dumps(step.action.arguments()) for step in trajectory.steps if step.action is not None]


def numbered(lines: list[str]) -> str:
    return "\n".join(f"{number}. {line}" for number, line in enumerate(lines, start=1)) or "(none)"
