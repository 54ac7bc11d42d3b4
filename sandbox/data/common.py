"""What every sandbox site's data shares: the fixed clock, seeded randomness, the signed-in person,
the cities, and how money, times and word lists are written."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

T = TypeVar("T")
TODAY = date(2026, 6, 1)  # a Monday; every site's "now"


def rng(seed: int, *parts: object) -> random.Random:
    return random.Random(":".join([str(seed), *map(str, parts)]))


def word_list(text: str) -> tuple[str, ...]:
    """Word lists are written "a|b|c" to keep them on a few lines."""
    return tuple(text.split("|"))


@dataclass(frozen=True)
class Profile:
    """The signed-in sandbox user every site knows (forms are prefilled from it)."""

    first: str = "Alex"
    last: str = "Morgan"
    email: str = "alex.morgan@example.com"
    phone: str = "206-555-0147"
    street: str = "1200 Harbor Way, Apt 5"
    city: str = "Seattle"
    state: str = "WA"
    zip: str = "98101"
    card: str = "Visa ending in 4242"

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


PROFILE = Profile()


@dataclass(frozen=True)
class City:
    slug: str
    name: str
    state: str
    airport: str
    airport_name: str
    lat: float
    lon: float
    neighbourhoods: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.name}, {self.state}"


_CITY_TABLE = """
seattle|Seattle|WA|SEA|Seattle-Tacoma Intl|47.45|-122.31|Downtown, Capitol Hill, Ballard, Fremont, Queen Anne
portland|Portland|OR|PDX|Portland Intl|45.59|-122.6|Pearl District, Alberta Arts, Hawthorne, Downtown, Nob Hill
san-francisco|San Francisco|CA|SFO|San Francisco Intl|37.62|-122.38|Mission, SoMa, North Beach, Marina, Hayes Valley
los-angeles|Los Angeles|CA|LAX|Los Angeles Intl|33.94|-118.41|Santa Monica, Silver Lake, Downtown, Venice, Hollywood
san-diego|San Diego|CA|SAN|San Diego Intl|32.73|-117.19|Gaslamp Quarter, La Jolla, North Park, Little Italy, Ocean Beach
denver|Denver|CO|DEN|Denver Intl|39.86|-104.67|LoDo, RiNo, Highlands, Cherry Creek, Capitol Hill
austin|Austin|TX|AUS|Austin-Bergstrom Intl|30.19|-97.67|South Congress, East Austin, Downtown, Zilker, Hyde Park
chicago|Chicago|IL|ORD|Chicago O'Hare Intl|41.97|-87.9|River North, Wicker Park, Lincoln Park, West Loop, Hyde Park
nashville|Nashville|TN|BNA|Nashville Intl|36.12|-86.68|The Gulch, East Nashville, Midtown, Germantown, 12 South
miami|Miami|FL|MIA|Miami Intl|25.79|-80.29|South Beach, Brickell, Wynwood, Coconut Grove, Little Havana
boston|Boston|MA|BOS|Boston Logan Intl|42.36|-71.01|Back Bay, North End, South End, Beacon Hill, Seaport
new-york|New York|NY|JFK|New York JFK|40.64|-73.78|Midtown, SoHo, Williamsburg, Upper West Side, Chelsea
"""
CITIES: tuple[City, ...] = tuple(
    City(slug, name, state, code, airport, float(lat), float(lon), tuple(places.split(", ")))
    for slug, name, state, code, airport, lat, lon, places in (
        line.split("|") for line in _CITY_TABLE.split("\n") if line
    )
)
CITY_BY_SLUG = {city.slug: city for city in CITIES}
CITY_BY_AIRPORT = {city.airport: city for city in CITIES}


def city_named(text: str) -> City | None:
    """A city from its slug, name, 'Name, ST' label or airport code."""
    needle = text.strip().lower()
    for city in CITIES:
        if needle in {city.slug, city.name.lower(), city.label.lower(), city.airport.lower()}:
            return city
    return None


def distance_km(a: City, b: City) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def money(value: float) -> str:
    return f"${value:,.2f}" if value % 1 else f"${value:,.0f}"


def pick_ordered(r: random.Random, items: Sequence[T], k: int) -> list[T]:
    """k distinct items in their original order (stable, so pages list them the same way every time)."""
    chosen = set(r.sample(range(len(items)), k))
    return [item for index, item in enumerate(items) if index in chosen]


def clock(minutes: int) -> str:
    """'7:05 AM'; minutes past midnight may exceed a day (arrivals next day)."""
    hours, mins = divmod(minutes % (24 * 60), 60)
    return f"{(hours % 12) or 12}:{mins:02d} {'AM' if hours < 12 else 'PM'}"


REVIEWERS = word_list(
    "Jordan P.|Sam K.|Priya N.|Diego R.|Mei L.|Chris T.|Fatima A.|Noah B.|Elena V.|Marcus W.|Hana S.|Luis G."
)


def review_texts(seed: int, key: str, rating: float, count: int = 4) -> list[tuple[str, int, str]]:
    """A few reviews (author, stars, text) for an item, generated on demand."""
    r = rng(seed, "reviews", key)
    good = (
        "Exactly what I needed.",
        "Great value for the price.",
        "Solid build and works as described.",
        "Would get this again.",
        "Exceeded my expectations.",
        "Friendly staff and a great experience.",
    )
    meh = (
        "Decent, but not perfect.",
        "Took a while to arrive.",
        "Good, though a bit overpriced.",
        "Fine for occasional use.",
    )
    out = []
    for _ in range(count):
        stars = max(1, min(5, round(r.gauss(rating, 0.8))))
        out.append((r.choice(REVIEWERS), stars, r.choice(good if stars >= 4 else meh)))
    return out


STREETS = word_list(
    "Maple|Oak|Cedar|Pine|Elm|Willow|Lake|Hill|Park|River|Sunset|Highland|Madison|Franklin|Jackson|"
    "Harbor|Meadow|Spring|Union|Valley"
)
STREET_KINDS = ("St", "Ave", "Blvd", "Ln", "Dr", "Way", "Ct", "Pl")
