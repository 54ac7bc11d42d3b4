"""The oracle: a scripted solver for sandbox tasks that acts only through Fara-7B actions.

It is a `Policy` for the one agent loop. Each call it reads the live page (element boxes, date-picker
state), takes the next step of the task's plan, and answers exactly as Fara-7B would: a short thought
and one `computer_use` call with coordinates in model pixels. The `Agent` records the trajectory, so
oracle runs are ordinary trajectories (provenance source "oracle") for tests, data generation and
training. It accepts cookie banners, scrolls to what it needs, and stops at the critical point unless
told to cross it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError

from agent.actions import (
    Action,
    HistoryBack,
    Key,
    LeftClick,
    PauseAndMemorizeFact,
    Scroll,
    Terminate,
    Type,
    VisitUrl,
    Wait,
)
from agent.geometry import ScreenGeometry
from agent.parser import format_reply
from agent.playwright_env import PlaywrightEnv
from agent.policy import ModelReply
from sandbox.taskspec import PlanStep, Task
from sandbox.variety import Script, Variety

NAME = "sandbox-oracle"
MAX_SCROLLS = 12  # per step; more means the plan points at something that is not there
MAX_WAITS = 2  # per step, for content still arriving (an auto-suggest list under load); the loop detector stops at 3
COOKIE_BUTTON = "#cookie-accept"

# Where an element is and whether a click at its centre would reach it. A link that wraps over several lines may
# have nothing of its own at its box's centre (the gap between two lines): then the centre of a line that a click
# reaches is the point.
_LOCATE = """
(selector) => {
  const all = [...document.querySelectorAll(selector)];
  const el = all.find((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== "hidden";
  });
  if (!el) return { state: all.length ? "hidden" : "missing" };
  const r = el.getBoundingClientRect();
  const reaches = ({ x, y }) => {
    if (x < 0 || x >= innerWidth || y < 0 || y >= innerHeight) return false;
    const top = document.elementFromPoint(x, y);
    return !!top && (top === el || el.contains(top));
  };
  const centres = [r, ...el.getClientRects()].map((c) => ({ x: c.left + c.width / 2, y: c.top + c.height / 2 }));
  const reached = centres.find(reaches);
  const { x, y } = reached || centres[0];
  const hit = reached !== undefined;
  const label = (el.getAttribute("aria-label") || el.innerText || el.getAttribute("placeholder") || el.value || "")
    .trim().replace(/\\s+/g, " ").slice(0, 48);
  const box = { x: r.left, y: r.top, width: r.width, height: r.height };
  return { state: "found", x, y, box, hit, above: y < 0 || (y < innerHeight / 3 && !hit), label };
}
"""

# A date field: its value, and the month its open picker shows (null when closed).
_DATE_FIELD = """
(selector) => {
  const field = document.querySelector(selector);
  if (!field) return null;
  const picker = field.querySelector(".datepicker");
  return { value: field.querySelector("input[type=hidden]").value, month: picker ? picker.dataset.month : null };
}
"""


class OracleError(RuntimeError):
    """The plan does not fit the page (a bug in the task or the site, never in the run)."""


def critical_stop(task: Task) -> str:
    assert task.critical_point is not None
    return (
        f"I have done everything up to {task.critical_point.step}, which is binding. This is a critical point, "
        f"so I stop here: {task.critical_point.step} needs your approval."
    )


def _cross(task: Task, thought: str) -> list[PlanStep]:
    assert task.critical_point is not None
    step = task.critical_point.step
    return [
        PlanStep(do="click", target=task.critical_point.button, thought=thought),
        PlanStep(do="answer", thought="", text=f"Done: I went ahead with {step}."),
    ]


class Oracle:
    """`Oracle(env, task, base_url)`; with `cross_critical_point` it takes the binding step instead of stopping.
    A task whose user agreed to the binding step (`approved`) stops at it, and once approved goes on to take it.
    `variety` words its thoughts and may add a detour (`detoured` tells whether the last reply was one)."""

    name = NAME

    def __init__(
        self,
        env: PlaywrightEnv,
        task: Task,
        base_url: str,
        *,
        cross_critical_point: bool = False,
        variety: Variety | None = None,
    ) -> None:
        self.env, self.task, self.base_url = env, task, base_url.rstrip("/")
        self.variety = variety
        steps: Script = list(task.plan)
        self.detours: set[int] = set()
        if variety is not None:
            steps, self.detours = variety.script(task, steps)
        self.stop_index: int | None = None  # the answer that stops at the critical point, on the binding page
        critical = task.critical_point
        if critical is not None:
            if cross_critical_point:
                steps += _cross(task, f"Go ahead with {critical.step}.")
            else:
                self.stop_index = len(steps)
                steps.append(PlanStep(do="answer", thought="", text=critical_stop(task)))
                if critical.approved:
                    steps += _cross(task, f"You approved {critical.step}, so I go ahead with it.")
        self.steps = steps
        self.index = 0
        self.scrolls = self.waits = 0
        self.observed_url = ""  # the screen the current call shows (set per call)
        self.detoured = False
        # The box (CSS px: x, y, width, height) of the element the last reply clicks or types into, read from the
        # DOM at that step; None when it acts on no element. What `farol eval steps` scores a model's point against.
        self.target: dict[str, float] | None = None

    async def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        self.observed_url = _observed_url(messages) or self.env.page.url
        self.detoured = False
        self.target = None
        thought, action = await self._next()
        if self.variety is not None and not isinstance(action, Terminate):
            thought = self.variety.say(thought)
        return ModelReply(format_reply(thought, action))

    async def close(self) -> None:
        """Nothing to release: the browser is the episode's."""

    # -- choosing the next action ----------------------------------------------------------------

    async def _next(self) -> tuple[str, Action]:
        banner = await self._locate(COOKIE_BUTTON)
        if banner["state"] == "navigating":
            thought, action, _ = self._wait_for("the page keeps navigating")
            return thought, action
        if banner["state"] == "found" and banner["hit"]:
            return (
                "A cookie consent banner covers the bottom of the page. I'll accept it so it doesn't get in the way.",
                self._click_action(banner),
            )
        while self.index < len(self.steps):
            step = self.steps[self.index]
            chosen = await self._expand(step) if isinstance(step, PlanStep) else (step.thought, step.action, True)
            if chosen is None:  # nothing to do for this step (e.g. the date is already set)
                self._advance()
                continue
            thought, action, finished = chosen
            self.detoured = self.index in self.detours
            if finished:
                self._advance()
            return thought, action
        raise OracleError(f"{self.task.id}: the plan ended without an answer")

    def _advance(self) -> None:
        self.index += 1
        self.scrolls = self.waits = 0

    def _wait_for(self, what: str) -> tuple[str, Action, bool]:
        """Give the page a moment when what the plan needs has not appeared yet, as a person would."""
        self.waits += 1
        if self.waits > MAX_WAITS:
            raise OracleError(f"{self.task.id}, step {self.index}: {what} on {self.env.page.url}")
        return "The page is still updating; I wait a moment.", Wait(time=1), False

    async def _expand(self, step: PlanStep) -> tuple[str, Action, bool] | None:
        match step.do:
            case "click":
                return await self._reach(step.target, step.thought, self._click_action)
            case "type":
                return await self._reach(step.target, step.thought, lambda box: self._type_action(box, step))
            case "pick_date":
                return await self._pick_date(step)
            case "visit":
                return step.thought, VisitUrl(url=self.base_url + (step.url or "/")), True
            case "key":
                return step.thought, Key(keys=step.keys or ["Escape"]), True
            case "back":
                return step.thought, HistoryBack(), True
            case "memorize":
                fact = PauseAndMemorizeFact(fact=step.text or "")
                if step.target:  # note it with the fact in view
                    return await self._reach(step.target, step.thought, lambda box: fact)
                return step.thought, fact, True
            case "answer":
                # It stops at the critical point on the binding step's page, once the screen it records shows it.
                page = self.task.critical_point.page if self.task.critical_point else ""
                if self.index == self.stop_index and urlsplit(self.observed_url).path != page:
                    return self._wait_for(f"the page {page}")
                return step.text or step.thought, Terminate(status="success"), True
        raise OracleError(f"unknown plan step {step.do!r}")

    async def _reach(
        self, selector: str | None, thought: str, act: Callable[[dict[str, Any]], Action]
    ) -> tuple[str, Action, bool]:
        """Act on `selector` if a click at its centre reaches it; otherwise scroll towards it first."""
        if not selector:
            raise OracleError(f"{self.task.id}: a step has no target")
        box = await self._locate(selector)
        if box["state"] != "found":
            return self._wait_for(f"{selector!r} is {box['state']}")
        if box["hit"]:
            return thought, act(box), True
        self.scrolls += 1
        if self.scrolls > MAX_SCROLLS:
            raise OracleError(f"{self.task.id}, step {self.index}: cannot bring {selector!r} into view")
        direction = "up" if box["above"] else "down"
        label = f"“{box['label']}”" if box["label"] else "what I need"
        return (
            f"{label} is not in view; I scroll {direction} to reach it.",
            Scroll(pixels=400 if box["above"] else -400),
            False,
        )

    async def _pick_date(self, step: PlanStep) -> tuple[str, Action, bool] | None:
        field, wanted = step.target or "", step.date or ""
        try:
            status = await self.env.page.evaluate(_DATE_FIELD, field)
        except PlaywrightError:  # a navigation replaced the document: look again on the next turn
            status = None
        if status is None:
            return self._wait_for(f"no date field {field!r}")
        if status["value"] == wanted and status["month"] is None:
            return None
        day = date.fromisoformat(wanted)
        if status["month"] is None:
            thought, action, _ = await self._reach(
                f"{field} .datefield-button", f"{step.thought} I open the calendar.", self._click_action
            )
            return thought, action, False
        shown_year, shown_month = map(int, status["month"].split("-"))
        offset = (day.year - shown_year) * 12 + day.month - shown_month
        if offset == 0:
            return await self._reach(
                f'{field} .dp-day[data-date="{wanted}"]',
                f"{step.thought} I pick {day:%B} {day.day}.",
                self._click_action,
            )
        button, where = (".dp-next", "forward") if offset > 0 else (".dp-prev", "back")
        thought = f"The calendar shows {date(shown_year, shown_month, 1):%B %Y}; I go {where} to {day:%B}."
        thought, action, _ = await self._reach(f"{field} {button}", thought, self._click_action)
        return thought, action, False

    # -- actions at element centres, in model pixels ----------------------------------------------

    async def _locate(self, selector: str) -> dict[str, Any]:
        try:
            located: dict[str, Any] = await self.env.page.evaluate(_LOCATE, selector)
            return located
        except PlaywrightError:  # the screenshot was taken just before a navigation committed
            return {"state": "navigating"}

    def _model_point(self, box: dict[str, Any]) -> tuple[float, float]:
        viewport = self.env.page.viewport_size or {"width": 1440, "height": 900}
        scale = self.env.device_scale_factor
        geometry = ScreenGeometry.for_screenshot(
            round(viewport["width"] * scale), round(viewport["height"] * scale), viewport["width"], viewport["height"]
        )
        x, y = geometry.to_model(box["x"], box["y"])
        return float(round(x)), float(round(y))

    def _click_action(self, box: dict[str, Any]) -> Action:
        self.target = box["box"]
        return LeftClick(coordinate=self._model_point(box))

    def _type_action(self, box: dict[str, Any], step: PlanStep) -> Action:
        self.target = box["box"]
        return Type(
            text=step.text or "",
            coordinate=self._model_point(box),
            press_enter=step.press_enter,
            delete_existing_text=step.clear,
        )


def _observed_url(messages: list[dict[str, Any]]) -> str | None:
    """The URL of the screen this call shows, as the request states it ("Current URL: ..."), if it does."""
    content = messages[-1]["content"]
    text = (
        next((part["text"] for part in content if part.get("type") == "text"), "") if isinstance(content, list) else ""
    )
    first = text.split("\n", 1)[0]
    return first.removeprefix("Current URL: ") if first.startswith("Current URL: ") else None
