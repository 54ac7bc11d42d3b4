"""Airlines, the flight schedule between the cities, cabins and fares (Skyfare)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sandbox.data.common import CITIES, distance_km, rng

AIRLINES = {"SK": "Skylark Air", "BJ": "Bluejet", "PC": "Pacific Crest", "NS": "Northstar Airlines", "SW": "Summitway"}
CABINS = {"economy": 1.0, "premium": 1.7, "business": 3.2}
CABIN_LABELS = {"economy": "Economy", "premium": "Premium economy", "business": "Business"}
FARES = {"basic": 1.0, "standard": 1.25, "flex": 1.6}
FARE_LABELS = {"basic": "Basic", "standard": "Standard", "flex": "Flex"}
HUBS = ("DEN", "ORD", "SFO", "BNA")


@dataclass(frozen=True)
class ScheduledFlight:
    number: str  # e.g. "SK 214"
    airline: str
    origin: str
    destination: str
    departs: int  # minutes after midnight
    duration: int  # minutes
    via: str | None  # connection airport, if any
    base_price: float

    @property
    def stops(self) -> int:
        return 0 if self.via is None else 1

    @property
    def airline_name(self) -> str:
        return AIRLINES[self.airline]


@dataclass(frozen=True)
class Flight:
    """A scheduled flight on one date, with that day's economy price per traveller."""

    scheduled: ScheduledFlight
    date: date
    price: float

    @property
    def id(self) -> str:
        return f"{self.scheduled.number.replace(' ', '')}-{self.date.isoformat()}"

    @property
    def arrives(self) -> int:
        return self.scheduled.departs + self.scheduled.duration

    def fare_price(self, cabin: str, fare: str) -> float:
        factor = CABINS[cabin] * FARES[fare]
        return self.price if factor == 1 else round(self.price * factor) - 0.01


def duration_text(minutes: int) -> str:
    return f"{minutes // 60}h {minutes % 60:02d}m"


def build_schedule(seed: int) -> list[ScheduledFlight]:
    r = rng(seed, "schedule")
    flights = []
    numbers: set[str] = set()
    for origin in CITIES:
        for destination in CITIES:
            if origin is destination:
                continue
            km = distance_km(origin, destination)
            for _ in range(r.randint(4, 7)):
                airline = r.choice(list(AIRLINES))
                while (number := f"{airline} {r.randint(100, 2999)}") in numbers:
                    pass
                numbers.add(number)
                hubs = [hub for hub in HUBS if hub not in {origin.airport, destination.airport}]
                via = r.choice(hubs) if r.random() < 0.4 else None
                duration = int(40 + km / 13.5) + (r.randint(60, 150) if via else 0)
                duration -= duration % 5
                departs = r.randrange(6 * 60, 21 * 60, 5)
                base = 49 + km * 0.07 * r.uniform(0.8, 1.25) - (20 if via else 0)
                flights.append(
                    ScheduledFlight(number, airline, origin.airport, destination.airport, departs, duration, via, base)
                )
    return flights
