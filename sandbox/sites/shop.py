"""Online stores: Cartwheel (/shop) and ValueMart (/mart) share a product range at different prices.

Search with auto-suggest, facets, sort and pagination; product pages with colour and size choices,
tabs and an "added to cart" modal; a cart; checkout in three steps (shipping, delivery, payment).
"Place order" on the payment step is the binding step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import QueryParams

from sandbox.checkout import CheckoutFlow, Stage
from sandbox.data.common import PROFILE, TODAY, review_texts
from sandbox.data.shop import COLOURS, PRODUCT_TYPES, Offer, Store
from sandbox.data.world import World
from sandbox.state import Address, CartLine, Checkout, Order, StoreState
from sandbox.web import (
    SITES,
    Site,
    Sort,
    Web,
    apply_sort,
    check_facet,
    count_by,
    link,
    paginate,
    parse_float,
    parse_int,
    radio_facet,
    read_form,
    redirect,
    sort_options,
    toggle,
)

PER_PAGE = 24
DELIVERY = {  # key: (label, price, business days)
    "standard": ("Standard delivery", 0.0, 6),
    "express": ("Express delivery", 9.99, 2),
    "nextday": ("Next-day delivery", 19.99, 1),
}
SORTS = (
    Sort("featured", "Featured", lambda o: (-o.product.rating * math.log(o.product.reviews + 1), o.id)),
    Sort("price_asc", "Price: low to high", lambda o: (o.price, o.id)),
    Sort("price_desc", "Price: high to low", lambda o: (-o.price, o.id)),
    Sort("rating", "Customer rating", lambda o: (-o.product.rating, -o.product.reviews, o.id)),
    Sort("reviews", "Most reviews", lambda o: (-o.product.reviews, o.id)),
)
CATEGORIES = tuple(dict.fromkeys(kind.category for kind in PRODUCT_TYPES))


def _matches(offer: Offer, query: str) -> bool:
    product = offer.product
    haystack = " ".join((product.name, product.type.name, product.category, *product.tags)).lower()
    return all(token in haystack or token.rstrip("s") in haystack for token in query.lower().split())


def search(store: Store, params: QueryParams, skip: str | None = None) -> list[Offer]:
    """The store's offers matching the query and every filter (but `skip`, for that facet's counts)."""
    offers: Sequence[Offer] = store.offers
    query = params.get("q", "").strip()
    if query:
        offers = [o for o in offers if _matches(o, query)]
    if category := params.get("category"):
        offers = [o for o in offers if o.product.category == category]
    if params.get("deals"):
        offers = [o for o in offers if o.list_price]
    for key, value_of in (
        ("brand", lambda o: [o.product.brand]),
        ("colour", lambda o: o.product.colours),
        ("size", lambda o: o.product.sizes),
    ):
        wanted = params.getlist(key)
        if wanted and key != skip:
            offers = [o for o in offers if set(value_of(o)) & set(wanted)]
    low, high = parse_float(params.get("min_price")), parse_float(params.get("max_price"))
    if low is not None:
        offers = [o for o in offers if o.price >= low]
    if high is not None:
        offers = [o for o in offers if o.price <= high]
    if rating := parse_float(params.get("rating")):
        offers = [o for o in offers if o.product.rating >= rating]
    if params.get("stock"):
        offers = [o for o in offers if o.in_stock]
    if params.get("fast"):
        offers = [o for o in offers if o.fast_delivery]
    return list(offers)


def results(store: Store, params: QueryParams) -> list[Offer]:
    """What the results page lists, in order."""
    return apply_sort(search(store, params), SORTS, params.get("sort"))[0]


def cart_total(store: Store, cart: list[CartLine]) -> float:
    return round(sum(store.by_id[line.product].price * line.qty for line in cart), 2)


def _suggestions(site: Site, store: Store, query: str) -> list[dict[str, str]]:
    needle = query.lower().strip()
    out = [
        {
            "label": kind.name.lower(),
            "hint": f"in {kind.category}",
            "href": link(f"{site.root}search", {"q": kind.name}),
        }
        for kind in PRODUCT_TYPES
        if needle in kind.name.lower()
    ][:3]
    for offer in store.offers:
        if len(out) >= 8:
            break
        if _matches(offer, needle):
            out.append(
                {"label": offer.product.name, "hint": f"${offer.price:,.2f}", "href": f"{site.root}p/{offer.id}"}
            )
    return out


def _router(web: Web, site: Site, store: Store) -> APIRouter:
    router = APIRouter(prefix=f"/{site.slug}")
    world: World = web.world

    def mine(request: Request) -> StoreState:
        state: StoreState = getattr(web.state(request), site.slug)  # the shop's or the mart's
        return state

    def page(request: Request, template: str, **context: Any) -> Response:
        cart = mine(request).cart
        return web.render(
            request, site, f"shop/{template}", store=store, cart_count=sum(line.qty for line in cart), **context
        )

    @router.get("/")
    async def home(request: Request) -> Response:
        deals = [o for o in store.offers if o.list_price and o.in_stock][:8]
        top = sorted((o for o in store.offers if o.product.category == "Electronics"), key=SORTS[3].order)[:8]
        return page(request, "home.html", deals=deals, top=top, categories=CATEGORIES)

    @router.get("/api/suggest")
    async def suggest(q: str = "") -> Response:
        return JSONResponse(_suggestions(site, store, q))

    @router.get("/search")
    async def search_page(request: Request) -> Response:
        params = request.query_params
        path = f"{site.root}search"
        ordered, chosen = apply_sort(search(store, params), SORTS, params.get("sort"))
        brands = sorted({o.product.brand for o in search(store, params, skip="brand")})
        colours = [c for c in COLOURS if any(c in o.product.colours for o in search(store, params, skip="colour"))]
        sizes = [
            s
            for s in ("XS", "S", "M", "L", "XL", "7", "8", "9", "10", "11", "12")
            if any(s in o.product.sizes for o in search(store, params, skip="size"))
        ]
        facets = [
            radio_facet(
                path, params, "category", "Department", [("", "All departments")] + [(c, c) for c in CATEGORIES]
            ),
            check_facet(
                path,
                params,
                "brand",
                "Brand",
                [(b, b) for b in brands],
                count_by(search(store, params, skip="brand"), lambda o: [o.product.brand]),
            ),
            radio_facet(
                path,
                params,
                "rating",
                "Customer rating",
                [("", "Any rating"), ("4.5", "4.5 & up"), ("4", "4 & up"), ("3", "3 & up")],
            ),
            check_facet(
                path,
                params,
                "colour",
                "Colour",
                [(c, c) for c in colours],
                count_by(search(store, params, skip="colour"), lambda o: o.product.colours),
            ),
        ]
        if sizes:
            facets.append(check_facet(path, params, "size", "Size", [(s, s) for s in sizes]))
        toggles = [
            check_facet(path, params, "stock", "Availability", [("1", "In stock only")]),
            check_facet(path, params, "fast", "Delivery", [("1", "Fast delivery")]),
        ]
        pager = paginate(ordered, params, path, PER_PAGE)
        return page(
            request,
            "search.html",
            params=params,
            query=params.get("q", ""),
            facets=facets,
            toggles=toggles,
            sorts=sort_options(path, params, SORTS, chosen),
            pager=pager,
            title=params.get("q") or params.get("category") or ("Deals" if params.get("deals") else "All products"),
        )

    @router.get("/p/{product_id}")
    async def product(request: Request, product_id: str) -> Response:
        offer = store.by_id.get(product_id)
        if offer is None:
            return page(request, "missing.html", status=404)
        added = request.query_params.get("added") == "1"
        return page(
            request,
            "product.html",
            offer=offer,
            p=offer.product,
            reviews=review_texts(world.seed, offer.id, offer.product.rating, 5),
            added=added,
            error=request.query_params.get("error"),
            saved=offer.id in mine(request).wishlist,
            delivery_date=TODAY + timedelta(days=2 if offer.fast_delivery else 5),
            colour_hex=COLOURS,
            last_line=mine(request).cart[-1] if added and mine(request).cart else None,
        )

    @router.post("/cart/add")
    async def add(request: Request) -> Response:
        form = await read_form(request)
        offer = store.by_id.get(str(form.get("product", "")))
        if offer is None:
            return redirect(site.root)
        colour = str(form.get("colour") or offer.product.colours[0])
        size = str(form.get("size") or "") or None
        back = f"{site.root}p/{offer.id}"
        if offer.product.sizes and size not in offer.product.sizes:
            return redirect(f"{back}?error=size")
        if not offer.in_stock:
            return redirect(f"{back}?error=stock")
        qty = parse_int(str(form.get("qty", "1")), 1, 1, 10)
        state = mine(request)
        line = next((x for x in state.cart if (x.product, x.colour, x.size) == (offer.id, colour, size)), None)
        if line:
            line.qty = min(10, line.qty + qty)
        else:
            state.cart.append(CartLine(product=offer.id, qty=qty, colour=colour, size=size))
        state.checkout.stage = None  # a changed cart goes through checkout again
        return redirect(f"{back}?added=1")

    @router.post("/wishlist")
    async def wishlist(request: Request) -> Response:
        form = await read_form(request)
        product_id = str(form.get("product", ""))
        state = mine(request)
        if product_id in store.by_id:
            toggle(state.wishlist, product_id)
        return redirect(f"{site.root}p/{product_id}")

    @router.get("/lists")
    async def lists(request: Request) -> Response:
        return page(request, "lists.html", saved=[store.by_id[i] for i in mine(request).wishlist])

    @router.get("/cart")
    async def cart(request: Request) -> Response:
        state = mine(request)
        lines = [(index, line, store.by_id[line.product]) for index, line in enumerate(state.cart)]
        return page(request, "cart.html", lines=lines, subtotal=cart_total(store, state.cart))

    @router.post("/cart/update")
    async def update(request: Request) -> Response:
        form = await read_form(request)
        state = mine(request)
        index = parse_int(str(form.get("line", "-1")), -1)
        if 0 <= index < len(state.cart):
            qty = parse_int(str(form.get("qty", "0")), 0, 0, 10)
            if qty == 0:
                state.cart.pop(index)
            else:
                state.cart[index].qty = qty
            state.checkout.stage = None
        return redirect(f"{site.root}cart")

    def cart_shown(request: Request, checkout: Checkout) -> dict[str, object]:
        cart = mine(request).cart
        shipping = DELIVERY.get(checkout.delivery or "standard", DELIVERY["standard"])[1]
        subtotal = cart_total(store, cart)
        lines = [(line, store.by_id[line.product]) for line in cart]
        return {
            "checkout": checkout,
            "lines": lines,
            "subtotal": subtotal,
            "shipping": shipping,
            "total": round(subtotal + shipping, 2),
        }

    CheckoutFlow(
        site.root,
        page,
        stages=(
            Stage("shipping", "checkout/shipping", "shipping.html", fill_shipping),
            Stage("delivery", "checkout/delivery", "delivery.html", fill_delivery, shows=delivery_options),
            Stage("payment", "checkout/payment", "payment.html", shows=delivery_label),
        ),
        draft=lambda request: mine(request).checkout if mine(request).cart else None,
        start=f"{site.root}cart",
        shows=cart_shown,
    ).mount(router)

    @router.post("/checkout/place")
    async def place(request: Request) -> Response:
        state = mine(request)
        checkout = state.checkout
        if checkout.stage != "payment" or not state.cart or checkout.address is None:
            return redirect(f"{site.root}checkout/shipping")
        delivery_key = checkout.delivery or "standard"
        order = Order(
            confirmation=web.visitors.confirmation(site.slug.upper()),
            lines=[line.model_copy() for line in state.cart],
            address=checkout.address,
            delivery=delivery_key,
            total=round(cart_total(store, state.cart) + DELIVERY[delivery_key][1], 2),
        )
        state.orders.append(order)
        state.cart.clear()
        state.checkout = type(checkout)()
        return redirect(f"{site.root}orders/{order.confirmation}")

    @router.get("/orders/{confirmation}")
    async def order_page(request: Request, confirmation: str) -> Response:
        order = next((o for o in mine(request).orders if o.confirmation == confirmation), None)
        if order is None:
            return page(request, "missing.html", status=404)
        return page(request, "order.html", order=order, delivery_label=DELIVERY[order.delivery][0])

    return router


def fill_shipping(checkout: Checkout, form: dict[str, str]) -> str | None:
    if form.get("address") == "new":
        fields = {key: form.get(key, "") for key in ("name", "street", "city", "state", "zip")}
        if not all(fields.values()):
            return "missing"
        checkout.address = Address(**fields)
    else:
        checkout.address = Address(
            name=PROFILE.name, street=PROFILE.street, city=PROFILE.city, state=PROFILE.state, zip=PROFILE.zip
        )
    return None


def delivery_options(checkout: Checkout) -> dict[str, object]:
    """Each option with the day it arrives (a weekend's two days on top of anything slower than next-day)."""
    options = [
        (key, label, price, TODAY + timedelta(days=days + (2 if days > 1 else 0)))
        for key, (label, price, days) in DELIVERY.items()
    ]
    return {"options": options}


def fill_delivery(checkout: Checkout, form: dict[str, str]) -> str | None:
    checkout.delivery = form["delivery"] if form.get("delivery") in DELIVERY else "standard"
    return None


def delivery_label(checkout: Checkout) -> dict[str, object]:
    return {"delivery_label": DELIVERY[checkout.delivery or "standard"][0]}


def routers(web: Web) -> list[APIRouter]:
    return [_router(web, SITES[slug], web.world.stores[slug]) for slug in ("shop", "mart")]
