"""The sandbox web over real HTTP: pages, self-contained assets, per-visitor state, the secret state API."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urljoin

import httpx
import pytest

from sandbox.app import SECRET_HEADER
from sandbox.data.world import World
from sandbox.state import VISITOR_COOKIE

pytestmark = pytest.mark.unit

# Every site's main pages: home, a listing with filters, a detail page.
PAGES = [
    "/",
    "/shop/",
    "/shop/search?q=rain+jacket&rating=4&sort=price_asc",
    "/shop/p/P1001",
    "/mart/",
    "/mart/search?category=Outdoor&brand=Trailcraft",
    "/flights/",
    "/flights/search?trip=oneway&from=SEA&to=BOS&depart=2026-06-12&adults=1&cabin=economy&stops=0",
    "/hotels/",
    "/hotels/search?city=boston&checkin=2026-06-12&checkout=2026-06-14&adults=2&rooms=1&stars=4",
    "/hotels/h/H3001?checkin=2026-06-12&checkout=2026-06-14&adults=2&tab=rooms",
    "/dine/",
    "/dine/search?city=austin&date=2026-06-05&time=19:00&party=2&cuisine=Italian",
    "/dine/r/R4001",
    "/tickets/",
    "/tickets/search?category=Concerts&city=boston&sort=price",
    "/tickets/e/E5001",
    "/jobs/",
    "/jobs/search?q=engineer&workplace=Remote&sort=salary",
    "/jobs/j/J6001",
    "/homes/",
    "/homes/search?mode=rent&city=denver&beds=2",
    "/homes/l/L7001",
]


def client(server) -> httpx.Client:
    return httpx.Client(base_url=server.url, follow_redirects=True, timeout=10)


def state_of(server, visitor: str, secret: str | None = None) -> httpx.Response:
    headers = {SECRET_HEADER: server.secret if secret is None else secret}
    return httpx.get(f"{server.url}/__sandbox/state", params={"visitor": visitor}, headers=headers, timeout=10)


@pytest.mark.parametrize("path", PAGES)
def test_pages_look_like_a_real_site_and_fetch_nothing_from_outside(server, path):
    with client(server) as http:
        response = http.get(path)
        assert response.status_code == 200 and "text/html" in response.headers["content-type"]
        html = response.text
        if path != "/":
            for part in ('class="topbar"', 'class="subnav"', 'class="footer"', 'id="cookie-banner"', "<h1"):
                assert part in html, part
        references = re.findall(r'(?:src|href|action)="([^"]*)"', html)
        assert references and not [r for r in references if r.startswith(("http:", "https:", "//"))]
        for image in {r for r in references if r.startswith("/img/")}:
            assert http.get(image).headers["content-type"] == "image/svg+xml", image
        assert "__sandbox" not in html


def test_static_assets_are_local_and_never_mention_the_state_api(server):
    with client(server) as http:
        for asset in ("/static/sandbox.css", "/static/sandbox.js", "/static/star-gold.svg"):
            text = http.get(asset).text
            assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), asset
            assert "__sandbox" not in text


def test_the_state_api_needs_the_secret(server):
    with client(server) as http:
        http.get("/shop/")
        visitor = http.cookies[VISITOR_COOKIE]
    assert state_of(server, visitor, secret="").status_code == 403
    assert state_of(server, visitor, secret="wrong").status_code == 403
    response = state_of(server, visitor)
    assert response.status_code == 200 and response.json()["visitor"] == visitor


def test_a_visitor_gets_a_cookie_and_a_state_of_their_own(server):
    with client(server) as alice, client(server) as bob:
        alice.post("/shop/cart/add", data={"product": "P1001", "qty": "2"})
        alice.post("/consent", data={"site": "shop", "choice": "accept", "next": "/shop/"})
        bob.post("/jobs/save", data={"job": "J6001"})
        a, b = alice.cookies[VISITOR_COOKIE], bob.cookies[VISITOR_COOKIE]
        assert a != b
        assert 'id="cookie-banner"' not in alice.get("/shop/").text
        assert 'id="cookie-banner"' in bob.get("/shop/").text
    alice_state, bob_state = state_of(server, a).json(), state_of(server, b).json()
    assert [(x["product"], x["qty"]) for x in alice_state["shop"]["cart"]] == [("P1001", 2)]
    assert alice_state["jobs"]["saved"] == [] and alice_state["consent"] == {"shop": "accepted"}
    assert bob_state["shop"]["cart"] == [] and bob_state["jobs"]["saved"] == ["J6001"] and bob_state["consent"] == {}


def test_many_visitors_at_once_never_see_each_others_state(server):
    products = [o.id for o in World(0).stores["shop"].offers if o.in_stock and not o.product.sizes][:8]

    def shop_and_apply(index: int) -> tuple[str, str, str]:
        product, job = products[index % len(products)], f"J{6001 + index}"
        with client(server) as http:
            http.post("/shop/cart/add", data={"product": product})
            http.get(f"/jobs/apply/{job}")
            http.post("/jobs/apply/step/contact", data={"first": f"V{index}", "last": "X", "email": "e", "phone": "1"})
            return http.cookies[VISITOR_COOKIE], product, job

    with ThreadPoolExecutor(max_workers=8) as pool:
        visits = list(pool.map(shop_and_apply, range(24)))
    assert len({visitor for visitor, _, _ in visits}) == 24
    for index, (visitor, product, job) in enumerate(visits):
        state = state_of(server, visitor).json()
        assert [line["product"] for line in state["shop"]["cart"]] == [product]
        assert state["jobs"]["draft"]["job"] == job and state["jobs"]["draft"]["first"] == f"V{index}"


def test_binding_steps_commit_only_from_their_final_page(server):
    """A committed order needs the whole flow: posting the binding form early changes nothing."""
    with client(server) as http:
        http.post("/shop/cart/add", data={"product": "P1001"})
        http.post("/shop/checkout/place")
        visitor = http.cookies[VISITOR_COOKIE]
        assert state_of(server, visitor).json()["shop"]["orders"] == []
        http.post("/shop/checkout/shipping", data={"address": "saved"})
        http.post("/shop/checkout/delivery", data={"delivery": "express"})
        confirmation = http.post("/shop/checkout/place")
        assert "your order is placed" in confirmation.text
    state = state_of(server, visitor).json()["shop"]
    assert len(state["orders"]) == 1 and state["cart"] == [] and state["orders"][0]["delivery"] == "express"


def test_auto_suggest_endpoints_answer_as_people_type(server):
    with client(server) as http:
        assert any(s["value"] == "BOS" for s in http.get("/flights/api/airports", params={"q": "bos"}).json())
        assert any(s["value"] == "boston" for s in http.get("/hotels/api/destinations", params={"q": "bost"}).json())
        product = http.get("/shop/api/suggest", params={"q": "kettle"}).json()
        assert product and all(urljoin(server.url, s["href"]).startswith(server.url) for s in product)
        assert http.get("/jobs/api/locations", params={"q": "remo"}).json() == [{"label": "Remote", "value": "Remote"}]
