"""Gatepass (/tickets): event search with auto-suggest, category and city filters, a date range with two
date pickers, sort and pagination; event pages with tabs and ticket tiers; delivery options; review.
"Place order" on the review step is the binding step.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import QueryParams

from sandbox.checkout import CheckoutFlow, Stage
from sandbox.data.common import CITIES, TODAY
from sandbox.data.tickets import EVENT_CATEGORIES, Event
from sandbox.data.world import World
from sandbox.state import TicketDraft, TicketOrder
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

SITE = SITES["tickets"]
PER_PAGE = 15
MAX_TICKETS = 8
DELIVERY = {
    "mobile": ("Mobile tickets", 0.0),
    "willcall": ("Will call at the box office", 0.0),
    "mail": ("Printed and mailed", 5.0),
}
SERVICE_FEE = 0.12
PROTECTION = 0.09
SORTS = (
    Sort("date", "Date: soonest first", lambda e: (e.date, e.time, e.id)),
    Sort("price", "Price: lowest first", lambda e: (e.min_price, e.date, e.id)),
    Sort("popular", "Most popular", lambda e: (-e.popularity, e.id)),
)


def _matches(event: Event, query: str) -> bool:
    haystack = f"{event.name} {event.performer} {event.venue.name} {event.city.name} {event.category}".lower()
    return all(token in haystack for token in query.lower().split())


def filtered(world: World, params: QueryParams, skip: str | None = None) -> list[Event]:
    events = [e for e in world.events if e.date >= TODAY]
    if query := params.get("q", "").strip():
        events = [e for e in events if _matches(e, query)]
    if category := params.get("category"):
        events = [e for e in events if e.category == category]
    if (cities := params.getlist("city")) and skip != "city":
        events = [e for e in events if e.city.slug in cities]
    if start := parse_date(params.get("from")):
        events = [e for e in events if e.date >= start]
    if end := parse_date(params.get("to")):
        events = [e for e in events if e.date <= end]
    if (limit := parse_float(params.get("max_price"))) is not None:
        events = [e for e in events if e.min_price <= limit]
    return events


def results(world: World, params: QueryParams) -> list[Event]:
    """The events a results page lists, in order."""
    return apply_sort(filtered(world, params), SORTS, params.get("sort"))[0]


def order_total(event: Event, draft: TicketDraft) -> dict[str, float]:
    tier = event.tier(draft.tier)
    assert tier is not None
    tickets = tier.price * draft.quantity
    fees = round(tickets * SERVICE_FEE, 2)
    delivery = DELIVERY[draft.delivery][1] if draft.delivery else 0.0
    protection = round(tickets * PROTECTION, 2) if draft.protection else 0.0
    return {
        "tickets": tickets,
        "fees": fees,
        "delivery": delivery,
        "protection": protection,
        "total": round(tickets + fees + delivery + protection, 2),
    }


def fill_delivery(draft: TicketDraft, form: dict[str, str]) -> str | None:
    draft.delivery = form["delivery"] if form.get("delivery") in DELIVERY else "mobile"
    draft.protection = form.get("protection") == "yes"
    return None


def routers(web: Web) -> list[APIRouter]:
    router = APIRouter(prefix="/tickets")
    world = web.world

    def page(request: Request, template: str, **context: Any) -> Response:
        return web.render(request, SITE, f"tickets/{template}", **context)

    @router.get("/")
    async def home(request: Request) -> Response:
        popular = sorted(filtered(world, QueryParams()), key=SORTS[2].order)[:8]
        soon = sorted(filtered(world, QueryParams()), key=SORTS[0].order)[:6]
        return page(request, "home.html", popular=popular, soon=soon, categories=EVENT_CATEGORIES, cities=CITIES)

    @router.get("/api/suggest")
    async def suggest(q: str = "") -> Response:
        needle = q.strip().lower()
        performers = list(dict.fromkeys(e.performer for e in world.events if needle in e.performer.lower()))[:3]
        out = [
            {"label": p, "hint": "All dates", "href": f"/tickets/search?q={p.replace(' ', '+')}"} for p in performers
        ]
        out += [
            {"label": e.name, "hint": f"{e.date:%b} {e.date.day} · {e.city.name}", "href": f"/tickets/e/{e.id}"}
            for e in sorted(world.events, key=SORTS[0].order)
            if needle in e.name.lower() and e.date >= TODAY
        ][: 8 - len(out)]
        return JSONResponse(out)

    @router.get("/search")
    async def search(request: Request) -> Response:
        params = request.query_params
        path = "/tickets/search"
        ordered, chosen = apply_sort(filtered(world, params), SORTS, params.get("sort"))
        facets = [
            radio_facet(
                path, params, "category", "Category", [("", "All events")] + [(c, c) for c in EVENT_CATEGORIES]
            ),
            check_facet(
                path,
                params,
                "city",
                "City",
                [(c.slug, c.label) for c in CITIES],
                count_by(filtered(world, params, "city"), lambda e: [e.city.slug]),
            ),
        ]
        return page(
            request,
            "results.html",
            params=params,
            query=params.get("q", ""),
            facets=facets,
            sorts=sort_options(path, params, SORTS, chosen),
            pager=paginate(ordered, params, path, PER_PAGE),
        )

    @router.get("/e/{event_id}")
    async def event(request: Request, event_id: str) -> Response:
        found = world.event.get(event_id)
        if found is None:
            return web.render(request, SITE, "missing.html", status=404)
        return page(request, "event.html", e=found, error=request.query_params.get("error"), max_tickets=MAX_TICKETS)

    @router.post("/select")
    async def select(request: Request) -> Response:
        form = await read_form(request)
        found = world.event.get(str(form.get("event", "")))
        if found is None:
            return redirect("/tickets/")
        tier = found.tier(str(form.get("tier", "")))
        quantity = parse_int(str(form.get("quantity", "1")), 1, 1, MAX_TICKETS)
        if tier is None or tier.remaining < quantity:
            return redirect(f"/tickets/e/{found.id}?error={'tier' if tier is None else 'quantity'}")
        web.state(request).tickets.draft = TicketDraft(
            stage="delivery", event=found.id, tier=tier.name, quantity=quantity
        )
        return redirect("/tickets/delivery")

    def order_shown(draft: TicketDraft) -> dict[str, object]:
        found = world.event[draft.event]
        return {"e": found, "money": order_total(found, draft), "delivery_options": DELIVERY}

    CheckoutFlow(
        SITE.root,
        page,
        stages=(
            Stage("delivery", "delivery", "delivery.html", fill_delivery),
            Stage("review", "review", "review.html"),
        ),
        draft=lambda request: web.state(request).tickets.draft,
        shows=lambda request, draft: order_shown(draft),
    ).mount(router)

    @router.post("/order")
    async def order(request: Request) -> Response:
        state = web.state(request).tickets
        placed = web.commit_draft(state, "review", state.orders, TicketOrder, "GATE")
        if placed is None:
            return redirect("/tickets/")
        return redirect(f"/tickets/orders?confirmed={placed.confirmation}")

    @router.get("/orders")
    async def orders(request: Request) -> Response:
        rows = [(o, world.event[o.event]) for o in web.state(request).tickets.orders]
        return page(request, "orders.html", rows=rows, confirmed=request.query_params.get("confirmed"))

    return [router]
