"""The UserSimulator: the user of a generated task, answering through the same approval path a person uses.

It knows the task and its hidden details (what the user would say if asked) and nothing else. At a critical
point it answers what the surfer asked, from those details only, and volunteers nothing it was not asked;
when the surfer asks for something the details do not cover, or stopped before a binding step, it declines
and the trajectory ends there, at the critical point, as Fara-7B's training data requires. It never approves
a guard hit: a synthetic user neither commits to anything nor types secrets.

With a model it lets the model word the answer, but an answer that gives away a detail the surfer did not ask
for is replaced by the plain one; without a model the plain answer is all it gives ("My size is M.").
"""

from __future__ import annotations

import re

from agent.approval import ApprovalRequest, Decision
from agent.policy import Policy
from datagen import prompts
from eval.judges.rubric import json_object

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


class UserSimulator:
    """An `Approver`: `Agent(..., approver=UserSimulator(task, hidden, model))`."""

    def __init__(self, task: str, hidden: dict[str, str], model: Policy | None = None) -> None:
        self.task, self.hidden, self.model = task, hidden, model
        self.answers: list[tuple[str, Decision]] = []  # (what the surfer said, the answer), for the record

    async def __call__(self, request: ApprovalRequest) -> Decision:
        question = request.step.thoughts
        decision = Decision("deny") if request.kind == "guard" else await self._answer(question)
        self.answers.append((question, decision))
        return decision

    async def _answer(self, question: str) -> Decision:
        plain = plain_answer(asked_keys(question, self.hidden), self.hidden)
        if self.model is None or not self.hidden:
            return Decision("reply", plain) if plain else Decision("deny")
        worded = await self._worded(question)
        if worded is None:
            return Decision("deny")
        if volunteered(worded, question, self.hidden):
            return Decision("reply", plain) if plain else Decision("deny")
        return Decision("reply", worded)

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
