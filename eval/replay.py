"""The oracle's verified trajectory of a sandbox task, kept for teacher-forced scoring, and the request the agent
builds at each of its steps.

One oracle episode per task (the real agent loop, headless Chromium, the sandbox server) records at every step what
the model was shown (the screenshot as the model received it, the URL, the viewport and model sizes), the oracle's
reply, the box of the element it clicks or types into (read from the DOM at that step), and the elements in view
(for grounding samples). Requests are rebuilt from this record with the agent's own `Turn` and `build_messages`,
so they equal, byte for byte, what the agent sent the oracle at that step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from playwright.async_api import Error as PlaywrightError
from pydantic import BaseModel

from agent.actions import Action, Point, Terminate, action_point
from agent.approval import is_critical_point
from agent.geometry import TRAINING_WINDOW, ScreenGeometry
from agent.history import Turn, build_messages, data_url_bytes
from agent.page_elements import ELEMENTS_FUNCTION, Element
from agent.parser import ParsedCall, ParseError, parse_reply
from agent.policy import ModelReply
from agent.retry import retry_aborted
from sandbox.episode import Episode, Sandbox, run_oracle
from sandbox.oracle import Oracle
from sandbox.splits import task_ref
from sandbox.taskspec import Task
from sandbox.web import SITES

Listener = Callable[[list[dict[str, Any]]], None]


class ReplayError(RuntimeError):
    """The oracle did not solve the task (a bug in the task or the site): there is nothing to score against."""


class Box(BaseModel):
    """An element's box in CSS pixels of the viewport."""

    x: float
    y: float
    width: float
    height: float

    def contains(self, x: float, y: float) -> bool:
        """Edge inclusive: a point on the border is on the element."""
        return self.x <= x <= self.x + self.width and self.y <= y <= self.y + self.height


class Reading(NamedTuple):
    """A model's reply to one replayed screen, read as the agent reads it."""

    parsed: ParsedCall | ParseError
    action: Action | None  # None when the reply could not be parsed
    point: Point | None  # the action's point, model pixels
    css_point: Point | None  # the same point as the agent would act on it, CSS pixels


class ReplayStep(BaseModel):
    index: int
    url: str
    css_width: int
    css_height: int
    model_width: int
    model_height: int
    user_text: str | None  # the task, on the first step
    reply: str  # the oracle's raw reply
    box: Box | None  # the element the oracle clicks or types into
    screenshot: str  # sha256 of the PNG the model received (model pixels), `screens/<digest>.png`
    elements: list[Element]

    @property
    def geometry(self) -> ScreenGeometry:
        return ScreenGeometry(self.css_width, self.css_height, self.model_width, self.model_height)

    @property
    def action(self) -> Action:
        parsed = parse_reply(self.reply)
        assert isinstance(parsed, ParsedCall), "the oracle's replies always parse"
        return parsed.action

    @property
    def critical_stop(self) -> bool:
        """The oracle stops here at a critical point: scored on whether the model stops too."""
        parsed = parse_reply(self.reply)
        return (
            isinstance(parsed, ParsedCall)
            and isinstance(parsed.action, Terminate)
            and is_critical_point(parsed.thoughts)
        )

    @property
    def site(self) -> str:
        return site_of(self.url)

    def read(self, reply: str) -> Reading:
        """`reply` to this step's screen: parsed by the agent's parser, its point mapped as the agent maps it."""
        parsed = parse_reply(reply)
        action = None if isinstance(parsed, ParseError) else parsed.action
        point = action_point(action) if action is not None else None
        return Reading(parsed, action, point, self.geometry.to_css(*point)[0] if point is not None else None)


class Replay(BaseModel):
    task: str  # template@seed
    task_id: str
    seed: int
    split: str
    text: str
    sites: list[str]
    steps: list[ReplayStep]


def site_of(url: str) -> str:
    """The sandbox site a URL is on (its first path segment), or "portal"."""
    segment = url.split("://", 1)[-1].split("/", 2)[1:2]
    return segment[0] if segment and segment[0] in SITES else "portal"


def replay_path(out: Path, split: str, task: Task) -> Path:
    return out / "replays" / split / f"{task_ref(task)}.json"


def screen_path(out: Path, digest: str) -> Path:
    return out / "screens" / f"{digest}.png"


class ScreenScore(BaseModel):
    """Where a score was taken: the replayed screen the model was shown (offline step and grounding scores)."""

    task: str  # template@seed
    split: str
    site: str
    url: str
    screenshot: str  # relative to the results folder: the image the model received
    css_width: int
    css_height: int
    model_width: int
    model_height: int


def screen_of(replay: Replay, step: ReplayStep) -> dict[str, Any]:
    """`ScreenScore`'s fields for `step` of `replay`."""
    return {
        "task": replay.task,
        "split": replay.split,
        "site": step.site,
        "url": step.url,
        "screenshot": str(screen_path(Path("."), step.screenshot)),
        "css_width": step.css_width,
        "css_height": step.css_height,
        "model_width": step.model_width,
        "model_height": step.model_height,
    }


class _Recorder:
    """A policy around the oracle: it notes what each call shows and the oracle's answer, and passes it on."""

    def __init__(self, oracle: Oracle, listen: Listener | None) -> None:
        self.oracle, self.listen = oracle, listen
        self.name = oracle.name
        self.calls: list[tuple[bytes, dict[str, float] | None, list[Element]]] = []

    async def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        if self.listen is not None:
            self.listen(messages)
        try:  # read with the screen the call shows, before anything moves
            found = await self.oracle.env.page.evaluate(ELEMENTS_FUNCTION)
        except PlaywrightError:  # the document is being replaced; this screen has no elements to ground
            found = []
        reply = await self.oracle.complete(messages)
        image = data_url_bytes(messages[-1]["content"][0]["image_url"]["url"])
        self.calls.append((image, self.oracle.target, [Element.model_validate(item) for item in found]))
        return reply

    async def close(self) -> None:
        await self.oracle.close()


async def record_replay(
    task: Task,
    split: str,
    sandbox: Sandbox,
    out: Path,
    *,
    listen: Listener | None = None,
    viewport: tuple[int, int] = TRAINING_WINDOW,
) -> Replay:
    """Run the oracle on `task` once, in a window of `viewport` CSS pixels, and keep its steps under `out`.
    `listen` sees every request the agent sends."""
    recorders: list[_Recorder] = []

    def wrap(oracle: Oracle) -> _Recorder:
        recorders.append(_Recorder(oracle, listen))
        return recorders[-1]

    def attempt() -> Awaitable[Episode]:
        recorders.clear()
        return run_oracle(task, sandbox, wrap=wrap, viewport=viewport)

    episode, _ = await retry_aborted(attempt, label=task_ref(task), attempts=3)
    if episode is None or not episode.result.passed:
        why = "; ".join(episode.result.failures) if episode else "every attempt failed before the agent started"
        raise ReplayError(f"the oracle did not solve {task_ref(task)}: {why}")
    trajectory, calls = episode.trajectory, recorders[-1].calls
    if len(calls) != len(trajectory.steps) or not all(step.in_history for step in trajectory.steps):
        raise ReplayError(f"{task_ref(task)}: the oracle's steps and calls do not line up")
    steps = []
    for step, (image, box, elements) in zip(trajectory.steps, calls, strict=True):
        digest = hashlib.sha256(image).hexdigest()
        screen = screen_path(out, digest)
        screen.parent.mkdir(parents=True, exist_ok=True)
        if not screen.exists():
            screen.write_bytes(image)
        texts = [turn.text for turn in trajectory.user_turns if turn.before_step == step.index]
        steps.append(
            ReplayStep(
                index=step.index,
                url=step.url,
                css_width=step.css_width,
                css_height=step.css_height,
                model_width=step.model_width,
                model_height=step.model_height,
                user_text=texts[-1] if texts else None,
                reply=step.raw_text or "",
                box=Box.model_validate(box) if box else None,
                screenshot=digest,
                elements=elements,
            )
        )
    replay = Replay(
        task=task_ref(task),
        task_id=task.id,
        seed=task.seed,
        split=split,
        text=task.task,
        sites=task.sites,
        steps=steps,
    )
    path = replay_path(out, split, task)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(replay.model_dump_json())
    return replay


async def load_or_record(
    task: Task,
    split: str,
    sandbox: Callable[[], Awaitable[Sandbox]],
    out: Path,
    viewport: tuple[int, int] = TRAINING_WINDOW,
) -> Replay:
    """The task's replay kept under `out`, or a new one (`sandbox()` gives the server of the task's seed). A replay
    kept at another viewport is recorded again at this one."""
    path = replay_path(out, split, task)
    if path.exists():
        replay = Replay.model_validate_json(path.read_text())
        if not replay.steps or (replay.steps[0].css_width, replay.steps[0].css_height) == tuple(viewport):
            return replay
    return await record_replay(task, split, await sandbox(), out, viewport=viewport)


def requests(replay: Replay, out: Path) -> Iterator[tuple[ReplayStep, list[dict[str, Any]]]]:
    """Each step with the request the agent built there: the oracle's own history (teacher forcing), the last
    three screenshots, through the agent's `Turn` and `build_messages`. The kept image is already in model
    pixels, so the turn's resize to model space leaves it as it was."""
    previous: list[Turn] = []
    for step in replay.steps:
        turn = Turn(screen_path(out, step.screenshot).read_bytes(), step.geometry, step.url, step.user_text)
        yield step, build_messages([*previous, turn])
        turn.reply = step.reply
        previous.append(turn)
