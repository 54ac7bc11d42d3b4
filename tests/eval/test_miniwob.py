"""MiniWoB++ tasks driven through the real agent loop: PlaywrightEnv on Chromium, OpenAIPolicy over HTTP to a
scripted model whose clicks are computed from the page's element positions, rewards from the package's core."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from agent.geometry import TRAINING_WINDOW
from agent.loop import Agent
from agent.playwright_env import PlaywrightEnv
from agent.policy import OpenAIPolicy
from eval.report import build_report
from eval.runner import RUN_FILE, RunInfo, RunSettings, run_suite
from eval.suites.adapters import EVERYTHING_APPROVED, MiniWobSuite
from eval.suites.miniwob import MiniWobServer, episode_result, load_miniwob, start_episode, task_names
from eval.tasks import TaskFileError
from tests.conftest import run_async
from tests.support.fara import model_point, reply

DONE = reply("The task is done.", "terminate", status="success")


@pytest.fixture(scope="module")
def server() -> Iterator[MiniWobServer]:
    with MiniWobServer() as running:
        yield running


async def center(env: PlaywrightEnv, selector: str, text: str | None = None) -> list[int]:
    """Where the model would point for the first element matching `selector` (and whose text is `text`)."""
    box = await env.page.evaluate(
        """([selector, text]) => {
            const found = [...document.querySelectorAll(selector)].find((e) => text === null || e.textContent === text);
            const r = found.getBoundingClientRect();
            return [r.x + r.width / 2, r.y + r.height / 2];
        }""",
        [selector, text],
    )
    return model_point(*box)


def play(server, model, name: str, seed: int, script) -> tuple:
    """Start the episode, let `script(env, instruction)` queue the model's replies, run the agent to its end."""

    async def go():
        (task,) = load_miniwob(server.base_url, [name], seeds=[seed])
        env = await PlaywrightEnv.launch(task.start_url, viewport=TRAINING_WINDOW)
        policy = OpenAIPolicy(model.url, "fara-test", retries=0)
        try:
            task = await start_episode(env, task)
            model.add(*await script(env, task.task))
            trajectory = await Agent(env, policy, max_steps=5).run(task.task, task.start_url)
            return task, trajectory, await episode_result(env)
        finally:
            await env.close()
            await policy.close()

    return run_async(go())


def test_click_button(server, model):
    async def script(env, instruction):
        label = re.fullmatch(r'Click on the "(.+)" button\.', instruction).group(1)
        point = await center(env, "#area button", label)
        return reply(f"I click the {label} button.", "left_click", coordinate=point), DONE

    task, trajectory, result = play(server, model, "click-button", 0, script)
    assert task.task == 'Click on the "okay" button.' and task.id == "click-button-0"
    assert trajectory.succeeded and [type(s.action).__name__ for s in trajectory.steps] == ["LeftClick", "Terminate"]
    assert result.done and result.raw_reward == 1.0 and result.reward > 0.99
    assert result.verdict().passed and result.verdict().score == 1.0
    # The task text reached the model as the first user message's text.
    assert model.requests[0]["messages"][1]["content"][1]["text"] == task.task


def test_click_link(server, model):
    async def script(env, instruction):
        word = re.fullmatch(r'Click on the link "(.+)"\.', instruction).group(1)
        return reply(
            f"I click the link {word}.", "left_click", coordinate=await center(env, "#area .alink", word)
        ), DONE

    _, _, result = play(server, model, "click-link", 0, script)
    assert result.done and result.reward > 0


def test_enter_text_types_then_submits(server, model):
    async def script(env, instruction):
        name = re.fullmatch(r'Enter "(.+)" into the text field and press Submit\.', instruction).group(1)
        field, submit = await center(env, "#tt"), await center(env, "#subbtn")
        return (
            reply(f"I type {name}.", "type", coordinate=field, text=name, press_enter=False),
            reply("I press Submit.", "left_click", coordinate=submit),
            DONE,
        )

    _, trajectory, result = play(server, model, "enter-text", 1, script)
    assert trajectory.succeeded and result.done and result.raw_reward == 1.0 and result.reward > 0


def test_a_wrong_click_loses_and_the_episode_cannot_be_restarted(server, model):
    async def script(env, instruction):
        assert instruction == 'Click on the "okay" button.'
        wrong = await center(env, "#area button", "next")
        # After the episode the DONE cover lies over the task; clicking it must not start another episode.
        return (
            reply("I click next.", "left_click", coordinate=wrong),
            reply("Again.", "left_click", coordinate=wrong),
            DONE,
        )

    _, trajectory, result = play(server, model, "click-button", 0, script)
    assert len(trajectory.steps) == 3 and trajectory.steps[1].screenshot != trajectory.steps[0].screenshot
    assert result.done and result.raw_reward == -1.0 and result.reward <= 0
    verdict = result.verdict()
    assert not verdict.passed and verdict.score == 0.0 and verdict.reason == "reward -1.000 (raw -1)"


def test_without_an_action_the_episode_does_not_end(server, model):
    async def script(env, instruction):
        return (DONE,)

    _, _, result = play(server, model, "click-button", 2, script)
    assert not result.done and result.reward == 0
    assert result.verdict().reason == "the episode did not end"


def test_the_suite_lists_the_package_tasks_and_refuses_unknown_names(server):
    names = task_names()
    assert len(names) >= 100 and {"click-button", "click-link", "enter-text"} <= set(names)
    tasks = load_miniwob(server.base_url, seeds=[0, 1])
    assert len(tasks) == 2 * len(names) and tasks[0].start_url.startswith(server.base_url + "miniwob/")
    with pytest.raises(TaskFileError, match="unknown MiniWoB task"):
        load_miniwob(server.base_url, ["click-buton"])


def test_the_suite_approves_every_critical_point_and_its_results_and_report_say_so(server, model, tmp_path):
    """MiniWoB's binding-looking buttons are the task itself: its adapter approves, and says it did."""
    suite = MiniWobSuite(names=["click-button"], _server=server)
    model.add(
        reply(
            "Placing this would be final. This is a critical point, so I stop and ask.", "terminate", status="success"
        ),
        DONE,
    )

    async def go():
        policy = OpenAIPolicy(model.url, "fara-test", retries=0)
        try:
            return await run_suite(
                suite, policy, RunSettings(tmp_path, model="fara-test", max_steps=5), show_progress=False
            )
        finally:
            await policy.close()

    (outcome,) = run_async(go())
    assert outcome.approved == 1
    info = RunInfo.model_validate_json((tmp_path / RUN_FILE).read_text())
    assert info.approvals == EVERYTHING_APPROVED
    html = build_report([tmp_path], tmp_path / "report.html").read_text()
    assert EVERYTHING_APPROVED in html and "1 approved" in html
