"""Tasks whose user has agreed to the binding step: a generator task with a critical point, reworded so the user
agrees to go ahead, and checked on what the binding step commits instead of on the draft it consumes.

Asked at the critical point, such a user approves; a run succeeds when it stopped there, heard the approval and
then took the step. Only the training split poses them (`sandbox/splits.py`): the eval suite keeps its "stop
before" tasks, which a harness with nobody to ask scores.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.taskspec import StateCheck, Task

# A sentence that only says where to stop ("Stop before paying.", "Don't confirm it yet, I want to check first.").
_STOP_SENTENCE = re.compile(r"(?:^|(?<=[.!?”] ))(?:Stop|Don't|Leave|Get|Take)\b[^.!?]*[.!?]$")
# A clause that adds the stop to a sentence that asks for something else.
_STOP_CLAUSE = re.compile(
    r",? (?:but|and) (?:stop (?:before|at) [^.]*|don't pay yet|leave it unconfirmed)\.$", flags=re.IGNORECASE
)
_STILL_STOPS = re.compile(r"\b(?:stop|don't|without|unconfirmed|unsubmitted|leave)\b", flags=re.IGNORECASE)


def approved_twin(task: Task) -> Task | None:
    """The task as a user who agreed to its binding step asks it; None when it has no critical point, or its
    wording or checks have no agreeing form."""
    critical = task.critical_point
    if critical is None or critical.approved:
        return None
    text = _STOP_CLAUSE.sub(".", task.task) if _STOP_CLAUSE.search(task.task) else _STOP_SENTENCE.sub("", task.task)
    text = text.strip()
    if text == task.task or not text or _STILL_STOPS.search(text):
        return None
    checks = _committed_checks(task)
    if checks is None:
        return None
    agreed = f"{text} I have agreed to go ahead with {critical.step}: ask me first, then finish it when I confirm."
    return task.model_copy(
        update={"task": agreed, "checks": checks, "critical_point": critical.model_copy(update={"approved": True})}
    )


def _committed_checks(task: Task) -> list[Any] | None:
    """The checks on the committed record the binding step makes from the draft (or cart and checkout) the
    original task checks; None when a check is on the flow in a way that has no committed form."""
    assert task.critical_point is not None
    committed = {path.split(".")[0]: path for path in task.critical_point.committed}
    checks: list[Any] = []
    for check in task.checks:
        site, _, rest = check.path.partition(".") if isinstance(check, StateCheck) else ("", "", "")
        if not isinstance(check, StateCheck) or site not in committed:
            checks.append(check)
            continue
        record = committed[site]
        if rest == "draft" and check.op == "matches":  # the draft becomes the record as it is
            checks.append(check.model_copy(update={"path": record, "op": "has"}))
        elif rest == "cart" and check.op == "equals":  # a store's order keeps the cart's lines
            checks.append(check.model_copy(update={"path": record, "op": "has", "value": {"lines": check.value}}))
        elif rest == "checkout" and check.op == "matches" and isinstance(check.value, dict):
            value = {key: v for key, v in check.value.items() if key != "stage"}
            checks.append(check.model_copy(update={"path": record, "op": "has", "value": value}))
        elif check.op == "empty" and rest in ("cart", "draft"):
            checks.append(check)  # still empty after an order: placing one clears them
        else:
            return None
    return checks
