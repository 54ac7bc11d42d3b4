"""Shopping, shopping-list and price-comparison tasks on Cartwheel and ValueMart."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sandbox.data.common import PROFILE, money, rng
from sandbox.data.shop import PRODUCT_TYPES, Offer
from sandbox.data.world import World
from sandbox.sites import shop
from sandbox.taskgen.plans import (
    Builder,
    answer,
    cash,
    cheaper,
    click,
    facet,
    first_strictly,
    q,
    remember,
    says,
    sort_by,
    state,
    type_in,
    visit,
)
from sandbox.taskspec import Check, CriticalPoint, PlanStep

STORE_NAMES = {"shop": "Cartwheel", "mart": "ValueMart"}


SHOP_CRITICAL = {
    slug: CriticalPoint(
        step="placing the order", page=f"/{slug}/checkout/payment", button="#place-order", committed=[f"{slug}.orders"]
    )
    for slug in ("shop", "mart")
}
# Where "my saved address" ships to: the signed-in person's address, as the shipping step saves it.
SAVED_ADDRESS = {
    "name": PROFILE.name,
    "street": PROFILE.street,
    "city": PROFILE.city,
    "state": PROFILE.state,
    "zip": PROFILE.zip,
}
DELIVERY_WORDS = {"standard": "standard delivery", "express": "express delivery", "nextday": "next-day delivery"}
STANDARD_TO_SAVED = {"stage": "payment", "delivery": "standard", "address": SAVED_ADDRESS}


def shop_search(
    world: World,
    slug: str,
    query: str,
    filters: Sequence[tuple[str, str, str]],
    order: tuple[str, str] | None,
    target: Offer,
    from_header: bool = True,
) -> list[PlanStep]:
    """Search a store, apply facets and a sort, and open `target` (checked to be on the first page)."""
    store = world.stores[slug]
    params: dict[str, Any] = {"q": query}
    plan = [
        type_in(
            "#search-input", query, f"I search {STORE_NAMES[slug]} for “{query}”.", enter=True, clear=not from_header
        )
    ]
    for key, value, thought in filters:
        params.setdefault(key, [])
        params[key] = [*params[key], value] if key in ("brand", "colour", "size") else value
        plan.append(facet(key, value, thought))
    if order:
        params["sort"] = order[0]
        plan += sort_by(*order)
    listed = shop.results(store, q(**params))
    assert target in listed[: shop.PER_PAGE], (slug, query, target.id)
    plan.append(
        click(
            f'[data-product="{target.id}"] .product-title',
            f"The {target.product.name} at {money(target.price)} fits; I open it.",
        )
    )
    return plan


def shop_add(offer: Offer, colour: str | None, size: str | None, qty: int) -> list[PlanStep]:
    plan = []
    if colour and colour != offer.product.colours[0]:
        plan.append(click(f'#colour-choice [data-value="{colour}"]', f"I choose the colour {colour}."))
    if size:
        plan.append(click(f'#size-choice [data-value="{size}"]', f"I choose size {size}."))
    for n in range(qty - 1):
        plan.append(click('#qty-stepper [data-step="1"]', f"I raise the quantity to {n + 2}."))
    plan.append(click("#add-to-cart", "I add it to the cart."))
    return plan


def shop_checkout(delivery: str, address: dict[str, str] | None = None) -> list[PlanStep]:
    plan = [
        click("#view-cart", "It is in the cart; I open the cart."),
        click("#to-shipping", "I continue to shipping."),
    ]
    if address:
        plan.append(click("#address-new", "The order goes to a different address, so I enter a new one."))
        for key, label in (
            ("name", "name"),
            ("street", "street"),
            ("city", "city"),
            ("state", "state"),
            ("zip", "ZIP code"),
        ):
            plan.append(type_in(f"#ship-{key}", address[key], f"I fill in the {label}."))
    else:
        plan.append(click("#address-saved", "I ship to the saved address."))
    plan.append(click("#continue-delivery", "I continue to delivery."))
    if delivery != "standard":
        plan.append(click(f"#delivery-{delivery}", f"I choose {DELIVERY_WORDS[delivery]}."))
    plan.append(click("#continue-payment", "I continue to the payment step."))
    return plan


def line(offer: Offer, colour: str | None, size: str | None, qty: int = 1) -> dict[str, Any]:
    return {"product": offer.id, "qty": qty, "colour": colour or offer.product.colours[0], "size": size}


def _type_offers(world: World, slug: str, type_name: str) -> list[Offer]:
    return [o for o in world.stores[slug].offers if o.product.type.name == type_name]


NEW_ADDRESSES = [
    {"name": "Jamie Morgan", "street": "48 Lakeview Terrace", "city": "Portland", "state": "OR", "zip": "97209"},
    {"name": "Alex Morgan", "street": "700 Pine St, Suite 300", "city": "Seattle", "state": "WA", "zip": "98101"},
    {"name": "Robin Ellis", "street": "15 Beacon St", "city": "Boston", "state": "MA", "zip": "02108"},
]


def shopping(world: World, b: Builder) -> None:
    r = rng(world.seed, "suite", "shopping")
    kinds = [t.name for t in PRODUCT_TYPES]
    r.shuffle(kinds)
    made = 0
    for index, kind in enumerate(kinds):
        if made >= 16:
            break
        slug = "shop" if index % 3 else "mart"
        store_name = STORE_NAMES[slug]
        offers = [o for o in _type_offers(world, slug, kind) if o.in_stock]
        variant = made % 4
        if variant in (0, 1):  # cheapest with a minimum rating, then checkout
            floor = "4.5" if variant == 0 else "4"
            pool = [o for o in offers if o.product.rating >= float(floor)]
            target = first_strictly(pool, lambda o: o.price)
            if target is None:
                continue
            colour = target.product.colours[-1]
            size = target.product.sizes[len(target.product.sizes) // 2] if target.product.sizes else None
            delivery = ("express", "standard", "nextday")[made % 3]
            address = NEW_ADDRESSES[made % 3] if variant == 1 else None
            query = kind.lower()
            plan = [
                *shop_search(
                    world,
                    slug,
                    query,
                    [("rating", floor, f"I filter to {floor} stars and up.")],
                    ("price_asc", "Price: low to high"),
                    target,
                )
            ]
            plan += shop_add(target, colour, size, 1) + shop_checkout(delivery, address)
            what = f"in {colour}" + (f", size {size}" if size else "")
            where = (
                f"to {address['name']}, {address['street']}, {address['city']}, {address['state']} {address['zip']}"
                if address
                else "to my saved address"
            )
            text = (
                f"On {store_name}, find the cheapest {kind.lower()} rated "
                f"{floor} stars or higher and add it to my cart {what}. "
                f"Check out with {DELIVERY_WORDS[delivery]} {where}, but stop before placing the order."
            )
            checkout: dict[str, Any] = {"stage": "payment", "delivery": delivery, "address": address or SAVED_ADDRESS}
            checks = [
                state(f"{slug}.cart", "equals", [line(target, colour, size)]),
                state(f"{slug}.checkout", "matches", checkout),
            ]
            added = b.add("shopping", [slug], f"/{slug}/", text, checks, plan, SHOP_CRITICAL[slug])
        elif variant == 2:  # most-reviewed of a brand, two of them, checkout
            brands = sorted({o.product.brand for o in offers})
            brand = brands[made % len(brands)]
            target = first_strictly([o for o in offers if o.product.brand == brand], lambda o: -o.product.reviews)
            if target is None:
                continue
            size = target.product.sizes[0] if target.product.sizes else None
            plan = shop_search(
                world,
                slug,
                kind.lower(),
                [("brand", brand, f"I filter to {brand}.")],
                ("reviews", "Most reviews"),
                target,
            )
            plan += shop_add(target, None, size, 2) + shop_checkout("standard")
            text = (
                f"I want two of the {brand} {kind.lower()} with the most reviews on {store_name}"
                + (f", size {size}" if size else "")
                + ". Put them in my cart and go to checkout with free standard "
                "delivery to my saved address. Don't place the order."
            )
            checks = [
                state(f"{slug}.cart", "equals", [line(target, None, size, 2)]),
                state(f"{slug}.checkout", "matches", STANDARD_TO_SAVED),
            ]
            added = b.add("shopping", [slug], f"/{slug}/", text, checks, plan, SHOP_CRITICAL[slug])
        else:  # highest rated under a price: into the cart, or onto the list
            limit = sorted(o.price for o in offers)[len(offers) // 2] if offers else 0
            cap = int(limit) + 1
            pool = [o for o in offers if o.price <= cap]
            target = first_strictly(pool, lambda o: (-o.product.rating, -o.product.reviews))
            if target is None or target.product.sizes:
                continue
            listed = shop.results(world.stores[slug], q(q=kind.lower(), max_price=cap, sort="rating"))
            if not listed or listed[0] != target:
                continue
            plan = [
                type_in("#search-input", kind.lower(), f"I search {store_name} for “{kind.lower()}”.", enter=True),
                type_in("#max_price", str(cap), f"I set the maximum price to ${cap}."),
                click("#min_price-go", "I apply the price range."),
                *sort_by("rating", "Customer rating"),
                click(
                    f'[data-product="{target.id}"] .product-title',
                    f"{target.product.name} is the best rated under ${cap}; I open it.",
                ),
            ]
            if made % 8 == 3:
                plan += [
                    click("#save-to-list", "I save it to my list."),
                    answer(f"I saved the {target.product.name} ({money(target.price)}) to your list."),
                ]
                text = (
                    f"Save the best-rated {kind.lower()} under ${cap} on {store_name} to my list. Don't buy anything."
                )
                checks = [state(f"{slug}.wishlist", "equals", [target.id]), state(f"{slug}.cart", "empty")]
            else:
                plan += [
                    click("#add-to-cart", "I add it to the cart."),
                    answer(f"I added the {target.product.name} ({money(target.price)}) to your cart."),
                ]
                text = (
                    f"Add the best-rated {kind.lower()} under ${cap} on "
                    f"{store_name} to my cart — just add it, don't check out."
                )
                checks = [
                    state(f"{slug}.cart", "equals", [line(target, None, None)]),
                    state(f"{slug}.checkout.stage", "empty"),
                ]
            added = b.add("shopping", [slug], f"/{slug}/", text, checks, plan)
        made += added


def shopping_lists(world: World, b: Builder) -> None:
    r = rng(world.seed, "suite", "shopping_list")
    made = 0
    kinds = [t.name for t in PRODUCT_TYPES]
    pairs = [(kinds[i], kinds[(i * 7 + 3) % len(kinds)]) for i in range(len(kinds))]
    r.shuffle(pairs)
    for first_kind, second_kind in pairs:
        if made >= 12 or first_kind == second_kind:
            continue
        slug = "shop" if made % 2 == 0 else "mart"
        store_name = STORE_NAMES[slug]
        picks: list[Offer] = []
        for kind in (first_kind, second_kind):
            offers = [o for o in _type_offers(world, slug, kind) if o.in_stock]
            pick = (
                first_strictly(offers, lambda o: o.price)
                if made % 3
                else first_strictly(offers, lambda o: (-o.product.rating, -o.product.reviews, o.price))
            )
            if pick is not None:
                picks.append(pick)
        if len(picks) < 2:
            continue
        plan: list[PlanStep] = []
        lines = []
        how = "cheapest" if made % 3 else "best-rated"
        order = ("price_asc", "Price: low to high") if made % 3 else ("rating", "Customer rating")
        for n, target in enumerate(picks):
            size = target.product.sizes[1] if target.product.sizes else None
            plan += shop_search(world, slug, target.product.type.name.lower(), [], order, target, from_header=n == 0)
            plan += shop_add(target, None, size, 1)
            if n == 0:
                plan.append(click("#continue-shopping", "The first item is in; I continue shopping."))
            lines.append(line(target, None, size))
        sized = [f" (size {ln['size']})" if ln["size"] else "" for ln in lines]
        names = [f"the {how} {p.product.type.name.lower()}{s}" for p, s in zip(picks, sized, strict=True)]
        if made % 4 == 3:
            plan += [
                click("#view-cart", "Both items are in; I check the cart."),
                answer(f"Your cart has the {picks[0].product.name} and the {picks[1].product.name}."),
            ]
            text = (
                f"My shopping list for {store_name}: {names[0]} and "
                f"{names[1]}. Add both to my cart; I'll check out myself later."
            )
            added = b.add(
                "shopping_list",
                [slug],
                f"/{slug}/",
                text,
                [state(f"{slug}.cart", "equals", lines), state(f"{slug}.checkout.stage", "empty")],
                plan,
            )
        else:
            plan += shop_checkout("standard")
            text = (
                f"Buy these on {store_name}: {names[0]} and {names[1]}. Use standard delivery to my saved address "
                "and stop at the payment step so I can review it."
            )
            checks = [
                state(f"{slug}.cart", "equals", lines),
                state(f"{slug}.checkout", "matches", STANDARD_TO_SAVED),
            ]
            added = b.add("shopping_list", [slug], f"/{slug}/", text, checks, plan, SHOP_CRITICAL[slug])
        made += added


COMPARE_ASKS = (
    "Is the {product} cheaper on Cartwheel or on ValueMart? Tell me both prices.",
    "Which store sells the {product} for less, Cartwheel or ValueMart? I'd like to see both prices.",
    "Check what Cartwheel and ValueMart each charge for the {product} and tell me where it's cheaper.",
)
COMPARE_BUYS = (
    "Compare the price of the {product} on Cartwheel and ValueMart, add it to my cart at whichever store is "
    "cheaper, and check out with standard delivery to my saved address. Stop before paying.",
    "I want the {product} from whichever of Cartwheel and ValueMart sells it for less. Put it in my cart there "
    "and go through checkout with standard delivery to my saved address, but don't pay yet.",
    "Find out whether Cartwheel or ValueMart has the lower price on the {product}, then start a checkout at the "
    "cheaper one: standard delivery, my saved address, and stop at the payment step.",
)


def price_comparison(world: World, b: Builder) -> None:
    r = rng(world.seed, "suite", "price_comparison")
    both = [o for o in world.stores["shop"].offers if o.id in world.stores["mart"].by_id]
    r.shuffle(both)
    made = 0
    for offer in both:
        if made >= 12:
            break
        other = world.stores["mart"].by_id[offer.id]
        product = offer.product
        if abs(offer.price - other.price) < 1 or not (offer.in_stock and other.in_stock) or product.sizes:
            continue
        cheaper_slug, dearer = ("shop", "mart") if offer.price < other.price else ("mart", "shop")
        prices = {"shop": offer.price, "mart": other.price}
        saving = round(abs(offer.price - other.price), 2)
        plan: list[PlanStep] = []
        for n, slug in enumerate(("shop", "mart")):
            if n:
                plan.append(visit("/mart/", "Now I check ValueMart's price."))
            target = world.stores[slug].by_id[product.id]
            plan += shop_search(world, slug, product.name, [], None, target)
            plan.append(
                remember(
                    f"{STORE_NAMES[slug]} sells the {product.name} for {money(prices[slug])}.",
                    f"{STORE_NAMES[slug]} charges {money(prices[slug])}.",
                )
            )
        summary = (
            f"{STORE_NAMES[cheaper_slug]} is cheaper: {money(prices[cheaper_slug])} against {money(prices[dearer])} "
            f"at {STORE_NAMES[dearer]}, a saving of {money(saving)}."
        )
        wording = (made // 2) % len(COMPARE_ASKS)
        if made % 2 == 0:
            text = COMPARE_ASKS[wording].format(product=product.name)
            checks: list[Check] = [
                cheaper(STORE_NAMES[cheaper_slug], STORE_NAMES[dearer]),
                says(cash(prices["shop"]), cash(prices["mart"]), context=[cash(saving)], alone=["money"]),
            ]
            added = b.add("price_comparison", ["shop", "mart"], "/shop/", text, checks, [*plan, answer(summary)])
        else:
            if cheaper_slug == "shop":
                plan.append(visit(f"/shop/p/{product.id}", "Cartwheel is cheaper, so I go back to its product page."))
            plan += shop_add(world.stores[cheaper_slug].by_id[product.id], None, None, 1) + shop_checkout("standard")
            text = COMPARE_BUYS[wording].format(product=product.name)
            checks = [
                state(f"{cheaper_slug}.cart", "equals", [line(offer, None, None)]),
                state(f"{dearer}.cart", "empty"),
                state(f"{cheaper_slug}.checkout", "matches", STANDARD_TO_SAVED),
            ]
            critical = SHOP_CRITICAL[cheaper_slug]
            added = b.add("price_comparison", ["shop", "mart"], "/shop/", text, checks, plan, critical)
        made += added
