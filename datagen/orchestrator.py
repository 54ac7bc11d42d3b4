"""The Orchestrator: Magentic-One's two ledgers around the one agent loop.

It plans before the first step (the task ledger: a fact sheet and a plan), watches every step through the
loop's hooks and writes a progress ledger (Magentic-One's fields plus `last_action_successful`,
`critical_point_reached` and `needs_user_input`), and steers the WebSurfer through its `Directive`: the next
instruction, a re-plan after `max_stalls` stalled steps, or a stop once the task is done, the user must
answer, or re-planning has run out; once the user answers, the stop is lifted (`user_answered`). When the run
ends it names the pages that show the outcome, for the verifiers; its ledgers are kept with the job. A reply it
cannot read leaves the surfer's course as it was (and is logged).
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from agent.actions import Terminate
from agent.approval import APPROVED_TEXT, Decision
from agent.json_reply import json_object
from agent.loop import Hooks
from agent.policy import Policy
from agent.trajectory import Step, Trajectory
from datagen import prompts
from datagen.marks import shrink_png
from datagen.narrative import narrate, visited
from datagen.steering import Directive
from eval.judges.base import image_part

log = logging.getLogger(__name__)
USER_SIMULATOR = "UserSimulator"


class Entry(BaseModel):
    reason: str = ""
    answer: bool


class TextEntry(BaseModel):
    reason: str = ""
    answer: str


class ProgressLedger(BaseModel):
    is_request_satisfied: Entry
    is_in_loop: Entry
    is_progress_being_made: Entry
    last_action_successful: Entry
    critical_point_reached: Entry
    needs_user_input: Entry
    next_speaker: TextEntry
    instruction_or_question: TextEntry

    @property
    def needs_user(self) -> bool:
        return self.needs_user_input.answer or self.next_speaker.answer == USER_SIMULATOR


class _Facts(BaseModel):
    facts: str


class _Plan(BaseModel):
    plan: str


class _Replan(BaseModel):
    facts: str
    plan: str


class _StopReview(BaseModel):
    accept: bool
    reason: str = ""
    instruction: str = ""


class _Targets(BaseModel):
    targets: list[str]


Answer = TypeVar("Answer", bound=BaseModel)


class Orchestrator(Hooks):
    def __init__(self, model: Policy, *, max_stalls: int = 3, max_replans: int = 2, json_retries: int = 2) -> None:
        self.model = model
        self.max_stalls, self.max_replans, self.json_retries = max_stalls, max_replans, json_retries
        self.task = self.facts = self.plan = ""
        self.ledgers: list[ProgressLedger] = []
        self.stalls = self.replans = 0
        self.targets: list[str] = []
        self._directive = Directive()
        self._trajectory: Trajectory | None = None  # the run it watches (set when the round starts)

    # -- steering (read by the surfer) ------------------------------------------------------------

    def directive(self) -> Directive:
        return self._directive

    async def review_stop(self, thoughts: str, status: str) -> str | None:
        assert self._trajectory is not None, "review_stop before the round started"
        history = narrate(self._trajectory)
        prompt = prompts.STOP_REVIEW_PROMPT.format(task=self.task, history=history, status=status, thoughts=thoughts)
        review = await self._ask(prompt, _StopReview)
        if review is None or review.accept:
            return None
        return review.instruction or review.reason or "the task is not done yet"

    def user_answered(self, decision: Decision) -> None:
        """The user answered the surfer (a reply or an approval): the stop is lifted and the surfer's tools
        return, with what the user said as the next instruction."""
        said = decision.text if decision.decision == "reply" else APPROVED_TEXT
        self._directive = Directive(instruction=f"The user answered: {said} Carry on with the task.")

    # -- hooks ------------------------------------------------------------------------------------

    async def on_round_start(self, trajectory: Trajectory) -> None:
        self._trajectory = trajectory
        if self.plan:
            return
        self.task = trajectory.task
        facts = await self._ask(prompts.FACTS_PROMPT.format(task=self.task), _Facts)
        self.facts = facts.facts if facts else ""
        plan = await self._ask(prompts.PLAN_PROMPT.format(task=self.task, facts=self.facts), _Plan)
        self.plan = plan.plan if plan else ""
        self._directive = Directive(instruction=f"Follow this plan:\n{self.plan}" if self.plan else None)

    async def on_step(self, trajectory: Trajectory, step: Step) -> None:
        if step.action is None or isinstance(step.action, Terminate):
            return  # nothing to steer: the round ends, or the user is answering a critical point
        prompt = prompts.PROGRESS_PROMPT.format(task=self.task, plan=self.plan, history=narrate(trajectory))
        image = step.image.png if step.image is not None else None
        ledger = await self._ask(prompt, ProgressLedger, image=image)
        if ledger is None:
            return
        self.ledgers.append(ledger)
        self._directive = await self._steer(ledger, trajectory)

    async def on_end(self, trajectory: Trajectory) -> None:
        urls = visited(trajectory)
        if not urls:
            return
        prompt = prompts.TARGETS_PROMPT.format(
            task=self.task, answer=trajectory.final_answer or "(none)", urls="\n".join(urls)
        )
        named = await self._ask(prompt, _Targets)
        self.targets = [url for url in (named.targets if named else []) if url in urls] or urls[-1:]

    # -- the ledgers ------------------------------------------------------------------------------

    async def _steer(self, ledger: ProgressLedger, trajectory: Trajectory) -> Directive:
        """The next directive, by precedence: a critical point or a question for the user, then a finished
        task, then stalls (re-plan, or stop when re-plans ran out), else the ledger's instruction."""
        if ledger.critical_point_reached.answer:
            return Directive(stop=ledger.critical_point_reached.reason, critical_point=True)
        if ledger.needs_user:
            return Directive(stop=ledger.instruction_or_question.answer, critical_point=True)
        if ledger.is_request_satisfied.answer:
            return Directive(stop=f"the task is done: {ledger.is_request_satisfied.reason}")
        stalled = not ledger.is_progress_being_made.answer or ledger.is_in_loop.answer
        self.stalls = self.stalls + 1 if stalled else max(0, self.stalls - 1)
        if self.stalls < self.max_stalls:
            return Directive(instruction=ledger.instruction_or_question.answer)
        if self.replans >= self.max_replans:
            return Directive(
                stop=f"no progress after {self.replans} new plans ({ledger.is_progress_being_made.reason})"
            )
        self.replans += 1
        self.stalls = 0
        prompt = prompts.REPLAN_PROMPT.format(
            task=self.task, facts=self.facts, plan=self.plan, history=narrate(trajectory)
        )
        replanned = await self._ask(prompt, _Replan)
        if replanned is not None:
            self.facts, self.plan = replanned.facts, replanned.plan
        return Directive(instruction=f"We start over with a new plan:\n{self.plan}")

    async def _ask(self, prompt: str, answer: type[Answer], image: bytes | None = None) -> Answer | None:
        content: list[dict[str, Any]] = [{"type": "text", "text": prompt}]
        if image is not None:
            content.append(image_part(shrink_png(image)))
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": prompts.ORCHESTRATOR_SYSTEM},
            {"role": "user", "content": content},
        ]
        for _ in range(self.json_retries + 1):
            reply = await self.model.complete(messages)
            try:
                return answer.model_validate(json_object(reply.text))
            except ValidationError as error:
                messages += [
                    {"role": "assistant", "content": reply.text},
                    {
                        "role": "user",
                        "content": f"That is not the JSON asked for ({error.error_count()} errors). "
                        "Answer again with the JSON object only.",
                    },
                ]
        log.warning("the Orchestrator's model did not answer with a %s; carrying on without it", answer.__name__)
        return None
