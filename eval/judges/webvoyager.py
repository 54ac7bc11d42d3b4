"""The WebVoyager auto-evaluation judge (as Fara's harness runs it, with GPT-4o).

One request: the task, the agent's answer and the last screenshots (at most 30), then "Your verdict:".
Pass iff the reply contains `SUCCESS` and not `NOT SUCCESS`.
"""

from __future__ import annotations

from agent.policy import Policy
from agent.trajectory import Trajectory
from eval.judges.base import ScreenshotReader, Verdict, ask, image_part, no_answer, screenshot_digests
from eval.tasks import EvalTask

MAX_IMAGES = 30

SYSTEM = """You judge whether a web agent accomplished a task. You are given:
1. the task instruction the agent received;
2. screenshots of the browser taken while it worked, oldest first; the last one shows where it stopped;
3. the agent's final response to the person.

Decide whether the task was accomplished. Every requirement in the instruction counts: a response that \
leaves part of it out, or that states something the screenshots do not show, has not accomplished it. \
When the response and the screenshots disagree, believe the screenshots. Ask for no more than the \
instruction asks, and do not guess at pages you cannot see.

Explain your reasoning in a few sentences, then give your verdict as either SUCCESS or NOT SUCCESS."""


class WebVoyagerJudge:
    def __init__(self, model: Policy, max_images: int = MAX_IMAGES) -> None:
        self.model, self.max_images = model, max_images

    async def judge(self, task: EvalTask, trajectory: Trajectory, read_screenshot: ScreenshotReader) -> Verdict:
        if (failed := no_answer(trajectory)) is not None:
            return failed
        images = [image_part(read_screenshot(d)) for d in screenshot_digests(trajectory)[-self.max_images :]]
        answer = trajectory.final_answer
        opening = f"TASK: {task.task}\nResult Response: {answer}\n{len(images)} screenshots at the end: "
        content = [{"type": "text", "text": opening}, *images, {"type": "text", "text": "Your verdict:\n"}]
        return parse_verdict(await ask(self.model, SYSTEM, content))


def parse_verdict(reply: str) -> Verdict:
    if "NOT SUCCESS" in reply:
        return Verdict(passed=False, score=0.0, reason="the judge said NOT SUCCESS", replies=[reply])
    if "SUCCESS" in reply:
        return Verdict(passed=True, score=1.0, reason="the judge said SUCCESS", replies=[reply])
    return Verdict(passed=False, score=0.0, reason="the judge gave no verdict", replies=[reply])
