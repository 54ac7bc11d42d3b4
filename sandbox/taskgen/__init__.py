"""Writes the sandbox task suite (`suite.jsonl`) from the seed-0 world, deterministically; other seeds'
suites are generated the same way on demand (`suite_for`).

Each generator picks targets from the data, states the request as a person would, derives the checks
from the data, and scripts the oracle's plan through the sites' own search functions, so a plan always
lands where the site really puts things. Run `python -m sandbox.taskgen` after changing a site or
its data; a test fails when the committed file differs from what this writes.
"""

from __future__ import annotations

from collections.abc import Callable

from sandbox.data.world import World
from sandbox.taskgen.careers import job_tasks
from sandbox.taskgen.composed import compositional
from sandbox.taskgen.information import information_seeking
from sandbox.taskgen.outings import dine_tasks, ticket_tasks
from sandbox.taskgen.plans import Builder, GenerationError
from sandbox.taskgen.real_estate import home_tasks
from sandbox.taskgen.stores import price_comparison, shopping, shopping_lists
from sandbox.taskgen.travel import flight_tasks, hotel_tasks
from sandbox.taskspec import SCHEMA, SUITE, Task, dump_suite, load_suite, suite_schema

GENERATORS: list[Callable[[World, Builder], None]] = [
    shopping,
    shopping_lists,
    price_comparison,
    flight_tasks,
    hotel_tasks,
    dine_tasks,
    ticket_tasks,
    home_tasks,
    job_tasks,
    information_seeking,
    compositional,
]


def build(seed: int = 0) -> list[Task]:
    world = World(seed)
    builder = Builder(seed)
    for generate in GENERATORS:
        generate(world, builder)
    return builder.tasks


__all__ = ["GenerationError", "build", "suite_for"]


def suite_for(seed: int) -> list[Task]:
    """The suite for a data seed: the committed file for seed 0 (the one a test keeps in step), generated from
    that seed's data otherwise. Raises `GenerationError` when a seed's data cannot give every task."""
    return load_suite() if seed == 0 else build(seed)


def main() -> None:
    SUITE.write_text(dump_suite(build()))
    SCHEMA.write_text(suite_schema())
    print(f"wrote {SUITE} and {SCHEMA}")
