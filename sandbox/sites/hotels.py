"""Staywell (/hotels): destination auto-suggest, check-in/check-out date pickers, a guests popover; results
with filters, sort and pagination; hotel pages with a gallery, tabs and a rooms table; guest details;
payment. "Complete booking" on the payment step is the binding step.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import QueryParams

from sandbox.checkout import CheckoutFlow, Stage
from sandbox.data.common import CITIES, CITY_BY_SLUG, TODAY, city_named, review_texts
from sandbox.data.hotels import HOTEL_AMENITIES, Hotel, RoomType
from sandbox.data.world import World
from sandbox.state import HotelBooking, HotelDraft
from sandbox.web import (
    SITES,
    Sort,
    Web,
    apply_sort,
    check_facet,
    count_by,
    link,
    paginate,
    parse_date,
    parse_float,
    parse_int,
    radio_facet,
    read_form,
    redirect,
    sort_options,
)

SITE = SITES["hotels"]
PER_PAGE = 10
ARRIVAL_TIMES = [("", "I don't know yet")] + [
    (f"{h}:00", f"{h % 12 or 12}:00 {'AM' if h < 12 else 'PM'}") for h in range(12, 24)
]


def stay(params: QueryParams) -> tuple[date | None, date | None]:
    """Check-in and check-out from the query, when both are valid."""
    check_in, check_out = parse_date(params.get("checkin")), parse_date(params.get("checkout"))
    if check_in is None or check_out is None or check_in < TODAY or check_out <= check_in:
        return None, None
    return check_in, check_out


def fitting(hotel: Hotel, adults: int, rooms: int = 1) -> list[RoomType]:
    """The room types that sleep the party, cheapest first."""
    return [room for room in hotel.rooms if room.sleeps * rooms >= adults]


def party(params: QueryParams) -> tuple[int, int]:
    return parse_int(params.get("adults"), 2, 1, 10), parse_int(params.get("rooms"), 1, 1, 5)


def nightly_from(hotel: Hotel, check_in: date | None, check_out: date | None, adults: int = 2, rooms: int = 1) -> float:
    """The listing price: the cheapest fitting room's average nightly rate for the stay (a weeknight without dates)."""
    room = (fitting(hotel, adults, rooms) or list(hotel.rooms))[0]
    if check_in is None or check_out is None:
        return hotel.nightly(room, TODAY)
    return round(hotel.stay_price(room, check_in, check_out) / (check_out - check_in).days, 2)


def filtered(world: World, params: QueryParams, skip: str | None = None) -> list[Hotel]:
    city = CITY_BY_SLUG.get(params.get("city", "")) or city_named(params.get("city_text", ""))
    adults, rooms = party(params)
    hotels = [h for h in world.hotels if (city is None or h.city == city) and fitting(h, adults, rooms)]
    check_in, check_out = stay(params)
    if (stars := params.getlist("stars")) and skip != "stars":
        hotels = [h for h in hotels if str(h.stars) in stars]
    if score := parse_float(params.get("score")):
        hotels = [h for h in hotels if h.score >= score]
    if (amenities := params.getlist("amenity")) and skip != "amenity":
        hotels = [h for h in hotels if all(a in h.amenities for a in amenities)]
    if (areas := params.getlist("area")) and skip != "area":
        hotels = [h for h in hotels if h.neighbourhood in areas]
    if params.get("free_cancel"):
        hotels = [h for h in hotels if h.free_cancellation]
    low, high = parse_float(params.get("min_price")), parse_float(params.get("max_price"))
    if low is not None:
        hotels = [h for h in hotels if nightly_from(h, check_in, check_out, adults, rooms) >= low]
    if high is not None:
        hotels = [h for h in hotels if nightly_from(h, check_in, check_out, adults, rooms) <= high]
    return hotels


def sorts(params: QueryParams) -> tuple[Sort, ...]:
    check_in, check_out = stay(params)
    adults, rooms = party(params)
    return (
        Sort("recommended", "Our top picks", lambda h: (-(h.score * 10 + h.stars * 4 - h.distance_km), h.id)),
        Sort("price", "Price (lowest first)", lambda h: (nightly_from(h, check_in, check_out, adults, rooms), h.id)),
        Sort("score", "Guest rating (highest first)", lambda h: (-h.score, -h.reviews, h.id)),
        Sort("distance", "Distance from city centre", lambda h: (h.distance_km, h.id)),
        Sort("stars", "Stars (highest first)", lambda h: (-h.stars, -h.score, h.id)),
    )


def results(world: World, params: QueryParams) -> list[Hotel]:
    """The hotels a results page lists, in order."""
    return apply_sort(filtered(world, params), sorts(params), params.get("sort"))[0]


def fill_guest(draft: HotelDraft, form: dict[str, str]) -> str | None:
    first, last, email = (form.get(k, "") for k in ("first", "last", "email"))
    if not (first and last and email):
        return "missing"
    draft.first, draft.last, draft.email = first, last, email
    draft.requests = form.get("requests", "")
    draft.arrival = form.get("arrival") or None
    return None


def routers(web: Web) -> list[APIRouter]:
    router = APIRouter(prefix="/hotels")
    world = web.world

    def page(request: Request, template: str, **context: Any) -> Response:
        return web.render(request, SITE, f"hotels/{template}", **context)

    @router.get("/")
    async def home(request: Request) -> Response:
        params = request.query_params
        city = CITY_BY_SLUG.get(params.get("city", ""))
        return page(
            request,
            "home.html",
            cities=CITIES,
            params=params,
            city=city,
            error=params.get("error"),
            adults=parse_int(params.get("adults"), 2, 1, 10),
            rooms=parse_int(params.get("rooms"), 1, 1, 5),
        )

    @router.get("/api/destinations")
    async def destinations(q: str = "") -> Response:
        needle = q.strip().lower()
        out = [{"label": c.label, "value": c.slug, "hint": "City"} for c in CITIES if needle in c.name.lower()]
        out += [
            {"label": h.name, "hint": f"Hotel in {h.city.name}", "href": f"/hotels/h/{h.id}"}
            for h in world.hotels
            if needle in h.name.lower()
        ][: 8 - len(out)]
        return JSONResponse(out)

    @router.get("/search")
    async def search(request: Request) -> Response:
        params = request.query_params
        city = CITY_BY_SLUG.get(params.get("city", "")) or city_named(params.get("city_text", ""))
        check_in, check_out = stay(params)
        if city is None:
            return redirect("/hotels/?error=city")
        if params.get("checkin") and check_in is None:
            return redirect(link("/hotels/", params, error="dates"))
        if params.get("city") != city.slug:  # typed without choosing a suggestion: canonical URL
            return redirect(link("/hotels/search", params, city=city.slug, city_text=None))
        path = "/hotels/search"
        order = sorts(params)
        ordered, chosen = apply_sort(filtered(world, params), order, params.get("sort"))
        facets = [
            check_facet(
                path,
                params,
                "stars",
                "Star rating",
                [(str(n), f"{n} stars") for n in (5, 4, 3, 2)],
                count_by(filtered(world, params, "stars"), lambda h: [str(h.stars)]),
            ),
            radio_facet(
                path,
                params,
                "score",
                "Guest rating",
                [("", "Any"), ("9", "Wonderful: 9+"), ("8", "Very good: 8+"), ("7", "Good: 7+")],
            ),
            check_facet(path, params, "free_cancel", "Reservation policy", [("1", "Free cancellation")]),
            check_facet(
                path,
                params,
                "amenity",
                "Amenities",
                [(a, a) for a in HOTEL_AMENITIES],
                count_by(filtered(world, params, "amenity"), lambda h: h.amenities),
            ),
            check_facet(
                path,
                params,
                "area",
                "Neighbourhood",
                [(n, n) for n in city.neighbourhoods],
                count_by(filtered(world, params, "area"), lambda h: [h.neighbourhood]),
            ),
        ]
        pager = paginate(ordered, params, path, PER_PAGE)
        nights = (check_out - check_in).days if check_in and check_out else 0
        adults, rooms = party(params)
        rows = [(h, nightly_from(h, check_in, check_out, adults, rooms)) for h in pager.items]
        return page(
            request,
            "results.html",
            params=params,
            city=city,
            facets=facets,
            sorts=sort_options(path, params, order, chosen),
            pager=pager,
            rows=rows,
            check_in=check_in,
            check_out=check_out,
            nights=nights,
            adults=adults,
            rooms=rooms,
            stay_query={k: v for k, v in params.items() if k in ("checkin", "checkout", "adults", "rooms")},
        )

    @router.get("/h/{hotel_id}")
    async def hotel(request: Request, hotel_id: str) -> Response:
        found = world.hotel.get(hotel_id)
        if found is None:
            return web.render(request, SITE, "missing.html", status=404)
        params = request.query_params
        check_in, check_out = stay(params)
        adults, rooms = party(params)
        room_rows = [
            (room, found.stay_price(room, check_in, check_out) * rooms if check_in and check_out else None)
            for room in fitting(found, adults, rooms)
        ]
        return page(
            request,
            "hotel.html",
            h=found,
            params=params,
            check_in=check_in,
            check_out=check_out,
            adults=adults,
            rooms=rooms,
            room_rows=room_rows,
            nights=(check_out - check_in).days if check_in and check_out else 0,
            reviews=review_texts(world.seed, found.id, found.score / 2, 5),
            tab=params.get("tab", "overview"),
        )

    @router.post("/select")
    async def select(request: Request) -> Response:
        form = await read_form(request)
        found = world.hotel.get(str(form.get("hotel", "")))
        check_in, check_out = stay(QueryParams({k: str(form.get(k, "")) for k in ("checkin", "checkout")}))
        room = found.room(str(form.get("room", ""))) if found else None
        if found is None or room is None or check_in is None or check_out is None:
            return redirect("/hotels/")
        state = web.state(request).hotels
        state.draft = HotelDraft(
            stage="guest",
            hotel=found.id,
            room=room.name,
            check_in=check_in.isoformat(),
            check_out=check_out.isoformat(),
            adults=parse_int(str(form.get("adults", "2")), 2, 1, 10),
            rooms=parse_int(str(form.get("rooms", "1")), 1, 1, 5),
        )
        return redirect("/hotels/guest")

    def stay_shown(draft: HotelDraft) -> dict[str, object]:
        found = world.hotel[draft.hotel]
        room = found.room(draft.room)
        assert room is not None
        check_in, check_out = date.fromisoformat(draft.check_in), date.fromisoformat(draft.check_out)
        total = round(found.stay_price(room, check_in, check_out) * draft.rooms, 2)
        return {"h": found, "room": room, "total": total, "nights": (check_out - check_in).days}

    CheckoutFlow(
        SITE.root,
        page,
        stages=(
            Stage("guest", "guest", "guest.html", fill_guest, shows=lambda draft: {"arrival_times": ARRIVAL_TIMES}),
            Stage("payment", "payment", "payment.html"),
        ),
        draft=lambda request: web.state(request).hotels.draft,
        shows=lambda request, draft: stay_shown(draft),
    ).mount(router)

    @router.post("/book")
    async def book(request: Request) -> Response:
        state = web.state(request).hotels
        booking = web.commit_draft(state, "payment", state.bookings, HotelBooking, "STAY")
        if booking is None:
            return redirect("/hotels/")
        return redirect(f"/hotels/trips?confirmed={booking.confirmation}")

    @router.get("/trips")
    async def trips(request: Request) -> Response:
        bookings = [(b, world.hotel[b.hotel]) for b in web.state(request).hotels.bookings]
        return page(request, "trips.html", bookings=bookings, confirmed=request.query_params.get("confirmed"))

    return [router]
