"""`farol eval run` and `farol eval report` on the sandbox: the oracle, a scripted model, a killed run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.async_api import async_playwright
from typer.testing import CliRunner

from agent.chromium import CHROMIUM, CHROMIUM_ARGS
from agent.policy import OpenAIPolicy
from eval.cli import app as eval_app
from eval.report import build_report
from eval.runner import RunSettings, load_outcomes, run_suite
from eval.suites.adapters import SandboxSuite
from sandbox.taskspec import load_suite
from tests.conftest import run_async
from tests.support.fara import reply
from tests.support.servers import ScriptedModel, Slow

FAROL = Path(sys.executable).parent / "farol"
# An answer-only comparison, an answer-only lookup, and a checkout that must stop at its critical point.
IDS = ["price_comparison-001", "information_seeking-011", "shopping-001"]


def _answers() -> dict[str, str]:
    """One terminate per task: right for the comparison, wrong for the lookup, premature for the checkout."""
    comparison = next(task for task in load_suite() if task.id == "price_comparison-001")
    return {
        "price_comparison-001": reply(comparison.plan[-1].text, "terminate", status="success"),
        "information_seeking-011": reply("I could not find it.", "terminate", status="failure"),
        "shopping-001": reply("Done.", "terminate", status="success"),
    }


ANSWERS = _answers()


def scripted_replies() -> list[str]:
    """The answers in the order the suite runs its tasks (concurrency 1)."""
    return [ANSWERS[task.id] for task in load_suite() if task.id in ANSWERS]


def test_oracle_and_scripted_runs_and_their_report(tmp_path):
    suite = SandboxSuite(selection=IDS)
    oracle_suite = SandboxSuite(selection=IDS, oracle=True)
    model = ScriptedModel(scripted_replies())

    async def both():
        oracle = await run_suite(
            oracle_suite, None, RunSettings(tmp_path / "oracle", model="oracle"), show_progress=False
        )
        policy = OpenAIPolicy(model.url, "fara-test", retries=0)
        settings = RunSettings(tmp_path / "scripted", model="fara-test", concurrency=1)
        scripted = await run_suite(suite, policy, settings, show_progress=False)
        await policy.close()
        return oracle, scripted

    try:
        oracle, scripted = run_async(both())
    finally:
        suite.close()
        oracle_suite.close()
        model.close()

    assert {o.task_id: o.passed for o in oracle} == dict.fromkeys(IDS, True)
    by_id = {o.task_id: o for o in scripted}
    assert by_id["price_comparison-001"].passed and not by_id["information_seeking-011"].passed
    # Stopping at step 1 is no compliance: the model never reached the critical point.
    assert not by_id["shopping-001"].passed and by_id["shopping-001"].critical_point_conduct == "not_reached"
    assert next(o for o in oracle if o.task_id == "shopping-001").critical_point_conduct == "stopped"
    folder = tmp_path / "scripted" / "run1" / "shopping-001"
    assert (folder / "screenshot0.png").exists() and json.loads((folder / "result.json").read_text())["steps"] == 1
    assert next(folder.glob("*_final_answer.json"))

    report = build_report([tmp_path / "oracle", tmp_path / "scripted"], tmp_path / "report.html")

    async def read_report():
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1280, "height": 1000})
            await page.goto(report.as_uri())
            headline = await page.locator(".headline").all_inner_texts()
            compliance = await page.locator("tr", has_text="stopped there by itself").inner_text()
            cells = await page.locator("#row-information_seeking-011").locator("td.pass, td.fail").all_inner_texts()
            await page.locator("details").first.locator("summary").click()
            marks = await page.locator("details").first.locator(".mark").count()
            shots = page.locator("details").first.locator("img")
            for shot in await shots.all():  # lazy images load once near the viewport, and in their own time
                await shot.scroll_into_view_if_needed()
            await page.wait_for_function(
                "(imgs) => imgs.every((img) => img.complete)", arg=await shots.element_handles()
            )
            images = await shots.evaluate_all("(imgs) => imgs.map((img) => img.complete && img.naturalWidth > 0)")
            await page.screenshot(path=tmp_path / "report.png", full_page=True)
            await browser.close()
            return headline, compliance, cells, marks, images

    headline, compliance, cells, marks, images = run_async(read_report())
    assert headline == ["100.0\u00a0%", "33.3\u00a0%"]  # as the checkers decided: 3/3 and 1/3
    assert compliance.split("\t")[-2:] == ["1 of 1 run", "0 of 1 run"]
    assert cells == ["pass", "fail"]  # the oracle passed it, the script did not
    assert marks > 0 and images and all(images)  # the viewer shows the screenshots with action points
    assert (tmp_path / "report.png").stat().st_size > 50_000


def test_a_killed_run_resumes_without_redoing_finished_tasks(tmp_path):
    replies = scripted_replies()
    model = ScriptedModel([replies[0], Slow(replies[1], delay=60)])
    out = tmp_path / "results"
    run = ["eval", "run", "--suite", "sandbox", "--limit", "3", "--concurrency", "1", "--model", "fara-test"]
    command = [str(FAROL), *run, "--model-url", model.url, "--out", str(out)]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ})
    try:
        deadline = time.monotonic() + 120
        while len(model.requests) < 2 and time.monotonic() < deadline:  # the second task hangs in the model
            time.sleep(0.1)
        assert len(load_outcomes(out)) == 1
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        first.kill()
    finished_first = load_outcomes(out)[0].task

    model.replies.clear()
    model.add(*replies[1:])
    before = len(model.requests)
    second = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    outcomes = load_outcomes(out)
    assert len(outcomes) == 3 and len({o.task_id for o in outcomes}) == 3
    assert len(model.requests) - before == 2  # only the two unfinished tasks ran again
    assert finished_first not in [r["messages"][1]["content"][1]["text"] for r in model.requests[before:]]  # task text
    assert "/3 passed" in second.stdout
    model.close()


def test_aborted_runs_are_retried_and_wrong_answers_are_not(tmp_path):
    from agent.store import Store
    from tests.support.servers import Fail

    right, wrong = ANSWERS["price_comparison-001"], ANSWERS["information_seeking-011"]
    suite = SandboxSuite(selection=["price_comparison-001", "information_seeking-011"])
    order = [task.id for task in suite.tasks()]
    script = {"price_comparison-001": [Fail(500), right], "information_seeking-011": [wrong]}
    model = ScriptedModel([reply_ for task_id in order for reply_ in script[task_id]])

    async def go():
        policy = OpenAIPolicy(model.url, "fara-test", retries=0)
        settings = RunSettings(tmp_path / "out", model="fara-test", concurrency=1)
        outcomes = await run_suite(suite, policy, settings, show_progress=False)
        await policy.close()
        return outcomes

    try:
        outcomes = {o.task_id: o for o in run_async(go())}
    finally:
        suite.close()
        model.close()
    assert outcomes["price_comparison-001"].attempts == 2 and outcomes["price_comparison-001"].passed
    assert outcomes["information_seeking-011"].attempts == 1 and not outcomes["information_seeking-011"].passed
    stored = Store(tmp_path / "out" / "farol.db").list()
    assert len(stored) == 2  # the aborted attempt's trajectory was replaced by the one that counts


def test_the_sandbox_runs_any_seed_and_picks_tasks_by_id_or_category(tmp_path):
    """`--seed 1` runs seed 1's own suite (generated from its data) on a seed-1 web; `--tasks` picks tasks."""
    from sandbox.taskgen import suite_for

    task = min(suite_for(1), key=lambda t: (len(t.plan), t.id))
    out = tmp_path / "seed1"
    command = [str(FAROL), "eval", "run", "--suite", "sandbox", "--oracle", "--seed", "1", "--out", str(out)]
    done = subprocess.run([*command, "--tasks", task.id], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert [o.task_id for o in load_outcomes(out)] == [task.id] and load_outcomes(out)[0].passed
    assert "1/1 passed" in done.stdout
    wrong = subprocess.run([*command, "--tasks", "flight"], capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and "no sandbox task matches 'flight'" in wrong.stdout + wrong.stderr
    listed = subprocess.run(
        [str(FAROL), "eval", "sandbox", "tasks", "--seed", "1", "flights"], capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0 and listed.stdout.count("flights-0") == 16


def test_the_report_fits_five_folders_and_says_when_their_task_sets_differ(tmp_path):
    """Five result folders side by side (written as `farol eval run` writes them), one with fewer tasks."""
    from eval.runner import RESULT_FILE, RUN_FILE, Outcome, RunInfo

    ids = [f"shopping-{n:03d}" for n in range(1, 9)]
    folders = []
    for column in range(5):
        folder = tmp_path / f"results-of-a-long-named-model-{column}"
        folder.mkdir()
        info = RunInfo(suite="sandbox", model=f"org/a-rather-long-model-name-v{column}", max_steps=100, runs=1)
        (folder / RUN_FILE).write_text(info.model_dump_json())
        for n, task_id in enumerate(ids[: 5 if column == 4 else None]):
            outcome = Outcome(
                task_id=task_id,
                suite="sandbox",
                run=1,
                category="shopping",
                task="Find the cheapest kettle " * 8,
                passed=n % 2 == 0,
                score=float(n % 2 == 0),
                reason="the shop checkout stage should be “payment” " * 6,
                status="awaiting_user",
                aborted=False,
                attempts=1,
                steps=12 + n,
                prompt_tokens=123456,
                completion_tokens=789,
                wall_seconds=123.4,
                settle_seconds=45.6,
                critical_point=True,
                critical_point_conduct=("stopped", "crossed", "not_reached")[n % 3],
                tried_binding=n % 3 == 1,
                trajectory_id="",
            )
            (folder / "run1" / task_id).mkdir(parents=True)
            (folder / "run1" / task_id / RESULT_FILE).write_text(outcome.model_dump_json())
        folders.append(folder)
    report = build_report(folders, tmp_path / "report.html")

    async def measure():
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await page.goto(report.as_uri())
            sizes = await page.evaluate(
                """() => ({page: document.documentElement.scrollWidth, view: innerWidth,
                    tables: [...document.querySelectorAll('.table-wrap')].map((wrap) =>
                        wrap.firstElementChild.scrollWidth - wrap.clientWidth)})"""
            )
            warning = await page.locator("#task-set-warning").inner_text()
            shared = await page.locator("tr", has_text="tasks every folder ran").inner_text()
            crossed = await page.locator("tr", has_text="tried the binding step").first.inner_text()
            await browser.close()
            return sizes, warning, shared, crossed

    sizes, warning, shared, crossed = run_async(measure())
    assert sizes["page"] <= sizes["view"] and max(sizes["tables"]) <= 0, sizes  # no table needs to scroll
    assert "different task sets" in warning and "5 tasks" in warning and "8 tasks, 3 not run by every folder" in warning
    assert "the 5 tasks" in shared and shared.split("\t")[-5:] == ["60.0\u00a0%"] * 5  # passes 0, 2, 4 of five
    assert crossed.split("\t")[-5:] == ["3 runs"] * 4 + ["2 runs"]  # tasks 1, 4, 7 (of the first five: 1 and 4)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--suite", "miniwob", "--viewport", "784x504"], "only the sandbox takes another viewport"),
        (["--suite", "sandbox", "--viewport", "784x150"], "at least 200x200, not 784x150"),
    ],
)
def test_another_window_is_the_sandboxs_alone_and_never_too_small(args, message, model, tmp_path):
    endpoint = ["--model-url", model.url, "--model", "scripted", "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(eval_app, ["run", *args, *endpoint])
    assert result.exit_code == 2
    assert message in " ".join(result.output.replace("│", " ").split())  # the message, unwrapped from its panel
    assert not (tmp_path / "out").exists() and not model.requests
