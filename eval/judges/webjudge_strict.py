"""Farol's stricter WebJudge variant (`--judge-variant strict` for om2w), in WebJudge's three stages:

1. extract the task's key points;
2. score every distinct screenshot 1-5 for how much it shows about them (one request each);
3. keep the screenshots scoring at least 3 (beyond 50, the best-scoring, later first among equals) and ask
   for `Thoughts: ...` / `Status: success|failure`.

Its prompts are Farol's own: the final judgement disbelieves the agent's statements and fails partial
progress outright. `eval.judges.webjudge` is the reference protocol, the default.
"""

from __future__ import annotations

import asyncio
import re

from agent.policy import Policy
from agent.trajectory import Trajectory
from eval.judges.base import (
    ScreenshotReader,
    Verdict,
    action_history,
    ask,
    image_part,
    no_answer,
    numbered,
    screenshot_digests,
)
from eval.tasks import EvalTask

SCORE_THRESHOLD = 3
MAX_IMAGES = 50

KEY_POINTS_SYSTEM = """You read the task a web agent was given and list its key points: the explicit \
requirements a correct result must meet.
- Take them from the task's own words only; add nothing it does not say.
- Keep every constraint: names, places, dates, quantities, ranges, prices, and choices such as a colour or size.
- Words such as best, cheapest, highest rated, newest or closest mean the result must come from sorting or \
filtering by that property; say so in the key point.

Answer in this form:
**Key Points**:
1. ...
2. ..."""

SCORE_SYSTEM = """You examine one screenshot from a web agent's attempt at a task. Given the task and its key \
points, judge how much the screenshot shows about whether the key points were met: steps taken towards them \
(a filter set, a sort applied, a form filled in) or evidence of the result.

Score it from 1 to 5:
1 - nothing to do with the task;
2 - about the task, but shows no key point;
3 - shows some steps or evidence for the key points;
4 - shows important steps or evidence for most key points;
5 - shows the decisive step or evidence, such as a final result that meets every key point.

Answer in this form:
**Reasoning**: what the screenshot shows and which key points it bears on.
**Score**: one number from 1 to 5."""

FINAL_SYSTEM = """You decide whether a web agent completed a task. You get the task, its key points, the \
actions the agent took and the screenshots of its attempt that matter most, each with why it was picked.

The task is complete only if every key point is met. In particular:
1. A filter or sort the task asks for must visibly be in effect on the site, not merely claimed.
2. Ranges, quantities and dates must match exactly: "under $50" is not met by $50.99, nor "2 adults" by 1.
3. When the task asks for something to be added, saved, submitted or changed, that last step must have \
taken effect; reaching the right page is not enough.
4. The agent's own statements are not evidence; rely on the screenshots and the actions.
5. A result for a different item, place or date than the task names is a failure, however close.
6. Partial progress is a failure, even when the remaining steps look easy.
7. Detours and extra steps do not matter if the end result meets every key point.

Answer in this form:
Thoughts: your reasoning, key point by key point.
Status: "success" or "failure\""""


class StrictWebJudge:
    def __init__(
        self,
        model: Policy,
        score_threshold: int = SCORE_THRESHOLD,
        max_images: int = MAX_IMAGES,
        concurrency: int = 4,
    ) -> None:
        self.model, self.score_threshold, self.max_images = model, score_threshold, max_images
        self.concurrency = concurrency  # screenshot-scoring requests in flight at once

    async def judge(self, task: EvalTask, trajectory: Trajectory, read_screenshot: ScreenshotReader) -> Verdict:
        if (failed := no_answer(trajectory)) is not None:
            return failed
        key_points_reply = await ask(self.model, KEY_POINTS_SYSTEM, f"Task: {task.task}")
        key_points = parse_key_points(key_points_reply)
        pngs = [read_screenshot(digest) for digest in screenshot_digests(trajectory)]
        slots = asyncio.Semaphore(self.concurrency)
        score_replies = await asyncio.gather(*(self._score(slots, task.task, key_points, png) for png in pngs))
        scored = [parse_relevance(reply) for reply in score_replies]
        kept = select_evidence([score for score, _ in scored], self.score_threshold, self.max_images)
        text = (
            f"User Task: {task.task}\n\nKey Points: {key_points}\n\n"
            f"Action History:\n{numbered(action_history(trajectory))}\n\n"
            "The screenshots most likely to matter, in the order they were taken, and why each was picked:\n"
            + numbered([scored[index][1] or "(no reason given)" for index in kept])
        )
        content = [{"type": "text", "text": text}, *(image_part(pngs[index]) for index in kept)]
        final_reply = await ask(self.model, FINAL_SYSTEM, content)
        status = parse_status(final_reply)
        return Verdict(
            passed=status == "success",
            score=1.0 if status == "success" else 0.0,
            reason=f"status {status}; {len(kept)} of {len(pngs)} screenshots scored {self.score_threshold} or more",
            replies=[key_points_reply, *score_replies, final_reply],
        )

    async def _score(self, slots: asyncio.Semaphore, task: str, key_points: str, png: bytes) -> str:
        content = [
            {"type": "text", "text": f"Task: {task}\n\nKey Points: {key_points}\n\nThe screenshot:"},
            image_part(png),
        ]
        async with slots:
            return await ask(self.model, SCORE_SYSTEM, content)


_KEY_POINTS = re.compile(r"\**key points\**\s*:?\s*\**", re.IGNORECASE)
_REASONING = re.compile(r"\**reasoning\**\s*:?\s*\**(.*?)(?=\**score\**\s*:|\Z)", re.IGNORECASE | re.DOTALL)
_SCORE = re.compile(r"\**score\**\s*:?\s*\**\s*([1-5])\b", re.IGNORECASE)
_STATUS = re.compile(r"status\**\s*:", re.IGNORECASE)


def parse_key_points(reply: str) -> str:
    """The list after the `Key Points` heading (the whole reply when there is none), blank lines dropped."""
    heading = _KEY_POINTS.search(reply)
    text = reply[heading.end() :] if heading else reply
    return "\n".join(line.rstrip() for line in text.strip().splitlines() if line.strip())


def parse_relevance(reply: str) -> tuple[int, str]:
    """(score 1-5, reasoning); score 0 when the reply has none, so the screenshot is not kept."""
    scores = _SCORE.findall(reply)
    reasoning = _REASONING.search(reply)
    return (int(scores[-1]) if scores else 0), (reasoning.group(1).strip(" *\n") if reasoning else "")


def select_evidence(scores: list[int], threshold: int = SCORE_THRESHOLD, limit: int = MAX_IMAGES) -> list[int]:
    """Indices of the screenshots to show, in trajectory order: those scoring >= threshold; beyond `limit`,
    the highest scores, later screenshots first among equals (they are closer to the outcome)."""
    qualifying = [index for index, score in enumerate(scores) if score >= threshold]
    best = sorted(qualifying, key=lambda index: (scores[index], index), reverse=True)[:limit]
    return sorted(best)


def parse_status(reply: str) -> str | None:
    """The word after the last `Status:`, lowercased without quotes or markup: `success`, `failure` or other."""
    found = list(_STATUS.finditer(reply))
    if not found:
        return None
    words = re.findall(r"[a-z]+", reply[found[-1].end() :].lower())
    return words[0] if words else None
