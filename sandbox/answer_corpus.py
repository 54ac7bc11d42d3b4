"""A corpus of final answers for every sandbox task that checks an answer, each with the verdict a careful person
would give: the oracle's answer as written and reformatted (must pass), and the same answer negated, hedged, with
a wrong item or a wrong unit, or replaced by small talk (must fail), plus hand-written hard cases.

The rule-made cases are derived from the task data (the oracle's answer and the task's checks), so they follow
the suite; `answer_corpus.jsonl` is the checked-in copy that `make test` reads (a test keeps it equal to what the
rules make). `explain` shows how one answer is read: `farol eval sandbox answers --task ID`.

    python -m sandbox.answer_corpus     # rewrite answer_corpus.jsonl after the suite changed
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from sandbox.answers import asserted, hedges, read_values
from sandbox.checks import _answer_failures, _comparison_failures, describe
from sandbox.splits import answer_of
from sandbox.taskspec import AnswerCheck, ClockTime, ComparisonCheck, Count, Money, Number, Task, Value, Words, Year

CORPUS = Path(__file__).parent / "answer_corpus.jsonl"
Kind = Literal[
    "right", "capitals", "polite", "negated", "hedged", "alternatives", "wrong_item", "wrong_unit", "small_talk", "hard"
]  # fmt: skip
SMALL_TALK = "Happy to help with that! Let me know if there is anything else you need."


class Case(BaseModel):
    task: str
    kind: Kind
    answer: str
    passes: bool


def answer_failures(task: Task, answer: str) -> list[str]:
    """Why `answer` fails the task's answer checks (its state checks aside); empty when it passes them."""
    failures: list[str] = []
    for condition in task.checks:
        if isinstance(condition, AnswerCheck):
            failures += _answer_failures(condition, answer)
        elif isinstance(condition, ComparisonCheck):
            failures += _comparison_failures(condition, answer)
    return failures


def checks_answers(task: Task) -> bool:
    return any(isinstance(condition, (AnswerCheck, ComparisonCheck)) for condition in task.checks)


def rule_cases(task: Task) -> list[Case]:
    """The cases the rules make for one task (none when its oracle gives no answer to build on)."""
    answer = answer_of(task)
    if answer is None or not checks_answers(task):
        return []
    cases = [
        Case(task=task.id, kind="right", answer=answer, passes=True),
        Case(task=task.id, kind="capitals", answer=answer.upper(), passes=True),
        Case(task=task.id, kind="polite", answer=f"Here is what I found. {answer} Anything else?", passes=True),
        Case(task=task.id, kind="small_talk", answer=SMALL_TALK, passes=False),
    ]
    comparison = next((c for c in task.checks if isinstance(c, ComparisonCheck)), None)
    if comparison is not None and f"{comparison.better} is cheaper" in answer:
        negated = answer.replace(f"{comparison.better} is cheaper", f"{comparison.better} is not cheaper", 1)
        cases.append(Case(task=task.id, kind="negated", answer=negated, passes=False))
    exact = _first_exact(task)
    if exact is not None and (shown := _surface(exact, answer)) is not None:
        before, after = answer.split(shown, 1)
        cases += [
            Case(task=task.id, kind="negated", answer=f"{before}not {shown}{after}", passes=False),
            Case(task=task.id, kind="hedged", answer=f"{before}about {shown}{after}", passes=False),
            Case(task=task.id, kind="alternatives", answer=f"{before}{_other(exact)} or {shown}{after}", passes=False),
            Case(task=task.id, kind="wrong_item", answer=f"{before}{_other(exact)}{after}", passes=False),
        ]
        if (unit := _wrong_unit(exact, shown)) is not None:
            cases.append(Case(task=task.id, kind="wrong_unit", answer=f"{before}{unit}{after}", passes=False))
    return cases


def _first_exact(task: Task) -> Value | None:
    """The first exact value (not words) the task's answer check asks for."""
    for condition in task.checks:
        if isinstance(condition, AnswerCheck):
            return next((value for value in condition.says if not isinstance(value, Words)), None)
    return None


def _surface(value: Value, answer: str) -> str | None:
    """How the oracle wrote `value` in its answer, if it can be found as written."""
    forms: list[str] = []
    match value:
        case Money():
            forms = [f"${value.amount:,.2f}", f"${value.amount:,.0f}"]
        case ClockTime():
            forms = [describe(value)]
        case Count() | Year():
            forms = [str(value.value)]
        case Number():
            forms = [f"{value.value:g}"]
    return next((form for form in forms if form in answer), None)


def _other(value: Value) -> str:
    """A different value of the same kind, written the same way."""
    match value:
        case Money():
            return f"${value.amount + 7:,.2f}"
        case ClockTime():
            return describe(ClockTime(type="time", minutes=(value.minutes + 60) % (24 * 60)))
        case Count():
            return str(value.value + 2)
        case Year():
            return str(value.value - 10)
        case Number():
            return f"{value.value - 0.3:g}"
    raise TypeError(value)


def _wrong_unit(value: Value, shown: str) -> str | None:
    """The same number in another unit or currency, or the other half of the day."""
    match value:
        case Money():
            return f"{shown.removeprefix('$')} EUR"
        case ClockTime():
            return shown.replace("PM", "AM") if "PM" in shown else shown.replace("AM", "PM")
        case Count():
            return f"{shown} hours"
    return None


# Hard cases written by hand: each one a way a careless or gaming answer has fooled a reader before.
HARD: list[tuple[str, str, bool]] = [
    ("information_seeking-007", "THERE ARE FOUR NONSTOP FLIGHTS.", True),
    ("information_seeking-007", "There are not 4 but 3 nonstop flights.", False),
    ("information_seeking-007", "There are 4 or 5 nonstop flights.", False),
    ("information_seeking-007", "I'm not sure, maybe 4 nonstop flights.", False),
    ("information_seeking-002", "Check-in starts at 15:00.", True),
    ("information_seeking-002", "Check-in is not at 3 PM; it starts at noon.", False),
    ("information_seeking-002", "Check-in starts around 3 PM.", False),
    ("information_seeking-002", "Check-in is at 2 or 3 PM.", False),
    ("information_seeking-001", "It holds 1,200 ml.", True),
    ("information_seeking-001", "IT HOLDS 1.2 LITRES.", True),
    ("information_seeking-001", "It holds 1.2 kg.", False),
    ("information_seeking-001", "It does not hold 1.2 L; it holds 750 ml.", False),
    ("information_seeking-006", "CLOUD ENERGY WAS FOUNDED IN 2012 AND HAS 51-200 EMPLOYEES.", True),
    ("information_seeking-006", "Cloud Energy was founded in '12 and has 51-200 employees.", False),
    ("information_seeking-006", "Founded around 2012, with 51-200 employees.", False),
    ("price_comparison-001", "IT IS CHEAPER ON VALUEMART ($55.99) THAN ON CARTWHEEL ($56.99).", True),
    ("price_comparison-001", "It is not cheaper on ValueMart ($55.99); Cartwheel ($56.99) is cheaper.", False),
    ("price_comparison-001", "ValueMart isn't the cheaper one: $55.99 there vs $56.99 at Cartwheel.", False),
    ("price_comparison-001", "Cartwheel at $56.99 rather than ValueMart at $55.99 is the cheaper option.", False),
    ("price_comparison-001", "ValueMart costs $55.99 and Cartwheel costs 56.99 EUR, so ValueMart is cheaper.", False),
    ("information_seeking-008", "The Saffron Hotel Nashville has the best rating, 9.8.", True),
    (
        "information_seeking-008",
        "The best is not The Saffron Hotel Nashville (9.8) but The Osprey Hotel Nashville.",
        False,
    ),
    ("information_seeking-011", "It has 70 ratings averaging 4.5/5.", True),
    ("information_seeking-011", "It has about 70 ratings averaging 4.5.", False),
    ("information_seeking-011", "It has 70-ish ratings averaging 4.5.", False),
    ("information_seeking-013", "The largest is 5899 Park Way at $3.591M.", True),
    ("information_seeking-013", "The largest is 5899 Park Way at $3,591.", False),
    ("information_seeking-013", "The largest is 5899 Park Way at roughly $3.6 million.", False),
    ("information_seeking-013", "The largest is 5899 Park Way at USD 3,591,000.", True),
]


def corpus(tasks: list[Task]) -> list[Case]:
    by_id = {task.id: task for task in tasks}
    hard = [
        Case(task=task, kind="hard", answer=answer, passes=passes) for task, answer, passes in HARD if task in by_id
    ]
    return [case for task in tasks for case in rule_cases(task)] + hard


def explain(task: Task, answer: str) -> dict[str, Any]:
    """How an answer is read for a task: what it asserts, the values read from that, its hedges, the verdict."""
    said = asserted(answer)
    reading = read_values(said)
    failures = answer_failures(task, answer)
    return {
        "answer": answer,
        "asserted": " ".join(said.split()),
        "values": {name: values for name, values in vars(reading).items() if values},
        "hedges": hedges(said),
        "passes": not failures,
        "why": failures,
    }


def write(tasks: list[Task], path: Path = CORPUS) -> None:
    path.write_text("".join(case.model_dump_json() + "\n" for case in corpus(tasks)))


def read(path: Path = CORPUS) -> list[Case]:
    return [Case.model_validate(json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


if __name__ == "__main__":
    from sandbox.taskspec import load_suite

    write(load_suite())
    print(f"wrote {CORPUS}")
