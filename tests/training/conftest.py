"""A real recorded run (Chromium, the scripted model, the store) and the tiny Qwen2.5-VL, for the training tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.loop import Agent
from agent.playwright_env import PlaywrightEnv
from agent.policy import OpenAIPolicy
from agent.recorder import StoreRecorder
from agent.store import Store
from agent.trajectory import Trajectory
from doubles.tiny_qwen import build_tiny_qwen
from tests.support.fara import reply
from tests.support.servers import ScriptedModel

VIEWPORT = (448, 336)  # small screenshots keep the tiny model's sequences short
SCRIPT = [
    reply("I move to the heading.", "mouse_move", coordinate=[40, 30]),
    reply("I scroll down to see more.", "scroll", pixels=-200),
    reply("The answer is 42.", "terminate", status="success"),
]


@dataclass
class RecordedRun:
    store_path: Path
    trajectory: Trajectory
    requests: list[dict]  # what the model was sent, call by call


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_qwen(tmp_path_factory.mktemp("tiny-qwen"))


@pytest.fixture(scope="session")
def recorded_run(site, tmp_path_factory: pytest.TempPathFactory) -> RecordedRun:
    """`Find the answer` on page two, through the real loop, recorded in a store (a `cli` session)."""
    folder = tmp_path_factory.mktemp("recorded")
    model = ScriptedModel(SCRIPT)
    store = Store(folder / "farol.db")

    async def record() -> Trajectory:
        env = await PlaywrightEnv.launch(site.url("page2.html"), viewport=VIEWPORT)
        policy = OpenAIPolicy(model.url, "fara-test", retries=0)
        try:
            return await Agent(env, policy, hooks=[StoreRecorder(store)]).run("Find the answer")
        finally:
            await env.close()
            await policy.close()

    try:
        trajectory = asyncio.run(record())
    finally:
        model.close()
    assert trajectory.succeeded and len(trajectory.steps) == 3
    return RecordedRun(folder / "farol.db", trajectory, model.requests)
