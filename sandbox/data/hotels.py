"""Hotels, their rooms and nightly prices (Staywell)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sandbox.data.common import CITIES, City, rng, word_list

HOTEL_AMENITIES = word_list(
    "Free WiFi|Pool|Fitness center|Spa|Free parking|Breakfast included|Pet friendly|Airport shuttle|"
    "Restaurant|Bar|EV charging"
)
ROOM_TYPES = (  # name, beds, sleeps, price factor
    ("Standard Queen Room", "1 queen bed", 2, 1.0),
    ("Deluxe King Room", "1 king bed", 2, 1.25),
    ("Double Queen Room", "2 queen beds", 4, 1.35),
    ("Junior Suite", "1 king bed + sofa bed", 3, 1.7),
    ("Family Suite", "2 queen beds + sofa bed", 5, 2.1),
)
_HOTEL_FIRST = word_list(
    "Harbor|Cedar|Larkspur|Marisol|Juniper|Granite|Beacon|Willow|Aster|Copper|Lantern|Meridian|"
    "Osprey|Saffron|Tidewater|Wren|Bayside|Foundry|Hawthorn|Ivory|Kinfolk|Linden|Monarch|Northgate"
)
_HOTEL_LAST = word_list("Hotel|Suites|Inn|Lodge|House|Grand Hotel|Boutique Hotel|Residences")


@dataclass(frozen=True)
class RoomType:
    name: str
    beds: str
    sleeps: int
    factor: float
    free_cancellation: bool


@dataclass(frozen=True)
class Hotel:
    id: str
    name: str
    city: City
    neighbourhood: str
    stars: int
    score: float  # guest review score out of 10
    reviews: int
    base_price: float  # a weeknight in the cheapest room
    amenities: tuple[str, ...]
    free_cancellation: bool
    distance_km: float
    check_in: str
    check_out: str
    rooms: tuple[RoomType, ...]
    description: str

    def nightly(self, room: RoomType, night: date) -> float:
        weekend = 1.2 if night.weekday() in (4, 5) else 1.0
        return round(self.base_price * room.factor * weekend) - 0.01

    def stay_price(self, room: RoomType, check_in: date, check_out: date) -> float:
        nights = [check_in + timedelta(days=n) for n in range((check_out - check_in).days)]
        return round(sum(self.nightly(room, night) for night in nights), 2)

    def room(self, name: str) -> RoomType | None:
        return next((room for room in self.rooms if room.name == name), None)


def score_word(score: float) -> str:
    return (
        "Exceptional"
        if score >= 9
        else "Excellent"
        if score >= 8.5
        else "Very good"
        if score >= 8
        else ("Good" if score >= 7 else "Pleasant")
    )


def build_hotels(seed: int) -> list[Hotel]:
    r = rng(seed, "hotels")
    hotels: list[Hotel] = []
    used: set[str] = set()
    for city in CITIES:
        for _ in range(20):
            while (name := f"The {r.choice(_HOTEL_FIRST)} {r.choice(_HOTEL_LAST)} {city.name}") in used:
                pass
            used.add(name)
            stars = r.choices((2, 3, 4, 5), (2, 4, 4, 2))[0]
            free = r.random() < 0.55
            room_count = r.randint(2, 4)
            rooms = tuple(RoomType(n, b, s, f, free or r.random() < 0.3) for n, b, s, f in ROOM_TYPES[:room_count])
            neighbourhood = r.choice(city.neighbourhoods)
            distance = round(r.uniform(0.2, 9.5), 1)
            short = name.removeprefix("The ").removesuffix(f" {city.name}")
            hotels.append(
                Hotel(
                    id=f"H{3001 + len(hotels)}",
                    name=name,
                    city=city,
                    neighbourhood=neighbourhood,
                    stars=stars,
                    score=round(min(9.8, max(6.0, r.gauss(6.2 + stars * 0.55, 0.6))), 1),
                    reviews=int(r.lognormvariate(6, 0.9)) + 12,
                    base_price=float(round(40 + stars * 38 * r.uniform(0.8, 1.3))),
                    amenities=tuple(a for a in HOTEL_AMENITIES if r.random() < 0.2 + stars * 0.1),
                    free_cancellation=free,
                    distance_km=distance,
                    check_in=r.choice(("2:00 PM", "3:00 PM", "4:00 PM")),
                    check_out=r.choice(("10:00 AM", "11:00 AM", "12:00 PM")),
                    rooms=rooms,
                    description=(
                        f"{short} is a {stars}-star stay in {neighbourhood}, {distance} km from the city centre, "
                        f"close to {r.choice(('the convention center', 'the waterfront', 'the old town'))}."
                    ),
                )
            )
    return hotels
