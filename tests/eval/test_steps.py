"""`farol eval steps` on real oracle replays (headless Chromium, the sandbox server): the oracle scores 100 %, a random
clicker near 0, a model right on exactly the even steps half; the request is the agent's own, byte for byte; a point
on an element's edge counts and one model pixel beyond does not; a killed run resumes without redoing a task."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agent.actions import HistoryBack, LeftClick, Wait
from agent.geometry import ScreenGeometry
from agent.history import decode_image
from agent.parser import format_reply
from agent.policy import OpenAIPolicy
from doubles.scripted_model import Reply, Slow
from eval.calibration import RandomClicker
from eval.offline import Chosen, choose
from eval.replay import Box, Replay, ReplayStep, record_replay, replay_path, requests
from eval.report import build_report
from eval.steps import RESULTS_FILE, run_steps, score_step
from sandbox.episode import Sandbox
from sandbox.server import SandboxServer
from sandbox.splits import SPLITS, split_tasks
from tests.conftest import run_async
from tests.support.polling import poll
from tests.support.servers import ScriptedModel

FAROL = Path(sys.executable).parent / "farol"


def shortest(split: str, count: int = 1) -> list[Chosen]:
    """The split's tasks with the shortest plans: the default tier's sample."""
    tasks = sorted(split_tasks(split), key=lambda task: (len(task.plan), task.id))[:count]
    return [Chosen(split, task) for task in tasks]


async def record(chosen: list[Chosen], out: Path) -> tuple[list[Replay], list[list[dict[str, Any]]]]:
    """Each task's replay, and every request the agent sent the oracle while it was recorded."""
    replays, sent = [], []
    for item in chosen:
        with SandboxServer(seed=item.task.seed) as server:
            replays.append(
                await record_replay(item.task, item.split, Sandbox(server.url, server.secret), out, listen=sent.append)
            )
    return replays, sent


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Chosen], list[Replay], list[Any]]:
    out = tmp_path_factory.mktemp("replays")
    chosen = [item for split in SPLITS for item in shortest(split)]
    replays, sent = run_async(record(chosen, out))
    return out, chosen, replays, sent


def fresh(recorded: tuple[Path, list[Chosen], list[Replay], list[Any]], tmp_path: Path) -> Path:
    """A results folder of its own that already holds the module's replays (no oracle run again)."""
    out = tmp_path / "out"
    shutil.copytree(recorded[0], out)
    return out


def image_urls(messages: list[dict[str, Any]]) -> list[str]:
    return [
        part["image_url"]["url"]
        for message in messages
        if isinstance(message["content"], list)
        for part in message["content"]
        if part["type"] == "image_url"
    ]


def test_the_request_is_the_one_the_agent_sent_byte_for_byte_and_pixel_for_pixel(recorded):
    out, _, replays, sent = recorded
    rebuilt = [messages for replay in replays for _, messages in requests(replay, out)]
    assert len(rebuilt) == len(sent) > 0
    for mine, agents in zip(rebuilt, sent, strict=True):
        assert json.dumps(mine) == json.dumps(agents)
        images, theirs = image_urls(mine), image_urls(agents)
        assert 1 <= len(images) <= 3
        assert [decode_image(url).tobytes() for url in images] == [decode_image(url).tobytes() for url in theirs]


def test_the_oracle_scores_100_percent_on_every_split(recorded, tmp_path):
    out = fresh(recorded, tmp_path)
    data = run_async(run_steps(recorded[1], out, None, "oracle", concurrency=2, show_progress=False))
    summary = data["summary"]
    assert set(summary["by_split"]) == set(SPLITS)
    for rates in [summary["overall"], *summary["by_split"].values()]:
        assert (rates["step_success_rate"], rates["element_accuracy"], rates["operation_f1"]) == (100, 100, 100)
        assert rates["success_rate"] == 100
    assert summary["overall"]["element_steps"] > 0
    steps = data["steps"]
    assert len(steps) == sum(len(replay.steps) for replay in recorded[2])
    clicks = [step for step in steps if step["expected"]["action"] in ("left_click", "type")]
    assert clicks and all(step["box"] and step["element"] for step in clicks)
    assert json.loads((out / RESULTS_FILE).read_text()) == data
    html = build_report([out], out / "report.html").read_text()
    assert "Step accuracy (Mind2Web" in html
    assert html.count('class="box"') == len(clicks)  # each target element's box drawn on its screenshot


def test_a_seeded_random_clicker_scores_below_ten_percent(recorded, tmp_path):
    out = fresh(recorded, tmp_path)
    data = run_async(run_steps(recorded[1], out, RandomClicker(7), "random", concurrency=2, show_progress=False))
    overall = data["summary"]["overall"]
    assert overall["step_success_rate"] < 10 and overall["element_accuracy"] < 10
    assert overall["success_rate"] == 0


def wrong(reply_of: ReplayStep) -> str:
    """An answer that is never right at this step."""
    action = Wait(time=1) if reply_of.action.action == "history_back" else HistoryBack()
    return format_reply("Something else.", action)


def test_a_model_right_on_exactly_the_even_steps_scores_half_the_steps(recorded, tmp_path, model):
    out = fresh(recorded, tmp_path)
    replays = recorded[2]
    model.add(*[step.reply if step.index % 2 == 0 else wrong(step) for replay in replays for step in replay.steps])
    policy = OpenAIPolicy(model.url, "scripted")
    data = run_async(run_steps(recorded[1], out, policy, "scripted", concurrency=1, show_progress=False))
    assert [step["step_success"] for step in data["steps"]] == [step["index"] % 2 == 0 for step in data["steps"]]
    total = len(data["steps"])
    evens = sum(step["index"] % 2 == 0 for step in data["steps"])
    assert data["summary"]["overall"]["step_success_rate"] == pytest.approx(100 * evens / total)
    assert abs(data["summary"]["overall"]["step_success_rate"] - 50) <= 100 * len(replays) / total
    # What the endpoint was sent is what the agent sent the oracle (the model's answers never enter the history).
    assert [request["messages"] for request in model.requests] == recorded[3]


def one_click_step(geometry: ScreenGeometry, box: Box) -> tuple[Replay, ReplayStep]:
    step = ReplayStep(
        index=0,
        url="http://127.0.0.1/shop/",
        css_width=geometry.css_width,
        css_height=geometry.css_height,
        model_width=geometry.model_width,
        model_height=geometry.model_height,
        user_text="Buy it.",
        reply=format_reply("I click it.", LeftClick(coordinate=(10, 10))),
        box=box,
        screenshot="0" * 64,
        elements=[],
    )
    replay = Replay(
        task="shopping-001@0",
        task_id="shopping-001",
        seed=0,
        split="eval",
        text="Buy it.",
        sites=["shop"],
        steps=[step],
    )
    return replay, step


@pytest.mark.parametrize("edge", ["left-top", "right-bottom"])
def test_a_point_on_the_edge_counts_and_one_model_pixel_beyond_does_not(edge):
    geometry = ScreenGeometry.for_screenshot(1280, 720, 1280, 720)  # not the default 1440x900: model 1288x728
    assert (geometry.model_width, geometry.model_height) == (1288, 728)
    mx, my = 500, 300
    (x, y), _ = geometry.to_css(mx, my)
    box = Box(x=x, y=y, width=80, height=30) if edge == "left-top" else Box(x=0, y=0, width=x, height=y)
    replay, step = one_click_step(geometry, box)
    beyond = -1 if edge == "left-top" else 1

    def element(point: tuple[int, int]) -> bool | None:
        return score_step(replay, step, format_reply("Here.", LeftClick(coordinate=point))).element

    assert element((mx, my)) is True
    assert element((mx + beyond, my)) is False
    assert element((mx, my + beyond)) is False


def test_another_window_is_recorded_asked_and_scored_in_its_own_pixels(recorded, tmp_path, model):
    (item,) = shortest("test_task")
    oracle, out = fresh(recorded, tmp_path), tmp_path / "scripted"
    kept = Replay.model_validate_json(replay_path(oracle, item.split, item.task).read_text())
    assert {(step.css_width, step.css_height) for step in kept.steps} == {(1440, 900)}
    # Scored in a 784x504 window, a task kept at another window is recorded again, at this one.
    data = run_async(run_steps([item], oracle, None, "oracle", viewport=(784, 504), show_progress=False))
    assert data["summary"]["overall"]["step_success_rate"] == 100
    replay = Replay.model_validate_json(replay_path(oracle, item.split, item.task).read_text())
    sizes = {(step.css_width, step.css_height, step.model_width, step.model_height) for step in replay.steps}
    assert sizes == {(784, 504, 784, 504)}

    shutil.copytree(oracle, out, ignore=shutil.ignore_patterns(RESULTS_FILE))
    model.add(*[format_reply("I wait.", Wait(time=1))] * len(replay.steps))
    command = [str(FAROL), "eval", "steps", "--split", item.split, "--tasks", item.task.id, "--viewport", "784x504"]
    command += ["--out", str(out), "--concurrency", "1", "--model-url", model.url, "--model", "scripted"]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    asked = [request["messages"] for request in model.requests]
    assert len(asked) == len(replay.steps)  # the replay kept at this window was used, not recorded again
    assert {decode_image(url).size for messages in asked for url in image_urls(messages)} == {(784, 504)}
    assert all("The screen's resolution is 784x504." in messages[0]["content"] for messages in asked)


class Stalling(ScriptedModel):
    """Answers every request with a wait, but never answers those of the task whose text is `stall`."""

    stall: str | None = None

    def take(self, request: dict[str, Any]) -> Reply | None:
        with self._lock:
            self.requests.append(request)
        task_text = request["messages"][1]["content"][-1]["text"]
        return Slow("", 600) if self.stall == task_text else format_reply("I wait.", Wait(time=1))


def test_a_killed_run_resumes_without_redoing_a_finished_task(tmp_path):
    chosen = shortest("eval", 2)
    out, results = tmp_path / "out", tmp_path / "out" / RESULTS_FILE
    first, second = (item.ref for item in chosen)
    model = Stalling()
    model.stall = chosen[1].task.task

    def run() -> subprocess.Popen:
        tasks = ",".join(item.task.id for item in chosen)
        command = [
            str(FAROL),
            "eval",
            "steps",
            "--out",
            str(out),
            "--tasks",
            tasks,
            "--concurrency",
            "1",
            "--model-url",
            model.url,
            "--model",
            "scripted",
        ]
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def asked_about_second() -> bool:
        return any(request["messages"][1]["content"][-1]["text"] == model.stall for request in model.requests)

    try:
        process = run()
        run_async(poll(asked_about_second, bool, timeout=120, failure=lambda _: "the second task was never asked"))
        process.send_signal(signal.SIGKILL)
        process.wait()
        before = json.loads(results.read_text())
        assert list(before["tasks"]) == [first]
        model.stall, asked_before = None, len(model.requests)
        finished = run()
        output, _ = finished.communicate(timeout=300)
        assert finished.returncode == 0, output
    finally:
        model.close()
    after = json.loads(results.read_text())
    assert list(after["tasks"]) == [first, second]
    assert [step for step in after["steps"] if step["task"] == first] == before["steps"]
    asked_again = model.requests[asked_before:]
    assert len(asked_again) == after["tasks"][second]["steps"]
    assert all(request["messages"][1]["content"][-1]["text"] == chosen[1].task.task for request in asked_again)


@pytest.mark.full
def test_the_oracle_scores_100_percent_on_every_task_of_every_split(tmp_path):
    data = run_async(run_steps(choose(SPLITS), tmp_path, None, "oracle", concurrency=2, show_progress=False))
    assert not [task for task in data["tasks"].values() if "error" in task]
    for rates in [data["summary"]["overall"], *data["summary"]["by_split"].values()]:
        assert rates["step_success_rate"] == rates["success_rate"] == 100
