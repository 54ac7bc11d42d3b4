"""Seeded, deterministic data for every sandbox site: the same seed gives the same web.

Everything is derived from `random.Random` seeded with strings (stable across processes, unlike `hash`),
and built in list order, so two `World(seed)` objects are equal field for field.
The sandbox clock is fixed (`TODAY`): dates in tasks and pages never drift.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

TODAY = date(2026, 6, 1)  # a Monday; every site's "now"


def rng(seed: int, *parts: object) -> random.Random:
    return random.Random(":".join([str(seed), *map(str, parts)]))


def _list(text: str) -> tuple[str, ...]:
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


def _pick(r: random.Random, items: tuple | list, k: int) -> list:
    """k distinct items in their original order (stable, so pages list them the same way every time)."""
    chosen = set(r.sample(range(len(items)), k))
    return [item for index, item in enumerate(items) if index in chosen]


# -- shop --------------------------------------------------------------------------------------

COLOURS = dict(
    pair.split("=")
    for pair in _list(
        "Black=#222831|White=#f4f4f2|Navy=#1f3a68|Grey=#8a8f98|Red=#c0392b|Forest Green=#2f6b45|Sky Blue=#5dade2"
        "|Sand=#d8c7a0|Orange=#e67e22|Plum=#7d3c98"
    )
)


@dataclass(frozen=True)
class ProductType:
    category: str
    name: str  # singular, e.g. "Wireless Headphones"
    icon: str
    price: tuple[int, int]
    brands: tuple[str, ...]
    sizes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # optional features a product of this type may have
    specs: tuple[tuple[str, tuple[str, ...]], ...] = ()  # spec name -> possible values


SHOE_SIZES = ("7", "8", "9", "10", "11", "12")
APPAREL_SIZES = ("XS", "S", "M", "L", "XL")


def _type(category: str, name: str, icon: str, price: str, brands: str, tags: str, specs: str, sizes=()) -> ProductType:
    """specs: "Name=value|value; Name=value|value"."""
    low, high = map(int, price.split("-"))
    spec_table = tuple((spec, _list(values)) for spec, values in (part.split("=") for part in specs.split("; ")))
    return ProductType(category, name, icon, (low, high), _list(brands), sizes, _list(tags), spec_table)


PRODUCT_TYPES: tuple[ProductType, ...] = (
    _type("Electronics", "Wireless Headphones", "headphones", "39-349", "Sonora|Auralis|Voltix",
          "noise cancelling|foldable", "Battery life=20 hours|30 hours|40 hours|60 hours; Weight=180 g|230 g|290 g"),
    _type("Electronics", "Bluetooth Speaker", "speaker", "29-249", "Sonora|Voltix|Kestrel", "waterproof|portable",
          "Battery life=10 hours|12 hours|16 hours|24 hours; Water resistance=IPX4|IPX5|IPX7"),
    _type("Electronics", "Smartwatch", "watch", "79-429", "Pixelon|Kestrel|Auralis", "GPS|heart rate monitor",
          "Battery life=2 days|5 days|7 days|14 days; Display=1.2 in AMOLED|1.4 in AMOLED|1.6 in LCD"),
    _type("Electronics", "Mechanical Keyboard", "keyboard", "49-219", "Voltix|Pixelon|Kestrel", "wireless|backlit",
          "Switches=Red linear|Brown tactile|Blue clicky; Layout=Full size|Tenkeyless|75%"),
    _type("Electronics", "Wireless Mouse", "mouse", "15-129", "Voltix|Pixelon|Kestrel", "ergonomic|rechargeable",
          "DPI=1600|4000|8000|16000; Buttons=3|5|7"),
    _type("Home & Kitchen", "Electric Kettle", "kettle", "25-149", "Brewmaster|Cuisina|Hearthstone",
          "temperature control|cordless", "Capacity=1.0 L|1.2 L|1.5 L|1.7 L; Power=1200 W|1500 W|1800 W"),
    _type("Home & Kitchen", "Blender", "blender", "39-299", "Cuisina|Brewmaster|Hearthstone",
          "dishwasher safe|variable speed", "Capacity=1.0 L|1.5 L|2.0 L; Power=600 W|1000 W|1400 W"),
    _type("Home & Kitchen", "Coffee Maker", "coffee", "29-399", "Brewmaster|Cuisina|Hearthstone",
          "programmable|thermal carafe", "Cups=4|8|10|12; Brew type=Drip|Pour-over|Single serve"),
    _type("Home & Kitchen", "Desk Lamp", "lamp", "19-159", "Hearthstone|Lumina|Cuisina", "dimmable|USB charging",
          "Brightness=400 lm|600 lm|800 lm; Colour temperature=3000 K|2700-6500 K"),
    _type("Home & Kitchen", "Cast Iron Skillet", "skillet", "19-119", "Hearthstone|Cuisina", "pre-seasoned|oven safe",
          "Diameter=8 in|10 in|12 in; Weight=2.1 kg|2.8 kg|3.6 kg"),
    _type("Outdoor", "Hiking Backpack", "backpack", "35-259", "Summit Ridge|Trailcraft|Alpenglow",
          "waterproof|hydration compatible", "Volume=18 L|28 L|35 L|45 L|65 L; Weight=0.6 kg|0.9 kg|1.4 kg"),
    _type("Outdoor", "Camping Tent", "tent", "59-499", "Summit Ridge|Trailcraft|Alpenglow", "3-season|freestanding",
          "Capacity=1 person|2 person|4 person|6 person; Packed weight=1.3 kg|2.2 kg|4.5 kg|7.8 kg"),
    _type("Outdoor", "Insulated Water Bottle", "bottle", "12-49", "Trailcraft|Alpenglow|Summit Ridge",
          "leak proof|dishwasher safe", "Capacity=500 ml|750 ml|1 L|1.2 L; Keeps cold=12 hours|24 hours"),
    _type("Clothing", "Rain Jacket", "jacket", "49-329", "Northbound|Coastline|Alpenglow", "waterproof|packable",
          "Waterproof rating=10,000 mm|20,000 mm|28,000 mm; Hood=Fixed|Stowable", APPAREL_SIZES),
    _type("Clothing", "Fleece Hoodie", "hoodie", "29-129", "Northbound|Urban Loom|Coastline", "recycled materials",
          "Fit=Regular|Relaxed|Slim; Material=Polyester fleece|Cotton blend", APPAREL_SIZES),
    _type("Clothing", "Cotton T-Shirt", "tshirt", "12-45", "Urban Loom|Coastline|Northbound", "organic cotton",
          "Fit=Regular|Slim|Oversized; Fabric weight=150 gsm|180 gsm|220 gsm", APPAREL_SIZES),
    _type("Shoes", "Running Shoes", "shoe", "55-229", "Stride|Pacer|Northbound", "wide fit|trail",
          "Drop=4 mm|8 mm|10 mm; Weight=240 g|270 g|310 g", SHOE_SIZES),
    _type("Sports", "Yoga Mat", "mat", "19-129", "Stride|Lumina|Trailcraft", "non-slip|extra thick",
          "Thickness=4 mm|6 mm|8 mm; Length=173 cm|183 cm|200 cm"),
)  # fmt: skip
MODEL_WORDS = _list(
    "Pulse|Aria|Nova|Echo|Flux|Zen|Vista|Terra|Orbit|Breeze|Peak|Drift|Halo|Ridge|Quill|Ember|Vector|"
    "Lumen|Tide|Glide|Apex|Crest|Atlas|Sol"
)
_PITCHES = _list(
    "Designed for everyday use and built to last.|Our most popular pick in its class.|"
    "Lightweight, well made and easy to care for.|Thoughtful details at a fair price."
)
REVIEWERS = _list(
    "Jordan P.|Sam K.|Priya N.|Diego R.|Mei L.|Chris T.|Fatima A.|Noah B.|Elena V.|Marcus W.|Hana S.|Luis G."
)


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    brand: str
    type: ProductType
    base_price: float
    rating: float
    reviews: int
    colours: tuple[str, ...]
    sizes: tuple[str, ...]
    tags: tuple[str, ...]
    specs: tuple[tuple[str, str], ...]
    description: str

    @property
    def category(self) -> str:
        return self.type.category

    def spec(self, name: str) -> str:
        return dict(self.specs)[name]


@dataclass(frozen=True)
class Offer:
    """A product as one store sells it."""

    product: Product
    price: float
    list_price: float | None  # the struck-through price of a deal
    in_stock: bool
    fast_delivery: bool

    @property
    def id(self) -> str:
        return self.product.id


@dataclass(frozen=True)
class Store:
    slug: str
    name: str
    offers: tuple[Offer, ...]

    @cached_property
    def by_id(self) -> dict[str, Offer]:
        return {offer.id: offer for offer in self.offers}


def _products(seed: int) -> list[Product]:
    r = rng(seed, "products")
    products: list[Product] = []
    used: set[str] = set()
    for type_index, kind in enumerate(PRODUCT_TYPES):
        for n in range(17):
            brand = r.choice(kind.brands)
            while True:
                model = (
                    f"{r.choice(MODEL_WORDS)} {r.choice(('', 'X', 'Pro', 'Max', 'Lite', 'Air', '2', '3', '5'))}".strip()
                )
                name = f"{brand} {model} {kind.name}"
                if name not in used:
                    used.add(name)
                    break
            low, high = kind.price
            price = round(r.uniform(low, high)) - 0.01 if r.random() < 0.7 else float(round(r.uniform(low, high)))
            colours = tuple(_pick(r, list(COLOURS), r.randint(1, 4)))
            sizes = tuple(kind.sizes[r.randint(0, 1) :]) if kind.sizes else ()
            tags = tuple(tag for tag in kind.tags if r.random() < 0.5)
            specs = tuple((spec, r.choice(values)) for spec, values in kind.specs)
            rating = round(min(5.0, max(2.8, r.gauss(4.25, 0.4))), 1)
            reviews = int(r.lognormvariate(5.2, 1.2)) + 3
            features = f"Features: {', '.join(tags)}. " if tags else ""
            description = (
                f"{r.choice(_PITCHES)} {features}{kind.specs[0][0]}: {dict(specs)[kind.specs[0][0]]}. "
                f"Backed by a {r.choice(('1', '2', '3'))}-year warranty from {brand}."
            )
            products.append(
                Product(
                    id=f"P{1001 + type_index * 17 + n}",
                    name=name,
                    brand=brand,
                    type=kind,
                    base_price=price,
                    rating=rating,
                    reviews=reviews,
                    colours=colours,
                    sizes=sizes,
                    tags=tags,
                    specs=specs,
                    description=description,
                )
            )
    return products


def _store(
    seed: int, slug: str, name: str, products: list[Product], carry: float, markup: tuple[float, float]
) -> Store:
    r = rng(seed, "store", slug)
    offers = []
    for product in products:
        if r.random() > carry:
            continue
        price = round(product.base_price * r.uniform(*markup)) - 0.01 if slug != "shop" else product.base_price
        deal = r.random() < 0.2
        offers.append(
            Offer(
                product=product,
                price=price,
                list_price=round(price * r.uniform(1.15, 1.4)) - 0.01 if deal else None,
                in_stock=r.random() < 0.9,
                fast_delivery=r.random() < 0.5,
            )
        )
    return Store(slug, name, tuple(offers))


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


# -- flights -----------------------------------------------------------------------------------

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


def clock(minutes: int) -> str:
    """'7:05 AM'; minutes past midnight may exceed a day (arrivals next day)."""
    hours, mins = divmod(minutes % (24 * 60), 60)
    return f"{(hours % 12) or 12}:{mins:02d} {'AM' if hours < 12 else 'PM'}"


def duration_text(minutes: int) -> str:
    return f"{minutes // 60}h {minutes % 60:02d}m"


def _schedule(seed: int) -> list[ScheduledFlight]:
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


# -- hotels ------------------------------------------------------------------------------------

HOTEL_AMENITIES = _list(
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
_HOTEL_FIRST = _list(
    "Harbor|Cedar|Larkspur|Marisol|Juniper|Granite|Beacon|Willow|Aster|Copper|Lantern|Meridian|"
    "Osprey|Saffron|Tidewater|Wren|Bayside|Foundry|Hawthorn|Ivory|Kinfolk|Linden|Monarch|Northgate"
)
_HOTEL_LAST = _list("Hotel|Suites|Inn|Lodge|House|Grand Hotel|Boutique Hotel|Residences")


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


def _hotels(seed: int) -> list[Hotel]:
    r = rng(seed, "hotels")
    hotels = []
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


# -- restaurants -------------------------------------------------------------------------------

CUISINES = _list(
    "Italian|Japanese|Mexican|French|Indian|Thai|American|Mediterranean|Chinese|Korean|Seafood|Steakhouse|Vegetarian"
)
DINE_FEATURES = _list(
    "Outdoor seating|Vegan options|Bar seating|Private dining|Wheelchair accessible|Kid friendly|Live music"
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DINE_FIRST = _list(
    "Olive|Saffron|Ember|Copper|Basil|Juniper|Salt|Fig|Clove|Harvest|Lotus|Marrow|Pepper|Quince|"
    "Sorrel|Tamarind|Umami|Vine|Wild|Cedar|Ginger|Koi"
)
_DINE_LAST = _list("Kitchen|Bistro|Trattoria|House|Grill|Cantina|Brasserie|Room|Social|Garden|Tavern|Counter")
_DISHES = {
    cuisine: _list(dishes)
    for cuisine, dishes in (
        line.split(": ")
        for line in """
Italian: Cacio e pepe|Margherita pizza|Osso buco|Tiramisu|Burrata|Risotto ai funghi
Japanese: Salmon nigiri|Tonkotsu ramen|Chicken karaage|Miso black cod|Matcha mochi|Gyoza
Mexican: Tacos al pastor|Mole poblano|Guacamole|Churros|Carne asada|Elote
French: Steak frites|Coq au vin|French onion soup|Creme brulee|Nicoise salad|Duck confit
Indian: Butter chicken|Lamb rogan josh|Palak paneer|Garlic naan|Samosa chaat|Mango lassi
Thai: Pad thai|Green curry|Tom yum soup|Mango sticky rice|Larb|Papaya salad
American: Smash burger|Fried chicken|Mac and cheese|Apple pie|Wedge salad|Ribeye
Mediterranean: Lamb kofta|Falafel plate|Hummus trio|Baklava|Grilled octopus|Shakshuka
Chinese: Peking duck|Xiao long bao|Mapo tofu|Dan dan noodles|Char siu|Egg tarts
Korean: Bibimbap|Bulgogi|Kimchi jjigae|Korean fried chicken|Japchae|Hotteok
Seafood: Lobster roll|Clam chowder|Oysters on the half shell|Fish tacos|Seared scallops|Key lime pie
Steakhouse: Dry-aged ribeye|Filet mignon|Creamed spinach|Wedge salad|Truffle fries|Chocolate cake
Vegetarian: Cauliflower steak|Mushroom risotto|Beet salad|Lentil burger|Vegan brownie|Stuffed peppers
""".strip().split("\n")
    )
}


@dataclass(frozen=True)
class Restaurant:
    id: str
    name: str
    city: City
    neighbourhood: str
    cuisine: str
    price_level: int  # 1..4 ($..$$$$)
    rating: float
    reviews: int
    features: tuple[str, ...]
    hours: tuple[tuple[int, int] | None, ...]  # per weekday Monday..Sunday: (open, close) minutes, or closed
    address: str
    phone: str
    menu: tuple[tuple[str, float], ...]
    description: str

    def slots(self, day: date) -> list[int]:
        """Bookable start times (minutes) on a day: every 30 minutes until an hour before closing."""
        hours = self.hours[day.weekday()]
        if hours is None:
            return []
        start = max(hours[0], 11 * 60)
        return list(range(start + (-start) % 30, hours[1] - 60 + 1, 30))

    def available(self, seed: int, day: date, minutes: int, party: int) -> bool:
        if minutes not in self.slots(day):
            return False
        return rng(seed, "slot", self.id, day.isoformat(), minutes, party).random() < 0.72

    def hours_text(self, weekday: int) -> str:
        hours = self.hours[weekday]
        return "Closed" if hours is None else f"{clock(hours[0])} – {clock(hours[1])}"


def _restaurants(seed: int) -> list[Restaurant]:
    r = rng(seed, "restaurants")
    out = []
    used: set[str] = set()
    for city in CITIES:
        for _ in range(20):
            while (name := f"{r.choice(_DINE_FIRST)} {r.choice(_DINE_LAST)}") in used:
                pass
            used.add(name)
            cuisine = r.choice(CUISINES)
            price_level = r.choices((1, 2, 3, 4), (2, 4, 3, 1))[0]
            opens = r.choice((11 * 60, 11 * 60 + 30, 16 * 60, 17 * 60))
            closes = r.choice((21 * 60, 22 * 60, 23 * 60))
            closed_day = r.choice((0, 0, 1, None))
            hours = tuple(
                None if day == closed_day else (opens, closes + (60 if day in (4, 5) else 0)) for day in range(7)
            )
            dishes = _DISHES[cuisine]
            menu = tuple((dish, float(round(r.uniform(6, 14) * (1 + price_level * 0.6)))) for dish in dishes)
            neighbourhood = r.choice(city.neighbourhoods)
            out.append(
                Restaurant(
                    id=f"R{4001 + len(out)}",
                    name=name,
                    city=city,
                    neighbourhood=neighbourhood,
                    cuisine=cuisine,
                    price_level=price_level,
                    rating=round(min(4.9, max(3.2, r.gauss(4.3, 0.3))), 1),
                    reviews=int(r.lognormvariate(5.5, 0.9)) + 8,
                    features=tuple(f for f in DINE_FEATURES if r.random() < 0.35),
                    hours=hours,
                    address=f"{r.randint(10, 2999)} {r.choice(_STREETS)} {r.choice(_STREET_KINDS)}",
                    phone=f"({r.randint(201, 989)}) 555-{r.randint(100, 199):04d}",
                    menu=menu,
                    description=(
                        f"{cuisine} cooking in {neighbourhood}, known for the {dishes[0].lower()} and "
                        f"a {r.choice(('cozy', 'lively', 'relaxed', 'stylish'))} dining room."
                    ),
                )
            )
    return out


# -- events ------------------------------------------------------------------------------------

EVENT_CATEGORIES = ("Concerts", "Sports", "Theatre", "Comedy", "Family")
_BANDS = _list(
    "The Velvet Static|Juniper Lane|Neon Harbor|Midnight Orchard|Paper Comets|The Wild Rivers|"
    "Saltwater Hymns|Paper Lanterns|Echo Valley|Northern Lights Orchestra|Lola Vance|Marcus Dune|"
    "The Hollow Pines|Silver Finch|Cobalt Season|Aurora Keys"
)
_TEAMS = ("Orcas", "Peaks", "Comets", "Mariners FC", "Thunder", "Harbor Hawks", "Rapids", "Lynx")
_SHOWS = _list(
    "The Lighthouse Keeper|A Winter's Tale|Hamlet Reimagined|The Glass Menagerie|Starlight Express|"
    "Much Ado About Nothing|The Last Ferry|Into the Woods"
)
_COMEDIANS = ("Nina Park", "Dev Ramos", "Tom Keller", "Ayesha Cole", "Sam Ortiz", "Jo Lindqvist")
_FAMILY = ("Aqua Circus", "Dinosaur Discovery Live", "Magic of Bubbles", "Puppet Parade", "Space Explorers Show")
_VENUE_KINDS = _list("Arena|Theater|Hall|Amphitheater|Club|Stadium")
TIERS = {  # ticket tiers per category: name=price factor
    category: tuple((name, float(factor)) for name, factor in (tier.split("=") for tier in _list(tiers)))
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


def _events(seed: int) -> list[Event]:
    r = rng(seed, "events")
    venues = {
        city.slug: [
            Venue(f"{r.choice(_STREETS)} {kind}", city, f"{r.randint(100, 999)} {r.choice(_STREETS)} Ave")
            for kind in _pick(r, _VENUE_KINDS, 3)
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
            home, away = _pick(r, list(_TEAMS), 2)
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


_EVENT_BLURBS = _list(
    "An unforgettable night out.|Expect a sold-out crowd.|Bring friends and family.|One night only.|"
    "Featuring special guests."
)

# -- jobs --------------------------------------------------------------------------------------

DEPARTMENTS = {  # department -> titles with a mid-level salary in thousands
    department: tuple((title, int(salary)) for title, salary in (pair.split("=") for pair in _list(titles)))
    for department, titles in (
        ("Engineering", "Software Engineer=120|Data Engineer=125|DevOps Engineer=130|QA Engineer=95"),
        ("Data", "Data Analyst=85|Data Scientist=135|Machine Learning Engineer=150"),
        ("Design", "Product Designer=115|UX Researcher=110|Graphic Designer=70"),
        ("Marketing", "Marketing Manager=105|Content Strategist=80|SEO Specialist=72"),
        ("Sales", "Account Executive=90|Sales Development Representative=62"),
        ("Operations", "Project Manager=100|Operations Coordinator=58|Supply Chain Analyst=78"),
        ("Finance", "Financial Analyst=88|Accountant=76"),
        ("Customer Support", "Customer Success Manager=84|Support Specialist=52"),
        ("People", "Recruiter=74|HR Generalist=70"),
    )
}
LEVELS = {"Entry": 0.75, "Mid": 1.0, "Senior": 1.3, "Lead": 1.55}
WORKPLACES = ("Remote", "Hybrid", "On-site")
JOB_TYPES = ("Full-time", "Part-time", "Contract", "Internship")
_COMPANY_FIRST = _list(
    "Blue|Bright|Clear|Cloud|Evergreen|Granite|Harbor|Iron|Kite|Maple|North|Open|Pine|Quantum|River|"
    "Silver|Summit|True|Vertex|Wave"
)
_COMPANY_LAST = _list("Labs|Systems|Health|Logistics|Analytics|Foods|Energy|Robotics|Media|Bank")
INDUSTRY = dict(
    pair.split("=")
    for pair in _list(
        "Labs=Software|Systems=Software|Health=Healthcare|Logistics=Logistics|Analytics=Software"
        "|Foods=Consumer goods|Energy=Energy|Robotics=Manufacturing|Media=Media|Bank=Financial services"
    )
)
RESUMES = ("Alex_Morgan_Resume_2026.pdf", "Alex_Morgan_Resume_Data.pdf")


@dataclass(frozen=True)
class Company:
    name: str
    industry: str
    size: str
    rating: float
    founded: int
    headquarters: City


@dataclass(frozen=True)
class Job:
    id: str
    title: str
    department: str
    level: str
    company: Company
    city: City
    workplace: str
    type: str
    salary: tuple[int, int]  # yearly, in dollars
    posted: date
    description: str
    requirements: tuple[str, ...]
    benefits: tuple[str, ...]

    @property
    def full_title(self) -> str:
        return (
            self.title if self.level == "Mid" else f"{'Junior' if self.level == 'Entry' else self.level} {self.title}"
        )

    @property
    def salary_text(self) -> str:
        if self.type in ("Part-time", "Contract", "Internship"):
            return f"${self.salary[0] / 2080:.0f}–${self.salary[1] / 2080:.0f} an hour"
        return f"${self.salary[0]:,}–${self.salary[1]:,} a year"

    @property
    def location_text(self) -> str:
        return f"{self.city.label} ({self.workplace})"


_BENEFITS = _list(
    "Health, dental and vision insurance|401(k) with 4% match|Flexible hours|Home office stipend|"
    "20 days paid time off|Parental leave|Learning budget of $1,500 a year|Commuter benefits"
)
_SKILLS = {
    "Engineering": _list("Python|Go|TypeScript|Kubernetes|PostgreSQL|AWS"),
    "Data": _list("SQL|Python|dbt|Tableau|statistics|PyTorch"),
    "Design": _list("Figma|user research|prototyping|design systems"),
    "Marketing": _list("SEO|copywriting|Google Analytics|campaign planning"),
    "Sales": _list("Salesforce|negotiation|pipeline management"),
    "Operations": _list("Excel|Jira|vendor management|process improvement"),
    "Finance": _list("Excel|financial modelling|GAAP|NetSuite"),
    "Customer Support": _list("Zendesk|written communication|troubleshooting"),
    "People": _list("Greenhouse|interviewing|employment law basics"),
}


def _companies(seed: int) -> list[Company]:
    r = rng(seed, "companies")
    names: list[str] = []
    while len(names) < 40:
        first, last = r.choice(_COMPANY_FIRST), r.choice(_COMPANY_LAST)
        name = f"{first}{last.lower()}" if r.random() < 0.3 else f"{first} {last}"
        if name not in names:
            names.append(name)
    return [
        Company(
            name=name,
            industry=INDUSTRY.get(name.split()[-1], "Software"),
            size=r.choice(("11-50 employees", "51-200 employees", "201-1,000 employees", "1,001-5,000 employees")),
            rating=round(r.uniform(3.1, 4.8), 1),
            founded=r.randint(1985, 2021),
            headquarters=r.choice(CITIES),
        )
        for name in names
    ]


def _jobs(seed: int, companies: list[Company]) -> list[Job]:
    r = rng(seed, "jobs")
    jobs = []
    for n in range(240):
        department = r.choice(list(DEPARTMENTS))
        title, salary_k = r.choice(DEPARTMENTS[department])
        level = r.choices(list(LEVELS), (2, 4, 3, 1))[0]
        company = r.choice(companies)
        job_type = r.choices(JOB_TYPES, (16, 2, 3, 1))[0]
        mid = salary_k * 1000 * LEVELS[level] * r.uniform(0.85, 1.2) * (0.55 if job_type == "Internship" else 1)
        low, high = int(round(mid * 0.88, -3)), int(round(mid * 1.15, -3))
        skills = _pick(r, list(_SKILLS[department]), 3)
        years = {"Entry": 0, "Mid": 2, "Senior": 5, "Lead": 8}[level]
        jobs.append(
            Job(
                id=f"J{6001 + n}",
                title=title,
                department=department,
                level=level,
                company=company,
                city=r.choice(CITIES),
                workplace=r.choices(WORKPLACES, (3, 4, 4))[0],
                type=job_type,
                salary=(low, high),
                posted=TODAY - timedelta(days=r.randint(0, 30)),
                description=(
                    f"{company.name} is hiring a {title} to join our {department} team. You will work with "
                    f"{', '.join(skills[:2])} and partner with teams across the company."
                ),
                requirements=(
                    f"{years}+ years of relevant experience" if years else "No prior experience required",
                    f"Working knowledge of {skills[0]} and {skills[1]}",
                    f"Experience with {skills[2]} is a plus",
                ),
                benefits=tuple(_pick(r, list(_BENEFITS), 4)),
            )
        )
    return jobs


# -- homes -------------------------------------------------------------------------------------

_STREETS = _list(
    "Maple|Oak|Cedar|Pine|Elm|Willow|Lake|Hill|Park|River|Sunset|Highland|Madison|Franklin|Jackson|"
    "Harbor|Meadow|Spring|Union|Valley"
)
_STREET_KINDS = ("St", "Ave", "Blvd", "Ln", "Dr", "Way", "Ct", "Pl")
HOME_TYPES = ("House", "Condo", "Townhouse", "Apartment")
HOME_FEATURES = _list("Garage|Pool|Garden|Fireplace|Central air|In-unit laundry|Pets allowed|Balcony|Waterfront|Gym")
_AGENTS = ("Dana Whitfield", "Omar Haddad", "Grace Liu", "Ben Carver", "Sofia Marquez", "Ken Adebayo")
CITY_PRICE = {  # dollars per square foot
    city: int(price)
    for city, price in (
        pair.split("=")
        for pair in _list(
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


def _homes(seed: int) -> list[Home]:
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
        while (address := f"{r.randint(100, 9899)} {r.choice(_STREETS)} {r.choice(_STREET_KINDS)}") in used:
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


# -- the world ---------------------------------------------------------------------------------


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
        self.products = _products(self.seed)
        self.stores = {
            "shop": _store(self.seed, "shop", "Cartwheel", self.products, 0.82, (1.0, 1.0)),
            "mart": _store(self.seed, "mart", "ValueMart", self.products, 0.75, (0.86, 1.12)),
        }
        self.schedule = _schedule(self.seed)
        self.hotels = _hotels(self.seed)
        self.restaurants = _restaurants(self.seed)
        self.events = _events(self.seed)
        self.companies = _companies(self.seed)
        self.jobs = _jobs(self.seed, self.companies)
        self.homes = _homes(self.seed)
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
