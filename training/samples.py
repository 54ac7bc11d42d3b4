"""One supervised sample per model call: the request exactly as the agent core built it, and the reply.

The request is rebuilt from the stored trajectory with the agent's own functions (`turns_from_trajectory`,
`build_messages`: system prompt, pruned history, the last 3 screenshots in model space), so a sample is what
the model saw at that step, with the person's masks applied (secret fields painted over, typed secrets
replaced). The target is the step's raw reply, which the model then ends with `<|im_end|>`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel

from agent.geometry import png_size
from agent.history import build_messages, data_url_bytes, split_images, turns_from_trajectory
from agent.screenshot import digest_of
from agent.trajectory import Step, Trajectory

PATCH = 28  # pixels per image token side after Qwen2.5-VL's 2x2 merge of 14-pixel patches


class Sample(BaseModel):
    id: str  # a hash of what the model sees and must answer: equal samples are one sample
    trajectory_id: str
    step: int
    source: str  # where it comes from: "extension", "cli", "datagen", or an auxiliary set's name
    task: str  # the task text: train and eval are split by it
    conversation: list[dict[str, Any]]  # the request, each image as {"type": "image"}
    images: list[bytes]  # PNG in model space, in conversation order
    target: str

    @property
    def length(self) -> int:
        """About how many tokens the sample takes (images exactly, text roughly): for length-grouped batches."""
        text = json.dumps(self.conversation) + self.target
        return len(text) // 3 + sum(_image_tokens(png) for png in self.images)


def trainable(step: Step) -> bool:
    """Whether the model should learn this reply: parsed, executed as it asked (not refused, not replaced), and
    not a detour (a wrong turn data generation took on purpose: the recovery after it is learnt, not it)."""
    result = step.result
    return (
        not step.detour
        and step.action is not None
        and step.raw_text is not None
        and step.parse_error is None
        and (result is None or (result.ok and result.blocked is None and result.error is None))
    )


def step_samples(trajectory: Trajectory, read_screenshot: Callable[[str], bytes], source: str) -> Iterator[Sample]:
    """The samples of one trajectory, one per trainable model call, in step order."""
    turns = turns_from_trajectory(trajectory, read_screenshot)
    accepted = [step for step in trajectory.steps if step.in_history]
    for position, (step, turn) in enumerate(zip(accepted, turns, strict=True)):
        if not trainable(step):
            continue
        request = build_messages([*turns[:position], dataclasses.replace(turn, reply=None)])
        conversation, images = split_images(request, decode=data_url_bytes)
        assert step.raw_text is not None
        yield make_sample(trajectory.id, step.index, source, trajectory.task, conversation, images, step.raw_text)


def make_sample(
    trajectory_id: str,
    step: int,
    source: str,
    task: str,
    conversation: list[dict[str, Any]],
    images: list[bytes],
    target: str,
) -> Sample:
    content = json.dumps([conversation, [digest_of(png) for png in images], target], sort_keys=True)
    return Sample(
        id=hashlib.sha256(content.encode()).hexdigest(),
        trajectory_id=trajectory_id,
        step=step,
        source=source,
        task=task,
        conversation=conversation,
        images=images,
        target=target,
    )


def _image_tokens(png: bytes) -> int:
    width, height = png_size(png)
    return (width // PATCH) * (height // PATCH)
