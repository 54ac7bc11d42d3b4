"""Flight and hotel tasks (Skyfare, Staywell), each up to its payment step."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sandbox.data.common import CITY_BY_AIRPORT, CITY_BY_SLUG, PROFILE, TODAY, clock, money, rng
from sandbox.data.flights import CABIN_LABELS, Flight
from sandbox.data.world import World
from sandbox.sites import flights, hotels
from sandbox.taskgen.plans import (
    Builder,
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

FLIGHT_CRITICAL = CriticalPoint(
    step="confirming the booking and paying",
    page="/flights/payment",
    button="#confirm-booking",
    committed=["flights.bookings"],
)
COMPANIONS = [("Jordan", "Lee"), ("Sam", "Rivera"), ("Priya", "Nair")]


def flight_search(
    origin: str, destination: str, depart: date, back: date | None, adults: int, cabin: str
) -> list[PlanStep]:
    """Fill in Skyfare's search form (Seattle is prefilled as the origin) and search."""
    plan: list[PlanStep] = []
    if origin != "SEA":
        city = CITY_BY_AIRPORT[origin]
        plan += [
            type_in("#from-input", city.name, f"I change the origin to {city.name}.", clear=True),
            click(f'#from-suggestions li[data-value="{origin}"]', f"I pick {city.name} ({origin})."),
        ]
    city = CITY_BY_AIRPORT[destination]
    plan += [
        type_in("#to-input", city.name, f"I enter {city.name} as the destination."),
        click(f'#to-suggestions li[data-value="{destination}"]', f"I pick {city.name} ({destination})."),
    ]
    if back is None:
        plan.append(click("#trip-oneway", "This is a one-way trip."))
    plan.append(pick("#depart-field", depart, f"I set the departure date to {short_date(depart)}."))
    if back is not None:
        plan.append(pick("#return-field", back, f"I set the return date to {short_date(back)}."))
    if adults > 1 or cabin != "economy":
        plan.append(click("#travellers-toggle", "I open the travellers and cabin settings."))
        plan += [
            click('#adults-stepper [data-step="1"]', f"I add a traveller ({n + 2} in all).") for n in range(adults - 1)
        ]
        if cabin != "economy":
            plan += choose("cabin-menu", cabin, CABIN_LABELS[cabin], "I change the cabin class.")
        plan.append(click("#travellers-done", "Travellers and cabin are set."))
    plan.append(click("#search-flights", "I search for flights."))
    return plan


def pick_flight(
    world: World, origin: str, destination: str, day: date, nonstop: bool, order: str
) -> tuple[Flight | None, list[PlanStep]]:
    """The flight the task asks for, and the filter, sort and select clicks that get it."""
    params = {"stops": "0" if nonstop else None, "sort": order}
    listed = flights.results(world, origin, destination, day, q(**params))
    keys = {
        "price": lambda f: f.price,
        "duration": lambda f: f.scheduled.duration,
        "departure": lambda f: f.scheduled.departs,
    }
    pool = [f for f in world.flights(origin, destination, day) if f.scheduled.stops == 0 or not nonstop]
    best = first_strictly(pool, keys[order])
    if best is None or not listed or listed[0] != best:
        return None, []
    plan = [facet("stops", "0", "I only want nonstop flights.")] if nonstop else []
    label = {"price": "Cheapest", "duration": "Fastest", "departure": "Earliest departure"}[order]
    plan.append(click(f'.sort-tabs [data-sort="{order}"]', f"I sort by {label.lower()}."))
    plan.append(
        click(
            f'[data-flight="{best.id}"] .select-flight',
            f"{best.scheduled.airline_name} {best.scheduled.number} at "
            f"{clock(best.scheduled.departs)} for {money(best.price)} is the one; "
            "I select it.",
        )
    )
    return best, plan


def flight_task(world: World, r: random.Random, index: int) -> tuple[str, list[Any], list[PlanStep]] | None:
    airports = [c.airport for c in CITY_BY_SLUG.values()]
    origin = "SEA" if index % 3 else r.choice([a for a in airports if a != "SEA"])
    destination = r.choice([a for a in airports if a != origin])
    depart = TODAY + timedelta(days=r.randint(9, 60))
    round_trip = index % 2 == 0
    back = depart + timedelta(days=r.randint(3, 9)) if round_trip else None
    adults = 1 + (index % 4 == 1) + (index % 8 == 5)
    cabin = "business" if index % 5 == 4 else "premium" if index % 7 == 3 else "economy"
    nonstop = index % 3 != 1
    order = ("price", "price", "duration", "departure")[index % 4]
    fare = ("standard", "basic", "flex")[index % 3]
    outbound, choose_out = pick_flight(world, origin, destination, depart, nonstop, order)
    inbound, choose_back = pick_flight(world, destination, origin, back, nonstop, order) if back else (None, [])
    if outbound is None or (round_trip and inbound is None):
        return None
    travellers = [{"first": PROFILE.first, "last": PROFILE.last}] + [
        {"first": first, "last": last} for first, last in COMPANIONS[: adults - 1]
    ]
    plan = flight_search(origin, destination, depart, back, adults, cabin) + choose_out + choose_back
    plan.append(click(f"#fare-{fare}", f"I choose the {fare.capitalize()} fare."))
    for n, person in enumerate(travellers[1:], start=1):
        plan += [
            type_in(f"#first{n}", person["first"], f"I enter traveller {n + 1}'s first name."),
            type_in(f"#last{n}", person["last"], f"I enter traveller {n + 1}'s last name."),
        ]
    plan.append(click("#continue-payment", "Traveller details are complete; I continue to payment."))
    what = {"price": "cheapest", "duration": "fastest", "departure": "earliest"}[order]
    stops = " nonstop" if nonstop else ""
    people = (
        "just me"
        if adults == 1
        else "me and " + " and ".join(f"{first} {last}" for first, last in COMPANIONS[: adults - 1])
    )
    trip = (
        f"leaving {long_date(depart)} and coming back {long_date(back)}, taking the {what}{stops} flight each way"
        if back
        else f"on {long_date(depart)}, one way, on the {what}{stops} flight"
    )
    text = (
        f"Book flights from {CITY_BY_AIRPORT[origin].name} to {CITY_BY_AIRPORT[destination].name} {trip}. "
        f"{CABIN_LABELS[cabin]} class for {people}, {fare.capitalize()} fare. Stop before paying."
    )
    draft: dict[str, Any] = {
        "stage": "payment",
        "trip": "round" if back else "oneway",
        "origin": origin,
        "destination": destination,
        "depart": depart.isoformat(),
        "adults": adults,
        "cabin": cabin,
        "outbound": outbound.id,
        "fare": fare,
        "travellers": travellers,
    }
    if back and inbound:
        draft |= {"return_date": back.isoformat(), "inbound": inbound.id}
    return text, [state("flights.draft", "matches", draft)], plan


def flight_tasks(world: World, b: Builder) -> None:
    r = rng(world.seed, "suite", "flights")

    def attempt(index: int) -> None:
        if made := flight_task(world, r, index):
            b.add("flights", ["flights"], "/flights/", *made, FLIGHT_CRITICAL)

    fill(b, "flights", 16, attempt)


HOTEL_CRITICAL = CriticalPoint(
    step="completing the booking", page="/hotels/payment", button="#complete-booking", committed=["hotels.bookings"]
)
AMENITY_WORDS = [
    ("Pool", "a pool"),
    ("Free parking", "free parking"),
    ("Breakfast included", "breakfast included"),
    ("Pet friendly", "a pet-friendly policy"),
    ("Fitness center", "a fitness center"),
]
REQUESTS = [
    "A quiet room on a high floor, please.",
    "We will arrive late, around midnight.",
    "A crib for a baby, please.",
    "Twin beds if possible.",
]


def hotel_search(city_slug: str, check_in: date, check_out: date, adults: int) -> list[PlanStep]:
    city = CITY_BY_SLUG[city_slug]
    plan = [
        type_in("#destination-input", city.name, f"I type {city.name} as the destination."),
        click(f'#destination-suggestions li[data-value="{city_slug}"]', f"I choose {city.label}."),
        pick("#checkin-field", check_in, f"Check-in is {short_date(check_in)}."),
        pick("#checkout-field", check_out, f"Check-out is {short_date(check_out)}."),
    ]
    if adults != 2:
        plan.append(click("#guests-toggle", "I change the number of guests."))
        step = "1" if adults > 2 else "-1"
        plan += [click(f'#adults-stepper [data-step="{step}"]', "I adjust the adults.") for _ in range(abs(adults - 2))]
        plan.append(click("#guests-done", "Guests are set."))
    plan.append(click("#search-hotels", "I search."))
    return plan


def hotel_task(world: World, r: random.Random, index: int) -> tuple[str, list[Any], list[PlanStep]] | None:
    city = r.choice(list(CITY_BY_SLUG.values()))
    check_in = TODAY + timedelta(days=r.randint(7, 70))
    nights = r.randint(1, 4)
    check_out = check_in + timedelta(days=nights)
    adults = (2, 2, 1, 3)[index % 4]
    stay_q = {
        "city": city.slug,
        "checkin": check_in.isoformat(),
        "checkout": check_out.isoformat(),
        "adults": adults,
        "rooms": 1,
    }
    variant = index % 3
    filters: list[tuple[str, str, str]] = []
    if variant == 0:  # cheapest with N stars and free cancellation
        stars = r.choice((3, 4))
        filters = [
            ("stars", str(stars), f"I filter to {stars}-star hotels."),
            ("free_cancel", "1", "I only want free cancellation."),
        ]
        order, order_label, what = (
            "price",
            "Price (lowest first)",
            f"the cheapest {stars}-star hotel with free cancellation",
        )
    elif variant == 1:  # best rated with an amenity
        amenity, words = r.choice(AMENITY_WORDS)
        filters = [("amenity", amenity, f"I filter to hotels with {words}.")]
        order, order_label, what = "score", "Guest rating (highest first)", f"the best-rated hotel with {words}"
    else:  # closest to the centre with a good score
        filters = [("score", "8", "I only want guest ratings of 8 or more.")]
        order, order_label, what = (
            "distance",
            "Distance from city centre",
            "the hotel closest to the city centre with a guest rating of 8 or more",
        )
    params = dict(stay_q, sort=order)
    for key, value, _ in filters:
        params[key] = value
    listed = hotels.results(world, q(**params))
    if len(listed) < 2:
        return None
    keys = {
        "price": lambda h: hotels.nightly_from(h, check_in, check_out, adults),
        "score": lambda h: (-h.score, -h.reviews),
        "distance": lambda h: h.distance_km,
    }
    target = first_strictly(listed, keys[order])
    if target is None or listed[0] != target or listed.index(target) >= hotels.PER_PAGE:
        return None
    rooms = hotels.fitting(target, adults)
    room = rooms[0] if variant != 1 or len(rooms) < 2 else rooms[1]
    request = REQUESTS[index % len(REQUESTS)] if index % 2 else ""
    arrival = ("15:00", "18:00", "21:00")[index % 3] if index % 4 == 2 else ""
    plan = hotel_search(city.slug, check_in, check_out, adults)
    plan += [facet(key, value, thought) for key, value, thought in filters] + sort_by(order, order_label)
    plan += [
        click(f'[data-hotel="{target.id}"] .hotel-name', f"{target.name} is {what}; I open it."),
        click("#tab-rooms", "I look at the rooms."),
        click(f'[data-room="{room.name}"] .select-room', f"I select the {room.name}."),
    ]
    if arrival:
        plan += choose("arrival-menu", arrival, clock(int(arrival[:2]) * 60), "I set the arrival time.")
    if request:
        plan.append(type_in("#guest-requests", request, "I add the special request."))
    plan.append(click("#continue-payment", "Guest details are done; I continue to payment."))
    room_words = f"the {room.name.lower()}" if room is not rooms[0] else "the cheapest room that sleeps us all"
    extras = (f" Let them know we arrive around {clock(int(arrival[:2]) * 60)}." if arrival else "") + (
        f" Add the request: “{request}”" if request else ""
    )
    text = (
        f"Find {what} in {city.name} for {adults} {'adult' if adults == 1 else 'adults'} from {long_date(check_in)} to "
        f"{long_date(check_out)} and book {room_words} under my name.{extras} Stop before completing the booking."
    )
    draft: dict[str, Any] = {
        "stage": "payment",
        "hotel": target.id,
        "room": room.name,
        "check_in": check_in.isoformat(),
        "check_out": check_out.isoformat(),
        "adults": adults,
        "first": PROFILE.first,
        "last": PROFILE.last,
        "requests": request,
        "arrival": arrival or None,
    }
    return text, [state("hotels.draft", "matches", draft)], plan


def hotel_tasks(world: World, b: Builder) -> None:
    r = rng(world.seed, "suite", "hotels")

    def attempt(index: int) -> None:
        if made := hotel_task(world, r, index):
            b.add("hotels", ["hotels"], "/hotels/", *made, HOTEL_CRITICAL)

    fill(b, "hotels", 16, attempt)
