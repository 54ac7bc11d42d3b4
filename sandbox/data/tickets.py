"""Events, venues and ticket tiers (Gatepass)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sandbox.data.common import CITIES, STREETS, TODAY, City, pick_ordered, rng, word_list

EVENT_CATEGORIES = ("Concerts", "Sports", "Theatre", "Comedy", "Family")
_BANDS = word_list(
    "The Velvet Static|Juniper Lane|Neon Harbor|Midnight Orchard|Paper Comets|The Wild Rivers|"
    "Saltwater Hymns|Paper Lanterns|Echo Valley|Northern Lights Orchestra|Lola Vance|Marcus Dune|"
    "The Hollow Pines|Silver Finch|Cobalt Season|Aurora Keys"
)
_TEAMS = ("Orcas", "Peaks", "Comets", "Mariners FC", "Thunder", "Harbor Hawks", "Rapids", "Lynx")
_SHOWS = word_list(
    "The Lighthouse Keeper|A Winter's Tale|Hamlet Reimagined|The Glass Menagerie|Starlight Express|"
    "Much Ado About Nothing|The Last Ferry|Into the Woods"
)
_COMEDIANS = ("Nina Park", "Dev Ramos", "Tom Keller", "Ayesha Cole", "Sam Ortiz", "Jo Lindqvist")
_FAMILY = ("Aqua Circus", "Dinosaur Discovery Live", "Magic of Bubbles", "Puppet Parade", "Space Explorers Show")
_VENUE_KINDS = word_list("Arena|Theater|Hall|Amphitheater|Club|Stadium")
TIERS = {  # ticket tiers per category: name=price factor
    category: tuple((name, float(factor)) for name, factor in (tier.split("=") for tier in word_list(tiers)))
    for category, tiers in (
        ("Concerts", "General Admission Floor=1.0|Lower Level=1.3|Upper Level=0.7|VIP Package=3.0"),
        ("Sports", "Upper Deck=0.6|Lower Sideline=1.4|Baseline=1.0|Courtside Club=3.2"),
        ("Theatre", "Orchestra=1.3|Mezzanine=1.0|Balcony=0.7"),
        ("Comedy", "General Admission=1.0|Reserved Front Rows=1.6"),
        ("Family", "General Admission=1.0|Premium Seating=1.5|Family 4-Pack=3.4"),
    )
}


@dataclass(frozen=True)
class Tier:
    name: str
    price: float
    remaining: int


@dataclass(frozen=True)
class Venue:
    name: str
    city: City
    address: str


@dataclass(frozen=True)
class Event:
    id: str
    name: str
    category: str
    performer: str
    venue: Venue
    date: date
    time: int  # minutes
    doors: int
    tiers: tuple[Tier, ...]
    popularity: int
    age_limit: str
    description: str

    @property
    def city(self) -> City:
        return self.venue.city

    @property
    def min_price(self) -> float:
        return min(tier.price for tier in self.tiers if tier.remaining)

    def tier(self, name: str) -> Tier | None:
        return next((tier for tier in self.tiers if tier.name == name), None)


def build_events(seed: int) -> list[Event]:
    r = rng(seed, "events")
    venues = {
        city.slug: [
            Venue(f"{r.choice(STREETS)} {kind}", city, f"{r.randint(100, 999)} {r.choice(STREETS)} Ave")
            for kind in pick_ordered(r, _VENUE_KINDS, 3)
        ]
        for city in CITIES
    }
    events = []
    for n in range(240):
        category = EVENT_CATEGORIES[n % 5] if n % 7 else "Concerts"
        city = CITIES[r.randrange(len(CITIES))]
        venue = r.choice(venues[city.slug])
        if category == "Concerts":
            performer = r.choice(_BANDS)
            name = f"{performer} — {r.choice(('Live', 'World Tour', 'In Concert', 'Summer Tour'))}"
        elif category == "Sports":
            home, away = pick_ordered(r, list(_TEAMS), 2)
            performer = f"{city.name} {home}"
            name = f"{city.name} {home} vs. {away}"
        elif category == "Theatre":
            performer = r.choice(_SHOWS)
            name = performer
        elif category == "Comedy":
            performer = r.choice(_COMEDIANS)
            name = f"{performer}: {r.choice(('Stand-Up Live', 'The Late Show', 'Unfiltered'))}"
        else:
            performer = r.choice(_FAMILY)
            name = performer
        base = r.uniform(25, 120)
        tiers = tuple(
            Tier(tier, float(round(base * factor)), 0 if r.random() < 0.12 else r.randint(2, 400))
            for tier, factor in TIERS[category]
        )
        if not any(t.remaining for t in tiers):
            tiers = (Tier(tiers[0].name, tiers[0].price, 50), *tiers[1:])
        day = TODAY + timedelta(days=r.randint(3, 120))
        time = r.choice((13 * 60, 15 * 60, 19 * 60, 19 * 60 + 30, 20 * 60)) if category != "Family" else 11 * 60
        events.append(
            Event(
                id=f"E{5001 + n}",
                name=name,
                category=category,
                performer=performer,
                venue=venue,
                date=day,
                time=time,
                doors=time - r.choice((30, 60, 90)),
                tiers=tiers,
                popularity=r.randint(1, 1000),
                age_limit=r.choice(("All ages", "All ages", "18+", "21+")) if category != "Family" else "All ages",
                description=f"{name} at {venue.name}, {city.name}. {r.choice(_EVENT_BLURBS)}",
            )
        )
    return events


_EVENT_BLURBS = word_list(
    "An unforgettable night out.|Expect a sold-out crowd.|Bring friends and family.|One night only.|"
    "Featuring special guests."
)
