"""Products and the two stores that sell them (Cartwheel, ValueMart)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sandbox.data.common import pick_ordered, rng, word_list

COLOURS = dict(
    pair.split("=")
    for pair in word_list(
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


def _type(
    category: str, name: str, icon: str, price: str, brands: str, tags: str, specs: str, sizes: tuple[str, ...] = ()
) -> ProductType:
    """specs: "Name=value|value; Name=value|value"."""
    low, high = map(int, price.split("-"))
    spec_table = tuple((spec, word_list(values)) for spec, values in (part.split("=") for part in specs.split("; ")))
    return ProductType(category, name, icon, (low, high), word_list(brands), sizes, word_list(tags), spec_table)


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
MODEL_WORDS = word_list(
    "Pulse|Aria|Nova|Echo|Flux|Zen|Vista|Terra|Orbit|Breeze|Peak|Drift|Halo|Ridge|Quill|Ember|Vector|"
    "Lumen|Tide|Glide|Apex|Crest|Atlas|Sol"
)
_PITCHES = word_list(
    "Designed for everyday use and built to last.|Our most popular pick in its class.|"
    "Lightweight, well made and easy to care for.|Thoughtful details at a fair price."
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


def build_products(seed: int) -> list[Product]:
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
            colours = tuple(pick_ordered(r, list(COLOURS), r.randint(1, 4)))
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


def build_store(
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
