"""The UserSimulator: the user of a generated task, answering through the same approval path a person uses.

It knows the task and its hidden details (what the user would say if asked) and nothing else. At a critical
point it answers what the surfer asked, from those details only, and volunteers nothing it was not asked. When
the surfer asks nothing the details answer (it stopped before a binding step for the go-ahead), the task decides:
a task whose user agreed to that step (`approves`) is approved ("I approve. Go ahead."), and the binding click
the guard then stops is approved too; any other task is declined and the trajectory ends there, at the critical
point, as Fara-7B's training data requires. It never approves typing into a secret field.

With a model it lets the model word the answer, but an answer that gives away a detail the surfer did not ask
for is replaced by the plain one; without a model the plain answer is all it gives ("My size is M."). Every
exchange is kept (`exchanges`), and `on_answer` hears each answer that lets the run go on (the Orchestrator
then lifts its stop: the surfer's tools return).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict
from typing import Literal

from pydantic import BaseModel

from agent.actions import LeftClick
from agent.approval import ApprovalRequest, Decision
from agent.json_reply import json_object
from agent.policy import Policy
from datagen import prompts

_STOPWORDS = {"the", "and", "for", "your", "you", "what", "which", "with", "from", "that", "this", "have", "are"}


def asked_keys(question: str, hidden: dict[str, str]) -> list[str]:
    """The details a question asks about: those whose name's words appear in it."""
    words = set(re.findall(r"[a-z]+", question.casefold()))
    return [key for key in hidden if _key_words(key) & words]


def plain_answer(keys: list[str], hidden: dict[str, str]) -> str | None:
    return " ".join(f"My {key.replace('_', ' ')} is {hidden[key]}." for key in keys) or None


def volunteered(reply: str, question: str, hidden: dict[str, str]) -> list[str]:
    """The details a reply gives away that the question did not ask about."""
    asked = set(asked_keys(question, hidden))
    return [key for key, value in hidden.items() if key not in asked and _mentions(reply, value)]


def _key_words(key: str) -> set[str]:
    return {word for word in re.findall(r"[a-z]+", key.casefold()) if len(word) > 2 and word not in _STOPWORDS}


def _mentions(text: str, value: str) -> bool:
    value = value.strip()
    if not value:
        return False
    flags = re.IGNORECASE if len(value) > 1 else 0  # a one-letter size ("M") only as written
    return re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text, flags) is not None


class Exchange(BaseModel):
    """One question the surfer put to the user and the answer, for the record."""

    kind: str  # guard or critical_point
    question: str
    decision: Literal["approve", "deny", "reply"]
    text: str | None = None


class UserSimulator:
    """An `Approver`: `Agent(..., approver=UserSimulator(task, hidden, model, approves=...))`."""

    def __init__(
        self,
        task: str,
        hidden: dict[str, str],
        model: Policy | None = None,
        *,
        approves: bool = False,
        on_answer: Callable[[Decision], None] | None = None,
    ) -> None:
        self.task, self.hidden, self.model, self.approves = task, hidden, model, approves
        self.on_answer = on_answer
        self.exchanges: list[Exchange] = []
        self._approved = False  # it approved going ahead at a critical point

    async def __call__(self, request: ApprovalRequest) -> Decision:
        question = request.step.thoughts
        if request.kind == "guard":  # only the binding click it already agreed to, never typing a secret
            agreed = self._approved and isinstance(request.step.action, LeftClick)
            decision = Decision("approve" if agreed else "deny")
        else:
            decision = await self._answer(question)
            self._approved = self._approved or decision.decision == "approve"
        self.exchanges.append(Exchange(kind=request.kind, question=question, **asdict(decision)))
        if decision.decision != "deny" and self.on_answer is not None:
            self.on_answer(decision)
        return decision

    async def _answer(self, question: str) -> Decision:
        plain = plain_answer(asked_keys(question, self.hidden), self.hidden)
        if self.model is None or not self.hidden:
            return Decision("reply", plain) if plain else self._go_ahead()
        worded = await self._worded(question)
        if worded is None:
            return self._go_ahead()
        if volunteered(worded, question, self.hidden):
            return Decision("reply", plain) if plain else self._go_ahead()
        return Decision("reply", worded)

    def _go_ahead(self) -> Decision:
        """Nothing to answer: the surfer wants the go-ahead, which the task gives or not."""
        return Decision("approve" if self.approves else "deny")

    async def _worded(self, question: str) -> str | None:
        assert self.model is not None
        details = "\n".join(f"- {key}: {value}" for key, value in self.hidden.items())
        prompt = prompts.USER_SIMULATOR_PROMPT.format(task=self.task, hidden=details, question=question)
        reply = await self.model.complete(
            [{"role": "system", "content": prompts.USER_SIMULATOR_SYSTEM}, {"role": "user", "content": prompt}]
        )
        data = json_object(reply.text)
        answer = data.get("reply") if isinstance(data, dict) else None
        return answer.strip() if isinstance(answer, str) and answer.strip() else None
