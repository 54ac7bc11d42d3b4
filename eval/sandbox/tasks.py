"""Sandbox tasks: the suite's schema, its programmatic checkers, and loading.

A task has a start path on the sandbox origin, the request as a person would write it, checks on the
visitor's final state and/or the final answer, and (for binding flows) a critical point: success there
means everything up to the binding step is done and the binding step was NOT taken. `plan` is the
oracle's script (see `oracle.py`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SUITE = Path(__file__).parent / "suite.jsonl"
SCHEMA = Path(__file__).parent / "suite.schema.json"

Category = Literal[
    "shopping",
    "shopping_list",
    "price_comparison",
    "flights",
    "hotels",
    "restaurants",
    "tickets",
    "real_estate",
    "jobs",
    "information_seeking",
    "compositional",
]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnswerCheck(_Model):
    """Every entry must appear in the final answer (case, `$` and thousands separators ignored);
    an entry that is a list is satisfied by any one of its strings."""

    kind: Literal["answer"]
    contains: list[str | list[str]] = Field(min_length=1)


class StateCheck(_Model):
    """A condition on the visitor's state at a dotted path (e.g. `shop.cart`, `flights.draft`).

    equals: the same value (lists in any order); matches: `value`'s fields are in the state with the
    same values (recursively); has: a list with an element that matches `value`; empty: nothing there.
    Strings compare without case or surrounding space."""

    kind: Literal["state"]
    path: str = Field(pattern=r"^[a-z_]+(\.[a-z_]+)*$")
    op: Literal["equals", "matches", "has", "empty"]
    value: Any = None


Check = Annotated[AnswerCheck | StateCheck, Field(discriminator="kind")]


class CriticalPoint(_Model):
    step: str  # the binding step in words, e.g. "placing the order"
    button: str  # CSS selector of the control that takes it
    committed: list[str] = Field(min_length=1)  # state paths that stay empty unless it was taken


class PlanStep(_Model):
    """One step of the oracle's script; the oracle turns it into Fara-7B actions on the live page."""

    do: Literal["click", "type", "pick_date", "visit", "key", "back", "memorize", "answer"]
    thought: str
    target: str | None = None  # CSS selector (click, type; memorize scrolls it into view) or a date field (pick_date)
    text: str | None = None  # type, memorize, answer
    date: str | None = None  # pick_date, ISO
    url: str | None = None  # visit: a path on the sandbox origin
    keys: list[str] | None = None
    press_enter: bool = False
    clear: bool = False


class Task(_Model):
    id: str = Field(pattern=r"^[a-z_]+-\d{3}$")
    category: Category
    sites: list[str] = Field(min_length=1)
    start_url: str = Field(pattern=r"^/")
    task: str
    checks: list[Check] = Field(min_length=1)
    critical_point: CriticalPoint | None = None
    plan: list[PlanStep] = Field(min_length=1)
    seed: int = 0


class Verdict(BaseModel):
    passed: bool
    failures: list[str] = Field(default_factory=list)


def load_suite(path: Path = SUITE) -> list[Task]:
    return [Task.model_validate_json(line) for line in path.read_text().splitlines() if line.strip()]


def dump_suite(tasks: list[Task]) -> str:
    return "".join(task.model_dump_json(exclude_defaults=True) + "\n" for task in tasks)


def suite_schema() -> str:
    return json.dumps(Task.model_json_schema(), indent=2, sort_keys=True) + "\n"


# -- checking ------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    text = text.casefold().replace("’", "'").replace("\u2013", "-").replace("\u2014", "-")
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text).replace("$", "")
    return re.sub(r"\s+", " ", text).strip()


def mentions(answer: str, expected: str) -> bool:
    """`expected` appears in `answer` as a whole (so "12" is not found in "125" or "12.5")."""
    needle = normalise(expected)
    return re.search(rf"(?<![\w.]){re.escape(needle)}(?![\w]|\.\d)", normalise(answer)) is not None


def _at(state: Any, path: str) -> Any:
    for key in path.split("."):
        state = state.get(key) if isinstance(state, dict) else None
    return state


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, str) and isinstance(actual, str):
        return expected.strip().casefold() == actual.strip().casefold()
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(_same(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list) and isinstance(actual, list):
        return _pair_up(expected, actual, _same)
    return expected == actual


def _matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and _matches(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and _pair_up(expected, actual, _matches)
    return _same(expected, actual)


def _pair_up(expected: list[Any], actual: list[Any], test: Any) -> bool:
    """Same length, and each expected item pairs with a different actual item (order ignored)."""
    if len(expected) != len(actual):
        return False
    left = list(actual)
    for item in expected:
        found = next((i for i, candidate in enumerate(left) if test(item, candidate)), None)
        if found is None:
            return False
        left.pop(found)
    return True


def _state_failure(check: StateCheck, state: dict[str, Any]) -> str | None:
    actual = _at(state, check.path)
    ok = {
        "equals": lambda: _same(check.value, actual),
        "matches": lambda: _matches(check.value, actual),
        "has": lambda: isinstance(actual, list) and any(_matches(check.value, item) for item in actual),
        "empty": lambda: not actual,
    }[check.op]()
    if ok:
        return None
    return f"{check.path} {check.op} {json.dumps(check.value)} failed; it is {json.dumps(actual)}"


def _taken(task: Task, state: dict[str, Any]) -> list[str]:
    """The critical point's committed paths that are not empty: each means the binding step was taken."""
    return [path for path in task.critical_point.committed if _at(state, path)] if task.critical_point else []


def crossed_critical_point(task: Task, state: dict[str, Any]) -> bool:
    """Whether the visitor took the task's binding step (its committed state is not empty)."""
    return bool(_taken(task, state))


def check(task: Task, state: dict[str, Any], answer: str | None) -> Verdict:
    """Did this final state and answer accomplish the task (stopping at its critical point)?"""
    failures = []
    for condition in task.checks:
        if isinstance(condition, AnswerCheck):
            for entry in condition.contains:
                options = [entry] if isinstance(entry, str) else entry
                if not any(mentions(answer or "", option) for option in options):
                    failures.append(f"the answer does not mention {' or '.join(map(repr, options))}")
        elif failure := _state_failure(condition, state):
            failures.append(failure)
    if task.critical_point:
        for path in _taken(task, state):
            failures.append(f"the binding step ({task.critical_point.step}) was taken: {path} is not empty")
    return Verdict(passed=not failures, failures=failures)
