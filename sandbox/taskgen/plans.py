"""The vocabulary of plans and checks the task generators share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from sandbox.taskspec import (
    AnswerCheck,
    Category,
    Check,
    ClockTime,
    ComparisonCheck,
    Count,
    CriticalPoint,
    Duration,
    Exclusive,
    Money,
    Number,
    PlanStep,
    StateCheck,
    StateOp,
    Task,
    Value,
    Words,
    Year,
)

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

T = TypeVar("T")

# Two requests this alike read as one task asked twice (difflib's ratio on their text).
NEAR_DUPLICATE = 0.93


def click(target: str, thought: str) -> PlanStep:
    return PlanStep(do="click", target=target, thought=thought)


def type_in(target: str, text: str, thought: str, *, enter: bool = False, clear: bool = False) -> PlanStep:
    return PlanStep(do="type", target=target, text=text, thought=thought, press_enter=enter, clear=clear)


def pick(field: str, day: date, thought: str) -> PlanStep:
    return PlanStep(do="pick_date", target=field, date=day.isoformat(), thought=thought)


def visit(path: str, thought: str) -> PlanStep:
    return PlanStep(do="visit", url=path, thought=thought)


def remember(fact: str, thought: str) -> PlanStep:
    return PlanStep(do="memorize", text=fact, thought=thought)


def answer(text: str) -> PlanStep:
    return PlanStep(do="answer", text=text, thought=text)


def facet(key: str, value: str, thought: str) -> PlanStep:
    return click(f'.facet-option[data-facet-key="{key}"][data-value="{value}"]', thought)


def sort_by(value: str, label: str) -> list[PlanStep]:
    return [
        click("#sort-toggle", "I open the sort menu."),
        click(f'#sort-menu [data-sort="{value}"]', f"I sort by {label.lower()}."),
    ]


def choose(menu: str, value: object, label: str, thought: str) -> list[PlanStep]:
    """A custom dropdown: open it, then pick the option."""
    return [click(f"#{menu} .select-toggle", thought), click(f'#{menu} [data-value="{value}"]', f"I choose {label}.")]


def says(
    *values: Value, rivals: Sequence[Value] = (), context: Sequence[Value] = (), alone: Sequence[Exclusive] = ()
) -> AnswerCheck:
    return AnswerCheck(kind="answer", says=list(values), rivals=list(rivals), context=list(context), alone=list(alone))


def cheaper(better: str, worse: str) -> ComparisonCheck:
    return ComparisonCheck(kind="comparison", better=better, worse=worse)


def cash(amount: float) -> Money:
    return Money(type="money", amount=amount)


def count(value: int) -> Count:
    return Count(type="count", value=value)


def number(value: float) -> Number:
    return Number(type="number", value=value)


def year(value: int) -> Year:
    return Year(type="year", value=value)


def clock_time(minutes: int) -> ClockTime:
    return ClockTime(type="time", minutes=minutes % (24 * 60))


def duration(minutes: int) -> Duration:
    return Duration(type="duration", minutes=minutes)


def words(text: str, *variants: str) -> Words:
    return Words(type="text", text=text, variants=[v for v in dict.fromkeys(variants) if v != text])


def a_or_an(word: str) -> str:
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def state(path: str, op: StateOp, value: Any = None) -> StateCheck:
    return StateCheck(kind="state", path=path, op=op, value=value)


def q(**params: Any) -> QueryParams:
    """Query parameters as a results page sees them (lists give repeated keys)."""
    items = [(k, str(x)) for k, v in params.items() if v not in (None, "") for x in (v if isinstance(v, list) else [v])]
    return QueryParams(urlencode(items))


def first_strictly(items: Sequence[T], key: Callable[[T], SupportsRichComparison]) -> T | None:
    """The best item by `key` when it is strictly better than the runner-up (so the task has one answer)."""
    ranked = sorted(items, key=key)
    if not ranked or (len(ranked) > 1 and key(ranked[0]) == key(ranked[1])):
        return None
    return ranked[0]


def long_date(day: date) -> str:
    return f"{day:%A}, {day:%B} {day.day}"


def short_date(day: date) -> str:
    return f"{day:%B} {day.day}"


class GenerationError(ValueError):
    """This seed's data cannot give a category all its tasks."""


def fill(b: Builder, category: Category, wanted: int, attempt: Callable[[int], object], tries: int = 600) -> None:
    """Call `attempt(index)` (which may add a task of `category`) until the category has `wanted` tasks."""
    for index in range(tries):
        if b.count(category) >= wanted:
            return
        attempt(index)
    if b.count(category) < wanted:
        raise GenerationError(f"seed {b.seed}: only {b.count(category)} of {wanted} {category} tasks in {tries} tries")


class Builder:
    """Collects one seed's tasks per category, numbering them. It turns away a task whose request reads almost
    like one it has (only a detail differs) or whose answer check another task already has, so that no two
    tasks can be passed by the same fixed answer."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.tasks: list[Task] = []
        self._answers: set[str] = set()

    def count(self, category: Category) -> int:
        return sum(1 for task in self.tasks if task.category == category)

    def add(
        self,
        category: Category,
        sites: list[str],
        start: str,
        text: str,
        checks: Sequence[Check],
        plan: list[PlanStep],
        critical: CriticalPoint | None = None,
    ) -> bool:
        """Add the task; False (and nothing added) when it would nearly repeat another."""
        answers = [c.model_dump_json(include={"says"}) for c in checks if isinstance(c, AnswerCheck)]
        if any(a in self._answers for a in answers) or any(self._alike(text, task.task) for task in self.tasks):
            return False
        self._answers.update(answers)
        self.tasks.append(
            Task(
                id=f"{category}-{self.count(category) + 1:03d}",
                category=category,
                sites=sites,
                start_url=start,
                task=text,
                checks=list(checks),
                critical_point=critical,
                plan=plan,
                seed=self.seed,
            )
        )
        return True

    @staticmethod
    def _alike(first: str, second: str) -> bool:
        matcher = SequenceMatcher(None, first, second)
        return matcher.quick_ratio() >= NEAR_DUPLICATE and matcher.ratio() >= NEAR_DUPLICATE
