"""The WebVoyager auto-eval judge (GPT-4o in Fara's harness), and Farol's stricter variant.

`WebVoyagerJudge`, the default, sends what Fara's harness sends, prompts from `eval/data/judges/webvoyager`:
three user messages (the harness passes its system prompt as a user message whose source is `system`): the
system prompt; the user prompt with `<task>`, `<answer>` and `<num>` (the number of ALL screenshots) filled
in, followed by the last 30 screenshots; then "Your verdict:\\n.". No sampling parameters (see
`eval.judges.variants`). A run without a final answer is judged too, with the answer `<no_answer>`, as the
harness does; only aborted runs are not.

`StrictWebVoyagerJudge` is Farol's own prompt: it disbelieves any claim the screenshots do not show, where
the reference tells the judge to believe a response the screenshots do not contradict.

Both pass iff the reply contains `SUCCESS` and not `NOT SUCCESS`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from agent.policy import Policy
from agent.trajectory import Trajectory
from eval.judges.base import (
    ScreenshotReader,
    Verdict,
    aborted,
    ask,
    image_part,
    no_answer,
    reference_image_part,
    screenshot_digests,
    text_part,
    user_message,
)
from eval.judges.prompts import reference_prompt
from eval.tasks import EvalTask

MAX_IMAGES = 30
NO_ANSWER = "<no_answer>"  # what the reference harness records for a run that never answered


class WebVoyagerJudge:
    def __init__(self, model: Policy, max_images: int = MAX_IMAGES) -> None:
        self.model, self.max_images = model, max_images

    async def judge(self, task: EvalTask, trajectory: Trajectory, read_screenshot: ScreenshotReader) -> Verdict:
        if (failed := aborted(trajectory)) is not None:
            return failed
        # Re-encoding 30 screenshots takes a while: off the event loop, which other runs' browsers share.
        messages = await asyncio.to_thread(webvoyager_messages, task, trajectory, read_screenshot, self.max_images)
        return parse_verdict((await self.model.complete(messages)).text)


def webvoyager_messages(
    task: EvalTask, trajectory: Trajectory, read_screenshot: ScreenshotReader, max_images: int = MAX_IMAGES
) -> list[dict[str, Any]]:
    """The reference request's messages: one screenshot per step, the last `max_images` attached."""
    screenshots = [step.screenshot for step in trajectory.steps]
    answer = trajectory.final_answer if trajectory.final_answer is not None else NO_ANSWER
    text = reference_prompt("webvoyager/user_prompt.txt").replace("<task>", task.task)
    text = text.replace("<answer>", answer).replace("<num>", str(len(screenshots)))
    images = [reference_image_part(read_screenshot(digest)) for digest in screenshots[-max_images:]]
    return [
        user_message(reference_prompt("webvoyager/system_prompt.txt"), source="system"),
        user_message([text_part(text), *images] if images else text),
        user_message(reference_prompt("webvoyager/verdict_prompt.txt")),
    ]


STRICT_SYSTEM = """You judge whether a web agent accomplished a task. You are given:
1. the task instruction the agent received;
2. screenshots of the browser taken while it worked, oldest first; the last one shows where it stopped;
3. the agent's final response to the person.

Decide whether the task was accomplished. Every requirement in the instruction counts: a response that \
leaves part of it out, or that states something the screenshots do not show, has not accomplished it. \
When the response and the screenshots disagree, believe the screenshots. Ask for no more than the \
instruction asks, and do not guess at pages you cannot see.

Explain your reasoning in a few sentences, then give your verdict as either SUCCESS or NOT SUCCESS."""


class StrictWebVoyagerJudge:
    def __init__(self, model: Policy, max_images: int = MAX_IMAGES) -> None:
        self.model, self.max_images = model, max_images

    async def judge(self, task: EvalTask, trajectory: Trajectory, read_screenshot: ScreenshotReader) -> Verdict:
        if (failed := no_answer(trajectory)) is not None:
            return failed
        images = [image_part(read_screenshot(d)) for d in screenshot_digests(trajectory)[-self.max_images :]]
        answer = trajectory.final_answer
        opening = f"TASK: {task.task}\nResult Response: {answer}\n{len(images)} screenshots at the end: "
        content = [{"type": "text", "text": opening}, *images, {"type": "text", "text": "Your verdict:\n"}]
        return parse_verdict(await ask(self.model, STRICT_SYSTEM, content))


def parse_verdict(reply: str) -> Verdict:
    """The reference's rule: `NOT SUCCESS` anywhere fails, else `SUCCESS` anywhere passes, else it fails."""
    if "NOT SUCCESS" in reply:
        return Verdict(passed=False, score=0.0, reason="the judge said NOT SUCCESS", replies=[reply])
    if "SUCCESS" in reply:
        return Verdict(passed=True, score=1.0, reason="the judge said SUCCESS", replies=[reply])
    return Verdict(passed=False, score=0.0, reason="the judge gave no verdict", replies=[reply])
