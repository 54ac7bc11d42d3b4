"""What every sandbox site shares: its theme, page rendering, forms, links, listings and pagination."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel
from starlette.datastructures import ImmutableMultiDict, QueryParams

from sandbox.data.common import CITIES, PROFILE, TODAY, clock, money
from sandbox.data.flights import CABIN_LABELS, FARE_LABELS, duration_text
from sandbox.data.hotels import score_word
from sandbox.data.world import World
from sandbox.state import VisitorState, VisitorStore

TEMPLATES = Path(__file__).parent / "templates"
T = TypeVar("T")
R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True)
class Site:
    slug: str  # path prefix and state key
    name: str
    tagline: str
    kind: str  # what it is, for the start page
    brand: str  # header colour
    accent: str  # buttons and highlights
    icon: str  # logo glyph (see images.LOGOS)
    nav: tuple[tuple[str, str], ...] = ()  # (label, path below the prefix)
    search: tuple[str, str] | None = None  # header search: (action path, placeholder)

    @property
    def root(self) -> str:
        return f"/{self.slug}/"


SITES: dict[str, Site] = {
    site.slug: site
    for site in (
        Site("shop", "Cartwheel", "Home, outdoor and tech essentials", "Online store", "#1b2631", "#f39c12", "cart",
             (("Electronics", "search?category=Electronics"), ("Home & Kitchen", "search?category=Home+%26+Kitchen"),
              ("Outdoor", "search?category=Outdoor"), ("Clothing", "search?category=Clothing"),
              ("Shoes", "search?category=Shoes"), ("Deals", "search?deals=1")), ("search", "Search Cartwheel")),
        Site("mart", "ValueMart", "Save more, every day", "Discount store", "#0b5cad", "#ffc220", "tag",
             (("Electronics", "search?category=Electronics"), ("Home & Kitchen", "search?category=Home+%26+Kitchen"),
              ("Outdoor", "search?category=Outdoor"), ("Clothing", "search?category=Clothing"),
              ("Sports", "search?category=Sports"), ("Rollbacks", "search?deals=1")), ("search", "Search ValueMart")),
        Site("flights", "Skyfare", "Compare flights on every airline", "Flight search", "#0f4c5c", "#0a9396", "plane",
             (("Book a flight", ""), ("Deals", "#deals"), ("Trips", "trips"))),
        Site("hotels", "Staywell", "Find the stay that suits you", "Hotel booking", "#003580", "#0071c2", "bed",
             (("Book a stay", ""), ("Cities", "#cities"), ("Trips", "trips"))),
        Site("dine", "Tablefor", "Reservations at the best local restaurants", "Restaurant reservations", "#9b1c31",
             "#da3743", "fork", (("Book a table", ""), ("Cities", "#cities"), ("Your reservations", "reservations"))),
        Site("tickets", "Gatepass", "Concerts, sports, theatre and more", "Event tickets", "#1f1147", "#6c3ce9",
             "ticket", (("Concerts", "search?category=Concerts"), ("Sports", "search?category=Sports"),
                        ("Theatre", "search?category=Theatre"), ("Comedy", "search?category=Comedy"),
                        ("Family", "search?category=Family"), ("Buy tickets", "search")),
             ("search", "Search events, artists, teams")),
        Site("jobs", "Hireline", "Your next job starts here", "Job board", "#16375f", "#2557a7", "briefcase",
             (("Find jobs", "search"), ("Companies", "companies"), ("Saved jobs", "saved"))),
        Site("homes", "Nestfinder", "Homes for sale and rent", "Real estate", "#0d4f3c", "#0b7a53", "house",
             (("Buy", "search?mode=buy"), ("Rent", "search?mode=rent"), ("Saved homes", "saved"))),
    )
}  # fmt: skip


def _date_text(value: date | str, style: str = "short") -> str:
    day = date.fromisoformat(value) if isinstance(value, str) else value
    if style == "long":
        return f"{day:%A}, {day:%B} {day.day}, {day.year}"
    return f"{day:%a}, {day:%b} {day.day}"


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(money=money, clock=clock, date_text=_date_text, duration=duration_text, score_word=score_word)
_env.globals.update(PROFILE=PROFILE, TODAY=TODAY, SITES=SITES, CABIN_LABELS=CABIN_LABELS, FARE_LABELS=FARE_LABELS)


class Web:
    """Rendering and state access for the routes of one app."""

    def __init__(self, world: World, visitors: VisitorStore) -> None:
        self.world, self.visitors = world, visitors

    def state(self, request: Request) -> VisitorState:
        return self.visitors.get(request.state.visitor)

    def render(
        self, request: Request, site: Site | None, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        state = self.state(request)
        html = _env.get_template(template).render(
            site=site,
            state=state,
            path=request.url.path,
            here=_here(request),
            show_cookie_banner=site is not None and site.slug not in state.consent,
            **context,
        )
        return HTMLResponse(html, status_code=status)

    def commit_draft(self, flow: Any, final_stage: str, records: list[R], record: type[R], prefix: str) -> R | None:
        """The binding step of a multi-page flow (booking, reserving, applying): `flow.draft`, once it has
        reached its final stage, becomes a confirmed record in `records`. None when there is no draft at that
        stage (a stale or replayed form), so nothing is committed twice."""
        draft = flow.draft
        if draft is None or draft.stage != final_stage:
            return None
        committed = record(**draft.model_dump(), confirmation=self.visitors.confirmation(prefix))
        records.append(committed)
        flow.draft = None
        return committed


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def read_form(request: Request) -> ImmutableMultiDict[str, str]:
    """URL-encoded form bodies (parsed here, so the sandbox needs no multipart library): text fields only."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return ImmutableMultiDict(parse_qsl(body, keep_blank_values=True))


def toggle(saved: list[str], item: str) -> None:
    """Save an item to a visitor's list, or unsave it when it is already there (the heart buttons)."""
    if item in saved:
        saved.remove(item)
    else:
        saved.append(item)


def local_path(value: str | None, default: str) -> str:
    """A redirect target from a form: only paths on this origin."""
    return value if value and value.startswith("/") and not value.startswith("//") else default


def parse_date(value: str | None, default: date | None = None) -> date | None:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def parse_int(value: str | None, default: int, low: int | None = None, high: int | None = None) -> int:
    try:
        number = int(value) if value not in (None, "") else default
    except ValueError:
        number = default
    if low is not None:
        number = max(low, number)
    if high is not None:
        number = min(high, number)
    return number


def parse_float(value: str | None) -> float | None:
    try:
        return float(value.replace("$", "").replace(",", "")) if value else None
    except ValueError:
        return None


# -- listings: the same filter, sort and pagination widgets on every catalogue ---------------------


def link(path: str, params: QueryParams | dict[str, Any], **changes: Any) -> str:
    """`path` with `params`, some changed (None removes a key; a list sets several values), and the page
    number left out unless `changes` sets it."""
    items = list(params.multi_items()) if isinstance(params, QueryParams) else list(params.items())
    for key in changes:
        items = [(k, v) for k, v in items if k != key]
    if "page" not in changes:
        items = [(k, v) for k, v in items if k != "page"]
    for key, value in changes.items():
        if value is None or value == "":
            continue
        for one in value if isinstance(value, (list, tuple)) else [value]:
            items.append((key, str(one)))
    return f"{path}?{urlencode(items)}" if items else path


@dataclass(frozen=True)
class Option:
    label: str
    href: str
    active: bool
    count: int | None = None
    value: str = ""


@dataclass(frozen=True)
class Facet:
    """A group of filter links; `kind` is "check" (several may be on) or "radio" (one)."""

    key: str
    title: str
    options: tuple[Option, ...]
    kind: str = "check"


def check_facet(
    path: str,
    params: QueryParams,
    key: str,
    title: str,
    values: Iterable[tuple[str, str]],
    counts: dict[str, int] | None = None,
) -> Facet:
    """Multi-select links: each toggles its value in the query."""
    chosen = params.getlist(key)
    options = []
    for value, label in values:
        toggled = [v for v in chosen if v != value] if value in chosen else [*chosen, value]
        count = None if counts is None else counts.get(value, 0)
        options.append(Option(label, link(path, params, **{key: toggled}), value in chosen, count, value))
    return Facet(key, title, tuple(options))


def radio_facet(path: str, params: QueryParams, key: str, title: str, values: Iterable[tuple[str, str]]) -> Facet:
    """Single-choice links ("4★ & up"); the empty value means "any"."""
    chosen = params.get(key, "")
    options = tuple(
        Option(label, link(path, params, **{key: value}), value == chosen, None, value) for value, label in values
    )
    return Facet(key, title, options, "radio")


def count_by(items: Iterable[T], values: Callable[[T], Iterable[str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        for value in values(item):
            counts[value] = counts.get(value, 0) + 1
    return counts


@dataclass(frozen=True)
class Sort:
    key: str
    label: str
    order: Callable[[Any], Any]
    reverse: bool = False


def apply_sort(items: Sequence[T], sorts: Sequence[Sort], key: str | None) -> tuple[list[T], Sort]:
    """Sort by the chosen order (the first is the default); ties keep catalogue order, so pages are stable."""
    chosen = next((sort for sort in sorts if sort.key == key), sorts[0])
    return sorted(items, key=chosen.order, reverse=chosen.reverse), chosen


def sort_options(path: str, params: QueryParams, sorts: Sequence[Sort], chosen: Sort) -> list[Option]:
    return [Option(sort.label, link(path, params, sort=sort.key), sort is chosen, None, sort.key) for sort in sorts]


@dataclass
class Pager:
    items: list[Any]
    page: int
    pages: int
    total: int
    first: int  # 1-based index of the first item shown
    last: int
    links: list[Option] = field(default_factory=list)
    previous: str | None = None
    next: str | None = None


def paginate(items: Sequence[T], params: QueryParams, path: str, per_page: int) -> Pager:
    pages = max(1, math.ceil(len(items) / per_page))
    page = parse_int(params.get("page"), 1, 1, pages)
    start = (page - 1) * per_page
    shown = list(items[start : start + per_page])

    def at(number: int) -> str:
        return link(path, params, page=number if number > 1 else None)

    numbers = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    return Pager(
        items=shown,
        page=page,
        pages=pages,
        total=len(items),
        first=start + 1 if shown else 0,
        last=start + len(shown),
        links=[Option(str(n), at(n), n == page) for n in numbers],
        previous=at(page - 1) if page > 1 else None,
        next=at(page + 1) if page < pages else None,
    )


_env.globals.update(link=link, CITY_OPTIONS=[(city.slug, city.label) for city in CITIES])
