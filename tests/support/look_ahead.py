"""Watching the loop's look-ahead (`Agent._glance`) through the real parts: every glance an environment takes, and
every capture the loop makes a model image from."""

from __future__ import annotations

from typing import Any

import agent.loop
from agent.environment import Environment


def record_look_ahead(monkeypatch: Any, env_class: type[Environment]) -> tuple[list[bytes | None], list[bytes]]:
    """The glances `env_class` takes and the captures the loop encodes, in order, as the run goes."""
    glances: list[bytes | None] = []
    encoded: list[bytes] = []
    glance, make = env_class.glance, agent.loop._model_image

    async def recording_glance(self: Environment) -> bytes | None:
        glances.append(await glance(self))
        return glances[-1]

    def recording_make(screenshot: bytes, geometry: Any) -> Any:
        encoded.append(screenshot)
        return make(screenshot, geometry)

    monkeypatch.setattr(env_class, "glance", recording_glance)
    monkeypatch.setattr(agent.loop, "_model_image", recording_make)
    return glances, encoded
