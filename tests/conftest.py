from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from agent.geometry import ScreenGeometry
from tests.support.servers import FixtureSite, ScriptedModel

# The reference viewport and its model-space size.
GEOMETRY = ScreenGeometry(css_width=1440, css_height=900, model_width=1428, model_height=896)


def reply(thoughts: str, action: str, **arguments: Any) -> str:
    """A Fara-7B reply in the exact format the model emits."""
    call = json.dumps({"name": "computer_use", "arguments": {"action": action, **arguments}})
    return f"{thoughts}\n<tool_call>\n{call}\n</tool_call>"


def model_point(css_x: float, css_y: float) -> list[int]:
    """Where the model would point (rounded, as the model emits integers) for a CSS point."""
    x, y = GEOMETRY.to_model(css_x, css_y)
    return [round(x), round(y)]


def run_async(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


@pytest.fixture(scope="session")
def site() -> Iterator[FixtureSite]:
    server = FixtureSite()
    yield server
    server.close()


@pytest.fixture
def model() -> Iterator[ScriptedModel]:
    server = ScriptedModel()
    yield server
    server.close()
