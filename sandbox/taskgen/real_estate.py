"""Real-estate tasks on Nestfinder: saving homes, tours up to booking, listing facts."""

from __future__ import annotations

from datetime import timedelta

from sandbox.data.common import CITY_BY_SLUG, PROFILE, TODAY, clock, rng
from sandbox.data.homes import TOUR_TIMES
from sandbox.data.world import World
from sandbox.sites import homes
from sandbox.taskgen.plans import (
    Builder,
    answer,
    cash,
    choose,
    click,
    facet,
    fill,
    first_strictly,
    long_date,
    pick,
    q,
    says,
    short_date,
    sort_by,
    state,
    type_in,
    words,
    year,
)
from sandbox.taskspec import Check, CriticalPoint, PlanStep, Value

HOME_CRITICAL = CriticalPoint(
    step="booking the tour", page="/homes/tour/review", button="#book-tour", committed=["homes.tours"]
)
SAVE_ASKS = (
    "On Nestfinder, save {what} to my saved homes.",
    "Add {what} to my saved homes on Nestfinder.",
    "I'd like to keep an eye on {what}: save it on Nestfinder.",
)
TOUR_ASKS = (
    "Set up a tour of {what} on {day} at {time}{message}. Stop before booking it.",
    "I want to see {what}. Request a tour for {day} at {time}{message}, but don't book it yet.",
    "Arrange a viewing of {what} for {time} on {day}{message}. Leave the final booking to me.",
)
FACT_ASKS = (
    "Find {what}. What year was it built, and what is its HOA fee?",
    "When was {what} built, and how much is its monthly HOA fee?",
    "Look up {what} and tell me its year of construction and its HOA fee.",
)
TOUR_MESSAGES = ["Is the parking included?", "Could we also see the storage unit?", ""]


def home_search(
    mode: str, city_slug: str, beds: int, kind: str | None, order: str, order_label: str, max_price: int | None = None
) -> list[PlanStep]:
    city = CITY_BY_SLUG[city_slug]
    plan = [click("#mode-rent", "I switch to rentals.")] if mode == "rent" else []
    plan += [
        type_in("#location-input", city.name, f"I search in {city.name}."),
        click(f'#location-suggestions li[data-value="{city_slug}"]', f"I choose {city.label}."),
        click("#search-homes", "I search."),
    ]
    if beds:
        plan.append(click(f'#filter-bar [data-beds="{beds}"]', f"I want {beds}+ bedrooms."))
    if kind:
        plan.append(facet("type", kind, f"I filter to {kind.lower()}s."))
    if max_price:
        plan += [
            type_in("#max_price", str(max_price), f"I set the maximum to ${max_price:,}."),
            click("#min_price-go", "I apply it."),
        ]
    return plan + sort_by(order, order_label)


def home_tasks(world: World, b: Builder) -> None:
    r = rng(world.seed, "suite", "real_estate")

    def attempt(index: int) -> None:
        city = r.choice(list(CITY_BY_SLUG.values()))
        mode = "rent" if index % 3 == 1 else "buy"
        beds = r.choice((1, 2, 3))
        kind = r.choice(("Condo", "Townhouse", "Apartment" if mode == "rent" else "House"))
        order, order_label = ("price_asc", "Price (low to high)") if index % 2 else ("newest", "Newest")
        params = q(mode=mode, city=city.slug, beds=beds, type=kind, sort=order)
        listed = homes.results(world, params)
        key = (lambda h: h.price) if order == "price_asc" else (lambda h: -h.listed.toordinal())
        target = first_strictly(listed, key)
        if target is None or listed[0] != target:
            return
        how = "cheapest" if order == "price_asc" else "most recently listed"
        what = f"the {how} {beds}+ bedroom {kind.lower()} for {'rent' if mode == 'rent' else 'sale'} in {city.name}"
        plan = home_search(mode, city.slug, beds, kind, order, order_label)
        plan.append(
            click(
                f'[data-home="{target.id}"] .home-address',
                f"{target.address} ({target.price_text}) is {what}; I open it.",
            )
        )
        variant, wording = index % 3, b.count("real_estate") % 3
        if variant == 0:
            plan += [
                click("#save-home", "I save this home."),
                answer(f"I saved {target.full_address} ({target.price_text})."),
            ]
            checks: list[Check] = [state("homes.saved", "equals", [target.id]), state("homes.draft", "empty")]
            b.add("real_estate", ["homes"], "/homes/", SAVE_ASKS[wording].format(what=what), checks, plan)
        elif variant == 1:
            day = TODAY + timedelta(days=r.randint(2, 20))
            hour = r.choice(TOUR_TIMES) // 60
            time = f"{hour:02d}:00"
            message = TOUR_MESSAGES[index % 3]
            plan += [
                pick("#tour-date", day, f"I pick {short_date(day)} for the tour."),
                *choose("tour-time", time, clock(hour * 60), "I choose the tour time."),
                click("#request-tour", "I request the tour."),
            ]
            if message:
                plan.append(type_in("#tour-message", message, "I add the question for the agent."))
            plan.append(click("#continue-review", "My contact details are prefilled; I continue."))
            text = TOUR_ASKS[wording].format(
                what=what,
                day=long_date(day),
                time=clock(hour * 60),
                message=f" and ask the agent: “{message}”" if message else "",
            )
            draft = {
                "stage": "review",
                "home": target.id,
                "date": day.isoformat(),
                "time": time,
                "message": message,
                "name": PROFILE.name,
            }
            checks = [state("homes.draft", "matches", draft)]
            b.add("real_estate", ["homes"], "/homes/", text, checks, plan, HOME_CRITICAL)
        else:
            plan += [
                click("#tab-facts", "I open the facts and features."),
                answer(
                    f"{target.full_address} was built in {target.year_built}; its HOA fee is "
                    + (f"${target.hoa}/month." if target.hoa else "none.")
                ),
            ]
            fee = cash(target.hoa) if target.hoa else words("none", "no HOA", "no fee", "$0", "zero")
            # The listing's address and price may be repeated (and "$0" for no fee); no other fee or year.
            context: list[Value] = [words(target.full_address, target.address), cash(target.price), cash(target.hoa)]
            checks = [says(year(target.year_built), fee, context=context, alone=["money", "year"])]
            b.add("real_estate", ["homes"], "/homes/", FACT_ASKS[wording].format(what=what), checks, plan)

    fill(b, "real_estate", 14, lambda index: attempt(index + 1))
