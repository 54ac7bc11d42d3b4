"""The sandbox's data: seeded and deterministic, large enough, rich enough for constrained tasks."""

from __future__ import annotations

import pytest

from agent.actions import LeftClick
from agent.environment import ElementInfo
from agent.guard import sensitive_reason
from sandbox.data.world import World

pytestmark = pytest.mark.unit


def test_the_same_seed_gives_the_same_world_and_another_seed_a_different_one():
    first, again, other = World(0), World(0), World(1)
    for catalogue in ("products", "schedule", "hotels", "restaurants", "events", "jobs", "homes"):
        assert getattr(first, catalogue) == getattr(again, catalogue), catalogue
        assert getattr(first, catalogue) != getattr(other, catalogue), catalogue
    assert first.stores == again.stores and first.stores != other.stores


def test_every_catalogue_has_at_least_200_items():
    world = World(0)
    sizes = {
        "shop": len(world.stores["shop"].offers),
        "mart": len(world.stores["mart"].offers),
        "flight schedule": len(world.schedule),
        "hotels": len(world.hotels),
        "restaurants": len(world.restaurants),
        "events": len(world.events),
        "jobs": len(world.jobs),
        "homes": len(world.homes),
    }
    assert min(sizes.values()) >= 200, sizes


def test_items_carry_the_attributes_constrained_tasks_need():
    world = World(0)
    apparel = [p for p in world.products if p.category == "Clothing"]
    assert apparel and all(p.sizes and p.colours for p in apparel)
    assert {round(p.rating) for p in world.products} >= {3, 4, 5}
    assert len({p.brand for p in world.products}) >= 10 and all(p.reviews > 0 for p in world.products)
    assert len({a for h in world.hotels for a in h.amenities}) >= 10 and {h.stars for h in world.hotels} == {2, 3, 4, 5}
    assert len({r.cuisine for r in world.restaurants}) >= 10 and all(r.hours and r.menu for r in world.restaurants)
    assert len({e.date for e in world.events}) >= 60 and all(e.tiers for e in world.events)
    assert {j.workplace for j in world.jobs} == {"Remote", "Hybrid", "On-site"}
    assert all(j.salary[0] < j.salary[1] for j in world.jobs)
    assert {h.mode for h in world.homes} == {"buy", "rent"} and len({f for h in world.homes for f in h.features}) >= 8
    # Shared products differ in price between the two stores, so comparisons have an answer.
    shared = [o for o in world.stores["mart"].offers if o.id in world.stores["shop"].by_id]
    assert len(shared) >= 150 and sum(o.price != world.stores["shop"].by_id[o.id].price for o in shared) >= 140


def test_catalogue_links_never_read_like_binding_steps():
    """The agent's guard asks before clicking text like "Book" or "Buy"; browsing links must not trip it."""
    world = World(0)
    names = [p.name for p in world.products] + [h.name for h in world.hotels] + [r.name for r in world.restaurants]
    names += [e.name for e in world.events] + [j.full_title for j in world.jobs] + [h.address for h in world.homes]
    tripped = [n for n in names if sensitive_reason(LeftClick(coordinate=(1, 1)), ElementInfo(tag="a", text=n))]
    assert tripped == []
