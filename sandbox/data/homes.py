"""Homes for sale and rent (Nestfinder)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from sandbox.data.common import CITIES, STREET_KINDS, STREETS, TODAY, City, rng, word_list

HOME_TYPES = ("House", "Condo", "Townhouse", "Apartment")
HOME_FEATURES = word_list(
    "Garage|Pool|Garden|Fireplace|Central air|In-unit laundry|Pets allowed|Balcony|Waterfront|Gym"
)
_AGENTS = ("Dana Whitfield", "Omar Haddad", "Grace Liu", "Ben Carver", "Sofia Marquez", "Ken Adebayo")
CITY_PRICE = {  # dollars per square foot
    city: int(price)
    for city, price in (
        pair.split("=")
        for pair in word_list(
            "seattle=690|portland=480|san-francisco=1150|los-angeles=880|san-diego=760|denver=520|austin=450"
            "|chicago=360|nashville=410|miami=590|boston=780|new-york=1050"
        )
    )
}
TOUR_TIMES = tuple(range(9 * 60, 18 * 60, 60))


@dataclass(frozen=True)
class Home:
    id: str
    mode: str  # "buy" or "rent"
    type: str
    address: str
    city: City
    neighbourhood: str
    zip: str
    price: int  # sale price, or monthly rent
    beds: int
    baths: float
    sqft: int
    year_built: int
    features: tuple[str, ...]
    hoa: int  # monthly, 0 if none
    listed: date
    agent: str
    photos: int
    description: str

    @property
    def price_text(self) -> str:
        return f"${self.price:,}/mo" if self.mode == "rent" else f"${self.price:,}"

    @property
    def beds_text(self) -> str:
        return "Studio" if self.beds == 0 else f"{self.beds} bd"

    @property
    def full_address(self) -> str:
        return f"{self.address}, {self.city.name}, {self.city.state} {self.zip}"


def build_homes(seed: int) -> list[Home]:
    r = rng(seed, "homes")
    homes = []
    used: set[str] = set()
    for n in range(264):
        city = CITIES[n % len(CITIES)]
        mode = "rent" if r.random() < 0.35 else "buy"
        kind = r.choice(("Apartment", "Condo", "Townhouse")) if mode == "rent" else r.choice(HOME_TYPES[:3])
        beds = r.choices((0, 1, 2, 3, 4, 5), (1, 3, 4, 4, 2, 1) if kind != "House" else (0, 0, 2, 5, 4, 2))[0]
        beds = max(beds, 1) if kind in ("House", "Townhouse") else beds
        baths = min(4.0, max(1.0, math.floor(beds * 1.5) / 2 + r.choice((0, 0.5, 1))))
        sqft = int(round((420 + beds * 390) * r.uniform(0.85, 1.3), -1))
        per_sqft = CITY_PRICE[city.slug] * r.uniform(0.8, 1.25)
        price = int(round(sqft * per_sqft, -3)) if mode == "buy" else int(round(sqft * per_sqft / 260, -1))
        while (address := f"{r.randint(100, 9899)} {r.choice(STREETS)} {r.choice(STREET_KINDS)}") in used:
            pass
        used.add(address)
        features = tuple(f for f in HOME_FEATURES if r.random() < 0.3)
        neighbourhood = r.choice(city.neighbourhoods)
        homes.append(
            Home(
                id=f"L{7001 + n}",
                mode=mode,
                type=kind,
                address=address,
                city=city,
                neighbourhood=neighbourhood,
                zip=f"{r.randint(10000, 99999)}",
                price=price,
                beds=beds,
                baths=baths,
                sqft=sqft,
                year_built=r.randint(1920, 2024),
                features=features,
                hoa=r.choice((0, 150, 240, 310, 420, 560)) if kind in ("Condo", "Townhouse") else 0,
                listed=TODAY - timedelta(days=r.randint(0, 90)),
                agent=r.choice(_AGENTS),
                photos=r.randint(3, 6),
                description=(
                    f"{'Bright' if r.random() < 0.5 else 'Updated'} {kind.lower()} in {neighbourhood} with "
                    f"{', '.join(f.lower() for f in features[:2]) or 'an open floor plan'}."
                ),
            )
        )
    return homes
