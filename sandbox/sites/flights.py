"""Skyfare (/flights): flight search with airport auto-suggest, date pickers and a travellers popover;
results with filters and sort tabs; round trips pick an outbound then a return flight; fares; traveller
details; payment. "Confirm booking" on the payment step is the binding step.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import QueryParams

from sandbox.checkout import CheckoutFlow, Stage
from sandbox.data.common import CITIES, CITY_BY_AIRPORT, PROFILE, TODAY, City, city_named
from sandbox.data.flights import AIRLINES, CABIN_LABELS, FARE_LABELS, FARES, Flight
from sandbox.data.world import World
from sandbox.state import FlightBooking, FlightDraft, Traveller
from sandbox.web import (
    SITES,
    Sort,
    Web,
    apply_sort,
    check_facet,
    count_by,
    link,
    parse_date,
    parse_int,
    read_form,
    redirect,
    sort_options,
)

SITE = SITES["flights"]
TIMES = {"morning": (5 * 60, 12 * 60), "afternoon": (12 * 60, 18 * 60), "evening": (18 * 60, 24 * 60)}
TIME_LABELS = {"morning": "Morning (5am–12pm)", "afternoon": "Afternoon (12pm–6pm)", "evening": "Evening (after 6pm)"}
SORTS = (
    Sort("best", "Best", lambda f: (f.price + f.scheduled.duration * 0.6, f.scheduled.departs)),
    Sort("price", "Cheapest", lambda f: (f.price, f.scheduled.departs)),
    Sort("duration", "Fastest", lambda f: (f.scheduled.duration, f.price)),
    Sort("departure", "Earliest departure", lambda f: (f.scheduled.departs, f.price)),
)
FARE_FEATURES = {
    "basic": ("Personal item only", "Seat assigned at check-in", "No changes or refunds"),
    "standard": ("Carry-on bag included", "Choose your seat", "Changes for a fee"),
    "flex": ("Carry-on and 1 checked bag", "Choose your seat, extra legroom", "Free changes and full refund"),
}


def airport(code_or_text: str | None) -> City | None:
    """A city from an airport code or what a person typed ("Boston", "Boston (BOS)", "bos")."""
    if not code_or_text:
        return None
    text = code_or_text.strip()
    if text.upper() in CITY_BY_AIRPORT:
        return CITY_BY_AIRPORT[text.upper()]
    if "(" in text and text.endswith(")"):
        return CITY_BY_AIRPORT.get(text.rsplit("(", 1)[1][:-1].upper())
    return city_named(text) or next((c for c in CITIES if c.name.lower().startswith(text.lower())), None)


def filtered(flights: list[Flight], params: QueryParams, skip: str | None = None) -> list[Flight]:
    if (stops := params.getlist("stops")) and skip != "stops":
        flights = [f for f in flights if str(f.scheduled.stops) in stops]
    if (airlines := params.getlist("airline")) and skip != "airline":
        flights = [f for f in flights if f.scheduled.airline in airlines]
    if (windows := params.getlist("time")) and skip != "time":
        flights = [
            f for f in flights if any(TIMES[w][0] <= f.scheduled.departs < TIMES[w][1] for w in windows if w in TIMES)
        ]
    return flights


def results(world: World, origin: str, destination: str, day: date, params: QueryParams) -> list[Flight]:
    """The flights a results page lists, in order."""
    return apply_sort(filtered(world.flights(origin, destination, day), params), SORTS, params.get("sort"))[0]


def trip_total(world: World, draft: FlightDraft, fare: str) -> float:
    legs = [world.flight(leg) for leg in (draft.outbound, draft.inbound) if leg]
    return round(sum(leg.fare_price(draft.cabin, fare) for leg in legs if leg) * draft.adults, 2)


def routers(web: Web) -> list[APIRouter]:
    router = APIRouter(prefix="/flights")
    world = web.world

    def page(request: Request, template: str, **context: Any) -> Response:
        return web.render(request, SITE, f"flights/{template}", **context)

    def draft_of(request: Request) -> FlightDraft | None:
        return web.state(request).flights.draft

    @router.get("/")
    async def home(request: Request) -> Response:
        deals = []
        for city in CITIES[1:7]:
            day = TODAY + timedelta(days=21)
            cheapest = min(world.flights("SEA", city.airport, day), key=lambda f: f.price)
            deals.append((city, cheapest))
        params = request.query_params
        origin, destination = airport(params.get("from") or "SEA"), airport(params.get("to"))
        return page(
            request,
            "home.html",
            deals=deals,
            error=params.get("error"),
            params=params,
            origin=origin,
            destination=destination,
            adults=parse_int(params.get("adults"), 1, 1, 9),
            cabin=params.get("cabin") if params.get("cabin") in CABIN_LABELS else "economy",
        )

    @router.get("/api/airports")
    async def airports(q: str = "") -> Response:
        needle = q.strip().lower()
        matches = [
            c
            for c in CITIES
            if needle in c.name.lower() or needle == c.airport.lower() or needle in c.airport_name.lower()
        ]
        return JSONResponse(
            [{"label": f"{c.name} ({c.airport})", "value": c.airport, "hint": c.airport_name} for c in matches[:8]]
        )

    @router.get("/search")
    async def search(request: Request) -> Response:
        params = request.query_params
        draft = draft_of(request)
        leg = (
            "return"
            if params.get("leg") == "return" and draft and draft.outbound and draft.trip == "round"
            else "outbound"
        )
        origin: City | None
        destination: City | None
        back: str | None
        trip: Literal["round", "oneway"]
        if leg == "return":
            assert draft is not None
            origin, destination = CITY_BY_AIRPORT[draft.destination], CITY_BY_AIRPORT[draft.origin]
            day = parse_date(draft.return_date)
            trip, adults, cabin = draft.trip, draft.adults, draft.cabin
            back = draft.return_date
        else:
            origin = airport(params.get("from")) or airport(params.get("from_text"))
            destination = airport(params.get("to")) or airport(params.get("to_text"))
            day = parse_date(params.get("depart"))
            trip = "oneway" if params.get("trip") == "oneway" else "round"
            back = params.get("return") if trip == "round" else None
            adults = parse_int(params.get("adults"), 1, 1, 9)
            cabin = params["cabin"] if params.get("cabin") in CABIN_LABELS else "economy"
            if trip == "round" and ((returned := parse_date(back)) is None or (day and returned < day)):
                return redirect("/flights/?error=return")
        if origin is None or destination is None or day is None or origin == destination or day < TODAY:
            return redirect("/flights/?error=search")
        path = "/flights/search"
        everything = world.flights(origin.airport, destination.airport, day)
        ordered, chosen = apply_sort(filtered(everything, params), SORTS, params.get("sort"))
        facets = [
            check_facet(
                path,
                params,
                "stops",
                "Stops",
                [("0", "Nonstop"), ("1", "1 stop")],
                count_by(filtered(everything, params, "stops"), lambda f: [str(f.scheduled.stops)]),
            ),
            check_facet(
                path,
                params,
                "airline",
                "Airlines",
                [(code, name) for code, name in AIRLINES.items()],
                count_by(filtered(everything, params, "airline"), lambda f: [f.scheduled.airline]),
            ),
            check_facet(path, params, "time", "Departure time", list(TIME_LABELS.items())),
        ]
        search_params = {
            "trip": trip,
            "from": origin.airport,
            "to": destination.airport,
            "depart": (draft.depart if leg == "return" and draft else day.isoformat()),
            "return": back or "",
            "adults": adults,
            "cabin": cabin,
        }
        return page(
            request,
            "results.html",
            params=params,
            leg=leg,
            origin=origin,
            destination=destination,
            day=day,
            trip=trip,
            adults=adults,
            cabin=cabin,
            flights=ordered,
            facets=facets,
            sorts=sort_options(path, params, SORTS, chosen),
            search_params=search_params,
            outbound=world.flight(draft.outbound) if leg == "return" and draft and draft.outbound else None,
            edit=link("/flights/", {k: v for k, v in search_params.items() if v}),
        )

    @router.post("/select")
    async def select(request: Request) -> Response:
        form = await read_form(request)
        flight = world.flight(str(form.get("flight", "")))
        if flight is None:
            return redirect("/flights/")
        state = web.state(request).flights
        if form.get("leg") == "return" and state.draft and state.draft.outbound:
            state.draft.inbound, state.draft.stage, state.draft.fare = flight.id, "fare", None
            return redirect("/flights/fare")
        trip: Literal["round", "oneway"] = "oneway" if form.get("trip") == "oneway" else "round"
        state.draft = FlightDraft(
            stage="return" if trip == "round" else "fare",
            trip=trip,
            origin=flight.scheduled.origin,
            destination=flight.scheduled.destination,
            depart=flight.date.isoformat(),
            return_date=str(form.get("return")) if trip == "round" else None,
            adults=parse_int(str(form.get("adults", "1")), 1, 1, 9),
            cabin=str(form.get("cabin")) if form.get("cabin") in CABIN_LABELS else "economy",
            outbound=flight.id,
        )
        return redirect("/flights/search?leg=return" if trip == "round" else "/flights/fare")

    def fares_shown(draft: FlightDraft) -> dict[str, object]:
        return {
            "options": [(key, FARE_LABELS[key], trip_total(world, draft, key), FARE_FEATURES[key]) for key in FARES]
        }

    def total_shown(draft: FlightDraft) -> dict[str, object]:
        assert draft.fare is not None  # chosen at the fare stage
        return {"total": trip_total(world, draft, draft.fare)}

    CheckoutFlow(
        SITE.root,
        page,
        stages=(
            Stage("return", "search?leg=return"),  # the return flight is chosen from the results
            Stage("fare", "fare", "fare.html", fill_fare, shows=fares_shown),
            Stage("travellers", "travellers", "travellers.html", fill_travellers, shows=travellers_shown),
            Stage("payment", "payment", "payment.html", shows=total_shown),
        ),
        draft=draft_of,
        shows=lambda request, draft: legs(world, draft),
    ).mount(router)

    @router.post("/book")
    async def book(request: Request) -> Response:
        state = web.state(request).flights
        booking = web.commit_draft(state, "payment", state.bookings, FlightBooking, "SKY")
        if booking is None:
            return redirect("/flights/")
        return redirect(f"/flights/trips?confirmed={booking.confirmation}")

    @router.get("/trips")
    async def trips(request: Request) -> Response:
        bookings = [(b, legs(world, b)) for b in web.state(request).flights.bookings]
        return page(request, "trips.html", bookings=bookings, confirmed=request.query_params.get("confirmed"))

    return [router]


def fill_fare(draft: FlightDraft, form: dict[str, str]) -> str | None:
    if form.get("fare") not in FARES:
        return "fare"
    draft.fare = form["fare"]
    return None


def travellers_shown(draft: FlightDraft) -> dict[str, object]:
    """Everyone on the booking, the person signed in first until the form says otherwise."""
    people = draft.travellers or [Traveller(first=PROFILE.first, last=PROFILE.last)]
    return {"people": people + [Traveller(first="", last="")] * (draft.adults - len(people))}


def fill_travellers(draft: FlightDraft, form: dict[str, str]) -> str | None:
    people = [Traveller(first=form.get(f"first{n}", ""), last=form.get(f"last{n}", "")) for n in range(draft.adults)]
    email = form.get("email", "")
    if not email or not all(p.first and p.last for p in people):
        return "missing"
    draft.travellers, draft.email = people, email
    return None


def legs(world: World, draft: FlightDraft) -> dict[str, Flight | None]:
    return {
        "outbound": world.flight(draft.outbound) if draft.outbound else None,
        "inbound": world.flight(draft.inbound) if draft.inbound else None,
    }
