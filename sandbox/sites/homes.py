"""Nestfinder (/homes): homes for sale and rent; location auto-suggest, buy/rent tabs, price range,
bedroom and bathroom chips, type and feature filters, sort, pagination; listing pages with a photo
carousel, tabs and "Save"; tour requests (date and time, contact, review). "Book tour" is the binding step.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import QueryParams

from sandbox.checkout import CheckoutFlow, Stage
from sandbox.data.common import CITIES, CITY_BY_SLUG, TODAY, city_named
from sandbox.data.homes import HOME_FEATURES, HOME_TYPES, TOUR_TIMES, Home
from sandbox.data.world import World
from sandbox.state import Tour, TourDraft
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
    read_form,
    redirect,
    sort_options,
    toggle,
)

SITE = SITES["homes"]
PER_PAGE = 12
SORTS = (
    Sort("newest", "Newest", lambda h: (-h.listed.toordinal(), h.id)),
    Sort("price_asc", "Price (low to high)", lambda h: (h.price, h.id)),
    Sort("price_desc", "Price (high to low)", lambda h: (-h.price, h.id)),
    Sort("sqft", "Square feet", lambda h: (-h.sqft, h.id)),
)
TIME_OPTIONS = [(f"{m // 60:02d}:00", f"{(m // 60) % 12 or 12}:00 {'AM' if m < 12 * 60 else 'PM'}") for m in TOUR_TIMES]


def filtered(world: World, params: QueryParams, skip: str | None = None) -> list[Home]:
    mode = "rent" if params.get("mode") == "rent" else "buy"
    homes = [h for h in world.homes if h.mode == mode]
    city = CITY_BY_SLUG.get(params.get("city", "")) or city_named(params.get("city_text", ""))
    if city is not None:
        homes = [h for h in homes if h.city == city]
    low, high = parse_float(params.get("min_price")), parse_float(params.get("max_price"))
    if low is not None:
        homes = [h for h in homes if h.price >= low]
    if high is not None:
        homes = [h for h in homes if h.price <= high]
    if beds := parse_int(params.get("beds"), 0):
        homes = [h for h in homes if h.beds >= beds]
    if baths := parse_float(params.get("baths")):
        homes = [h for h in homes if h.baths >= baths]
    if (types := params.getlist("type")) and skip != "type":
        homes = [h for h in homes if h.type in types]
    if (features := params.getlist("feature")) and skip != "feature":
        homes = [h for h in homes if all(f in h.features for f in features)]
    return homes


def results(world: World, params: QueryParams) -> list[Home]:
    """The listings a results page shows, in order."""
    return apply_sort(filtered(world, params), SORTS, params.get("sort"))[0]


def fill_contact(draft: TourDraft, form: dict[str, str]) -> str | None:
    name, email, phone = (form.get(k, "") for k in ("name", "email", "phone"))
    if not (name and email and phone):
        return "missing"
    draft.name, draft.email, draft.phone, draft.message = name, email, phone, form.get("message", "")
    return None


def routers(web: Web) -> list[APIRouter]:
    router = APIRouter(prefix="/homes")
    world = web.world

    def page(request: Request, template: str, **context: Any) -> Response:
        return web.render(request, SITE, f"homes/{template}", saved=web.state(request).homes.saved, **context)

    @router.get("/")
    async def home(request: Request) -> Response:
        featured = sorted((h for h in world.homes if h.city.slug == "seattle"), key=SORTS[0].order)[:6]
        return page(request, "home.html", featured=featured, cities=CITIES)

    @router.get("/api/locations")
    async def locations(q: str = "") -> Response:
        needle = q.strip().lower()
        return JSONResponse(
            [{"label": c.label, "value": c.slug, "hint": "City"} for c in CITIES if needle in c.name.lower()]
        )

    @router.get("/search")
    async def search(request: Request) -> Response:
        params = request.query_params
        city = CITY_BY_SLUG.get(params.get("city", "")) or city_named(params.get("city_text", ""))
        if city is not None and params.get("city") != city.slug:
            return redirect(link("/homes/search", params, city=city.slug, city_text=None))
        path = "/homes/search"
        ordered, chosen = apply_sort(filtered(world, params), SORTS, params.get("sort"))
        types = [t for t in HOME_TYPES if params.get("mode") == "rent" or t != "Apartment"]
        facets = [
            check_facet(
                path,
                params,
                "type",
                "Home type",
                [(t, t) for t in types],
                count_by(filtered(world, params, "type"), lambda h: [h.type]),
            ),
            check_facet(
                path,
                params,
                "feature",
                "Must-haves",
                [(f, f) for f in HOME_FEATURES],
                count_by(filtered(world, params, "feature"), lambda h: h.features),
            ),
        ]
        chips = {
            "beds": [
                (v, link(path, params, beds=v or None), params.get("beds", "") == v) for v in ("", "1", "2", "3", "4")
            ],
            "baths": [
                (v, link(path, params, baths=v or None), params.get("baths", "") == v) for v in ("", "1", "2", "3")
            ],
        }
        modes = [(m, link(path, params, mode=m, min_price=None, max_price=None)) for m in ("buy", "rent")]
        return page(
            request,
            "results.html",
            params=params,
            city=city,
            facets=facets,
            chips=chips,
            modes=modes,
            mode="rent" if params.get("mode") == "rent" else "buy",
            sorts=sort_options(path, params, SORTS, chosen),
            pager=paginate(ordered, params, path, PER_PAGE),
        )

    @router.get("/l/{home_id}")
    async def listing(request: Request, home_id: str) -> Response:
        found = world.home.get(home_id)
        if found is None:
            return web.render(request, SITE, "missing.html", status=404)
        monthly = None
        if found.mode == "buy":  # 20% down, 30 years at 6.5%, plus HOA
            principal, rate, months = found.price * 0.8, 0.065 / 12, 360
            monthly = round(principal * rate / (1 - (1 + rate) ** -months) + found.hoa)
        return page(
            request,
            "listing.html",
            h=found,
            monthly=monthly,
            times=TIME_OPTIONS,
            tour_min=TODAY + timedelta(days=1),
            error=request.query_params.get("error"),
        )

    @router.post("/save")
    async def save(request: Request) -> Response:
        form = await read_form(request)
        home_id = str(form.get("home", ""))
        saved = web.state(request).homes.saved
        if home_id in world.home:
            toggle(saved, home_id)
        return redirect(f"/homes/l/{home_id}")

    @router.get("/saved")
    async def saved_homes(request: Request) -> Response:
        return page(request, "saved.html", homes=[world.home[i] for i in web.state(request).homes.saved])

    @router.post("/tour")
    async def tour(request: Request) -> Response:
        form = await read_form(request)
        found = world.home.get(str(form.get("home", "")))
        day = parse_date(str(form.get("date", "")))
        time = str(form.get("time", ""))
        if found is None:
            return redirect("/homes/")
        if day is None or day <= TODAY or time not in dict(TIME_OPTIONS):
            return redirect(f"/homes/l/{found.id}?error=tour")
        web.state(request).homes.draft = TourDraft(stage="contact", home=found.id, date=day.isoformat(), time=time)
        return redirect("/homes/tour/contact")

    CheckoutFlow(
        SITE.root,
        page,
        stages=(
            Stage("contact", "tour/contact", "contact.html", fill_contact),
            Stage("review", "tour/review", "review.html"),
        ),
        draft=lambda request: web.state(request).homes.draft,
        shows=lambda request, draft: {"h": world.home[draft.home], "when": dict(TIME_OPTIONS)[draft.time]},
    ).mount(router)

    @router.post("/tour/book")
    async def book(request: Request) -> Response:
        state = web.state(request).homes
        booked = web.commit_draft(state, "review", state.tours, Tour, "TOUR")
        if booked is None:
            return redirect("/homes/")
        return redirect(f"/homes/l/{booked.home}?toured={booked.confirmation}")

    return [router]
