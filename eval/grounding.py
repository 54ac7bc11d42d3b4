"""`farol eval grounding`: ScreenSpot-style grounding on the pages of a split.

The samples are made as data generation makes its auxiliary grounding samples (`agent/page_elements.py`
`grounding_targets`: elements whose name is unique on the screen, up to eight per screenshot, named in words), from
every screenshot of the split's oracle replays and the elements read from the DOM with it. Each is asked as the
training samples ask it: an agent turn with Fara-7B's system prompt, the screenshot and the instruction. The answer
is right when its point (any action with one), mapped to CSS pixels as the agent maps it, falls inside the element's
box (edge inclusive). Accuracy is reported by ScreenSpot's element kinds (text, icon, input), by site and by split.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agent.actions import LeftClick
from agent.geometry import TRAINING_WINDOW
from agent.history import Turn, build_messages
from agent.page_elements import Element, ElementKind, content_id, grounding_targets
from agent.parser import format_reply
from agent.policy import Policy
from eval.offline import Chosen, read_results, score_tasks, write_atomically
from eval.replay import Box, Replay, ReplayError, ReplayStep, ScreenScore, screen_of, screen_path

RESULTS_FILE = "grounding.json"


class GroundingScore(ScreenScore):
    id: str
    step: int
    instruction: str
    kind: ElementKind
    role: str
    name: str
    box: Box  # CSS pixels
    reply: str
    predicted: dict[str, Any] | None
    point: tuple[float, float] | None  # model pixels
    css_point: tuple[float, float] | None
    inside: bool


class Accuracy(BaseModel):
    samples: int
    accuracy: float  # percent


class GroundingSummary(BaseModel):
    overall: Accuracy
    by_kind: dict[str, Accuracy]
    by_split: dict[str, Accuracy]
    by_site: dict[str, Accuracy]


Sample = tuple[ReplayStep, str, Element, str]  # step, instruction, element, the oracle's answer


def samples(replay: Replay) -> list[Sample]:
    """The grounding samples of one replay: each screenshot once, with its targets."""
    found: list[Sample] = []
    seen: set[str] = set()
    for step in replay.steps:
        if step.screenshot in seen:
            continue
        seen.add(step.screenshot)
        for target in grounding_targets(step.elements, step.screenshot):
            centre = target.element.model_centre(step.geometry)
            answer = format_reply(f"I click {target.element.name}.", LeftClick(coordinate=centre))
            found.append((step, target.instruction, target.element, answer))
    return found


async def score_replay(replay: Replay, out: Path, policy: Policy | None) -> list[GroundingScore]:
    """Every sample of one replay; with no policy, the element's centre (the calibration that must score 100%)."""
    scores = []
    for step, instruction, element, answer in samples(replay):
        turn = Turn(screen_path(out, step.screenshot).read_bytes(), step.geometry, step.url, user_text=instruction)
        reply = answer if policy is None else (await policy.complete(build_messages([turn]))).text
        _, predicted, point, css_point = step.read(reply)
        box = Box(x=element.x, y=element.y, width=element.width, height=element.height)
        scores.append(
            GroundingScore(
                **screen_of(replay, step),
                id=content_id("grounding", step.screenshot, element.role, element.name),
                step=step.index,
                instruction=instruction,
                kind=element.kind,
                role=element.role,
                name=element.name,
                box=box,
                reply=reply,
                predicted=predicted.arguments() if predicted is not None else None,
                point=point,
                css_point=css_point,
                inside=css_point is not None and box.contains(*css_point),
            )
        )
    return scores


def _accuracy(group: list[GroundingScore]) -> Accuracy:
    return Accuracy(samples=len(group), accuracy=100 * sum(s.inside for s in group) / len(group) if group else 0.0)


def _by(scores: list[GroundingScore], key: Callable[[GroundingScore], str]) -> dict[str, Accuracy]:
    groups: dict[str, list[GroundingScore]] = defaultdict(list)
    for score in scores:
        groups[key(score)].append(score)
    return {name: _accuracy(group) for name, group in sorted(groups.items())}


def summarise(scores: list[GroundingScore]) -> GroundingSummary:
    return GroundingSummary(
        overall=_accuracy(scores),
        by_kind=_by(scores, lambda s: s.kind),
        by_split=_by(scores, lambda s: s.split),
        by_site=_by(scores, lambda s: s.site),
    )


async def run_grounding(
    chosen: list[Chosen],
    out: Path,
    policy: Policy | None,
    model: str,
    *,
    concurrency: int = 2,
    show_progress: bool = True,
    viewport: tuple[int, int] = TRAINING_WINDOW,
) -> dict[str, Any]:
    """Score the grounding samples of every chosen task into `out/grounding.json` (resumable)."""
    path = out / RESULTS_FILE
    data = read_results(path, model) or {"model": model, "tasks": {}, "samples": [], "summary": None}

    def scored(item: Chosen, result: list[GroundingScore] | ReplayError) -> None:
        entry: dict[str, Any] = {"split": item.split, "task_id": item.task.id}
        if isinstance(result, ReplayError):
            entry["error"] = str(result)
        else:
            entry["samples"] = len(result)
            data["samples"] += [score.model_dump(mode="json") for score in result]
        data["tasks"][item.ref] = entry
        data["summary"] = summarise([GroundingScore.model_validate(s) for s in data["samples"]]).model_dump()
        write_atomically(path, data)

    await score_tasks(
        chosen,
        out,
        set(data["tasks"]),
        lambda replay: score_replay(replay, out, policy),
        scored,
        label="grounding",
        concurrency=concurrency,
        show_progress=show_progress,
        viewport=viewport,
    )
    return data
