"""Build the chat request exactly as the reference harness lays it out.

Every model call sends `[system] + history`. The history is a sequence of turns: a user message
with a screenshot (the task or a follow-up for the first turn of a round, otherwise the current
URL), then the model's raw reply. Only the newest `max_images` screenshots are sent; older
follow-up turns are dropped entirely and older task turns are kept as text only; replies are never
dropped or edited. Training builds its samples with this same function (no train/serve skew).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from agent.geometry import ScreenGeometry, png_data_url, resize_for_model
from agent.png import decode_png
from agent.prompt import system_prompt
from agent.trajectory import Trajectory

MAX_IMAGES = 3
_URL_LIMIT = 100
_NEXT_SCREENSHOT = "Current URL: {url}\nHere is the next screenshot. Think about what to do next."


def display_url(url: str) -> str:
    """The reference's URL for the model: query string removed, cut to 100 characters + ' ...'."""
    url = url.split("?", 1)[0]
    return url[:_URL_LIMIT] + " ..." if len(url) > _URL_LIMIT else url


@dataclass(eq=False)
class Turn:
    """One observation sent to the model and, once it answered, the model's raw reply."""

    screenshot: bytes  # PNG as captured, in device pixels
    geometry: ScreenGeometry
    url: str
    user_text: str | None = None  # the task or a follow-up message: starts a round
    reply: str | None = None
    _image_url: str | None = field(default=None, repr=False)

    @property
    def image_url(self) -> str:
        """The screenshot as the model receives it: resized to model space, as a PNG data URL (made once)."""
        if self._image_url is None:
            self._image_url = model_image_url(decode_png(self.screenshot), self.geometry)
        return self._image_url

    @property
    def text(self) -> str:
        return self.user_text if self.user_text is not None else _NEXT_SCREENSHOT.format(url=display_url(self.url))


def model_image_url(pixels: Image.Image, geometry: ScreenGeometry) -> str:
    """A capture's pixels as the model receives them: resized to model space, as a PNG data URL."""
    return png_data_url(resize_for_model(pixels, geometry))


def build_messages(turns: Sequence[Turn], max_images: int = MAX_IMAGES) -> list[dict[str, Any]]:
    """`[system] + history` for the next call; the last turn is the one awaiting a reply."""
    if not turns:
        raise ValueError("no observation to send")
    latest = turns[-1].geometry
    keep_image: set[int] = set(range(max(0, len(turns) - max_images), len(turns)))
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system_prompt(latest.model_width, latest.model_height)}
    ]
    for index, turn in enumerate(turns):
        if index in keep_image:
            messages.append(
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": turn.image_url}},
                        {"type": "text", "text": turn.text},
                    ],
                }
            )
        elif turn.user_text is not None:
            messages.append({"role": "user", "content": [{"type": "text", "text": turn.user_text}]})
        if turn.reply is not None:
            messages.append({"role": "assistant", "content": turn.reply})
    return messages


def turns_from_trajectory(trajectory: Trajectory, read_screenshot: Callable[[str], bytes]) -> list[Turn]:
    """The conversation as the model saw it, rebuilt from a stored trajectory.

    Steps whose reply could not be parsed never entered the history; a user turn (the task, a follow-up,
    a reply to an approval) belongs to the first accepted step at or after its position.
    """
    pending = sorted(trajectory.user_turns, key=lambda turn: turn.before_step)
    turns: list[Turn] = []
    for step in trajectory.steps:
        if not step.in_history:
            continue
        texts = [turn.text for turn in pending if turn.before_step <= step.index]
        pending = [turn for turn in pending if turn.before_step > step.index]
        geometry = ScreenGeometry(step.css_width, step.css_height, step.model_width, step.model_height)
        screenshot = read_screenshot(step.screenshot)
        turns.append(Turn(screenshot, geometry, step.url, user_text=texts[-1] if texts else None, reply=step.raw_text))
    return turns


def split_images(
    messages: list[dict[str, Any]], decode: Callable[[str], Any] | None = None
) -> tuple[list[dict[str, Any]], list[Any]]:
    """Request messages -> the same conversation with each image as an `{"type": "image"}` part, and the images
    in order (`decode` turns each data URL into one; default: a PIL image). The in-process model and training
    samples both go through this one function (no train/serve skew)."""
    decode = decode or decode_image
    conversation: list[dict[str, Any]] = []
    images: list[Any] = []
    for message in messages:
        content = message["content"]
        if isinstance(content, list):
            parts = []
            for part in content:
                if part["type"] == "image_url":
                    images.append(decode(part["image_url"]["url"]))
                    parts.append({"type": "image"})
                else:
                    parts.append(part)
            content = parts
        conversation.append({"role": message["role"], "content": content})
    return conversation, images


def data_url_bytes(url: str) -> bytes:
    if not url.startswith("data:"):
        raise ValueError(f"only data: URLs are supported, got {url[:40]!r}")
    return base64.b64decode(url.split(",", 1)[1])


def decode_image(url: str) -> Image.Image:
    return decode_png(data_url_bytes(url))
