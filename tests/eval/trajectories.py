"""Trajectories for judge tests: real `Trajectory` records whose screenshots live in a real `Store`."""

from __future__ import annotations

from agent.actions import Action, LeftClick, Terminate
from agent.store import Store
from agent.trajectory import ParseFailure, Step, Trajectory
from tests.support.records import png as one_colour_png

CLICK = LeftClick(coordinate=(100, 200))
DONE = Terminate(status="success")


def png(index: int) -> bytes:
    """A small PNG unique to `index`, so a request's images can be matched to their steps."""
    return one_colour_png((index % 256, index // 256, 7))


def trajectory(store: Store, actions: list[Action | None], answer: str | None = "The answer.", task: str = "Do it"):
    """One step per entry (None: a reply that could not be parsed, retried on the same screenshot)."""
    steps = []
    for index, action in enumerate(actions):
        retried = index > 0 and actions[index - 1] is None
        shot = steps[-1].screenshot if retried else store.put_screenshot(png(index))
        steps.append(
            Step(
                index=index,
                screenshot=shot,
                url=f"https://example.com/{index}",
                css_width=1440,
                css_height=900,
                model_width=1428,
                model_height=896,
                raw_text="...",
                action=action,
                parse_error=None if action else ParseFailure(kind="no_tool_call", message="no tool call"),
            )
        )
    finished = bool(actions) and isinstance(actions[-1], Terminate)
    return Trajectory(
        task=task,
        steps=steps,
        status="awaiting_user" if finished else "stopped",
        terminate_status="success" if finished else None,
        final_answer=answer if finished else None,
        reason="the model terminated with status success" if finished else "reached the step limit (3)",
    )


def images(request: dict) -> list[str]:
    """The data URLs of a recorded chat request's user images, in order."""
    return [
        part["image_url"]["url"]
        for message in request["messages"]
        if isinstance(message["content"], list)
        for part in message["content"]
        if part["type"] == "image_url"
    ]


def texts(request: dict) -> list[str]:
    return [
        part["text"]
        for message in request["messages"]
        if message["role"] == "user" and isinstance(message["content"], list)
        for part in message["content"]
        if part["type"] == "text"
    ]
