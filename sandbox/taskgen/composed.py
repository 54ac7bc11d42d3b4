"""Compositional tasks: what one site tells you decides what you do on another."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sandbox.data.common import PROFILE, TODAY, clock, rng
from sandbox.data.jobs import Job
from sandbox.data.tickets import Event
from sandbox.data.world import World
from sandbox.sites import dine, homes, hotels, jobs, tickets
from sandbox.taskgen.information import unique_job, unique_show
from sandbox.taskgen.outings import DINE_CRITICAL, dine_search
from sandbox.taskgen.plans import (
    Builder,
    answer,
    click,
    facet,
    fill,
    first_strictly,
    long_date,
    q,
    remember,
    sort_by,
    state,
    type_in,
    visit,
)
from sandbox.taskgen.real_estate import home_search
from sandbox.taskgen.travel import FLIGHT_CRITICAL, HOTEL_CRITICAL, flight_search, hotel_search, pick_flight
from sandbox.taskspec import PlanStep


def find_event(event: Event) -> list[PlanStep]:
    return [
        type_in("#search-input", event.performer, f"I search Gatepass for {event.performer}.", enter=True),
        facet("city", event.city.slug, f"I filter to {event.city.name}."),
        click(f'[data-event="{event.id}"] .event-name', "I open the event."),
        remember(
            f"{event.name}: {long_date(event.date)} at {event.venue.name}, {event.city.name}",
            f"It's on {long_date(event.date)} in {event.city.name}.",
        ),
    ]


def find_job(job: Job) -> list[PlanStep]:
    query = f"{job.full_title} {job.company.name}"
    return [
        type_in("#what-input", query, f"I search Hireline for {job.full_title} at {job.company.name}."),
        click("#find-jobs", "I search."),
        click(f'[data-job="{job.id}"] .job-title', "I open the job."),
        remember(f"{job.full_title} at {job.company.name} is in {job.city.label}.", f"The job is in {job.city.label}."),
    ]


def compose_event_hotel(world: World, r: random.Random, index: int) -> tuple[Any, ...] | None:
    event = r.choice(
        [
            e
            for e in world.events
            if e.category == "Concerts" and e.date > TODAY + timedelta(days=5) and unique_show(world, e)
        ]
    )
    if event not in tickets.results(world, q(q=event.performer, city=event.city.slug))[: tickets.PER_PAGE]:
        return None
    stars = (3, 4)[index % 2]
    check_in, check_out = event.date, event.date + timedelta(days=1)
    params = q(
        city=event.city.slug,
        checkin=check_in.isoformat(),
        checkout=check_out.isoformat(),
        adults=2,
        rooms=1,
        stars=stars,
        sort="price",
    )
    listed = hotels.results(world, params)
    target = first_strictly(listed, lambda h: hotels.nightly_from(h, check_in, check_out))
    if target is None or listed[0] != target:
        return None
    plan = [
        click("#site-tickets", "I start with Gatepass to find the concert."),
        *find_event(event),
        visit("/hotels/", "Now I look for a hotel in that city for that night."),
        *hotel_search(event.city.slug, check_in, check_out, 2),
        facet("stars", str(stars), f"I filter to {stars}-star hotels."),
        *sort_by("price", "Price (lowest first)"),
        click(f'[data-hotel="{target.id}"] .hotel-name', f"{target.name} is the cheapest; I open it."),
        click("#tab-rooms", "I look at the rooms."),
        click(f'[data-room="{target.rooms[0].name}"] .select-room', "I select the cheapest room."),
        click("#continue-payment", "My details are prefilled; I continue to payment."),
    ]
    text = (
        f"I'm going to see {event.performer} in {event.city.name} (it's on Gatepass). Book the cheapest {stars}-star "
        "hotel there for 2 adults for the night of the concert, checking out the next morning. Stop before "
        "completing the booking."
        if index // len(COMPOSED) % 2 == 0
        else f"Gatepass lists {event.performer} playing {event.city.name}. For 2 adults, find the cheapest "
        f"{stars}-star hotel in that city for the concert night (out the following morning) and take the booking "
        "up to payment without completing it."
    )
    draft = {
        "stage": "payment",
        "hotel": target.id,
        "room": target.rooms[0].name,
        "check_in": check_in.isoformat(),
        "check_out": check_out.isoformat(),
        "adults": 2,
    }
    return ["tickets", "hotels"], text, [state("hotels.draft", "matches", draft)], plan, HOTEL_CRITICAL


def compose_job_flight(world: World, r: random.Random, index: int) -> tuple[Any, ...] | None:
    job = r.choice([j for j in world.jobs if j.city.airport != "SEA" and unique_job(world, j)])
    if job not in jobs.results(world, q(q=f"{job.full_title} {job.company.name}"))[: jobs.PER_PAGE]:
        return None
    day = TODAY + timedelta(days=r.randint(10, 40))
    best, choose_plan = pick_flight(world, "SEA", job.city.airport, day, True, "price")
    if best is None:
        return None
    plan = [
        click("#site-jobs", "I start with Hireline to see where the job is."),
        *find_job(job),
        visit("/flights/", "Now I search flights from Seattle to that city."),
        *flight_search("SEA", job.city.airport, day, None, 1, "economy"),
        *choose_plan,
        click("#fare-basic", "I choose the Basic fare."),
        click("#continue-payment", "My details are prefilled; I continue to payment."),
    ]
    text = (
        f"I have an interview for the {job.full_title} job at {job.company.name} (listed on Hireline). Book me the "
        f"cheapest nonstop one-way flight from Seattle to wherever that job is, on {long_date(day)}, Basic fare. "
        "Stop before paying."
        if index // len(COMPOSED) % 2 == 0
        else f"The {job.full_title} opening at {job.company.name} on Hireline wants me in for an interview on "
        f"{long_date(day)}. Get me the cheapest nonstop flight there from Seattle that day, one way, on a Basic "
        "fare, and stop at the payment page."
    )
    draft = {
        "stage": "payment",
        "trip": "oneway",
        "origin": "SEA",
        "destination": job.city.airport,
        "depart": day.isoformat(),
        "outbound": best.id,
        "fare": "basic",
        "adults": 1,
        "travellers": [{"first": PROFILE.first, "last": PROFILE.last}],
    }
    return ["jobs", "flights"], text, [state("flights.draft", "matches", draft)], plan, FLIGHT_CRITICAL


def compose_event_dinner(world: World, r: random.Random, index: int) -> tuple[Any, ...] | None:
    event = r.choice(
        [e for e in world.events if e.category in ("Theatre", "Comedy") and e.time >= 19 * 60 and unique_show(world, e)]
    )
    if event not in tickets.results(world, q(q=event.performer, city=event.city.slug))[: tickets.PER_PAGE]:
        return None
    minutes = event.time - 120
    time = f"{minutes // 60:02d}:{minutes % 60:02d}"
    places = [p for p in world.restaurants if p.city == event.city and p.available(world.seed, event.date, minutes, 2)]
    target = first_strictly(places, lambda p: (-p.rating, -p.reviews))
    if target is None:
        return None
    listed = dine.results(
        world, q(city=event.city.slug, date=event.date.isoformat(), time=time, party=2, sort="rating")
    )
    if listed[: dine.PER_PAGE].count(target) != 1:
        return None
    plan = [
        click("#site-tickets", "First I find the show on Gatepass."),
        *find_event(event),
        visit("/dine/", "Now I look for dinner in that city, two hours before the show."),
        *dine_search(event.city.slug, event.date, time, 2),
        *sort_by("rating", "Highest rated"),
        click(
            f'[data-restaurant="{target.id}"] .slot[data-time="{time}"]',
            f"{target.name} is the best rated with a table at {clock(minutes)}.",
        ),
        click("#continue-review", "My details are prefilled; I continue to the review."),
    ]
    text = (
        f"We have tickets for {event.name} in {event.city.name} (see Gatepass for the date and time). Book dinner "
        "for two, two hours before the show starts, at the highest-rated restaurant in that city with a table then. "
        "Don't confirm it."
        if index // len(COMPOSED) % 2 == 0
        else f"Before {event.name} in {event.city.name} (the date and start time are on Gatepass), the two of us "
        "want dinner two hours ahead of the show. Fill in a reservation at the best-rated restaurant in town that "
        "has a table at that time, and leave it unconfirmed."
    )
    draft = {"stage": "review", "restaurant": target.id, "date": event.date.isoformat(), "time": time, "party": 2}
    return ["tickets", "dine"], text, [state("dine.draft", "matches", draft)], plan, DINE_CRITICAL


def compose_job_home(world: World, r: random.Random, index: int) -> tuple[Any, ...] | None:
    job = r.choice([j for j in world.jobs if unique_job(world, j)])
    if job not in jobs.results(world, q(q=f"{job.full_title} {job.company.name}"))[: jobs.PER_PAGE]:
        return None
    listed = homes.results(world, q(mode="rent", city=job.city.slug, beds=1, sort="price_asc"))
    home = first_strictly(listed, lambda h: h.price)
    if home is None or listed[0] != home:
        return None
    plan = [
        click("#site-jobs", "I start with Hireline."),
        *find_job(job),
        click("#save-job", "I save the job."),
        visit("/homes/", "Now I look for a rental in that city."),
        *home_search("rent", job.city.slug, 1, None, "price_asc", "Price (low to high)"),
        click(
            f'[data-home="{home.id}"] .home-address', f"{home.address} at {home.price_text} is the cheapest; I open it."
        ),
        click("#save-home", "I save it."),
        answer(f"I saved the job and {home.full_address} ({home.price_text})."),
    ]
    text = (
        f"Save the {job.full_title} job at {job.company.name} on Hireline, then find the cheapest rental with at "
        "least one bedroom in that job's city on Nestfinder and save it too."
        if index // len(COMPOSED) % 2 == 0
        else f"I'm eyeing the {job.full_title} role at {job.company.name} on Hireline: save it, and on Nestfinder "
        "save the cheapest place for rent with one or more bedrooms in the city where that job is."
    )
    return (
        ["jobs", "homes"],
        text,
        [state("jobs.saved", "equals", [job.id]), state("homes.saved", "equals", [home.id])],
        plan,
        None,
    )


def compose_hotel_dinner(world: World, r: random.Random, index: int) -> tuple[Any, ...] | None:
    hotel = r.choice(world.hotels)
    day = TODAY + timedelta(days=r.randint(4, 25))
    minutes = 19 * 60 + 30
    places = [
        p
        for p in world.restaurants
        if p.city == hotel.city and p.neighbourhood == hotel.neighbourhood and p.available(world.seed, day, minutes, 2)
    ]
    target = first_strictly(places, lambda p: (-p.rating, -p.reviews))
    if target is None:
        return None
    listed = dine.results(
        world,
        q(city=hotel.city.slug, date=day.isoformat(), time="19:30", party=2, area=hotel.neighbourhood, sort="rating"),
    )
    if not listed or listed[0] != target:
        return None
    plan = [
        click("#site-hotels", "I look the hotel up on Staywell to see its neighbourhood."),
        type_in("#destination-input", hotel.name, f"I type {hotel.name}."),
        click(f'#destination-suggestions li[data-href="/hotels/h/{hotel.id}"]', "I open the hotel."),
        remember(f"{hotel.name} is in {hotel.neighbourhood}, {hotel.city.name}.", f"It's in {hotel.neighbourhood}."),
        visit("/dine/", "Now I look for a restaurant in that neighbourhood."),
        *dine_search(hotel.city.slug, day, "19:30", 2),
        facet("area", hotel.neighbourhood, f"I filter to {hotel.neighbourhood}."),
        *sort_by("rating", "Highest rated"),
        click(
            f'[data-restaurant="{target.id}"] .slot[data-time="19:30"]',
            f"{target.name} is the best rated there with a 7:30 table.",
        ),
        click("#continue-review", "My details are prefilled; I continue to the review."),
    ]
    text = (
        f"I'm staying at {hotel.name}. Reserve a table for two at 7:30 PM on {long_date(day)} at the "
        "highest-rated restaurant in the hotel's neighbourhood that has a table then. Stop before confirming."
        if index // len(COMPOSED) % 2 == 0
        else f"Our hotel is {hotel.name}. On {long_date(day)} we'd like dinner for two at 7:30 PM somewhere in the "
        "same neighbourhood: the best-rated restaurant there with a table at that time. Get the reservation ready "
        "but don't confirm it."
    )
    draft = {"stage": "review", "restaurant": target.id, "date": day.isoformat(), "time": "19:30", "party": 2}
    return ["hotels", "dine"], text, [state("dine.draft", "matches", draft)], plan, DINE_CRITICAL


COMPOSED = [compose_event_hotel, compose_job_flight, compose_event_dinner, compose_job_home, compose_hotel_dinner]


def compositional(world: World, b: Builder) -> None:
    r = rng(world.seed, "suite", "compositional")

    def attempt(index: int) -> None:
        if made := COMPOSED[index % len(COMPOSED)](world, r, index):
            sites, text, checks, plan, critical = made
            b.add("compositional", sites, "/", text, checks, plan, critical)

    fill(b, "compositional", 12, attempt)
