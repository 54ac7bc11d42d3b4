"""The random clicker: a seeded policy that clicks a uniformly random point of the screenshot. Offline scores of a
real model mean something only between it (near 0) and the oracle (100 %)."""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

from agent.actions import LeftClick
from agent.geometry import png_size
from agent.history import data_url_bytes
from agent.parser import format_reply
from agent.policy import ModelReply

NAME = "random-clicker"


class RandomClicker:
    """Each request gets the same point for the same seed, whatever order requests come in and however the page's
    pixels came out this time: the point is drawn from the conversation's words and the screenshot's size, never
    its bytes (a replayed screen can differ by a few anti-aliased pixels between runs)."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.name = f"{NAME} (seed {seed})"

    async def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        image = next(part for part in messages[-1]["content"] if part["type"] == "image_url")["image_url"]["url"]
        text = next(part for part in messages[-1]["content"] if part["type"] == "text")["text"]
        width, height = png_size(data_url_bytes(image))
        words = json.dumps([message["content"] for message in messages if isinstance(message["content"], str)])
        digest = hashlib.sha256(f"{self.seed}\n{len(messages)}\n{width}x{height}\n{words}\n{text}".encode()).digest()
        chance = random.Random(digest)
        point = (chance.randrange(width), chance.randrange(height))
        return ModelReply(format_reply("I click here.", LeftClick(coordinate=point)))

    async def close(self) -> None:
        return None
