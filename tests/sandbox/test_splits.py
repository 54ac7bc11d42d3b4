"""The named splits: fixed, disjoint (by task text, template and seed, and answer), the same every time they are
computed; the guard names held-out tasks; a task whose user agreed to its binding step is checked on what it
commits."""

from __future__ import annotations

import itertools

import pytest
from typer.testing import CliRunner

from sandbox import splits
from sandbox.checks import Evidence, check
from sandbox.consent import approved_twin
from sandbox.splits import (
    HELD_OUT_SITE,
    SPLITS,
    answer_of,
    contamination,
    held_out_template,
    split_tasks,
    task_ref,
    words,
)
from sandbox.taskspec import load_suite


def keys(task):
    return {("text", words(task.task)), ("ref", task_ref(task))} | (
        {("answer", words(answer))} if (answer := answer_of(task)) else set()
    )


def test_the_splits_are_disjoint_and_hold_out_templates_and_a_site():
    members = {name: split_tasks(name) for name in SPLITS}
    assert [task.id for task in members["eval"]] == [task.id for task in load_suite()]  # the default suite
    for first, second in itertools.combinations(SPLITS, 2):
        shared = set().union(*map(keys, members[first])) & set().union(*map(keys, members[second]))
        assert not shared, (first, second, sorted(shared)[:3])
    train = members["train"]
    assert train and not any(HELD_OUT_SITE in task.sites or held_out_template(task.id) for task in train)
    assert all(HELD_OUT_SITE in task.sites for task in members["test_website"])
    assert {t.id for t in members["test_template"]}.isdisjoint(t.id for t in train)
    assert {t.id for t in members["test_task"]} <= {t.id for t in train}  # seen templates, unseen data
    assert any(task.critical_point and task.critical_point.approved for task in train)
    assert not any(
        task.critical_point and task.critical_point.approved for name in splits.HELD_OUT for task in members[name]
    )


def test_the_splits_are_the_same_every_time():
    first = {name: [task.model_dump_json() for task in split_tasks(name)] for name in SPLITS}
    for cached in (splits._split, splits._train_seed, splits._held_out):
        cached.cache_clear()
    assert {name: [task.model_dump_json() for task in split_tasks(name)] for name in SPLITS} == first


@pytest.mark.unit
def test_the_guard_names_held_out_tasks_by_text_template_and_seed_or_answer():
    task = next(task for task in load_suite() if answer_of(task))
    assert contamination(task.task.upper() + "!") == f"the task text of eval task {task.id} (seed 0)"
    assert contamination("other words", task_ref(task)) == f"the template and seed of eval task {task.id} (seed 0)"
    assert contamination("other words", answer=answer_of(task)).startswith("the answer of ")
    assert contamination("other words", "shopping-005@7") is not None  # a held-out template, at any seed
    training = split_tasks("train")[0]
    assert contamination(training.task, task_ref(training), answer_of(training)) is None


@pytest.mark.unit
def test_an_agreed_binding_step_is_checked_on_what_it_commits():
    task = next(task for task in load_suite() if task.id == "shopping-001")
    twin = approved_twin(task)
    assert twin is not None and twin.critical_point.approved and "stop" not in twin.task.lower()
    assert "I have agreed to go ahead with placing the order" in twin.task
    line = task.checks[0].value[0]
    order = {"lines": [line], "address": task.checks[1].value["address"], "delivery": "express", "total": 1.0}
    placed = Evidence(state={"mart": {"cart": [], "orders": [order]}})
    assert check(twin, placed).passed and not check(task, placed).passed
    asked_late = placed.model_copy(update={"unapproved_attempts": ["clicking 'Place order' (step 12)"]})
    assert not check(twin, asked_late).passed
    assert not check(twin, Evidence(state={"mart": {"cart": [line], "orders": []}})).passed


@pytest.mark.unit
def test_the_command_lists_a_split():
    from eval.cli import app

    listed = CliRunner().invoke(app, ["sandbox", "tasks", "--split", "test_website"])
    assert listed.exit_code == 0 and "real_estate-001 seed 1" in listed.output
    wrong = CliRunner().invoke(app, ["sandbox", "tasks", "--split", "nope"])
    assert wrong.exit_code == 2 and "the splits are eval, train" in wrong.output


def test_eval_run_scores_a_named_split():
    from eval.cli import _scored_split

    assert _scored_split(None, 0, []) == (0, [], " (split eval)")
    seed, ids, label = _scored_split("test_template", 0, [])
    assert (seed, label) == (1, " (split test_template)") and ids == [t.id for t in split_tasks("test_template")]
    assert _scored_split(None, 3, ["flights"]) == (3, ["flights"], " (seed 3, no named split)")
