"""`farol eval grounding` on real sandbox pages: samples made as data generation makes them, the element's centre
scores 100 % for every kind, a random clicker near 0, and each sample is asked as one agent turn."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agent.history import Turn, build_messages
from agent.page_elements import grounding_targets
from agent.policy import OpenAIPolicy
from eval.calibration import RandomClicker
from eval.grounding import RESULTS_FILE, run_grounding, samples
from eval.replay import Replay, screen_path
from eval.steps import run_steps
from tests.conftest import run_async
from tests.eval.test_steps import shortest
from tests.support.servers import ScriptedModel


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """Replays of one short task of two splits (one of them on the held-out site), recorded once."""
    out = tmp_path_factory.mktemp("replays")
    chosen = shortest("eval") + shortest("test_website")
    run_async(run_steps(chosen, out, None, "oracle", concurrency=2, show_progress=False))
    return out, chosen


def fresh(recorded: tuple[Path, list], tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(recorded[0], out, ignore=shutil.ignore_patterns("steps.json"))
    return out


def test_the_elements_centre_scores_100_percent_for_every_kind(recorded, tmp_path):
    out = fresh(recorded, tmp_path)
    data = run_async(run_grounding(recorded[1], out, None, "oracle", concurrency=2, show_progress=False))
    summary = data["summary"]
    assert set(summary["by_kind"]) == {"text", "icon", "input"}
    assert set(summary["by_split"]) == {"eval", "test_website"}
    assert all(group["accuracy"] == 100 for group in [summary["overall"], *summary["by_kind"].values()])
    assert json.loads((out / RESULTS_FILE).read_text()) == data


def test_a_random_clicker_scores_below_ten_percent(recorded, tmp_path):
    out = fresh(recorded, tmp_path)
    data = run_async(run_grounding(recorded[1], out, RandomClicker(3), "random", concurrency=2, show_progress=False))
    assert data["summary"]["overall"]["samples"] > 50
    assert data["summary"]["overall"]["accuracy"] < 10


def test_each_sample_is_asked_as_one_agent_turn_with_the_instruction(recorded, tmp_path, model: ScriptedModel):
    out = fresh(recorded, tmp_path)
    replay_file = next((out / "replays" / "eval").iterdir())
    replay = Replay.model_validate_json(replay_file.read_text())
    made = samples(replay)
    step = replay.steps[0]
    assert [instruction for s, instruction, _, _ in made if s is step] == [
        target.instruction for target in grounding_targets(step.elements, step.screenshot)
    ]
    model.add(*[answer for _, _, _, answer in made])
    run_async(run_grounding(recorded[1][:1], out, OpenAIPolicy(model.url, "scripted"), "scripted", show_progress=False))
    expected = [
        build_messages([Turn(screen_path(out, s.screenshot).read_bytes(), s.geometry, s.url, user_text=instruction)])
        for s, instruction, _, _ in made
    ]
    assert [request["messages"] for request in model.requests] == expected
    assert json.loads((out / RESULTS_FILE).read_text())["summary"]["overall"]["accuracy"] == 100
