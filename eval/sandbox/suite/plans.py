"""The vocabulary of plans and checks the task generators share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from eval.sandbox.tasks import AnswerCheck, CriticalPoint, PlanStep, StateCheck, Task


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


def says(*entries: str | list[str]) -> AnswerCheck:
    return AnswerCheck(kind="answer", contains=list(entries))


def state(path: str, op: str, value: Any = None) -> StateCheck:
    return StateCheck(kind="state", path=path, op=op, value=value)  # type: ignore[arg-type]


def q(**params: Any) -> QueryParams:
    """Query parameters as a results page sees them (lists give repeated keys)."""
    items = [(k, str(x)) for k, v in params.items() if v not in (None, "") for x in (v if isinstance(v, list) else [v])]
    return QueryParams(urlencode(items))


def first_strictly(items: Sequence[Any], key: Callable[[Any], Any]) -> Any | None:
    """The best item by `key` when it is strictly better than the runner-up (so the task has one answer)."""
    ranked = sorted(items, key=key)
    if not ranked or (len(ranked) > 1 and key(ranked[0]) == key(ranked[1])):
        return None
    return ranked[0]


def long_date(day: date) -> str:
    return f"{day:%A}, {day:%B} {day.day}"


def short_date(day: date) -> str:
    return f"{day:%B} {day.day}"


class Builder:
    """Collects tasks per category, numbering them."""

    def __init__(self) -> None:
        self.tasks: list[Task] = []

    def add(
        self,
        category: str,
        sites: list[str],
        start: str,
        text: str,
        checks: list[Any],
        plan: list[PlanStep],
        critical: CriticalPoint | None = None,
    ) -> None:
        number = sum(1 for t in self.tasks if t.category == category) + 1
        self.tasks.append(
            Task(
                id=f"{category}-{number:03d}",
                category=category,
                sites=sites,
                start_url=start,
                task=text,
                checks=checks,
                critical_point=critical,
                plan=plan,
            )  # type: ignore[arg-type]
        )
