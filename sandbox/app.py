"""The sandbox web: one FastAPI app on 127.0.0.1 serving every site under its own path prefix.

Each visitor is one cookie (`sandbox_visitor`), so parallel runs never share carts or drafts.
`/__sandbox/state` hands a visitor's state to checkers; it needs the `X-Sandbox-Secret` header and
no page links to it.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.base import RequestResponseEndpoint

from sandbox import images
from sandbox.data.world import World
from sandbox.sites import dine, flights, homes, hotels, jobs, shop, tickets
from sandbox.state import VISITOR_COOKIE, VisitorStore, new_visitor_id, valid_visitor_id
from sandbox.web import SITES, Web, local_path, read_form, redirect

STATIC = Path(__file__).parent / "static"
SECRET_HEADER = "X-Sandbox-Secret"
HELP_TOPICS = {
    "about": ("About us", "We started with a simple idea: make it easy to find what you need, at a fair price."),
    "careers": ("Careers", "We are a small team and hire a few people every year."),
    "press": ("Press", "For press enquiries, write to our communications team."),
    "contact": ("Contact us", "Our support team answers every message within one business day."),
    "faq": (
        "Frequently asked questions",
        "Most answers are on each page: prices, policies and times are shown in full.",
    ),
    "accessibility": ("Accessibility", "We aim to meet WCAG 2.1 AA on every page."),
    "privacy": ("Privacy policy", "We keep only what we need to run your account and never sell your data."),
    "terms": ("Terms of use", "Using this site means you accept these terms."),
    "cookies": ("Cookie settings", "Essential cookies keep you signed in; other cookies help us improve the site."),
}
_NO_VISITOR = ("/static/", "/img/", "/__sandbox/", "/favicon.ico")


def create_app(seed: int = 0, secret: str | None = None) -> FastAPI:
    """A fresh sandbox: the world for `seed`, no visitors yet; `secret` guards the state API (random if None)."""
    app = FastAPI(title="Farol sandbox web", docs_url=None, redoc_url=None, openapi_url=None)
    world = World(seed)
    visitors = VisitorStore()
    web = Web(world, visitors)
    app.state.seed, app.state.secret, app.state.visitors = seed, secret or secrets.token_urlsafe(16), visitors

    @app.middleware("http")
    async def visitor_cookie(request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.url.path.startswith(_NO_VISITOR):
            return await call_next(request)
        visitor = request.cookies.get(VISITOR_COOKIE)
        fresh = not valid_visitor_id(visitor)
        request.state.visitor = new_visitor_id() if fresh else visitor
        response = await call_next(request)
        if fresh:
            response.set_cookie(VISITOR_COOKIE, request.state.visitor, httponly=True, samesite="lax", path="/")
        return response

    @app.get("/")
    async def start_page(request: Request) -> Response:
        return web.render(request, None, "portal.html", sites=list(SITES.values()))

    @app.post("/consent")
    async def consent(request: Request) -> Response:
        form = await read_form(request)
        if form.get("site") in SITES:
            web.state(request).consent[str(form["site"])] = "accepted" if form.get("choice") == "accept" else "rejected"
        return redirect(local_path(form.get("next"), "/"))

    @app.get("/img/{kind}/{key}.svg")
    async def image(kind: str, key: str) -> Response:
        svg = images.draw(world, kind, key)
        if svg is None:
            return Response(status_code=404)
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/favicon.ico")
    async def favicon() -> Response:
        return Response(images.FAVICON, media_type="image/svg+xml")

    @app.get("/{slug}/help/{topic}")
    async def help_page(request: Request, slug: str, topic: str) -> Response:
        site = SITES.get(slug)
        if site is None or topic not in HELP_TOPICS:
            return Response("Not found", status_code=404, media_type="text/plain")
        heading, body = HELP_TOPICS[topic]
        return web.render(request, site, "help.html", topic=topic, heading=heading, body=body)

    @app.get("/__sandbox/state")
    async def visitor_state(request: Request, visitor: str) -> Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), app.state.secret):
            return JSONResponse({"detail": "forbidden"}, status_code=403)
        return JSONResponse(visitors.peek(visitor).model_dump(mode="json"))

    for module in (shop, flights, hotels, dine, tickets, jobs, homes):
        for router in module.routers(web):
            app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
