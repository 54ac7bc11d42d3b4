"""Writes the sandbox task suite (`suite.jsonl`) from the seed-0 world, deterministically.

Each generator picks targets from the data, states the request as a person would, derives the checks
from the data, and scripts the oracle's plan through the sites' own search functions, so a plan always
lands where the site really puts things. Run `python -m eval.sandbox.suite` after changing a site or
its data; a test fails when the committed file differs from what this writes.
"""

from __future__ import annotations

from collections.abc import Callable

from eval.sandbox.data import World
from eval.sandbox.suite.careers import job_tasks
from eval.sandbox.suite.composed import compositional
from eval.sandbox.suite.information import information_seeking
from eval.sandbox.suite.outings import dine_tasks, ticket_tasks
from eval.sandbox.suite.plans import Builder
from eval.sandbox.suite.real_estate import home_tasks
from eval.sandbox.suite.stores import price_comparison, shopping, shopping_lists
from eval.sandbox.suite.travel import flight_tasks, hotel_tasks
from eval.sandbox.tasks import SCHEMA, SUITE, Task, dump_suite, suite_schema

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
    builder = Builder()
    for generate in GENERATORS:
        generate(world, builder)
    return builder.tasks


def main() -> None:
    SUITE.write_text(dump_suite(build()))
    SCHEMA.write_text(suite_schema())
    print(f"wrote {SUITE} and {SCHEMA}")
