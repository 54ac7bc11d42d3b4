"""`farol eval report` read as a person reads it: labelled numbers with units, failures in words, and a page that
holds together in a 400 px wide window (tables scroll inside their box, no word broken across lines)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright

from agent.chromium import CHROMIUM, CHROMIUM_ARGS
from eval.report import build_report
from eval.runner import RESULT_FILE, RUN_FILE, Outcome, RunInfo
from sandbox.checks import Evidence, check
from sandbox.taskspec import load_suite
from tests.conftest import run_async

NBSP = "\u00a0"
# A checkout left on the shipping step with the wrong colour in the cart: the checkers' own failure messages.
WRONG_CHECKOUT = {
    "mart": {
        "cart": [{"product": "P1005", "qty": 1, "colour": "Red", "size": None}],
        "checkout": {"stage": "shipping", "delivery": "express"},
    }
}
# Every word of the tables' text, with the rectangles it is drawn in: one word drawn on two lines was broken.
SPLIT_WORDS = """() => {
  const split = [];
  for (const cell of document.querySelectorAll('td, th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('.id, code')) continue;
      for (const match of node.data.matchAll(/[^\\s\\-–—·\\/]+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
        if (lines.size > 1) split.push(match[0]);
      }
    }
  }
  return split;
}"""
CELL_STYLES = """() => [...document.querySelectorAll('td, th')].map((cell) => {
  const style = getComputedStyle(cell);
  return [style.wordBreak, style.overflowWrap];
})"""
WIDTHS = """() => ({
  page: document.documentElement.scrollWidth,
  tasks: document.querySelector('table.tasks').scrollWidth,
  wrap: document.querySelector('table.tasks').parentElement.clientWidth,
})"""


def _outcome(task_id: str, run: int, *, passed: bool, reason: str) -> Outcome:
    task = next(task for task in load_suite() if task.id == task_id)
    return Outcome(
        task_id=task_id,
        suite="sandbox",
        run=run,
        category=task.category,
        task=task.task,
        passed=passed,
        score=float(passed),
        reason=reason,
        status="success",
        aborted=False,
        attempts=1,
        steps=7,
        prompt_tokens=12000,
        completion_tokens=345,
        wall_seconds=41.25,
        settle_seconds=3.2,
        critical_point=task.critical_point is not None,
        trajectory_id="",
    )


def _results_folder(root: Path) -> Path:
    """Two tasks, two runs, as `farol eval run` writes them: the checkout fails in run 2."""
    shopping = next(task for task in load_suite() if task.id == "shopping-001")
    failure = "; ".join(check(shopping, Evidence(state=WRONG_CHECKOUT)).failures)
    outcomes = [
        _outcome("price_comparison-001", 1, passed=True, reason="every check passed"),
        _outcome("price_comparison-001", 2, passed=True, reason="every check passed"),
        _outcome("shopping-001", 1, passed=True, reason="every check passed"),
        _outcome("shopping-001", 2, passed=False, reason=failure),
    ]
    folder = root / "sandbox-results"
    folder.mkdir()
    (folder / RUN_FILE).write_text(RunInfo(suite="sandbox", model="fara-test", max_steps=30, runs=2).model_dump_json())
    for outcome in outcomes:
        task = folder / f"run{outcome.run}" / outcome.task_id
        task.mkdir(parents=True)
        (task / RESULT_FILE).write_text(outcome.model_dump_json())
    return folder


@pytest.fixture(scope="module")
def read(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The report of the fixture run, as Chromium lays it out in a 400 px wide window."""
    root = tmp_path_factory.mktemp("report")
    report = build_report([_results_folder(root)], root / "report.html")

    async def measure() -> dict[str, Any]:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 400, "height": 800})
            await page.goto(report.as_uri())
            found = {
                "measures": await page.locator("table.summary tr td:first-child").all_inner_texts(),
                "summary": await page.locator("table.summary td.num").all_inner_texts(),
                "task_headers": await page.locator("table.tasks th").all_inner_texts(),
                "failed": await page.locator("table.tasks tr", has=page.locator("td.fail")).inner_text(),
                "split": await page.evaluate(SPLIT_WORDS),
                "styles": await page.evaluate(CELL_STYLES),
                "widths": await page.evaluate(WIDTHS),
            }
            await browser.close()
            return found

    return run_async(measure())


def test_every_number_is_labelled_with_its_unit(read):
    assert read["measures"][:2] == ["Success rate (%)", "Success rate in each run (%)"]
    assert {"Steps (mean per run)", "Wall time (s, mean per run)", "Settle time (s, mean per run)"} <= set(
        read["measures"]
    )
    headline, per_run = read["summary"][:2]
    assert headline.startswith(f"75.0{NBSP}%") and f"runs (50.0{NBSP}% to 100.0{NBSP}%)" in headline
    assert per_run == f"100.0{NBSP}% · 50.0{NBSP}%"
    assert f"41.2{NBSP}s" in read["summary"] and f"3.2{NBSP}s" in read["summary"]
    assert read["task_headers"] == [
        "Task",
        "Category",
        "Results folder",
        "Run",
        "Result",
        "Steps",
        "Tokens",
        "Wall time (s)",
        "Settle time (s)",
        "Why",
    ]
    assert f"12,345\t41.2{NBSP}s\t3.2{NBSP}s" in read["failed"]


@pytest.mark.unit
def test_a_failure_reads_as_a_sentence(read):
    failed = read["failed"]
    assert "the mart cart should hold 1 item: (product “P1005”, qty 1, colour “Plum”)" in failed
    assert "the mart checkout stage should be “payment”, but it is “shipping”" in failed
    for expression in ("==", "{", "matches", "failed;", "mart.checkout", "null"):
        assert expression not in failed


def test_the_report_holds_together_400_px_wide(read):
    widths = read["widths"]
    assert widths["page"] <= 400, widths  # nothing sticks out of the page...
    assert widths["tasks"] > widths["wrap"], widths  # ...the tasks table scrolls inside its own box instead
    assert read["styles"] and all(style == ["normal", "normal"] for style in read["styles"]), set(
        map(tuple, read["styles"])
    )
    assert read["split"] == []
