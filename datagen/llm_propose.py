"""Proposers with a model: targeted (tasks for a seed URL and its category) and mutation (variations a model
writes of an earlier task). Every batch is then reviewed by the same model against FaraGen's criteria
(achievable without login or paywall, fully specified, useful, automatically verifiable); a task that fails
is kept as rejected, with the reviewer's reason.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from agent.json_reply import json_object
from agent.policy import Policy
from datagen import prompts
from datagen.propose import Batch
from datagen.records import Proposal, Rejection, Source
from datagen.sites import SeedUrl
from eval.tasks import Rubric, RubricItem

MAX_TASK_LENGTH = 600


class Written(BaseModel):
    """A task as a model writes it."""

    task: str = Field(min_length=1)
    hidden: dict[str, str] = Field(default_factory=dict)
    rubric: list[RubricItem] = Field(default_factory=list)


class _Written(BaseModel):
    tasks: list[dict[str, Any]]


class _Review(BaseModel):
    index: int
    accept: bool
    reason: str = ""


class _Reviews(BaseModel):
    reviews: list[_Review]


async def ask_json(model: Policy, system: str | None, prompt: str) -> Any:
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
    return json_object((await model.complete(messages)).text)


def written_proposal(
    data: Any, *, start_url: str, site: str, category: str | None, source: Source, parent: str | None = None
) -> Proposal | Rejection:
    """A proposal from a model's task object, or a rejection saying what is wrong with it."""
    try:
        written = Written.model_validate(data)
    except ValidationError as error:
        shown = Proposal(task=str(data)[:MAX_TASK_LENGTH] or "?", start_url=start_url, site=site, source=source)
        return Rejection(proposal=shown, reason=f"malformed: {error.errors()[0]['msg']}")
    proposal = Proposal(
        task=written.task.strip(),
        start_url=start_url,
        site=site,
        category=category,
        source=source,
        parent=parent,
        hidden=written.hidden,
        rubric=Rubric(items=written.rubric) if written.rubric else None,
    )
    if len(proposal.task) > MAX_TASK_LENGTH:
        return Rejection(proposal=proposal, reason=f"too long: over {MAX_TASK_LENGTH} characters")
    return proposal


async def review(model: Policy, batch: Batch) -> Batch:
    """The batch with every proposal the reviewer turns down (or does not review) made a rejection."""
    proposals = [(number, item) for number, item in enumerate(batch, start=1) if isinstance(item, Proposal)]
    if not proposals:
        return batch
    listing = "\n".join(f"{number}. {item.task} (starts at {item.start_url})" for number, item in proposals)
    try:
        reviews = _Reviews.model_validate(await ask_json(model, None, prompts.REVIEW_PROMPT.format(tasks=listing)))
        verdicts = {entry.index: entry for entry in reviews.reviews}
    except ValidationError:
        verdicts = {}
    reviewed: Batch = [item for item in batch if isinstance(item, Rejection)]
    for number, item in proposals:
        verdict = verdicts.get(number)
        if verdict is None:
            reviewed.append(Rejection(proposal=item, reason="reviewer: gave no verdict"))
        elif not verdict.accept:
            reviewed.append(Rejection(proposal=item, reason=f"reviewer: {verdict.reason or 'rejected'}"))
        else:
            reviewed.append(item)
    return reviewed


def _tasks(data: Any) -> list[dict[str, Any]]:
    try:
        return _Written.model_validate(data).tasks
    except ValidationError:
        return []


async def _written_batch(model: Policy, prompt: str, **where: Any) -> Batch:
    """The tasks the model writes for `prompt`, as proposals at `where` (start URL, site, ...), reviewed."""
    written = _tasks(await ask_json(model, None, prompt + "\n" + prompts.PROPOSAL_FORMAT))
    return await review(model, [written_proposal(task, **where) for task in written])


async def targeted_source(model: Policy, seeds: Sequence[SeedUrl], per_url: int) -> AsyncIterator[Batch]:
    """For each seed URL, the tasks the model writes for it (reviewed)."""
    for seed in seeds:
        prompt = prompts.TARGETED_PROMPT.format(count=per_url, url=seed.url, category=seed.category)
        yield await _written_batch(
            model, prompt, start_url=seed.url, site=seed.site, category=seed.category, source="targeted"
        )


async def mutation_source(model: Policy, parents: Sequence[Proposal], per_parent: int) -> AsyncIterator[Batch]:
    """For each parent in turn, variations the model writes (reviewed)."""
    for parent in parents:
        prompt = prompts.MUTATION_PROMPT.format(count=per_parent, url=parent.start_url, task=parent.task)
        yield await _written_batch(
            model,
            prompt,
            start_url=parent.start_url,
            site=parent.site,
            category=parent.category,
            source="mutation",
            parent=parent.id,
        )
