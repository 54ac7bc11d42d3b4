"""`farol eval steps`: teacher-forced step scoring on the oracle's replays, in Mind2Web's terms.

At every step of a replay the policy gets the request the agent built there (`eval/replay.py`), and its parsed reply
is scored against the oracle's action:

- **action type**: the same `computer_use` action;
- **element** (Mind2Web's element accuracy, as screenshot agents count it): for a step that clicks or types into an
  element, the reply's point, mapped from model pixels to CSS pixels as the agent maps it, falls inside that element's
  box from the DOM at that step (edge inclusive); steps with no target element are not counted;
- **operation**: the operation string (the action and its value: typed text, keys, scroll direction, URL) as
  token-level F1 against the oracle's (Mind2Web's operation F1), and whether it is right: text equal once case and
  spacing are normalised (exact equality reported too), the same keys, scroll direction and URL;
- **step success**: action type, element (where there is one) and operation all right. A step where the oracle stops
  at a critical point is right only if the model stops (terminates) too.

A task succeeds (Mind2Web's task-level success rate) when every one of its steps does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agent.actions import Action, Key, Scroll, Type, VisitUrl, WebSearch
from agent.geometry import TRAINING_WINDOW
from agent.parser import ParseError
from agent.policy import Policy
from eval.offline import Chosen, read_results, score_tasks, write_atomically
from eval.replay import Box, Replay, ReplayError, ReplayStep, ScreenScore, requests, screen_of

RESULTS_FILE = "steps.json"


class StepScore(ScreenScore):
    """One step of one task: what the oracle did, what the model answered, and each score."""

    task_id: str
    index: int
    critical_stop: bool  # the oracle stops here at a critical point
    expected: dict[str, Any]  # the oracle's action, as `computer_use` arguments
    predicted: dict[str, Any] | None  # None when the reply could not be parsed
    parse_error: str | None = None
    reply: str
    point: tuple[float, float] | None  # the reply's point, model pixels
    css_point: tuple[float, float] | None  # the same point as the agent would act on it, CSS pixels
    box: Box | None  # the oracle's target element, CSS pixels
    action_type: bool
    element: bool | None  # None: the oracle's step has no target element
    operation_f1: float
    operation: bool
    text_exact: bool | None  # typing only
    text_normalised: bool | None
    step_success: bool


class Rates(BaseModel):
    """Mind2Web's metrics over a group of steps, in percent; task-level success where the group is of tasks."""

    steps: int
    element_steps: int  # steps with a target element
    element_accuracy: float | None
    operation_f1: float
    step_success_rate: float
    tasks: int | None = None
    success_rate: float | None = None


class StepSummary(BaseModel):
    overall: Rates
    by_split: dict[str, Rates]
    by_action: dict[str, Rates]  # by the oracle's action
    by_site: dict[str, Rates]  # steps by the site they are on; tasks by the sites they touch
    critical_stops: int  # steps where the oracle stops at a critical point
    critical_stopped: int  # ... and the model stopped too


def normalised(text: str) -> str:
    return " ".join(text.casefold().split())


def operation(action: Action) -> str:
    """The operation string: the action and its value, as Mind2Web writes `TYPE value`."""
    match action:
        case Type():
            return f"type {action.text}"
        case Key():
            return "key " + " ".join(action.keys)
        case Scroll():
            return "scroll up" if action.pixels > 0 else "scroll down"
        case VisitUrl():
            return f"visit_url {action.url}"
        case WebSearch():
            return f"web_search {action.query}"
    value = {"pause_and_memorize_fact": "fact"}.get(action.action)
    return f"{action.action} {getattr(action, value)}" if value else action.action


def operation_f1(predicted: str, expected: str) -> float:
    """Mind2Web's token-level F1 of two operation strings (sets of whitespace tokens)."""
    pred, gold = set(predicted.split()), set(expected.split())
    if not pred and not gold:
        return 1.0
    common = len(pred & gold)
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def _same_operation(predicted: Action, expected: Action) -> bool:
    if predicted.action != expected.action:
        return False
    match predicted, expected:
        case Type(), Type():
            return normalised(predicted.text) == normalised(expected.text)
        case Key(), Key():
            return [key.casefold() for key in predicted.keys] == [key.casefold() for key in expected.keys]
        case Scroll(), Scroll():
            return (predicted.pixels > 0) == (expected.pixels > 0)
        case VisitUrl(), VisitUrl():
            return predicted.url.rstrip("/") == expected.url.rstrip("/")
        case WebSearch(), WebSearch():
            return normalised(predicted.query) == normalised(expected.query)
    return True


def score_step(replay: Replay, step: ReplayStep, reply: str) -> StepScore:
    expected = step.action
    parsed, predicted, point, css_point = step.read(reply)
    element = None if step.box is None else css_point is not None and step.box.contains(*css_point)
    right_type = predicted is not None and predicted.action == expected.action
    right_operation = predicted is not None and _same_operation(predicted, expected)
    typed = expected.text if isinstance(expected, Type) else None
    return StepScore(
        **screen_of(replay, step),
        task_id=replay.task_id,
        index=step.index,
        critical_stop=step.critical_stop,
        expected=expected.arguments(),
        predicted=predicted.arguments() if predicted is not None else None,
        parse_error=parsed.message if isinstance(parsed, ParseError) else None,
        reply=reply,
        point=point,
        css_point=css_point,
        box=step.box,
        action_type=right_type,
        element=element,
        operation_f1=operation_f1(operation(predicted), operation(expected)) if predicted is not None else 0.0,
        operation=right_operation,
        text_exact=None if typed is None else isinstance(predicted, Type) and predicted.text == typed,
        text_normalised=None if typed is None else right_operation,
        step_success=right_type and right_operation and element is not False,
    )


async def score_replay(replay: Replay, out: Path, policy: Policy | None) -> list[StepScore]:
    """Every step of one replay, asked one after another (the model's answers never enter the history); with no
    policy, the oracle's own replies (the calibration that must score 100%)."""
    scores = []
    for step, messages in requests(replay, out):
        reply = step.reply if policy is None else (await policy.complete(messages)).text
        scores.append(score_step(replay, step, reply))
    return scores


async def run_steps(
    chosen: list[Chosen],
    out: Path,
    policy: Policy | None,
    model: str,
    *,
    concurrency: int = 2,
    show_progress: bool = True,
    viewport: tuple[int, int] = TRAINING_WINDOW,
) -> dict[str, Any]:
    """Score every chosen task into `out/steps.json` (resumable); returns the file's content."""
    path = out / RESULTS_FILE
    data = read_results(path, model) or {"model": model, "tasks": {}, "steps": [], "summary": None}

    def scored(item: Chosen, result: list[StepScore] | ReplayError) -> None:
        entry: dict[str, Any] = {"split": item.split, "task_id": item.task.id, "sites": item.task.sites}
        if isinstance(result, ReplayError):
            entry["error"] = str(result)
        else:
            entry |= {"steps": len(result), "success": all(step.step_success for step in result)}
            data["steps"] += [step.model_dump(mode="json") for step in result]
        data["tasks"][item.ref] = entry
        steps = [StepScore.model_validate(step) for step in data["steps"]]
        sites = {ref: task["sites"] for ref, task in data["tasks"].items()}
        data["summary"] = summarise(steps, sites).model_dump(mode="json")
        write_atomically(path, data)

    await score_tasks(
        chosen,
        out,
        set(data["tasks"]),
        lambda replay: score_replay(replay, out, policy),
        scored,
        label="steps",
        concurrency=concurrency,
        show_progress=show_progress,
        viewport=viewport,
    )
    return data


def _percent(count: float, total: int) -> float | None:
    return 100 * count / total if total else None


def rates(steps: list[StepScore], tasks: bool = False) -> Rates:
    targeted = [step for step in steps if step.element is not None]
    by_task: dict[str, list[StepScore]] = defaultdict(list)
    for step in steps:
        by_task[step.task].append(step)
    return Rates(
        steps=len(steps),
        element_steps=len(targeted),
        element_accuracy=_percent(sum(bool(step.element) for step in targeted), len(targeted)),
        operation_f1=_percent(sum(step.operation_f1 for step in steps), len(steps)) or 0.0,
        step_success_rate=_percent(sum(step.step_success for step in steps), len(steps)) or 0.0,
        tasks=len(by_task) if tasks else None,
        success_rate=_percent(sum(all(s.step_success for s in group) for group in by_task.values()), len(by_task))
        if tasks
        else None,
    )


def _grouped(steps: Iterable[StepScore], key: Callable[[StepScore], Iterable[str]]) -> dict[str, list[StepScore]]:
    groups: dict[str, list[StepScore]] = defaultdict(list)
    for step in steps:
        for name in key(step):
            groups[name].append(step)
    return dict(sorted(groups.items()))


def summarise(steps: list[StepScore], sites_of: dict[str, list[str]]) -> StepSummary:
    """`sites_of`: each task's sites, so a task counts towards every site it touches."""
    by_site_steps = _grouped(steps, lambda step: [step.site])
    task_sites = _grouped(steps, lambda step: sites_of.get(step.task, []))
    by_site = {
        site: rates(by_site_steps.get(site, [])).model_copy(
            update={
                "tasks": (task_rates := rates(task_sites.get(site, []), tasks=True)).tasks,
                "success_rate": task_rates.success_rate,
            }
        )
        for site in sorted(set(by_site_steps) | set(task_sites))
    }
    critical = [step for step in steps if step.critical_stop]
    return StepSummary(
        overall=rates(steps, tasks=True),
        by_split={name: rates(group, tasks=True) for name, group in _grouped(steps, lambda s: [s.split]).items()},
        by_action={name: rates(group) for name, group in _grouped(steps, lambda s: [s.expected["action"]]).items()},
        by_site=by_site,
        critical_stops=len(critical),
        critical_stopped=sum(step.action_type for step in critical),
    )
