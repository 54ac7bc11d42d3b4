"""The WebSurfer: a multimodal LLM behind Fara-7B's interface.

It is a `Policy` for the one agent loop. Each call it reads the live page (the elements in view and the
accessibility tree), draws numbered marks on a copy of the screenshot the loop is about to send, and shows the
LLM both; the LLM answers in the surfer's own vocabulary ("click mark 12"), which becomes a Fara-7B action at
the mark's centre in model pixels of the plain screenshot. The reply it returns is exactly Fara-7B's format,
so the loop records an ordinary Fara-7B step with the unmarked screenshot.

The Orchestrator steers it through `Steering` (see `datagen.steering` for who decides when it stops).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from agent.actions import (
    Action,
    HistoryBack,
    Key,
    LeftClick,
    MouseMove,
    PauseAndMemorizeFact,
    Scroll,
    Terminate,
    Type,
    VisitUrl,
    Wait,
    WebSearch,
)
from agent.geometry import ScreenGeometry, png_data_url
from agent.json_reply import json_object
from agent.parser import format_reply
from agent.playwright_env import PlaywrightEnv
from agent.policy import ModelReply, ModelUnavailable, Policy
from agent.trajectory import TokenUsage
from datagen import prompts
from datagen.marks import decode_data_url, draw_marks
from datagen.page import PageView, read_page
from datagen.steering import Directive, Steering, Unsteered, ruling

ALL_TOOLS = tuple(prompts.SURFER_TOOLS)
SCROLL_PIXELS = 400
NEXT_SCREENSHOT_PREFIX = "Current URL:"  # the loop's turn text for a plain observation (no user message)


@dataclass(frozen=True)
class Choice:
    thoughts: str
    tool: str
    args: dict[str, Any]
    raw: dict[str, Any]


def parse_choice(text: str) -> Choice | str:
    """The LLM's JSON answer, or what is wrong with it (told to the LLM when it is asked again)."""
    data = json_object(text)
    if not isinstance(data, dict):
        return "Your answer was not one JSON object."
    tool, args, thoughts = data.get("tool"), data.get("args") or {}, data.get("thoughts")
    if not isinstance(tool, str) or not isinstance(args, dict) or not isinstance(thoughts, str) or not thoughts:
        return 'Your answer needs "thoughts" (text), "tool" (a name) and "args" (an object).'
    return Choice(thoughts.strip(), tool, args, data)


def to_action(choice: Choice, view: PageView, geometry: ScreenGeometry) -> Action | str:
    """The Fara-7B action for the surfer's choice, or why it cannot be carried out."""
    args = choice.args
    point: tuple[float, float] | None = None
    if "mark" in args and choice.tool in ("click", "hover", "type"):
        if not isinstance(args["mark"], int) or (element := view.mark(args["mark"])) is None:
            return f"There is no mark {args['mark']!r} on this screenshot (marks 1 to {len(view.marks)})."
        point = tuple(float(v) for v in element.model_centre(geometry))  # type: ignore[assignment]
    try:
        match choice.tool:
            case "click" | "hover" if point is None:
                return f"{choice.tool} needs a mark."
            case "click":
                return LeftClick(coordinate=point)
            case "hover":
                return MouseMove(coordinate=point)
            case "type":
                return Type(
                    text=str(args["text"]),
                    coordinate=point,
                    press_enter=bool(args.get("press_enter", True)),
                    delete_existing_text=bool(args.get("clear", False)),
                )
            case "scroll":
                return Scroll(pixels=SCROLL_PIXELS if args.get("direction") == "up" else -SCROLL_PIXELS)
            case "key":
                return Key(keys=args["keys"])
            case "visit_url":
                return VisitUrl(url=urljoin(view.url, str(args["url"])))
            case "web_search":
                return WebSearch(query=str(args["query"]))
            case "back":
                return HistoryBack()
            case "wait":
                return Wait(time=float(args.get("seconds", 2)))
            case "memorize":
                return PauseAndMemorizeFact(fact=str(args["fact"]))
            case "terminate":
                return Terminate(status="failure" if args.get("status") == "failure" else "success")
    except (KeyError, ValueError) as error:
        expected = prompts.SURFER_TOOLS[choice.tool][0]
        return f"{choice.tool} is missing or has a wrong argument ({error}); expected {expected}."
    return f"There is no tool {choice.tool!r}."


def user_messages(messages: list[dict[str, Any]]) -> list[str]:
    """What the user said in the Fara conversation: the task, then any follow-ups (answers to questions)."""
    said = []
    for message in messages:
        if message["role"] != "user":
            continue
        for part in message["content"]:
            if part["type"] == "text" and not part["text"].startswith(NEXT_SCREENSHOT_PREFIX):
                said.append(part["text"])
    return said


def current_screenshot(messages: list[dict[str, Any]]) -> str:
    """The data URL of the screenshot the loop is about to send (the last user message's image)."""
    for part in messages[-1]["content"]:
        if part["type"] == "image_url":
            return part["image_url"]["url"]
    raise ValueError("the last message has no screenshot")


class WebSurfer:
    """`WebSurfer(env, model, steering=...)`: a Policy; `latest` is the page as read for the last step."""

    system = prompts.SURFER_SYSTEM

    def __init__(
        self,
        env: PlaywrightEnv,
        model: Policy,
        *,
        steering: Steering | None = None,
        retries: int = 2,
        max_overrides: int = 2,
    ) -> None:
        self.env, self.model = env, model
        self.name = model.name
        self.steering = steering or Unsteered()
        self.retries, self.overrides_left = retries, max_overrides
        self.latest: PageView | None = None
        self.done: list[str] = []  # what it did so far, in its own words, for its next prompt

    async def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        view = await read_page(self.env.page)
        self.latest = view
        plain = decode_data_url(current_screenshot(messages))
        geometry = ScreenGeometry(view.css_width, view.css_height, plain.width, plain.height)
        marked = png_data_url(draw_marks(plain, view, geometry))
        usage = TokenUsage()
        notes: list[str] = []
        failures = 0
        while failures <= self.retries:
            directive = self.steering.directive()
            tools = ("terminate",) if directive.stop else ALL_TOOLS
            request = self._request(messages, view, marked, directive, tools, notes)
            reply = await self.model.complete(request)
            if reply.usage:
                usage.prompt_tokens += reply.usage.prompt_tokens
                usage.completion_tokens += reply.usage.completion_tokens
            choice = parse_choice(reply.text)
            action = self._action(choice, view, geometry, tools)
            if isinstance(action, str):
                notes.append(action)
                failures += 1
                continue
            assert isinstance(choice, Choice)
            if ruling(action, choice.thoughts, directive) == "surfer_stop" and self.overrides_left > 0:
                instruction = await self.steering.review_stop(choice.thoughts, action.arguments().get("status", ""))
                if instruction is not None:
                    self.overrides_left -= 1
                    notes.append(f"The Orchestrator does not accept stopping yet: {instruction}")
                    continue
            self._accepted(choice)
            self.done.append(f"{choice.tool} {json.dumps(choice.args)}: {choice.thoughts}")
            return ModelReply(format_reply(choice.thoughts, action), usage)
        raise ModelUnavailable(f"the WebSurfer's model gave no usable answer in {failures} tries: {notes[-1]}")

    def _action(
        self, choice: Choice | str, view: PageView, geometry: ScreenGeometry, tools: tuple[str, ...]
    ) -> Action | str:
        if isinstance(choice, str):
            return choice
        if choice.tool not in tools:
            return f"{choice.tool!r} is not available now; the available tools are: {', '.join(tools)}."
        return to_action(choice, view, geometry)

    def _accepted(self, choice: Choice) -> None:
        """A hook for variants that read more from the answer (the explorer's draft task)."""

    def _request(
        self,
        messages: list[dict[str, Any]],
        view: PageView,
        marked: str,
        directive: Directive,
        tools: tuple[str, ...],
        notes: list[str],
    ) -> list[dict[str, Any]]:
        said = user_messages(messages)
        parts = [f"The user's task: {said[0]}" if said else "The user's task: (none)"]
        parts += [f"The user then said: {text}" for text in said[1:]]
        if directive.stop:
            template = prompts.FORCED_CRITICAL_POINT if directive.critical_point else prompts.FORCED_STOP
            parts.append(template.format(reason=directive.stop))
        elif directive.instruction:
            parts.append(f"The Orchestrator's instruction: {directive.instruction}")
        history = "\n".join(f"{number}. {line}" for number, line in enumerate(self.done, start=1))
        parts.append(f"What you did so far:\n{history or '(nothing yet)'}")
        parts.append(f"The page now: {view.title} ({view.url})")
        parts.append(f"Marks on the screenshot:\n{view.mark_list() or '(none)'}")
        if view.aria_tree:
            parts.append(f"Accessibility tree:\n{view.aria_tree}")
        parts.append(f"Available tools:\n{prompts.tools_text(tools)}")
        parts += [f"Your last answer could not be used: {note}" for note in notes[-2:]]
        return [
            {"role": "system", "content": self.system},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "\n\n".join(parts)},
                    {"type": "image_url", "image_url": {"url": marked}},
                ],
            },
        ]
