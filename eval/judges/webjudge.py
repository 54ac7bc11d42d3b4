"""WebJudge, the Online-Mind2Web judge, as Fara's harness calls it (with o4-mini): the default for om2w.

Prompts from `eval/data/judges/webjudge`; the requests are the reference's, message for message:

1. key points: the task in, a numbered list out (cut after `**Key Points**:`, else after `Key Points:`);
2. one request per screenshot (every step's, repeats included): task, key points and the screenshot, scored
   1-5; the score is the first digit 1-5 after the first `Score`, none counts 0;
3. the screenshots scoring 3 or more, in trajectory order, the first 50 of them, with their reasoning (the
   first paragraph after `**Reasoning**:`), the actions as their `computer_use` arguments in JSON, and a
   `Thoughts:` / `Status:` verdict: success iff `success` appears between the first `status:` and the next.

Screenshots go through a JPEG, as the reference encodes them (see `reference_image_part`). A run without a
final answer is judged as any other (WebJudge never reads the answer); only aborted runs are not.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from agent.policy import Policy
from agent.trajectory import Trajectory
from eval.judges.base import (
    ScreenshotReader,
    Verdict,
    aborted,
    action_history,
    reference_image_part,
    system_message,
    text_part,
    user_message,
)
from eval.judges.prompts import reference_prompt
from eval.tasks import EvalTask

SCORE_THRESHOLD = 3
MAX_IMAGES = 50

_DIGIT = re.compile(r"[1-5]")


class WebJudge:
    def __init__(
        self, model: Policy, score_threshold: int = SCORE_THRESHOLD, max_images: int = MAX_IMAGES, concurrency: int = 8
    ) -> None:
        self.model, self.score_threshold, self.max_images = model, score_threshold, max_images
        self.concurrency = concurrency  # screenshot-scoring requests in flight at once (the reference sends all)

    async def judge(self, task: EvalTask, trajectory: Trajectory, read_screenshot: ScreenshotReader) -> Verdict:
        if (failed := aborted(trajectory)) is not None:
            return failed
        key_points_reply = await self._ask(
            "key_points", reference_prompt("webjudge/key_points_user.txt").format(task=task.task)
        )
        key_points = reference_key_points(key_points_reply)
        encoded = await asyncio.to_thread(encode_screenshots, trajectory, read_screenshot)
        images = [encoded[step.screenshot] for step in trajectory.steps]
        text = reference_prompt("webjudge/image_user.txt").format(task=task.task, key_points=key_points)
        slots = asyncio.Semaphore(self.concurrency)
        score_replies = await asyncio.gather(*(self._ask("image", text, image, slots=slots) for image in images))
        kept_images: list[dict[str, Any]] = []
        thoughts: list[str] = []  # a kept screenshot without reasoning adds none, so the lists may not align
        for reply, image in zip(score_replies, images, strict=True):
            score, thought = reference_image_score(reply)
            if score >= self.score_threshold:
                kept_images.append(image)
                if thought:
                    thoughts.append(thought)
        kept = len(kept_images)
        kept_images, thoughts = kept_images[: self.max_images], thoughts[: self.max_images]
        final_text = final_prompt(task.task, key_points, action_history(trajectory), thoughts, bool(kept_images))
        final_reply = await self._ask("final", final_text, *kept_images)
        passed = reference_status_passed(final_reply)
        return Verdict(
            passed=passed,
            score=float(passed),
            reason=(
                f"judged {'success' if passed else 'failure'}; {kept} of {len(images)} screenshots scored "
                f"{self.score_threshold} or more, {len(kept_images)} shown"
            ),
            replies=[key_points_reply, *score_replies, final_reply],
        )

    async def _ask(self, stage: str, text: str, *images: dict[str, Any], slots: asyncio.Semaphore | None = None) -> str:
        messages = [
            system_message(reference_prompt(f"webjudge/{stage}_system.txt")),
            user_message([text_part(text), *images]),
        ]
        if slots is None:
            return (await self.model.complete(messages)).text
        async with slots:
            return (await self.model.complete(messages)).text


def encode_screenshots(trajectory: Trajectory, read_screenshot: ScreenshotReader) -> dict[str, dict[str, Any]]:
    """Each distinct screenshot once, as WebJudge sends it (slow: run it off the event loop)."""
    digests = {step.screenshot for step in trajectory.steps}
    return {digest: reference_image_part(read_screenshot(digest), through_jpeg=True) for digest in digests}


def final_prompt(task: str, key_points: str, actions: list[str], thoughts: list[str], with_images: bool) -> str:
    name = "final_user.txt" if with_images else "final_user_without_images.txt"
    return reference_prompt(f"webjudge/{name}").format(
        task=task,
        key_points=key_points,
        last_actions="\n".join(f"{number}. {action}" for number, action in enumerate(actions, start=1)),
        thoughts="\n".join(f"{number}. {thought}" for number, thought in enumerate(thoughts, start=1)),
    )


def reference_key_points(reply: str) -> str:
    """The reference's cut: double line breaks made single, the text after the first `**Key Points**:` (up to a second
    one), else after the last `Key Points:`, each line's leading spaces dropped."""
    text = reply.replace("\n\n", "\n")
    text = text.split("**Key Points**:")[1] if "**Key Points**:" in text else text.split("Key Points:")[-1]
    return "\n".join(line.lstrip() for line in text.splitlines())


def reference_image_score(reply: str) -> tuple[int, str]:
    """(score, reasoning) as the reference reads a screenshot's reply: the first digit 1-5 between the first
    and second `Score`, 0 when there is none; the first paragraph after the last `**Reasoning**:` (the whole
    reply without that heading), its line breaks turned into spaces."""
    parts = reply.split("Score")
    digits = _DIGIT.findall(parts[1]) if len(parts) > 1 else []
    if not digits:
        return 0, ""
    thought = reply.split("**Reasoning**:")[-1].strip().split("\n\n")[0].replace("\n", " ")
    return int(digits[0]), thought


def reference_status_passed(reply: str) -> bool:
    """Success iff `success` appears (any case) between the first `status:` and the next; no `status:` fails."""
    parts = reply.lower().split("status:")
    return len(parts) > 1 and "success" in parts[1]
