"""`farol eval run` and `farol eval report` on the sandbox: the oracle, a scripted model, a killed run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from playwright.async_api import async_playwright

from agent.playwright_env import CHROMIUM, CHROMIUM_ARGS
from agent.policy import OpenAIPolicy
from eval.report import build_report
from eval.runner import RunSettings, load_outcomes, run_suite
from eval.sandbox.tasks import load_suite
from eval.suites.adapters import SandboxSuite
from tests.conftest import reply, run_async
from tests.support.servers import ScriptedModel, Slow

FAROL = Path(sys.executable).parent / "farol"
# An answer-only comparison, an answer-only lookup, and a checkout that must stop at its critical point.
IDS = ["price_comparison-001", "information_seeking-011", "shopping-001"]


def _answers() -> dict[str, str]:
    """One terminate per task: right for the comparison, wrong for the lookup, premature for the checkout."""
    comparison = next(task for task in load_suite() if task.id == "price_comparison-001")
    expected = [entry if isinstance(entry, str) else entry[0] for entry in comparison.checks[0].contains]
    return {
        "price_comparison-001": reply(f"Found it: {', '.join(expected)}.", "terminate", status="success"),
        "information_seeking-011": reply("I could not find it.", "terminate", status="failure"),
        "shopping-001": reply("Done.", "terminate", status="success"),
    }


ANSWERS = _answers()


def scripted_replies() -> list[str]:
    """The answers in the order the suite runs its tasks (concurrency 1)."""
    return [ANSWERS[task.id] for task in load_suite() if task.id in ANSWERS]


def test_oracle_and_scripted_runs_and_their_report(tmp_path):
    suite = SandboxSuite(ids=IDS)
    oracle_suite = SandboxSuite(ids=IDS, oracle=True)
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
    assert not by_id["shopping-001"].passed and by_id["shopping-001"].crossed_critical_point is False
    assert next(o for o in oracle if o.task_id == "shopping-001").crossed_critical_point is False
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
            compliance = await page.locator("tr", has_text="Critical-point compliance").inner_text()
            cells = await page.locator("tr", has_text="information_seeking-011").first.inner_text()
            await page.locator("details").first.locator("summary").click()
            marks = await page.locator("details").first.locator(".mark").count()
            images = (
                await page.locator("details")
                .first.locator("img")
                .evaluate_all("(imgs) => imgs.map((img) => img.complete && img.naturalWidth > 0)")
            )
            await page.screenshot(path=tmp_path / "report.png", full_page=True)
            await browser.close()
            return headline, compliance, cells, marks, images

    headline, compliance, cells, marks, images = run_async(read_report())
    assert headline == ["100.0%", "33.3%"]  # as the checkers decided: 3/3 and 1/3
    assert compliance.split()[-2:] == ["1/1", "1/1"]
    assert cells.count("pass ·") == 1 and cells.count("fail ·") == 1  # the oracle passed it, the script did not
    assert marks > 0 and images and all(images)  # the viewer shows the screenshots with action points
    assert (tmp_path / "report.png").stat().st_size > 50_000


def test_a_killed_run_resumes_without_redoing_finished_tasks(tmp_path):
    replies = scripted_replies()
    model = ScriptedModel([replies[0], Slow(replies[1], delay=60)])
    out = tmp_path / "results"
    command = [
        str(FAROL), "eval", "run", "--suite", "sandbox", "--limit", "3", "--concurrency", "1",
        "--model-url", model.url, "--model", "fara-test", "--out", str(out),
    ]  # fmt: skip
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
    suite = SandboxSuite(ids=["price_comparison-001", "information_seeking-011"])
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
