"""Information-seeking tasks: answers read off the sites' pages."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sandbox.data.common import CITY_BY_AIRPORT, CITY_BY_SLUG, TODAY, clock, money, rng
from sandbox.data.dine import WEEKDAYS
from sandbox.data.flights import duration_text
from sandbox.data.hotels import Hotel
from sandbox.data.jobs import COMPANY_SIZES, Job
from sandbox.data.tickets import Event
from sandbox.data.world import World
from sandbox.sites import homes, hotels, jobs, tickets
from sandbox.taskgen.plans import (
    Builder,
    answer,
    cash,
    click,
    clock_time,
    count,
    duration,
    facet,
    fill,
    first_strictly,
    long_date,
    number,
    q,
    remember,
    says,
    short_date,
    sort_by,
    type_in,
    words,
    year,
)
from sandbox.taskgen.stores import shop_search
from sandbox.taskgen.travel import AMENITY_WORDS, flight_search, pick_flight
from sandbox.taskspec import PlanStep, Words


def minutes_of(text: str) -> int:
    """Minutes after midnight of a time as the sites write it ("3:00 PM")."""
    clock_part, half = text.split()
    hours, minutes = map(int, clock_part.split(":"))
    return hours % 12 * 60 + minutes + (12 * 60 if half == "PM" else 0)


def short_hotel_name(hotel: Hotel) -> str:
    """How a person names a hotel: "Saffron Hotel" for "The Saffron Hotel Nashville"."""
    return hotel.name.removeprefix("The ").removesuffix(f" {hotel.city.name}")


AWKWARD_SPECS = ("Keeps cold", "Hood", "Fit", "Drop", "Cups", "Buttons")  # names that make odd questions


def unique_job(world: World, job: Job) -> bool:
    """No other listing has the same title at the same company (so "that job" is one job)."""
    return sum(j.full_title == job.full_title and j.company == job.company for j in world.jobs) == 1


def unique_show(world: World, event: Event) -> bool:
    """The performer plays that city once (so "the show in X" is one show)."""
    return sum(e.performer == event.performer and e.city == event.city for e in world.events) == 1


def info_product(world: World, r: random.Random) -> tuple[str, str, list[Any], list[PlanStep]]:
    offer = r.choice(world.stores["shop"].offers)
    spec, value = r.choice([(name, value) for name, value in offer.product.specs if name not in AWKWARD_SPECS])
    plan = shop_search(world, "shop", offer.product.name, [], None, offer)
    plan += [
        click("#tab-specs", "The specifications tab lists it."),
        remember(f"{spec}: {value}", f"The {spec.lower()} is {value}."),
        answer(f"The {offer.product.name} has a {spec.lower()} of {value}."),
    ]
    domain = dict(offer.product.type.specs)[spec]
    check = says(
        words(value),
        rivals=[words(v) for v in domain if v != value],
        context=[words(offer.product.name)],
        alone=["number"] if any(c.isdigit() for c in value) else [],  # "1.2 L", not "1.2 L or 1.5 L"
    )
    return "/shop/", f"What is the {spec.lower()} of the {offer.product.name} sold on Cartwheel?", [check], plan


def info_check_in(world: World, r: random.Random) -> tuple[str, str, list[Any], list[PlanStep]]:
    hotel = r.choice(world.hotels)
    plan = [
        type_in("#destination-input", hotel.name, f"I type the hotel's name, {hotel.name}."),
        click(
            f'#destination-suggestions li[data-href="/hotels/h/{hotel.id}"]', "I open the hotel from the suggestions."
        ),
        click("#tab-rules", "Check-in times are under house rules."),
        answer(f"Check-in at {hotel.name} starts at {hotel.check_in}; check-out is by {hotel.check_out}."),
    ]
    check = says(
        clock_time(minutes_of(hotel.check_in)), context=[clock_time(minutes_of(hotel.check_out))], alone=["time"]
    )
    return "/hotels/", f"From what time can I check in at {hotel.name}?", [check], plan


def info_hours(world: World, r: random.Random) -> tuple[str, str, list[Any], list[PlanStep]]:
    place = r.choice(world.restaurants)
    weekday = r.randrange(7)
    hours = place.hours[weekday]
    said = "closed" if hours is None else f"{clock(hours[0])} to {clock(hours[1])}"
    plan = [
        type_in("#dine-query", place.name, f"I look up {place.name}."),
        click(f'#dine-query-suggestions li[data-href="/dine/r/{place.id}"]', "I open its page from the suggestions."),
        remember(f"{WEEKDAYS[weekday]}: {place.hours_text(weekday)}", "The hours table shows the day I need."),
    ]
    plan[-1] = PlanStep(do="memorize", target="#hours", text=plan[-1].text, thought=plan[-1].thought)
    plan.append(
        answer(
            f"On {WEEKDAYS[weekday]}s {place.name} ({place.city.name}) "
            f"is {'closed' if hours is None else 'open ' + said}."
        )
    )
    checks = [
        says(words("closed"), alone=["time"])
        if hours is None
        else says(clock_time(hours[0]), clock_time(hours[1]), alone=["time"])
    ]
    return (
        "/dine/",
        f"What are {place.name}'s opening hours on {WEEKDAYS[weekday]}s? It's in {place.city.name}.",
        checks,
        plan,
    )


def info_doors(world: World, r: random.Random) -> tuple[str, str, list[Any], list[PlanStep]]:
    event = r.choice([e for e in world.events if e.category in ("Concerts", "Comedy")])
    listed = tickets.results(world, q(q=event.performer, city=event.city.slug))
    assert event in listed[: tickets.PER_PAGE]
    plan = [
        type_in("#search-input", event.performer, f"I search for {event.performer}.", enter=True),
        facet("city", event.city.slug, f"I filter to {event.city.name}."),
        click(f'[data-event="{event.id}"] .event-name', f"I open the {short_date(event.date)} show."),
        click("#tab-about", "Door times are in the About tab."),
        answer(
            f"Doors open at {clock(event.doors)} for {event.name} on "
            f"{long_date(event.date)}; the show starts at {clock(event.time)}."
        ),
    ]
    text = f"What time do doors open for {event.name} in {event.city.name} on {short_date(event.date)}?"
    return "/tickets/", text, [says(clock_time(event.doors), context=[clock_time(event.time)], alone=["time"])], plan


def info_salary(world: World, r: random.Random) -> tuple[str, str, list[Any], list[PlanStep]]:
    job = r.choice([j for j in world.jobs if unique_job(world, j)])
    query = f"{job.full_title} {job.company.name}"
    listed = jobs.results(world, q(q=query))
    assert job in listed[: jobs.PER_PAGE]
    plan = [
        type_in("#what-input", query, f"I search for {job.full_title} at {job.company.name}."),
        click("#find-jobs", "I search."),
        click(f'[data-job="{job.id}"] .job-title', "I open the listing."),
        answer(f"The {job.full_title} job at {job.company.name} pays {job.salary_text}."),
    ]
    hourly = job.type in ("Part-time", "Contract", "Internship")  # shown per hour, as `Job.salary_text` writes it
    low, high = (float(f"{pay / 2080:.0f}") if hourly else float(pay) for pay in job.salary)
    return (
        "/jobs/",
        f"What's the pay range for the {job.full_title} position at {job.company.name} on Hireline?",
        [says(cash(low), cash(high), alone=["money"])],
        plan,
    )


def info_company(world: World, r: random.Random) -> tuple[str, str, list[Any], list[PlanStep]]:
    job = r.choice(world.jobs)
    company = job.company
    listed = jobs.results(world, q(q=company.name))
    first = listed[0]
    plan = [
        type_in("#what-input", company.name, f"I search for jobs at {company.name}."),
        click("#find-jobs", "I search."),
        click(
            f'[data-job="{first.id}"] .job-title', "Any of their listings has the company profile; I open the first."
        ),
        click("#tab-company", "I open the Company tab."),
        answer(f"{company.name} was founded in {company.founded} and has {company.size}."),
    ]
    sizes = [size.split(" ")[0] for size in COMPANY_SIZES]
    size = company.size.split(" ")[0]
    check = says(
        year(company.founded),
        size_words(size),
        rivals=[size_words(other) for other in sizes if other != size],
        alone=["year"],
    )
    return "/jobs/", f"When was {company.name} founded, and how big is it?", [check], plan


def size_words(size: str) -> Words:
    """A company size as people write it: "51-200", "51 to 200", "between 51 and 200"."""
    low, high = size.split("-")
    return words(size, f"{low} to {high}", f"{low} and {high}")


def info_nonstops(world: World, r: random.Random) -> tuple[str, str, list[Any], list[PlanStep]]:
    destination = r.choice([c.airport for c in CITY_BY_SLUG.values() if c.airport != "SEA"])
    day = TODAY + timedelta(days=r.randint(5, 60))
    total = len([f for f in world.flights("SEA", destination, day) if f.scheduled.stops == 0])
    city = CITY_BY_AIRPORT[destination].name
    plan = [
        *flight_search("SEA", destination, day, None, 1, "economy"),
        facet("stops", "0", "I filter to nonstop flights."),
        answer(f"There are {total} nonstop flights from Seattle to {city} on {long_date(day)}."),
    ]
    return (
        "/flights/",
        f"How many nonstop flights are there from Seattle to {city} on {long_date(day)}?",
        [says(count(total), alone=["number"])],
        plan,
    )


def info_fastest(world: World, r: random.Random) -> tuple[str, str, list[Any], list[PlanStep]] | None:
    origin, destination = r.sample([c.airport for c in CITY_BY_SLUG.values()], 2)
    day = TODAY + timedelta(days=r.randint(5, 60))
    best, choose_plan = pick_flight(world, origin, destination, day, False, "duration")
    if best is None:
        return None
    minutes = best.scheduled.duration
    plan = flight_search(origin, destination, day, None, 1, "economy") + choose_plan[:-1]
    plan.append(
        answer(
            f"The fastest is {best.scheduled.airline_name} {best.scheduled.number}, {duration_text(minutes)} "
            f"({clock(best.scheduled.departs)} departure, {money(best.price)})."
        )
    )
    number = best.scheduled.number
    others = [f.scheduled.number for f in world.flights(origin, destination, day) if f.scheduled.number != number]
    check = says(
        words(number, number.replace(" ", "")),
        duration(minutes),
        rivals=[words(other, other.replace(" ", "")) for other in others],
        context=[clock_time(best.scheduled.departs), cash(best.price)],
        alone=["duration"],
    )
    text = (
        f"What's the fastest flight from {CITY_BY_AIRPORT[origin].name} to {CITY_BY_AIRPORT[destination].name} on "
        f"{long_date(day)}, and how long is it?"
    )
    return "/flights/", text, [check], plan


def info_best_hotel(world: World, r: random.Random) -> tuple[str, str, list[Any], list[PlanStep]] | None:
    city = r.choice(list(CITY_BY_SLUG.values()))
    amenity, feature = r.choice(AMENITY_WORDS)
    listed = hotels.results(world, q(city=city.slug, amenity=amenity, sort="score"))
    best = first_strictly(listed, lambda h: (-h.score, -h.reviews))
    if best is None or listed[0] != best:
        return None
    plan = [
        type_in("#destination-input", city.name, f"I search hotels in {city.name}."),
        click(f'#destination-suggestions li[data-value="{city.slug}"]', f"I choose {city.label}."),
        click("#search-hotels", "I search without dates; prices don't matter here."),
        facet("amenity", amenity, f"I filter to hotels with {feature}."),
        *sort_by("score", "Guest rating (highest first)"),
        answer(f"The best-rated hotel in {city.name} with {feature} is {best.name}, rated {best.score} out of 10."),
    ]
    return (
        "/hotels/",
        f"Which hotel in {city.name} with {feature} has the best guest rating, and what is the rating?",
        [
            says(
                words(best.name, short_hotel_name(best)),
                number(best.score),
                rivals=[words(h.name, short_hotel_name(h)) for h in world.hotels if h.city == city and h != best],
                alone=["decimal"],
            )
        ],
        plan,
    )


def info_dish(world: World, r: random.Random) -> tuple[str, str, list[Any], list[PlanStep]]:
    place = r.choice(world.restaurants)
    dish, price = place.menu[r.randrange(len(place.menu))]
    plan = [
        type_in("#dine-query", place.name, f"I look up {place.name}."),
        click(f'#dine-query-suggestions li[data-href="/dine/r/{place.id}"]', "I open it from the suggestions."),
        click("#tab-menu", "I open the menu."),
        answer(f"The {dish.lower()} at {place.name} costs {money(price)}."),
    ]
    check = says(cash(price), alone=["money"])
    return "/dine/", f"How much is the {dish.lower()} at {place.name} in {place.city.name}?", [check], plan


def info_cheapest_ticket(world: World, r: random.Random) -> tuple[str, str, list[Any], list[PlanStep]]:
    event = r.choice([e for e in world.events if e.category in ("Sports", "Theatre", "Family")])
    listed = tickets.results(world, q(q=event.performer, city=event.city.slug))
    assert event in listed[: tickets.PER_PAGE]
    tier = min((t for t in event.tiers if t.remaining), key=lambda t: t.price)
    plan = [
        type_in("#search-input", event.performer, f"I search for {event.performer}.", enter=True),
        facet("city", event.city.slug, f"I filter to {event.city.name}."),
        click(f'[data-event="{event.id}"] .event-name', "I open the event."),
        remember(f"{tier.name}: {money(tier.price)}", "I check the ticket prices."),
        answer(
            f"The cheapest tickets for {event.name} on {long_date(event.date)} "
            f"are {tier.name} at {money(tier.price)} each."
        ),
    ]
    plan[-2] = PlanStep(
        do="memorize", target=f'[data-tier="{tier.name}"]', text=plan[-2].text, thought=plan[-2].thought
    )
    text = f"What's the cheapest ticket I can buy for {event.name} in {event.city.name} on {short_date(event.date)}?"
    return "/tickets/", text, [says(cash(tier.price), alone=["money"])], plan


def info_reviews(world: World, r: random.Random) -> tuple[str, str, list[Any], list[PlanStep]]:
    offer = r.choice(world.stores["mart"].offers)
    product = offer.product
    plan = shop_search(world, "mart", product.name, [], None, offer)
    plan.append(
        answer(f"The {product.name} has {product.reviews:,} ratings on ValueMart, averaging {product.rating} out of 5.")
    )
    return (
        "/mart/",
        f"How many ratings does the {product.name} have on ValueMart, and what's its average?",
        [says(count(product.reviews), number(product.rating), context=[words(product.name)], alone=["number"])],
        plan,
    )


def info_remote_count(world: World, r: random.Random) -> tuple[str, str, list[Any], list[PlanStep]]:
    department = r.choice(sorted({j.department for j in world.jobs}))
    total = len(jobs.filtered(world, q(department=department, workplace="Remote")))
    plan = [
        click(
            f'a.chip[href="/jobs/search?department={department.replace(" ", "+")}"]',
            f"I browse the {department} department.",
        ),
        facet("workplace", "Remote", "I filter to remote jobs."),
        answer(f"There are {total} remote {department} jobs on Hireline."),
    ]
    return (
        "/jobs/",
        f"How many remote jobs in {department} are on Hireline right now?",
        [says(count(total), alone=["number"])],
        plan,
    )


def info_biggest_home(world: World, r: random.Random) -> tuple[str, str, list[Any], list[PlanStep]] | None:
    city = r.choice(list(CITY_BY_SLUG.values()))
    listed = homes.results(world, q(mode="buy", city=city.slug, sort="sqft"))
    best = first_strictly(listed, lambda h: -h.sqft)
    if best is None or listed[0] != best:
        return None
    plan = [
        type_in("#location-input", city.name, f"I search homes in {city.name}."),
        click(f'#location-suggestions li[data-value="{city.slug}"]', f"I choose {city.label}."),
        click("#search-homes", "I search."),
        *sort_by("sqft", "Square feet"),
        answer(
            f"The largest home for sale in {city.name} is {best.full_address}: {best.sqft:,} sqft, {best.price_text}."
        ),
    ]
    return (
        "/homes/",
        f"What's the largest home for sale in {city.name} on Nestfinder, and what does it cost?",
        [
            says(
                words(best.address),
                cash(best.price),
                rivals=[words(h.address) for h in listed if h != best],
                alone=["money"],
            )
        ],
        plan,
    )


def info_monthly(world: World, r: random.Random) -> tuple[str, str, list[Any], list[PlanStep]]:
    city = r.choice(list(CITY_BY_SLUG.values()))
    listed = homes.results(world, q(mode="buy", city=city.slug, sort="price_asc"))
    home = listed[0]
    principal, rate = home.price * 0.8, 0.065 / 12
    monthly = round(principal * rate / (1 - (1 + rate) ** -360) + home.hoa)
    plan = [
        type_in("#location-input", city.name, f"I search homes in {city.name}."),
        click(f'#location-suggestions li[data-value="{city.slug}"]', f"I choose {city.label}."),
        click("#search-homes", "I search."),
        *sort_by("price_asc", "Price (low to high)"),
        click(f'[data-home="{home.id}"] .home-address', f"{home.address} is the cheapest; I open it."),
        click("#tab-costs", "I open the monthly cost."),
        answer(f"The estimated monthly payment for {home.full_address} ({home.price_text}) is ${monthly:,}."),
    ]
    return (
        "/homes/",
        f"What is the estimated monthly payment for the cheapest home for sale in {city.name}?",
        [
            says(
                cash(monthly),
                context=[words(home.full_address, home.address), cash(home.price)],
                alone=["money"],
            )
        ],
        plan,
    )


INFO = [
    info_product,
    info_check_in,
    info_hours,
    info_doors,
    info_salary,
    info_company,
    info_nonstops,
    info_fastest,
    info_best_hotel,
    info_dish,
    info_cheapest_ticket,
    info_reviews,
    info_remote_count,
    info_biggest_home,
    info_monthly,
]
INFO_SITES = {
    "/shop/": ["shop"],
    "/mart/": ["mart"],
    "/hotels/": ["hotels"],
    "/dine/": ["dine"],
    "/tickets/": ["tickets"],
    "/jobs/": ["jobs"],
    "/flights/": ["flights"],
    "/homes/": ["homes"],
}


def information_seeking(world: World, b: Builder) -> None:
    r = rng(world.seed, "suite", "information_seeking")

    def attempt(index: int) -> None:
        if made := INFO[index % len(INFO)](world, r):
            start, text, checks, plan = made
            b.add("information_seeking", INFO_SITES[start], start, text, checks, plan)

    fill(b, "information_seeking", 16, attempt)
