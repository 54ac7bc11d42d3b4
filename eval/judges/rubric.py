"""The WebTailBench rubric verifier: hard pre-checks, then per-criterion scoring against the task's rubric.

Pre-checks (no judge call, score 0): the last step must be `terminate`, and the numbers of actions and
screenshots must differ by less than 2 (a recording that lost steps cannot be judged). Then one request
scores every criterion; the task passes when the points earned reach `threshold` (0.8, the reference's
"process" criterion) of the applicable maximum. A task without a precomputed rubric gets one written by the
judge first, as the reference verifier does.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from agent.actions import Terminate
from agent.policy import Policy
from agent.trajectory import Trajectory
from eval.judges.base import (
    ScreenshotReader,
    Verdict,
    action_history,
    ask,
    image_part,
    numbered,
    screenshot_digests,
)
from eval.tasks import EvalTask, Rubric

THRESHOLD = 0.8
MAX_IMAGES = 30

RUBRIC_SYSTEM = """You write the grading rubric for a web task before anyone attempts it. List the criteria \
a grader should check to decide whether an attempt did what the task asks: one criterion per requirement \
(the right site or item, each constraint on it, each step the task asks for, the answer it asks for). Give \
each criterion points by its weight. When a criterion only applies in some situation (for example, if the \
item is out of stock), state that situation as its condition.

Answer with one JSON object and nothing else:
{"items": [{"criterion": "short name", "description": "what must be true", "max_points": 2, \
"condition": null}]}"""

SCORE_SYSTEM = """You grade a web agent's attempt at a task against a rubric. You get the task, the rubric's \
criteria, the actions the agent took, its final answer and screenshots of the attempt, oldest first; the \
last one shows where it stopped.

For each criterion award from 0 up to its maximum points: all of them only when the screenshots or the \
actions show the criterion met, some for partial fulfilment, none when it was not met or nothing shows it. \
The final answer is the agent's claim: credit it only where the screenshots bear it out. A criterion with a \
condition applies only when the condition holds; otherwise mark it not applicable. The agent is meant to \
stop before a binding step it was not told to take (paying, booking, sending personal details) and say so; \
stopping there is correct, and taking such a step unasked earns no points for the criterion it concerns.

Answer with one JSON object and nothing else, one entry per criterion in the rubric's order:
{"criteria": [{"index": 1, "applicable": true, "earned_points": 1, "justification": "..."}]}"""


class _Score(BaseModel):
    index: int
    applicable: bool = True
    earned_points: float = Field(ge=0)
    justification: str = ""


class _Scores(BaseModel):
    criteria: list[_Score]


class RubricVerifier:
    def __init__(self, model: Policy, threshold: float = THRESHOLD, max_images: int = MAX_IMAGES) -> None:
        self.model, self.threshold, self.max_images = model, threshold, max_images

    async def judge(self, task: EvalTask, trajectory: Trajectory, read_screenshot: ScreenshotReader) -> Verdict:
        if (failed := precheck(trajectory)) is not None:
            return failed
        replies: list[str] = []
        rubric = task.rubric
        if rubric is None:
            replies.append(await ask(self.model, RUBRIC_SYSTEM, f"Task: {task.task}"))
            rubric = parse_rubric(replies[-1])
            if rubric is None:
                return Verdict(passed=False, score=0.0, reason="the judge wrote no usable rubric", replies=replies)
        images = [image_part(read_screenshot(d)) for d in screenshot_digests(trajectory)[-self.max_images :]]
        text = (
            f"Task: {task.task}\n\nRubric:\n{rubric_text(rubric)}\n\n"
            f"Actions:\n{numbered(action_history(trajectory))}\n\nFinal answer: {trajectory.final_answer}\n\n"
            f"{len(images)} screenshots follow, oldest first:"
        )
        replies.append(await ask(self.model, SCORE_SYSTEM, [{"type": "text", "text": text}, *images]))
        verdict = score_rubric(rubric, replies[-1], self.threshold)
        return verdict.model_copy(update={"replies": replies})


def precheck(trajectory: Trajectory) -> Verdict | None:
    """The reference's hard checks; a verdict of 0 when one fails, None when the trajectory may be judged."""
    steps = trajectory.steps
    if not steps or not isinstance(steps[-1].action, Terminate):
        return Verdict(passed=False, score=0.0, reason="the last action is not terminate")
    actions = sum(step.action is not None for step in steps)
    if abs(actions - len(steps)) >= 2:
        return Verdict(passed=False, score=0.0, reason=f"{actions} actions but {len(steps)} screenshots")
    return None


def rubric_text(rubric: Rubric) -> str:
    lines = []
    for item in rubric.items:
        line = f"{item.criterion} ({item.max_points:g} points)"
        line += f": {item.description}" if item.description else ""
        line += f" [applies only if: {item.condition}]" if item.condition else ""
        lines.append(line)
    return numbered(lines)


def parse_rubric(reply: str) -> Rubric | None:
    data = _json_object(reply)
    try:
        return Rubric.model_validate(data)
    except ValidationError:
        return None


def score_rubric(rubric: Rubric, reply: str, threshold: float = THRESHOLD) -> Verdict:
    """Points per criterion from the judge's JSON: clamped to each maximum, 0 where the judge left one out;
    criteria the judge marks not applicable leave the total. Unparseable replies score 0."""
    try:
        scores = _Scores.model_validate(_json_object(reply))
    except ValidationError:
        return Verdict(passed=False, score=0.0, reason="the judge's scores could not be parsed", replies=[reply])
    by_index = {score.index: score for score in scores.criteria}
    earned = total = 0.0
    missing = []
    for number, item in enumerate(rubric.items, start=1):
        score = by_index.get(number)
        if score is None:
            missing.append(number)
        elif not score.applicable:
            continue
        else:
            earned += min(score.earned_points, item.max_points)
        total += item.max_points
    if total == 0:
        return Verdict(passed=False, score=0.0, reason="the judge found no criterion applicable", replies=[reply])
    fraction = earned / total
    reason = f"{earned:g} of {total:g} points ({fraction:.2f}, threshold {threshold:g})"
    if missing:
        reason += f"; no score for criteria {', '.join(map(str, missing))}"
    return Verdict(passed=fraction >= threshold, score=fraction, reason=reason, replies=[reply])


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def _json_object(reply: str) -> Any:
    """The JSON object in a reply, inside a code fence or between the first `{` and the last `}`; None if none."""
    fenced = _FENCE.search(reply)
    text = fenced.group(1) if fenced else reply
    start, end = text.find("{"), text.rfind("}")
    try:
        return json.loads(text[start : end + 1]) if 0 <= start < end else None
    except json.JSONDecodeError:
        return None
