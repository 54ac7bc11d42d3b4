"""Final answers read as a person would: the checked-in corpus (every answer task's right, reformatted, negated,
hedged, wrong-item, wrong-unit and small-talk answers, and hand-written hard cases) gets the verdict it expects."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from sandbox.answer_corpus import CORPUS, answer_failures, corpus, explain, read
from sandbox.taskspec import load_suite

TASKS = {task.id: task for task in load_suite()}
CASES = read()


def test_the_checked_in_corpus_is_what_the_rules_make_from_the_suite():
    assert corpus(list(TASKS.values())) == CASES, f"the suite changed: run python -m sandbox.answer_corpus ({CORPUS})"


def test_the_corpus_covers_every_answer_task_and_every_kind_of_answer():
    kinds = Counter(case.kind for case in CASES)
    assert set(kinds) >= {"right", "capitals", "negated", "hedged", "alternatives", "wrong_item", "wrong_unit"}
    assert set(kinds) >= {"small_talk", "hard"} and kinds["right"] >= 20
    assert sum(not case.passes for case in CASES) > sum(case.passes for case in CASES)  # mostly probes that must fail


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.task}-{case.kind}")
def test_each_answer_gets_its_verdict(case):
    failures = answer_failures(TASKS[case.task], case.answer)
    assert (not failures) == case.passes, f"{case.answer!r}: {failures}"


def test_a_hedged_or_negated_answer_says_why():
    task = TASKS["information_seeking-007"]
    assert answer_failures(task, "There are about 4 nonstop flights.") == [
        "hedged: the answer qualifies a value that must be exact (about 4)"
    ]
    reading = explain(task, "There are not 4 but 3 nonstop flights.")
    assert reading["asserted"] == "There but 3 nonstop flights." and reading["values"] == {"integers": [3]}
    assert not reading["passes"] and reading["why"][0] == "the answer does not state 4"


def test_farol_eval_sandbox_answers_shows_how_an_answer_is_read():
    farol = Path(sys.executable).parent / "farol"
    shown = subprocess.run(
        [str(farol), "eval", "sandbox", "answers", "--task", "information_seeking-002", "--answer", "2 or 3 PM"],
        capture_output=True,
        text=True,
    )
    assert shown.returncode == 0, shown.stderr
    assert "fails: 2 or 3 PM" in shown.stdout and "hedges: 2 or 3\n" in shown.stdout
    listed = subprocess.run(
        [str(farol), "eval", "sandbox", "answers", "--task", "information_seeking-002"], capture_output=True, text=True
    )
    assert "(negated, expected to fail)" in listed.stdout and "(capitals, expected to pass)" in listed.stdout
    refused = subprocess.run([str(farol), "eval", "sandbox", "answers", "--task", "shopping-001"], capture_output=True)
    assert refused.returncode == 2
