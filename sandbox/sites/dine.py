"""Tablefor (/dine): restaurant search by city, date, time and party size with cuisine auto-suggest;
results with filters, sort, pagination and bookable time slots; restaurant pages with tabs (overview,
menu, reviews) and a reservation widget; diner details; review. "Reserve table" is the binding step.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import QueryParams

from sandbox.checkout import CheckoutFlow, Stage
from sandbox.data.common import CITIES, CITY_BY_SLUG, TODAY, clock, review_texts
from sandbox.data.dine import CUISINES, DINE_FEATURES, WEEKDAYS, Restaurant
from sandbox.data.world import World
from sandbox.state import Reservation, TableDraft
from sandbox.web import (
    SITES,
    Sort,
    Web,
    apply_sort,
    check_facet,
    count_by,
    paginate,
    parse_date,
    parse_float,
    parse_int,
    radio_facet,
    read_form,
    redirect,
    sort_options,
)

SITE = SITES["dine"]
PER_PAGE = 10
TIMES = [(f"{m // 60:02d}:{m % 60:02d}", clock(m)) for m in range(11 * 60, 22 * 60 + 1, 30)]
PARTY = [(n, f"{n} {'person' if n == 1 else 'people'}") for n in range(1, 11)]
OCCASIONS = [
    ("", "None"),
    ("birthday", "Birthday"),
    ("anniversary", "Anniversary"),
    ("date", "Date night"),
    ("business", "Business meal"),
    ("celebration", "Celebration"),
]
SORTS = (
    Sort("featured", "Featured", lambda r: (-(r.rating * 20 + min(r.reviews, 2000) / 200), r.id)),
    Sort("rating", "Highest rated", lambda r: (-r.rating, -r.reviews, r.id)),
    Sort("reviews", "Most reviewed", lambda r: (-r.reviews, r.id)),
    Sort("price_asc", "Price: low to high", lambda r: (r.price_level, -r.rating, r.id)),
    Sort("name", "Name (A–Z)", lambda r: (r.name, r.id)),
)


def minutes(value: str | None, default: int = 19 * 60) -> int:
    try:
        hours, mins = (value or "").split(":")
        return int(hours) * 60 + int(mins)
    except ValueError:
        return default


def slot_window(world: World, restaurant: Restaurant, day: date, around: int, party: int) -> list[tuple[int, bool]]:
    """Five slots around the wanted time: (minutes, available)."""
    return [(m, restaurant.available(world.seed, day, m, party)) for m in range(around - 60, around + 61, 30)]


def filtered(world: World, params: QueryParams, skip: str | None = None) -> list[Restaurant]:
    city = CITY_BY_SLUG.get(params.get("city", "seattle"))
    places = [r for r in world.restaurants if city is None or r.city == city]
    if query := params.get("q", "").strip().lower():
        places = [
            r
            for r in places
            if query in r.name.lower() or query in r.cuisine.lower() or query in r.neighbourhood.lower()
        ]
    if (cuisines := params.getlist("cuisine")) and skip != "cuisine":
        places = [r for r in places if r.cuisine in cuisines]
    if (prices := params.getlist("price")) and skip != "price":
        places = [r for r in places if str(r.price_level) in prices]
    if rating := parse_float(params.get("rating")):
        places = [r for r in places if r.rating >= rating]
    if (features := params.getlist("feature")) and skip != "feature":
        places = [r for r in places if all(f in r.features for f in features)]
    if (areas := params.getlist("area")) and skip != "area":
        places = [r for r in places if r.neighbourhood in areas]
    return places


def results(world: World, params: QueryParams) -> list[Restaurant]:
    """The restaurants a results page lists, in order."""
    return apply_sort(filtered(world, params), SORTS, params.get("sort"))[0]


def fill_details(draft: TableDraft, form: dict[str, str]) -> str | None:
    first, last, phone, email = (form.get(k, "") for k in ("first", "last", "phone", "email"))
    if not (first and last and phone and email):
        return "missing"
    draft.first, draft.last, draft.phone, draft.email = first, last, phone, email
    draft.occasion = form.get("occasion") or None
    draft.request = form.get("request", "")
    return None


def routers(web: Web) -> list[APIRouter]:
    router = APIRouter(prefix="/dine")
    world = web.world

    def page(request: Request, template: str, **context: Any) -> Response:
        return web.render(request, SITE, f"dine/{template}", **context)

    def choice(params: QueryParams) -> dict[str, object]:
        """The search widget's current values: city, date, time, party."""
        day = parse_date(params.get("date"), TODAY)
        return {
            "city": CITY_BY_SLUG.get(params.get("city", "")) or CITY_BY_SLUG["seattle"],
            "day": day if day and day >= TODAY else TODAY,
            "time": params.get("time") if params.get("time") in dict(TIMES) else "19:00",
            "party": parse_int(params.get("party"), 2, 1, 10),
        }

    @router.get("/")
    async def home(request: Request) -> Response:
        picked = choice(request.query_params)
        top = sorted((r for r in world.restaurants if r.city == picked["city"]), key=SORTS[1].order)[:6]
        return page(request, "home.html", cities=CITIES, times=TIMES, party_sizes=PARTY, top=top, **picked)

    @router.get("/api/suggest")
    async def suggest(q: str = "") -> Response:
        needle = q.strip().lower()
        out: list[dict[str, str]] = [
            {"label": c, "value": c, "hint": "Cuisine"} for c in CUISINES if needle in c.lower()
        ][:3]
        out += [
            {"label": r.name, "hint": f"{r.cuisine} · {r.city.name}", "href": f"/dine/r/{r.id}"}
            for r in world.restaurants
            if needle in r.name.lower()
        ][: 8 - len(out)]
        return JSONResponse(out)

    @router.get("/search")
    async def search(request: Request) -> Response:
        params = request.query_params
        picked = choice(params)
        path = "/dine/search"
        ordered, chosen = apply_sort(filtered(world, params), SORTS, params.get("sort"))
        city = picked["city"]
        facets = [
            check_facet(
                path,
                params,
                "cuisine",
                "Cuisine",
                [(c, c) for c in CUISINES],
                count_by(filtered(world, params, "cuisine"), lambda r: [r.cuisine]),
            ),
            check_facet(
                path,
                params,
                "price",
                "Price",
                [("1", "$ · under $25"), ("2", "$$ · $25–40"), ("3", "$$$ · $41–60"), ("4", "$$$$ · over $60")],
            ),
            radio_facet(path, params, "rating", "Rating", [("", "Any rating"), ("4.5", "4.5 & up"), ("4", "4 & up")]),
            check_facet(
                path,
                params,
                "feature",
                "Features",
                [(f, f) for f in DINE_FEATURES],
                count_by(filtered(world, params, "feature"), lambda r: r.features),
            ),
            check_facet(path, params, "area", "Neighbourhood", [(n, n) for n in city.neighbourhoods]),  # type: ignore[attr-defined]
        ]
        pager = paginate(ordered, params, path, PER_PAGE)
        around = minutes(str(picked["time"]))
        rows = [(r, slot_window(world, r, picked["day"], around, picked["party"])) for r in pager.items]  # type: ignore[arg-type]
        return page(
            request,
            "results.html",
            params=params,
            facets=facets,
            sorts=sort_options(path, params, SORTS, chosen),
            pager=pager,
            rows=rows,
            times=TIMES,
            party_sizes=PARTY,
            cities=CITIES,
            **picked,
        )

    @router.get("/r/{restaurant_id}")
    async def restaurant(request: Request, restaurant_id: str) -> Response:
        found = world.restaurant.get(restaurant_id)
        if found is None:
            return web.render(request, SITE, "missing.html", status=404)
        picked = choice(request.query_params)
        picked["city"] = found.city
        slots = slot_window(world, found, picked["day"], minutes(str(picked["time"])), picked["party"])  # type: ignore[arg-type]
        return page(
            request,
            "restaurant.html",
            r=found,
            slots=slots,
            times=TIMES,
            party_sizes=PARTY,
            weekdays=WEEKDAYS,
            reviews=review_texts(world.seed, found.id, found.rating, 5),
            **picked,
        )

    @router.post("/hold")
    async def hold(request: Request) -> Response:
        form = await read_form(request)
        found = world.restaurant.get(str(form.get("restaurant", "")))
        day = parse_date(str(form.get("date", "")))
        time = str(form.get("time", ""))
        party = parse_int(str(form.get("party", "2")), 2, 1, 10)
        if (
            found is None
            or day is None
            or day < TODAY
            or not found.available(world.seed, day, minutes(time, -1), party)
        ):
            return redirect("/dine/")
        web.state(request).dine.draft = TableDraft(
            stage="details", restaurant=found.id, date=day.isoformat(), time=time, party=party
        )
        return redirect("/dine/details")

    CheckoutFlow(
        SITE.root,
        page,
        stages=(
            Stage("details", "details", "details.html", fill_details, shows=lambda draft: {"occasions": OCCASIONS}),
            Stage("review", "review", "review.html", shows=lambda draft: {"occasions": dict(OCCASIONS)}),
        ),
        draft=lambda request: web.state(request).dine.draft,
        shows=lambda request, draft: {"r": world.restaurant[draft.restaurant], "when": clock(minutes(draft.time))},
    ).mount(router)

    @router.post("/reserve")
    async def reserve(request: Request) -> Response:
        state = web.state(request).dine
        reservation = web.commit_draft(state, "review", state.reservations, Reservation, "TBL")
        if reservation is None:
            return redirect("/dine/")
        return redirect(f"/dine/reservations?confirmed={reservation.confirmation}")

    @router.get("/reservations")
    async def reservations(request: Request) -> Response:
        rows = [
            (x, world.restaurant[x.restaurant], clock(minutes(x.time))) for x in web.state(request).dine.reservations
        ]
        return page(request, "reservations.html", rows=rows, confirmed=request.query_params.get("confirmed"))

    return [router]
