"""WebTailBench rubrics: the reference's hard pre-checks, writing a rubric when the task has none, and the
process score (points earned per criterion against the rubric). `eval.judges.universal` runs the verifier.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field

from agent.actions import Terminate
from agent.json_reply import parsed_reply
from agent.trajectory import Trajectory
from eval.judges.base import Verdict, numbered
from eval.tasks import Rubric

THRESHOLD = 0.8  # the reference's "process" success: rubric score >= 0.8

RUBRIC_SYSTEM = """You write the grading rubric for a web task before anyone attempts it. List the criteria \
a grader should check to decide whether an attempt did what the task asks: one criterion per requirement \
(the right site or item, each constraint on it, each step the task asks for, the answer it asks for). The \
criteria must not overlap: a mistake should cost points under one criterion only; merge criteria that \
would check the same thing. Give each criterion points by its weight. When the task allows alternatives \
(for example, buy it organic, or non-organic if organic is sold out), write one criterion per alternative \
and state the situation in which it applies as its condition.

Answer with one JSON object and nothing else:
{"items": [{"criterion": "short name", "description": "what must be true", "max_points": 2, \
"condition": null}]}"""


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
    return parsed_reply(Rubric, reply)


class CriterionScore(BaseModel):
    index: int
    applicable: bool = True  # False: a conditional criterion whose condition does not hold
    earned_points: float = Field(ge=0)
    justification: str = ""


class _Scores(BaseModel):
    criteria: list[CriterionScore]


@dataclass(frozen=True)
class ProcessScore:
    earned: float
    total: float  # the applicable criteria's maximum
    missing: tuple[int, ...]  # criteria the judge gave no score (they count 0)
    scores: tuple[CriterionScore, ...]

    @property
    def fraction(self) -> float:
        return self.earned / self.total if self.total else 0.0

    def describe(self, threshold: float = THRESHOLD) -> str:
        text = f"process {self.earned:g} of {self.total:g} points ({self.fraction:.2f}, threshold {threshold:g})"
        return text + (f"; no score for criteria {', '.join(map(str, self.missing))}" if self.missing else "")


def process_score(rubric: Rubric, reply: str) -> ProcessScore | None:
    """Points per criterion from the judge's JSON, clamped to each maximum; criteria the judge marks not
    applicable leave the total, as unmet conditions do in the reference. None when the reply has no scores."""
    scores = parsed_reply(_Scores, reply)
    if scores is None:
        return None
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
    return ProcessScore(earned, total, tuple(missing), tuple(scores.criteria))
