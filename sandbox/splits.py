"""The sandbox's named task splits, fixed and deterministic, and the one guard that keeps held-out tasks out of
generation and training.

A template is a generator task slot (`shopping-003`): the same request pattern, posed with each data seed's
own data (`sandbox/taskgen/`). The splits, in the style of Mind2Web's held-out sets:

- `eval`: the default suite, seed 0 (`suite.jsonl`), what `farol eval run` scores;
- `test_task`: seed 1, the templates training sees: unseen data for seen templates;
- `test_template`: seed 1, templates training never sees (every fifth of each category), on seen sites;
- `test_website`: seed 1, every task that touches one site training never sees (`HELD_OUT_SITE`);
- `train`: seeds 2 to 9, the templates and sites left, minus any task that shares its text or its answer with
  a held-out one; on a share of its critical points the user has agreed to the binding step
  (`sandbox/consent.py`). `farol datagen` draws only from it.

`contamination` is the guard: `farol datagen` refuses to propose, and `farol train build-data` to train on,
anything it names (by task text, template and seed, or answer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Literal, get_args

from sandbox.consent import approved_twin
from sandbox.taskgen import GenerationError, suite_for
from sandbox.taskspec import Task

Split = Literal["eval", "train", "test_task", "test_template", "test_website"]
SPLITS: tuple[Split, ...] = get_args(Split)
HELD_OUT: tuple[Split, ...] = ("eval", "test_task", "test_template", "test_website")
EVAL_SEED = 0
TEST_SEED = 1
TRAIN_SEEDS = tuple(range(2, 10))
HELD_OUT_SITE = "homes"  # Nestwell: no training task touches it
HELD_OUT_EVERY = 5  # templates numbered 005, 010, ... of each category are never trained on
APPROVED_EVERY = 3  # of the training tasks with a critical point, one in three is posed with the user's agreement


def words(text: str) -> str:
    """Text without case, punctuation or spacing: how tasks and answers are compared."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def task_ref(task: Task) -> str:
    """`template@seed`: what a generated trajectory records of the task it solved."""
    return f"{task.id}@{task.seed}"


def answer_of(task: Task) -> str | None:
    """The final answer the oracle gives (None for a task that ends at its critical point)."""
    answers = [step.text for step in task.plan if step.do == "answer" and step.text]
    return answers[-1] if answers else None


def held_out_template(template: str) -> bool:
    number = template.rsplit("-", 1)[-1]
    return number.isdigit() and int(number) % HELD_OUT_EVERY == 0


def _on_held_out_site(task: Task) -> bool:
    return HELD_OUT_SITE in task.sites


def _test(split: Split, task: Task) -> bool:
    if split == "test_website":
        return _on_held_out_site(task)
    return not _on_held_out_site(task) and held_out_template(task.id) == (split == "test_template")


@dataclass
class _HeldOut:
    """What the held-out splits contain, by each key the guard matches; values say where it is."""

    texts: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)  # templates never trained on, at any seed

    def add(self, split: Split, task: Task) -> None:
        where = f"{split} task {task.id} (seed {task.seed})"
        self.texts.setdefault(words(task.task), where)
        self.refs.setdefault(task_ref(task), where)
        if (answer := answer_of(task)) is not None:
            self.answers.setdefault(words(answer), where)
        if split in ("test_template", "test_website"):
            self.templates.setdefault(task.id, f"template {task.id} of {split}")

    def reason(self, task: str, ref: str | None, answer: str | None, *, templates: bool = True) -> str | None:
        """Which held-out task this one shares a key with; `templates`: also a template never trained on."""
        if (where := self.texts.get(words(task))) is not None:
            return f"the task text of {where}"
        if ref is not None:
            template = ref.rsplit("@", 1)[0]
            if (where := self.refs.get(ref) or (self.templates.get(template) if templates else None)) is not None:
                return f"the template and seed of {where}"
            if templates and held_out_template(template):
                return f"template {template} is held out"
        if answer is not None and (where := self.answers.get(words(answer))) is not None:
            return f"the answer of {where}"
        return None


@cache
def _held_out() -> tuple[_HeldOut, dict[Split, tuple[Task, ...]]]:
    """The held-out splits, each without what an earlier one already holds (seed 1 may pose a task of seed 0
    in the same words), and everything they hold, by key."""
    held, members = _HeldOut(), {}
    for split in HELD_OUT:
        candidates = suite_for(EVAL_SEED) if split == "eval" else [t for t in suite_for(TEST_SEED) if _test(split, t)]
        members[split] = tuple(
            t for t in candidates if held.reason(t.task, task_ref(t), answer_of(t), templates=False) is None
        )
        for task in members[split]:
            held.add(split, task)
    return held, members


def contamination(task: str, ref: str | None = None, answer: str | None = None) -> str | None:
    """Why a task (its text, its `template@seed`, its final answer) belongs to a held-out split; None when it
    does not. The guard of generation and training."""
    return _held_out()[0].reason(task, ref, answer)


@cache
def _train_seed(seed: int) -> tuple[Task, ...]:
    try:
        tasks = suite_for(seed)
    except GenerationError:  # this seed's data cannot give every task: the split does without it
        return ()
    kept = []
    for task in tasks:
        if _on_held_out_site(task) or held_out_template(task.id):
            continue
        if contamination(task.task, task_ref(task), answer_of(task)) is not None:
            continue
        twin = approved_twin(task) if (int(task.id[-3:]) + seed) % APPROVED_EVERY == 0 else None
        kept.append(twin or task)
    return tuple(kept)


def train_tasks(seed: int) -> list[Task]:
    """The training split's tasks of one data seed (none for a seed outside it)."""
    return list(_train_seed(seed)) if seed in TRAIN_SEEDS else []


@cache
def _split(split: Split) -> tuple[Task, ...]:
    if split == "train":
        return tuple(task for seed in TRAIN_SEEDS for task in _train_seed(seed))
    return _held_out()[1][split]


def split_tasks(split: str) -> list[Task]:
    """The tasks of a named split, in a fixed order. Raises ValueError for a name that is not a split."""
    if split not in SPLITS:
        raise ValueError(f"no sandbox split {split!r}: the splits are {', '.join(SPLITS)}")
    return list(_split(split))


def split_seed(split: str) -> int:
    """The data seed a held-out split's tasks are posed in (the training split spans several)."""
    if split == "train":
        raise ValueError("the train split spans several data seeds; evaluate on eval or a test_ split")
    split_tasks(split)  # the name is checked
    return EVAL_SEED if split == "eval" else TEST_SEED
