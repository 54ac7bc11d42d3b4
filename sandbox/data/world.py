"""Seeded, deterministic data for every sandbox site: the same seed gives the same web.

Everything is derived from `random.Random` seeded with strings (stable across processes, unlike `hash`),
and built in list order, so two `World(seed)` objects are equal field for field.
The sandbox clock is fixed (`TODAY`): dates in tasks and pages never drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sandbox.data.common import TODAY, rng
from sandbox.data.dine import Restaurant, build_restaurants
from sandbox.data.flights import Flight, ScheduledFlight, build_schedule
from sandbox.data.homes import Home, build_homes
from sandbox.data.hotels import Hotel, build_hotels
from sandbox.data.jobs import Company, Job, build_companies, build_jobs
from sandbox.data.shop import Product, Store, build_products, build_store
from sandbox.data.tickets import Event, build_events


@dataclass
class World:
    """Every site's data for one seed."""

    seed: int = 0
    products: list[Product] = field(init=False)
    stores: dict[str, Store] = field(init=False)
    schedule: list[ScheduledFlight] = field(init=False)
    hotels: list[Hotel] = field(init=False)
    restaurants: list[Restaurant] = field(init=False)
    events: list[Event] = field(init=False)
    companies: list[Company] = field(init=False)
    jobs: list[Job] = field(init=False)
    homes: list[Home] = field(init=False)

    def __post_init__(self) -> None:
        self.products = build_products(self.seed)
        self.stores = {
            "shop": build_store(self.seed, "shop", "Cartwheel", self.products, 0.82, (1.0, 1.0)),
            "mart": build_store(self.seed, "mart", "ValueMart", self.products, 0.75, (0.86, 1.12)),
        }
        self.schedule = build_schedule(self.seed)
        self.hotels = build_hotels(self.seed)
        self.restaurants = build_restaurants(self.seed)
        self.events = build_events(self.seed)
        self.companies = build_companies(self.seed)
        self.jobs = build_jobs(self.seed, self.companies)
        self.homes = build_homes(self.seed)
        self.hotel = {hotel.id: hotel for hotel in self.hotels}
        self.restaurant = {item.id: item for item in self.restaurants}
        self.event = {item.id: item for item in self.events}
        self.job = {item.id: item for item in self.jobs}
        self.home = {item.id: item for item in self.homes}

    def flights(self, origin: str, destination: str, day: date) -> list[Flight]:
        """That day's flights on a route, by departure time; prices depend on the day and how far ahead it is."""
        out = []
        for scheduled in self.schedule:
            if scheduled.origin != origin or scheduled.destination != destination:
                continue
            r = rng(self.seed, "fare", scheduled.number, day.isoformat())
            ahead = max(0, (day - TODAY).days)
            factor = (1.35 if ahead < 14 else 1.0) * (1.15 if day.weekday() in (4, 6) else 1.0) * r.uniform(0.85, 1.2)
            out.append(Flight(scheduled, day, round(scheduled.base_price * factor) - 0.01))
        return sorted(out, key=lambda flight: (flight.scheduled.departs, flight.scheduled.number))

    def flight(self, flight_id: str) -> Flight | None:
        number, _, day = flight_id.partition("-")
        scheduled = next((s for s in self.schedule if s.number.replace(" ", "") == number), None)
        if scheduled is None:
            return None
        try:
            when = date.fromisoformat(day)
        except ValueError:
            return None
        return next((f for f in self.flights(scheduled.origin, scheduled.destination, when) if f.id == flight_id), None)
