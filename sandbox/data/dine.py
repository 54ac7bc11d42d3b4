"""Restaurants, their menus, hours and bookable slots (Tablefor)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sandbox.data.common import CITIES, STREET_KINDS, STREETS, City, clock, rng, word_list

CUISINES = word_list(
    "Italian|Japanese|Mexican|French|Indian|Thai|American|Mediterranean|Chinese|Korean|Seafood|Steakhouse|Vegetarian"
)
DINE_FEATURES = word_list(
    "Outdoor seating|Vegan options|Bar seating|Private dining|Wheelchair accessible|Kid friendly|Live music"
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DINE_FIRST = word_list(
    "Olive|Saffron|Ember|Copper|Basil|Juniper|Salt|Fig|Clove|Harvest|Lotus|Marrow|Pepper|Quince|"
    "Sorrel|Tamarind|Umami|Vine|Wild|Cedar|Ginger|Koi"
)
_DINE_LAST = word_list("Kitchen|Bistro|Trattoria|House|Grill|Cantina|Brasserie|Room|Social|Garden|Tavern|Counter")
_DISHES = {
    cuisine: word_list(dishes)
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


def build_restaurants(seed: int) -> list[Restaurant]:
    r = rng(seed, "restaurants")
    out: list[Restaurant] = []
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
                    address=f"{r.randint(10, 2999)} {r.choice(STREETS)} {r.choice(STREET_KINDS)}",
                    phone=f"({r.randint(201, 989)}) 555-{r.randint(100, 199):04d}",
                    menu=menu,
                    description=(
                        f"{cuisine} cooking in {neighbourhood}, known for the {dishes[0].lower()} and "
                        f"a {r.choice(('cozy', 'lively', 'relaxed', 'stylish'))} dining room."
                    ),
                )
            )
    return out
