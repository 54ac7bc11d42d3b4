"""Proposing tasks: fresh ones from every available source in turn, then a share of variations of earlier ones,
until enough are accepted. Duplicates (of anything proposed before, in this folder) and tasks of the sandbox's
held-out splits are turned away, and every rejected proposal is kept with its reason.

Sources: the sandbox's task generator (its training split, category by category; offline, with checkers), and
with a proposer model the targeted and exploratory proposers (`datagen.llm_propose`, `datagen.explore`).
Variations: offline, the same template in the training split's other seeds (other data, so the checker and the
oracle still apply); with a model, variations it writes.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from difflib import SequenceMatcher

from datagen.records import SANDBOX, Proposal, Rejection, Source
from sandbox.splits import TRAIN_SEEDS, train_tasks, words
from sandbox.taskspec import Task, select

NEAR_DUPLICATE = 0.93  # a model's paraphrase this close to a known task is the same task

Batch = list[Proposal | Rejection]


class Deduplicator:
    """Turns away a proposal whose task was proposed before: the same words (on the same site and web); for a
    task a model wrote, also one that reads almost the same (the generator's tasks and their seed variants
    differ only in details by design, and each has its own checker)."""

    def __init__(self, known: Sequence[Proposal]) -> None:
        self._known = {proposal.id: proposal for proposal in known}

    def reason(self, proposal: Proposal) -> str | None:
        if proposal.id in self._known:
            return f"duplicate: the same task as proposal {proposal.id}"
        for other in self._known.values():
            if (proposal.check is None or other.check is None) and _alike(proposal.task, other.task):
                return f"near duplicate: reads like proposal {other.id} ({other.task!r})"
        return None

    def add(self, proposal: Proposal) -> None:
        self._known[proposal.id] = proposal


def _alike(first: str, second: str) -> bool:
    matcher = SequenceMatcher(None, words(first), words(second))
    return matcher.quick_ratio() >= NEAR_DUPLICATE and matcher.ratio() >= NEAR_DUPLICATE


def from_task(task: Task, source: Source = "generator", parent: str | None = None) -> Proposal:
    return Proposal(
        task=task.task,
        start_url=task.start_url,
        site=SANDBOX,
        category=task.category,
        source=source,
        parent=parent,
        check=task,
    )


def by_category(tasks: Sequence[Task]) -> list[Task]:
    """Tasks taken one per category in turn, so any first N covers the categories evenly."""
    groups: dict[str, list[Task]] = {}
    for task in tasks:
        groups.setdefault(task.category, []).append(task)
    rounds = itertools.zip_longest(*groups.values())
    return [task for row in rounds for task in row if task is not None]


async def generator_source(names: Sequence[str] = (), known: frozenset[str] = frozenset()) -> AsyncIterator[Batch]:
    """The training split's tasks of its first seed not proposed before, one at a time; `names` narrows them
    (task ids, id prefixes, categories)."""
    for task in by_category(select(train_tasks(TRAIN_SEEDS[0]), names)):
        if (proposal := from_task(task)).id not in known:
            yield [proposal]


def seed_variants(parent: Proposal) -> Iterator[Proposal]:
    """The parent's template as the training split's later seeds pose it: the same template with other data."""
    if parent.check is None:
        return
    for seed in (seed for seed in TRAIN_SEEDS if seed > parent.check.seed):
        variant = next((task for task in train_tasks(seed) if task.id == parent.check.id), None)
        if variant is not None:
            yield from_task(variant, "mutation", parent=parent.id)


async def variant_source(parents: Sequence[Proposal], known: frozenset[str] = frozenset()) -> AsyncIterator[Batch]:
    """One new seed variant per generator parent in turn (parents are those proposed so far)."""
    pending = [seed_variants(parent) for parent in parents if parent.check is not None]
    while pending:
        for variants in list(pending):
            variant = next((v for v in variants if v.id not in known), None)
            if variant is None:
                pending.remove(variants)
            else:
                yield [variant]


OnBatch = Callable[[list[Proposal], list[Rejection]], None]


async def take(
    sources: list[AsyncIterator[Batch]], wanted: int, dedupe: Deduplicator, on_batch: OnBatch | None = None
) -> tuple[list[Proposal], list[Rejection]]:
    """Batches from each source in turn until `wanted` are accepted or every source is spent; `on_batch` hears
    each batch's verdicts as they are made (so they are stored as they happen)."""
    accepted: list[Proposal] = []
    rejected: list[Rejection] = []
    live = list(sources)
    while live and len(accepted) < wanted:
        for source in list(live):
            batch = await anext(source, None)
            if batch is None:
                live.remove(source)
                continue
            taken, turned = _judge(batch, wanted - len(accepted), dedupe)
            accepted += taken
            rejected += turned
            if on_batch is not None:
                on_batch(taken, turned)
            if len(accepted) >= wanted:
                break
    return accepted, rejected


def _judge(batch: Batch, room: int, dedupe: Deduplicator) -> tuple[list[Proposal], list[Rejection]]:
    """A batch's proposals accepted (up to `room`; the rest are left for a later run, not rejected) or rejected:
    a held-out task (the guard), or a duplicate."""
    accepted: list[Proposal] = []
    rejected: list[Rejection] = []
    for item in batch:
        if isinstance(item, Rejection):
            rejected.append(item)
        elif len(accepted) >= room:
            break
        elif (held_out := item.contamination()) is not None:
            rejected.append(Rejection(proposal=item, reason=f"held out: {held_out}"))
        elif (reason := dedupe.reason(item)) is not None:
            rejected.append(Rejection(proposal=item, reason=reason))
        else:
            dedupe.add(item)
            accepted.append(item)
    return accepted, rejected
