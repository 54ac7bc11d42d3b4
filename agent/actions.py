"""Fara-7B's 11 `computer_use` actions as typed models.

Coordinates in an action are in model pixels (the resized screenshot the model saw) until the loop
maps them to CSS pixels with `agent.geometry`. Aliases accepted by the reference executor
(`click`, `hover`, `keypress`, `input_text`, `sleep`, `stop`) are normalised by `parse_action`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

Point = tuple[float, float]


class _Action(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    def arguments(self) -> dict[str, Any]:
        """The action as the JSON arguments object of a `computer_use` call, `action` first."""
        arguments = self.model_dump(mode="json", exclude_none=True)
        return {"action": arguments.pop("action"), **arguments}

    def summary(self) -> str:
        """One line for people: `left_click coordinate=[674, 223]`."""
        arguments = self.arguments()
        name = arguments.pop("action")
        return f"{name} {', '.join(f'{key}={value}' for key, value in arguments.items())}".strip()


class _Pointed(_Action):
    coordinate: Point

    @field_validator("coordinate", mode="before")
    @classmethod
    def _two_numbers(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)) and len(value) > 2:
            raise ValueError("coordinate must be [x, y]")
        return value


class Key(_Action):
    action: Literal["key"] = "key"
    keys: list[str] = Field(min_length=1)

    @field_validator("keys", mode="before")
    @classmethod
    def _single_key(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Type(_Action):
    action: Literal["type"] = "type"
    text: str
    coordinate: Point | None = None
    press_enter: bool = True
    delete_existing_text: bool = False


class MouseMove(_Pointed):
    action: Literal["mouse_move"] = "mouse_move"


class LeftClick(_Pointed):
    action: Literal["left_click"] = "left_click"


class Scroll(_Action):
    action: Literal["scroll"] = "scroll"
    pixels: float
    # The model sometimes sends one; the reference ignores it and scrolls at the mouse position.
    coordinate: Point | None = None


class VisitUrl(_Action):
    action: Literal["visit_url"] = "visit_url"
    url: str = Field(min_length=1)


class WebSearch(_Action):
    action: Literal["web_search"] = "web_search"
    query: str = Field(min_length=1)


class HistoryBack(_Action):
    action: Literal["history_back"] = "history_back"


class PauseAndMemorizeFact(_Action):
    action: Literal["pause_and_memorize_fact"] = "pause_and_memorize_fact"
    fact: str


class Wait(_Action):
    action: Literal["wait"] = "wait"
    time: float = Field(default=3.0, ge=0)


class Terminate(_Action):
    action: Literal["terminate"] = "terminate"
    status: Literal["success", "failure"] = "success"


Action = Annotated[
    Key
    | Type
    | MouseMove
    | LeftClick
    | Scroll
    | VisitUrl
    | WebSearch
    | HistoryBack
    | PauseAndMemorizeFact
    | Wait
    | Terminate,
    Field(discriminator="action"),
]
ACTION_ADAPTER: TypeAdapter[Action] = TypeAdapter(Action)

# Alias -> (canonical action, {alias argument: canonical argument}).
ALIASES: dict[str, tuple[str, dict[str, str]]] = {
    "keypress": ("key", {}),
    "hover": ("mouse_move", {}),
    "sleep": ("wait", {"duration": "time"}),
    "click": ("left_click", {}),
    "input_text": ("type", {"text_value": "text"}),
    "stop": ("terminate", {}),
}


def canonical_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """Rewrite an alias action and its argument names to the canonical form."""
    name = arguments.get("action")
    if name not in ALIASES:
        return arguments
    canonical, renames = ALIASES[name]
    out = {renames.get(key, key): value for key, value in arguments.items()}
    out["action"] = canonical
    return out


def parse_action(arguments: dict[str, Any]) -> Action:
    """Validate a `computer_use` arguments object; raises pydantic.ValidationError."""
    return ACTION_ADAPTER.validate_python(canonical_arguments(arguments))


def action_point(action: Action) -> Point | None:
    """The screen point an action acts on, if any (scroll's coordinate is ignored, as in the reference)."""
    if isinstance(action, (MouseMove, LeftClick, Type)):
        return action.coordinate
    return None
