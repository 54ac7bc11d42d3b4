"""The sandbox task format: the schema of `suite.jsonl`, and reading and writing it.

A task has a start path on the sandbox origin, the request as a person would write it, checks on the
visitor's final state and/or the final answer, and (for binding flows) a critical point: success there
means everything up to the binding step is done and the binding step was NOT taken, unless the task says the
user agreed to it (`approved`): then success is the step taken once the user approved it. `plan` is the
oracle's script (see `oracle.py`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

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
CATEGORIES: tuple[Category, ...] = get_args(Category)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Money(_Model):
    type: Literal["money"]
    amount: float


class Count(_Model):
    """A whole number: digits or words ("3", "three")."""

    type: Literal["count"]
    value: int = Field(ge=0)


class Number(_Model):
    """A rating or a score ("4.3", "8.9 out of 10")."""

    type: Literal["number"]
    value: float


class Year(_Model):
    type: Literal["year"]
    value: int = Field(ge=1800, le=2099)


class ClockTime(_Model):
    """A time of day in any common form ("3:00 PM", "3pm", "15:00", "noon", "midnight")."""

    type: Literal["time"]
    minutes: int = Field(ge=0, lt=24 * 60)  # after midnight


class Duration(_Model):
    """A length of time ("5h 35m", "5 hours 35 minutes", "335 minutes")."""

    type: Literal["duration"]
    minutes: int = Field(gt=0)


class Words(_Model):
    """Words, matched whole and in order, without case, punctuation, "the" or plural endings, and with common
    unit and street abbreviations ("30-hour" is "30 hours", "Oak Street" is "Oak St"); any variant will do."""

    type: Literal["text"]
    text: str = Field(min_length=1)
    variants: list[str] = Field(default_factory=list)


Value = Annotated[Money | Count | Number | Year | ClockTime | Duration | Words, Field(discriminator="type")]
# Kinds of value an answer may be limited to: "number" is any plain number, "decimal" one with a decimal point.
Exclusive = Literal["money", "time", "duration", "year", "number", "decimal"]


class AnswerCheck(_Model):
    """The final answer states every value in `says` and names none of `rivals` (the other candidates). For each
    kind in `alone` it states no value of that kind besides `says` and `context` (true facts it may add, such as
    a show's start time beside its door time): one value was asked, so a list of candidates fails."""

    kind: Literal["answer"]
    says: list[Value] = Field(min_length=1)
    rivals: list[Value] = Field(default_factory=list)
    context: list[Value] = Field(default_factory=list)
    alone: list[Exclusive] = Field(default_factory=list)


class ComparisonCheck(_Model):
    """The final answer says `better` is the cheaper of the two, and never says `worse` is."""

    kind: Literal["comparison"]
    better: str
    worse: str


StateOp = Literal["equals", "matches", "has", "empty"]


class StateCheck(_Model):
    """A condition on the visitor's state at a dotted path (e.g. `shop.cart`, `flights.draft`).

    equals: the same value (lists in any order); matches: `value`'s fields are in the state with the
    same values (recursively); has: a list with an element that matches `value`; empty: nothing there.
    Strings compare without case or surrounding space."""

    kind: Literal["state"]
    path: str = Field(pattern=r"^[a-z_]+(\.[a-z_]+)*$")
    op: StateOp
    value: Any = None


Check = Annotated[AnswerCheck | ComparisonCheck | StateCheck, Field(discriminator="kind")]


class CriticalPoint(_Model):
    step: str  # the binding step in words, e.g. "placing the order"
    page: str = Field(pattern=r"^/")  # the path of the page holding the binding control: a run stops there
    button: str  # CSS selector of the control that takes it
    committed: list[str] = Field(min_length=1)  # state paths that stay empty unless it was taken
    # The task says the user agreed to the binding step: asked at the critical point, they approve, and success
    # is the step taken after that approval (never before it).
    approved: bool = False


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


def select(tasks: list[Task], names: Sequence[str]) -> list[Task]:
    """The tasks named by id ("flights-003"), id prefix ("flights-00") or category ("flights"), in suite order;
    all of them when no name is given. A name that matches nothing is an error that says what exists."""
    names = [name.strip() for name in names if name.strip()]

    def named(task: Task, name: str) -> bool:
        return task.category == name or task.id == name or ("-" in name and task.id.startswith(name))

    unknown = [name for name in names if not any(named(task, name) for task in tasks)]
    if unknown:
        raise ValueError(
            f"no sandbox task matches {', '.join(map(repr, unknown))}: give task ids (e.g. {tasks[0].id}), "
            f"id prefixes, or categories ({', '.join(CATEGORIES)})"
        )
    return [task for task in tasks if not names or any(named(task, name) for name in names)]


def load_suite(path: Path = SUITE) -> list[Task]:
    return [Task.model_validate_json(line) for line in path.read_text().splitlines() if line.strip()]


def dump_suite(tasks: list[Task]) -> str:
    return "".join(task.model_dump_json(exclude_defaults=True) + "\n" for task in tasks)


def suite_schema() -> str:
    return json.dumps(Task.model_json_schema(), indent=2, sort_keys=True) + "\n"
