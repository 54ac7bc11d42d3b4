"""Per-visitor state: what each visitor has put in carts, drafted and committed on every site.

A visitor is one cookie. Drafts hold everything entered up to a binding step; the committed lists
(`orders`, `bookings`, `reservations`, `applications`, `tours`) only grow when the binding button is
pressed. Checkers read this state through the secret state API, as JSON.
"""

from __future__ import annotations

import re
import secrets
from typing import Literal

from pydantic import BaseModel, Field

VISITOR_COOKIE = "sandbox_visitor"
_VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def valid_visitor_id(value: str | None) -> bool:
    return bool(value) and bool(_VISITOR_ID.match(value or ""))


def new_visitor_id() -> str:
    return secrets.token_hex(8)


class CartLine(BaseModel):
    product: str
    qty: int = 1
    colour: str | None = None
    size: str | None = None


class Address(BaseModel):
    name: str
    street: str
    city: str
    state: str
    zip: str


class Checkout(BaseModel):
    stage: Literal["shipping", "delivery", "payment"] | None = None
    address: Address | None = None
    delivery: str | None = None


class Order(BaseModel):
    confirmation: str
    lines: list[CartLine]
    address: Address
    delivery: str
    total: float


class StoreState(BaseModel):
    cart: list[CartLine] = Field(default_factory=list)
    wishlist: list[str] = Field(default_factory=list)
    checkout: Checkout = Field(default_factory=Checkout)
    orders: list[Order] = Field(default_factory=list)


class Traveller(BaseModel):
    first: str
    last: str


class FlightDraft(BaseModel):
    stage: Literal["return", "fare", "travellers", "payment"]
    trip: Literal["round", "oneway"]
    origin: str
    destination: str
    depart: str
    return_date: str | None = None
    adults: int = 1
    cabin: str = "economy"
    outbound: str | None = None  # flight id, e.g. "SK214-2026-06-12"
    inbound: str | None = None
    fare: str | None = None
    travellers: list[Traveller] = Field(default_factory=list)
    email: str | None = None


class FlightBooking(FlightDraft):
    confirmation: str


class FlightsState(BaseModel):
    draft: FlightDraft | None = None
    bookings: list[FlightBooking] = Field(default_factory=list)


class HotelDraft(BaseModel):
    stage: Literal["guest", "payment"]
    hotel: str
    room: str
    check_in: str
    check_out: str
    adults: int
    rooms: int = 1
    first: str | None = None
    last: str | None = None
    email: str | None = None
    requests: str = ""
    arrival: str | None = None


class HotelBooking(HotelDraft):
    confirmation: str


class HotelsState(BaseModel):
    draft: HotelDraft | None = None
    bookings: list[HotelBooking] = Field(default_factory=list)


class TableDraft(BaseModel):
    stage: Literal["details", "review"]
    restaurant: str
    date: str
    time: str  # "19:30"
    party: int
    first: str | None = None
    last: str | None = None
    phone: str | None = None
    email: str | None = None
    occasion: str | None = None
    request: str = ""


class Reservation(TableDraft):
    confirmation: str


class DineState(BaseModel):
    draft: TableDraft | None = None
    reservations: list[Reservation] = Field(default_factory=list)


class TicketDraft(BaseModel):
    stage: Literal["delivery", "review"]
    event: str
    tier: str
    quantity: int
    delivery: str | None = None
    protection: bool = False


class TicketOrder(TicketDraft):
    confirmation: str


class TicketsState(BaseModel):
    draft: TicketDraft | None = None
    orders: list[TicketOrder] = Field(default_factory=list)


class ApplicationDraft(BaseModel):
    stage: Literal["contact", "resume", "questions", "review"]
    job: str
    first: str | None = None
    last: str | None = None
    email: str | None = None
    phone: str | None = None
    resume: str | None = None
    cover_letter: str = ""
    experience: str | None = None
    authorized: bool | None = None
    start_date: str | None = None


class Application(ApplicationDraft):
    confirmation: str


class JobsState(BaseModel):
    saved: list[str] = Field(default_factory=list)
    draft: ApplicationDraft | None = None
    applications: list[Application] = Field(default_factory=list)


class TourDraft(BaseModel):
    stage: Literal["contact", "review"]
    home: str
    date: str
    time: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    message: str = ""


class Tour(TourDraft):
    confirmation: str


class HomesState(BaseModel):
    saved: list[str] = Field(default_factory=list)
    draft: TourDraft | None = None
    tours: list[Tour] = Field(default_factory=list)


class VisitorState(BaseModel):
    visitor: str
    consent: dict[str, Literal["accepted", "rejected"]] = Field(default_factory=dict)
    shop: StoreState = Field(default_factory=StoreState)
    mart: StoreState = Field(default_factory=StoreState)
    flights: FlightsState = Field(default_factory=FlightsState)
    hotels: HotelsState = Field(default_factory=HotelsState)
    dine: DineState = Field(default_factory=DineState)
    tickets: TicketsState = Field(default_factory=TicketsState)
    jobs: JobsState = Field(default_factory=JobsState)
    homes: HomesState = Field(default_factory=HomesState)


class VisitorStore:
    """Visitors' states in memory. Every handler is async, so one event loop serialises all changes."""

    def __init__(self) -> None:
        self._states: dict[str, VisitorState] = {}
        self._confirmations = 0

    def get(self, visitor: str) -> VisitorState:
        state = self._states.get(visitor)
        if state is None:
            state = self._states[visitor] = VisitorState(visitor=visitor)
        return state

    def peek(self, visitor: str) -> VisitorState:
        """The state without registering the visitor (a visitor never seen reads as a fresh state)."""
        return self._states.get(visitor) or VisitorState(visitor=visitor)

    def confirmation(self, prefix: str) -> str:
        """A confirmation code; counted per app, so a fresh sandbox numbers from 1."""
        self._confirmations += 1
        return f"{prefix}-{100000 + self._confirmations * 7919 % 900000}"
