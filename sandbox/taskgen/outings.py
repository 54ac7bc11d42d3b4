"""Restaurant reservations (Tablefor) and event tickets (Gatepass)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sandbox.data.common import CITY_BY_SLUG, PROFILE, TODAY, clock, money, rng
from sandbox.data.tickets import Tier
from sandbox.data.world import World
from sandbox.sites import dine, tickets
from sandbox.taskgen.plans import (
    Builder,
    a_or_an,
    choose,
    click,
    facet,
    fill,
    first_strictly,
    long_date,
    pick,
    q,
    short_date,
    sort_by,
    state,
    type_in,
)
from sandbox.taskspec import CriticalPoint, PlanStep

DINE_CRITICAL = CriticalPoint(
    step="confirming the reservation", page="/dine/review", button="#reserve-table", committed=["dine.reservations"]
)
OCCASIONS = {"birthday": "Birthday", "anniversary": "Anniversary", "date": "Date night", "business": "Business meal"}
DINE_REQUESTS = [
    "A table by the window, please.",
    "One guest is vegetarian.",
    "We need a high chair.",
    "Quiet table if possible.",
]


DINE_ASKS = (
    "Reserve a table for {party} at the highest-rated {cuisine} restaurant in {city} that has a table at {time} on "
    "{day}.{extras} Don't confirm it yet, I want to check first.",
    "We're {party} people looking for {a_cuisine} dinner in {city} on {day} at {time}. Book the best-rated "
    "{cuisine} place with a table free then.{extras} Leave it unconfirmed so I can look it over.",
    "Find the top-rated {cuisine} restaurant in {city} with a table for {party} at {time} on {day} and fill in "
    "the reservation.{extras} Stop before the final confirmation.",
)


def dine_search(city_slug: str, day: date, time: str, party: int) -> list[PlanStep]:
    city = CITY_BY_SLUG[city_slug]
    plan: list[PlanStep] = []
    if city_slug != "seattle":
        plan += choose("city-menu", city_slug, city.label, f"I switch the city to {city.name}.")
    plan.append(pick("#date-field", day, f"The reservation is for {short_date(day)}."))
    if time != "19:00":
        plan += choose("time-menu", time, clock(dine.minutes(time)), "I set the time.")
    if party != 2:
        plan += choose("party-menu", party, f"{party} people", "I set the party size.")
    plan.append(click("#find-table", "I search for tables."))
    return plan


def dine_task(world: World, r: random.Random, index: int) -> tuple[str, list[Any], list[PlanStep]] | None:
    city = r.choice(list(CITY_BY_SLUG.values()))
    day = TODAY + timedelta(days=r.randint(3, 25))
    minutes = r.choice((18 * 60, 18 * 60 + 30, 19 * 60, 19 * 60 + 30, 20 * 60))
    time = f"{minutes // 60:02d}:{minutes % 60:02d}"
    party = (2, 4, 2, 3, 6)[index % 5]
    places = [p for p in world.restaurants if p.city == city]
    cuisine = r.choice(sorted({p.cuisine for p in places}))
    open_ones = [p for p in places if p.cuisine == cuisine and p.available(world.seed, day, minutes, party)]
    target = first_strictly(open_ones, lambda p: (-p.rating, -p.reviews))
    if target is None:
        return None
    listed = dine.results(
        world, q(city=city.slug, date=day.isoformat(), time=time, party=party, cuisine=cuisine, sort="rating")
    )
    if target not in listed[: dine.PER_PAGE]:
        return None
    occasion = list(OCCASIONS)[index % 4] if index % 3 == 0 else None
    request = DINE_REQUESTS[index % len(DINE_REQUESTS)] if index % 2 else ""
    plan = dine_search(city.slug, day, time, party)
    plan += [facet("cuisine", cuisine, f"I filter to {cuisine} restaurants."), *sort_by("rating", "Highest rated")]
    plan.append(
        click(
            f'[data-restaurant="{target.id}"] .slot[data-time="{time}"]',
            f"{target.name} is the best-rated {cuisine} place with a table at {clock(minutes)}; I take that slot.",
        )
    )
    if occasion:
        plan += choose("occasion-menu", occasion, OCCASIONS[occasion], "I mark the occasion.")
    if request:
        plan.append(type_in("#diner-request", request, "I add the special request."))
    plan.append(click("#continue-review", "My details are prefilled; I continue to the review."))
    extras = (f" It's for {a_or_an(OCCASIONS[occasion].lower())}." if occasion else "") + (
        f" Request: “{request}”" if request else ""
    )
    text = DINE_ASKS[index % len(DINE_ASKS)].format(
        party=party,
        cuisine=cuisine,
        a_cuisine=a_or_an(cuisine),
        city=city.name,
        time=clock(minutes),
        day=long_date(day),
        extras=extras,
    )
    draft = {
        "stage": "review",
        "restaurant": target.id,
        "date": day.isoformat(),
        "time": time,
        "party": party,
        "occasion": occasion,
        "request": request,
        "first": PROFILE.first,
    }
    return text, [state("dine.draft", "matches", draft)], plan


def dine_tasks(world: World, b: Builder) -> None:
    r = rng(world.seed, "suite", "restaurants")

    def attempt(index: int) -> None:
        if made := dine_task(world, r, index):
            b.add("restaurants", ["dine"], "/dine/", *made, DINE_CRITICAL)

    fill(b, "restaurants", 15, attempt)


TICKET_CRITICAL = CriticalPoint(
    step="placing the order", page="/tickets/review", button="#place-order", committed=["tickets.orders"]
)
TICKET_ASKS = (
    "Get me {what}. I'd like {delivery}{protection}. Take it up to the final review but don't place the order.",
    "I need {what}, with {delivery}{protection}. Get everything ready at the review step; I'll place the order myself.",
    "Please line up {what}. Delivery: {delivery}{protection}. Stop at the order review without buying.",
)
DELIVERY_NAMES = {"mobile": "mobile tickets", "willcall": "will call", "mail": "mailed tickets"}


def ticket_choice(tier: Tier, quantity: int, delivery: str, protection: bool) -> list[PlanStep]:
    plan = [click(f'[data-tier="{tier.name}"]', f"I choose {tier.name} at {money(tier.price)} each.")]
    plan += [
        click('#quantity-stepper [data-step="1"]', f"I raise the number of tickets to {n + 2}.")
        for n in range(quantity - 1)
    ]
    plan.append(click("#continue-tickets", "I continue."))
    if delivery != "mobile":
        plan.append(click(f"#delivery-{delivery}", f"I choose {DELIVERY_NAMES[delivery]}."))
    if protection:
        plan.append(click("#protection-line", "I add ticket protection."))
    plan.append(click("#continue-review", "I continue to the review."))
    return plan


def ticket_task(
    world: World, r: random.Random, index: int, used: set[str]
) -> tuple[str, list[Any], list[PlanStep]] | None:
    quantity = (2, 4, 1, 3)[index % 4]
    delivery = ("mobile", "willcall", "mail")[index % 3]
    protection = index % 4 == 1
    if index % 2 == 0:  # a named show on a date
        event = r.choice([e for e in world.events if e.category in ("Concerts", "Theatre", "Sports")])
        tiers = [t for t in event.tiers if t.remaining >= quantity]
        if not tiers:
            return None
        tier = tiers[index % len(tiers)]
        plan = [type_in("#search-input", event.performer, f"I search for {event.performer}.", enter=True)]
        listed = tickets.results(world, q(q=event.performer, city=event.city.slug))
        if event not in listed[: tickets.PER_PAGE]:
            return None
        plan += [
            facet("city", event.city.slug, f"I filter to {event.city.name}."),
            click(f'[data-event="{event.id}"] .event-name', f"This is the {short_date(event.date)} show; I open it."),
        ]
        what = (
            f"{quantity} {tier.name} ticket{'s' if quantity > 1 else ''} for "
            f"{event.name} in {event.city.name} on {long_date(event.date)}"
        )
    else:  # the cheapest show of a category in a city within dates
        category = ("Comedy", "Family", "Concerts", "Theatre")[index % 4]
        city = r.choice(list(CITY_BY_SLUG.values()))
        start = TODAY + timedelta(days=r.randint(5, 30))
        end = start + timedelta(days=r.randint(14, 40))
        params = q(
            category=category, city=city.slug, **{"from": start.isoformat(), "to": end.isoformat()}, sort="price"
        )
        listed = tickets.results(world, params)
        cheapest = first_strictly(listed, lambda e: e.min_price)
        if cheapest is None or listed[0] != cheapest:
            return None
        event = cheapest
        tier = next(t for t in event.tiers if t.remaining and t.price == event.min_price)
        if tier.remaining < quantity:
            return None
        plan = [
            click(f'.subnav a[href="/tickets/search?category={category}"]', f"I open the {category} listings."),
            facet("city", city.slug, f"I filter to {city.name}."),
            pick("#from-field", start, f"Events from {short_date(start)}."),
            pick("#to-field", end, f"Until {short_date(end)}."),
            click("#apply-dates", "I apply the dates."),
            *sort_by("price", "Price: lowest first"),
            click(
                f'[data-event="{event.id}"] .event-name',
                f"{event.name} is the cheapest, from {money(event.min_price)}; I open it.",
            ),
        ]
        what = (
            f"{quantity} of the cheapest tickets for the cheapest {category.lower()} event in {city.name} between "
            f"{short_date(start)} and {short_date(end)}"
        )
    if event.id in used:  # one task per event, so no two requests differ only in a detail
        return None
    used.add(event.id)
    plan += ticket_choice(tier, quantity, delivery, protection)
    text = TICKET_ASKS[index // 2 % len(TICKET_ASKS)].format(
        what=what, delivery=DELIVERY_NAMES[delivery], protection=" and ticket protection" if protection else ""
    )
    draft = {
        "stage": "review",
        "event": event.id,
        "tier": tier.name,
        "quantity": quantity,
        "delivery": delivery,
        "protection": protection,
    }
    return text, [state("tickets.draft", "matches", draft)], plan


def ticket_tasks(world: World, b: Builder) -> None:
    r = rng(world.seed, "suite", "tickets")
    used: set[str] = set()

    def attempt(index: int) -> None:
        if made := ticket_task(world, r, index, used):
            b.add("tickets", ["tickets"], "/tickets/", *made, TICKET_CRITICAL)

    fill(b, "tickets", 15, attempt)
