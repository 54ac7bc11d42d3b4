"""Pictures for the sandbox sites, drawn as SVG from the item's own data (nothing is fetched from outside)."""

from __future__ import annotations

import hashlib
from html import escape

from sandbox.data.common import CITY_BY_SLUG
from sandbox.data.flights import AIRLINES
from sandbox.data.shop import COLOURS
from sandbox.data.world import World
from sandbox.web import SITES

_PALETTE = (
    "#0ea5e9",
    "#6366f1",
    "#ec4899",
    "#f97316",
    "#10b981",
    "#eab308",
    "#8b5cf6",
    "#ef4444",
    "#14b8a6",
    "#3b82f6",
)
_WALLS = ("#f5efe6", "#e8eef4", "#f3e7e9", "#e9f1e7", "#efe9f5", "#fbf3dc", "#e4ecef", "#f1e4d8")
_ROOFS = ("#5b3a29", "#37474f", "#7b2d26", "#2f4858", "#4a4e69", "#6b4f3a")


def _h(*parts: object) -> int:
    return int(hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def _svg(width: int, height: int, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f"{body}</svg>"
    )


def _text(
    x: float, y: float, text: str, size: int, fill: str = "#fff", weight: int = 700, anchor: str = "middle"
) -> str:
    return (
        f'<text x="{x}" y="{y}" font-family="Liberation Sans, Arial, sans-serif" font-size="{size}" '
        f'font-weight="{weight}" fill="{fill}" text-anchor="{anchor}">{escape(text)}</text>'
    )


# Simple product drawings on a 400x400 canvas, in the product's colour (c) with a darker detail colour (d).
_PRODUCT_SHAPES = {
    "headphones": (
        '<path d="M110 230v-40a90 90 0 0 1 180 0v40" fill="none" stroke="{d}" stroke-width="18"/>'
        '<rect x="88" y="215" width="50" height="90" rx="20" fill="{c}"/>'
        '<rect x="262" y="215" width="50" height="90" rx="20" fill="{c}"/>'
    ),
    "speaker": (
        '<rect x="130" y="90" width="140" height="230" rx="40" fill="{c}"/>'
        '<circle cx="200" cy="240" r="48" fill="{d}"/><circle cx="200" cy="140" r="20" fill="{d}"/>'
    ),
    "watch": (
        '<rect x="165" y="60" width="70" height="280" rx="20" fill="{d}"/>'
        '<rect x="135" y="130" width="130" height="140" rx="34" fill="{c}"/>'
        '<rect x="150" y="145" width="100" height="110" rx="24" fill="#111827"/>'
    ),
    "keyboard": '<rect x="60" y="150" width="280" height="110" rx="14" fill="{c}"/>'
    + "".join(
        f'<rect x="{75 + i * 26}" y="{165 + j * 26}" width="20" height="20" rx="4" fill="{{d}}"/>'
        for i in range(10)
        for j in range(3)
    ),
    "mouse": (
        '<rect x="145" y="100" width="110" height="200" rx="55" fill="{c}"/>'
        '<path d="M200 100v70" stroke="{d}" stroke-width="6"/>'
    ),
    "kettle": (
        '<path d="M130 300h140l-15-150h-110z" fill="{c}"/>'
        '<path d="M270 180c40 0 40 80 0 80" fill="none" stroke="{d}" stroke-width="14"/>'
        '<rect x="150" y="125" width="100" height="25" rx="8" fill="{d}"/>'
        '<rect x="120" y="300" width="160" height="18" rx="6" fill="{d}"/>'
    ),
    "blender": (
        '<path d="M145 90h110l-15 150h-80z" fill="{c}" opacity=".75"/>'
        '<rect x="140" y="240" width="120" height="80" rx="12" fill="{d}"/>'
    ),
    "coffee": (
        '<rect x="120" y="80" width="160" height="60" rx="10" fill="{d}"/>'
        '<rect x="120" y="80" width="40" height="240" fill="{d}"/>'
        '<rect x="185" y="200" width="80" height="90" rx="10" fill="{c}"/>'
        '<rect x="110" y="300" width="180" height="20" rx="6" fill="{d}"/>'
    ),
    "lamp": (
        '<path d="M150 110l90-30 30 60-90 30z" fill="{c}"/>'
        '<path d="M200 150l-30 150" stroke="{d}" stroke-width="12"/>'
        '<rect x="120" y="295" width="110" height="22" rx="8" fill="{d}"/>'
    ),
    "skillet": (
        '<circle cx="170" cy="220" r="95" fill="{d}"/><circle cx="170" cy="220" r="75" fill="{c}"/>'
        '<rect x="255" y="205" width="110" height="30" rx="12" fill="{d}"/>'
    ),
    "backpack": (
        '<rect x="125" y="100" width="150" height="220" rx="50" fill="{c}"/>'
        '<rect x="150" y="210" width="100" height="80" rx="16" fill="{d}"/>'
        '<path d="M165 100a35 35 0 0 1 70 0" fill="none" stroke="{d}" stroke-width="12"/>'
    ),
    "tent": '<path d="M70 310l130-200 130 200z" fill="{c}"/><path d="M200 110l-35 200h70z" fill="{d}"/>',
    "bottle": (
        '<rect x="160" y="120" width="80" height="200" rx="26" fill="{c}"/>'
        '<rect x="170" y="80" width="60" height="45" rx="10" fill="{d}"/>'
    ),
    "jacket": (
        '<path d="M150 90l50 25 50-25 60 40 22 175h-42l-15-125v150H125V180l-15 125H68l22-175z" fill="{c}"/>'
        '<path d="M200 120v200" stroke="{d}" stroke-width="6"/>'
    ),
    "hoodie": (
        '<path d="M150 100l50-10 50 10 60 40 22 165h-42l-15-115v140H125V190l-15 115H68l22-165z" fill="{c}"/>'
        '<path d="M165 100a35 40 0 0 0 70 0" fill="{d}"/>'
    ),
    "tshirt": (
        '<path d="M140 100l60 15 60-15 75 55-32 45-28-18v138H125V182l-28 18-32-45z" fill="{c}"/>'
        '<path d="M175 104a25 18 0 0 0 50 0" fill="{d}"/>'
    ),
    "shoe": (
        '<path d="M70 260c40 0 80-20 100-70l60 30c20 10 80 20 110 30v40H70z" fill="{c}"/>'
        '<rect x="70" y="290" width="270" height="20" rx="8" fill="{d}"/>'
    ),
    "mat": (
        '<rect x="80" y="170" width="220" height="120" rx="10" fill="{c}"/>'
        '<circle cx="300" cy="230" r="60" fill="{d}"/><circle cx="300" cy="230" r="42" fill="{c}"/>'
    ),
}

_LOGO_GLYPHS = {
    "cart": (
        '<path d="M9 12h4l4 16h14l3-11H15" fill="none" stroke="#fff" stroke-width="3"/>'
        '<circle cx="19" cy="33" r="2.5" fill="#fff"/><circle cx="29" cy="33" r="2.5" fill="#fff"/>'
    ),
    "tag": (
        '<path d="M10 10h12l10 10-12 12-10-10z" fill="none" stroke="#fff" stroke-width="3"/>'
        '<circle cx="16" cy="16" r="2.5" fill="#fff"/>'
    ),
    "plane": '<path d="M6 22l28-11-8 22-5-9-15-2z" fill="#fff"/>',
    "bed": (
        '<path d="M7 30V12M7 24h28v6M35 24v-5a4 4 0 0 0-4-4H18v9" fill="none" stroke="#fff" stroke-width="3"/>'
        '<circle cx="13" cy="19" r="3" fill="#fff"/>'
    ),
    "fork": (
        '<path d="M14 8v10a4 4 0 0 0 8 0V8M18 8v26M28 8c-4 3-4 12 0 14v12" fill="none" stroke="#fff" stroke-width="3"/>'
    ),
    "ticket": (
        '<path d="M8 13h26v5a3 3 0 0 0 0 6v5H8v-5a3 3 0 0 0 0-6z" fill="none" stroke="#fff" stroke-width="3"/>'
        '<path d="M22 14v14" stroke="#fff" stroke-width="2" stroke-dasharray="2 2"/>'
    ),
    "briefcase": (
        '<rect x="7" y="14" width="28" height="19" rx="3" fill="none" stroke="#fff" stroke-width="3"/>'
        '<path d="M16 14v-4h10v4M7 22h28" fill="none" stroke="#fff" stroke-width="3"/>'
    ),
    "house": (
        '<path d="M8 21L21 9l13 12M12 18v15h18V18" fill="none" stroke="#fff" stroke-width="3"/>'
        '<rect x="18" y="24" width="6" height="9" fill="#fff"/>'
    ),
}

FAVICON = _svg(42, 42, '<rect width="42" height="42" rx="10" fill="#1e3a8a"/>' + _LOGO_GLYPHS["house"])


def _logo(slug: str) -> str | None:
    site = SITES.get(slug)
    if site is None:
        return None
    return _svg(42, 42, f'<rect width="42" height="42" rx="10" fill="{site.accent}"/>{_LOGO_GLYPHS[site.icon]}')


def _product(world: World, key: str) -> str | None:
    product = next((p for p in world.products if p.id == key.split("-")[0]), None)
    if product is None:
        return None
    colour = COLOURS[product.colours[0]] if "-" not in key else COLOURS.get(key.split("-", 1)[1], "#888")
    detail = "#374151" if colour.lower() in ("#f4f4f2", "#d8c7a0") else "#1f2937"
    shape = _PRODUCT_SHAPES[product.type.icon].replace("{c}", colour).replace("{d}", detail)
    return _svg(
        400,
        400,
        '<rect width="400" height="400" fill="#f4f5f7"/>'
        f'<ellipse cx="200" cy="335" rx="130" ry="14" fill="#e3e5e8"/>{shape}',
    )


def _building(key: str, floors: int, label: str | None = None) -> str:
    wall = _WALLS[_h(key, "wall") % len(_WALLS)]
    sky = ("#bfdbfe", "#fde68a", "#fbcfe8", "#c7d2fe")[_h(key, "sky") % 4]
    accent = _PALETTE[_h(key) % len(_PALETTE)]
    width = 260
    x0 = (480 - width) // 2
    top = 320 - floors * 34
    body = f'<rect width="480" height="360" fill="{sky}"/><rect y="320" width="480" height="40" fill="#94a3b8"/>'
    body += f'<rect x="{x0}" y="{top}" width="{width}" height="{320 - top}" fill="{wall}" stroke="#cbd5e1"/>'
    for floor in range(floors):
        for col in range(6):
            body += (
                f'<rect x="{x0 + 16 + col * 40}" y="{top + 10 + floor * 34}" width="24" height="20" rx="2" '
                'fill="#60a5fa" opacity=".75"/>'
            )
    body += f'<rect x="{x0 + width // 2 - 24}" y="282" width="48" height="38" fill="{accent}"/>'
    if label:
        body += f'<rect x="{x0 + 40}" y="{top - 30}" width="{width - 80}" height="26" rx="4" fill="{accent}"/>'
        body += _text(240, top - 11, label[:22], 15)
    return _svg(480, 360, body)


def _room(key: str, kind: str) -> str:
    wall = _WALLS[_h(key, kind) % len(_WALLS)]
    accent = _PALETTE[_h(key, kind, "a") % len(_PALETTE)]
    body = f'<rect width="480" height="360" fill="{wall}"/><rect y="250" width="480" height="110" fill="#d6c7b0"/>'
    body += '<rect x="300" y="60" width="120" height="110" fill="#93c5fd" stroke="#fff" stroke-width="8"/>'
    if kind == "bed":
        body += (
            '<rect x="70" y="190" width="220" height="80" rx="10" fill="#fff"/>'
            f'<rect x="70" y="150" width="20" height="120" fill="{accent}"/>'
        )
        body += f'<rect x="100" y="175" width="70" height="30" rx="8" fill="{accent}" opacity=".6"/>'
    elif kind == "pool":
        body = '<rect width="480" height="360" fill="#bae6fd"/><rect y="180" width="480" height="180" fill="#e7e5e4"/>'
        body += (
            '<rect x="60" y="210" width="360" height="110" rx="14" fill="#38bdf8"/>'
            '<path d="M80 260q30-12 60 0t60 0 60 0 60 0" stroke="#e0f2fe" stroke-width="5" fill="none"/>'
        )
    else:
        body += (
            f'<rect x="60" y="200" width="190" height="60" rx="16" fill="{accent}"/>'
            f'<rect x="60" y="170" width="190" height="40" rx="14" fill="{accent}" opacity=".7"/>'
        )
        body += '<rect x="290" y="230" width="90" height="40" rx="4" fill="#8b5e3c"/>'
    return _svg(480, 360, body)


def _hotel(world: World, key: str) -> str | None:
    hotel_id, _, index = key.partition("-")
    hotel = world.hotel.get(hotel_id)
    if hotel is None:
        return None
    photo = int(index or 0) % 4
    if photo == 0:
        return _building(hotel.id, 3 + hotel.stars, hotel.name.removeprefix("The ").removesuffix(f" {hotel.city.name}"))
    return _room(hotel.id, ("bed", "pool", "lounge")[photo - 1])


def _restaurant(world: World, key: str) -> str | None:
    restaurant = world.restaurant.get(key)
    if restaurant is None:
        return None
    table = _PALETTE[_h(key) % len(_PALETTE)]
    body = (
        '<rect width="480" height="360" fill="#3f2a1e"/>'
        f'<rect y="230" width="480" height="130" fill="{table}" opacity=".85"/>'
    )
    body += (
        '<ellipse cx="240" cy="250" rx="130" ry="52" fill="#fff"/>'
        '<ellipse cx="240" cy="250" rx="96" ry="36" fill="#f3f4f6"/>'
    )
    for i in range(5):
        hue = _PALETTE[(_h(key, i)) % len(_PALETTE)]
        body += f'<circle cx="{200 + i * 20}" cy="{244 + (i % 2) * 10}" r="{12 + i % 3 * 3}" fill="{hue}"/>'
    body += '<rect x="60" y="40" width="10" height="90" fill="#fcd34d"/><circle cx="65" cy="36" r="9" fill="#fde68a"/>'
    body += (
        '<rect x="410" y="40" width="10" height="90" fill="#fcd34d"/><circle cx="415" cy="36" r="9" fill="#fde68a"/>'
    )
    body += _text(240, 120, restaurant.cuisine.upper(), 30, "#fde68a")
    return _svg(480, 360, body)


def _event(world: World, key: str) -> str | None:
    event = world.event.get(key)
    if event is None:
        return None
    a, b = _PALETTE[_h(key) % 10], _PALETTE[_h(key, "b") % 10]
    body = (
        f'<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="{a}"/>'
        f'<stop offset="1" stop-color="{b}"/></linearGradient></defs><rect width="480" height="300" fill="url(#g)"/>'
    )
    for i in range(6):
        body += (
            f'<circle cx="{_h(key, i) % 480}" cy="{_h(key, i, "y") % 300}" r="{20 + _h(key, i, "r") % 60}" '
            'fill="#fff" opacity=".12"/>'
        )
    body += _text(240, 140, event.performer[:28], 28)
    body += _text(240, 180, event.category.upper(), 16, "#f8fafc", 400)
    return _svg(480, 300, body)


def _home(world: World, key: str) -> str | None:
    home_id, _, index = key.partition("-")
    home = world.home.get(home_id)
    if home is None:
        return None
    photo = int(index or 0)
    if photo:
        return _room(home.id + str(photo), ("lounge", "bed", "lounge", "bed", "pool")[(photo - 1) % 5])
    if home.type in ("Condo", "Apartment"):
        return _building(home.id, 4 + home.beds)
    wall = _WALLS[_h(key, "wall") % len(_WALLS)]
    roof = _ROOFS[_h(key, "roof") % len(_ROOFS)]
    door = _PALETTE[_h(key, "door") % len(_PALETTE)]
    body = '<rect width="480" height="360" fill="#bfdbfe"/><rect y="290" width="480" height="70" fill="#86efac"/>'
    body += (
        f'<rect x="110" y="160" width="260" height="135" fill="{wall}" stroke="#cbd5e1"/>'
        f'<path d="M90 165l150-95 150 95z" fill="{roof}"/>'
    )
    body += f'<rect x="215" y="220" width="50" height="75" fill="{door}"/>'
    body += '<rect x="135" y="190" width="55" height="45" fill="#93c5fd" stroke="#fff" stroke-width="4"/>'
    body += '<rect x="290" y="190" width="55" height="45" fill="#93c5fd" stroke="#fff" stroke-width="4"/>'
    if "Garage" in home.features:
        body += '<rect x="370" y="215" width="80" height="80" fill="#e5e7eb" stroke="#cbd5e1"/>'
    if "Pool" in home.features:
        body += '<rect x="30" y="305" width="120" height="40" rx="10" fill="#38bdf8"/>'
    return _svg(480, 360, body)


def _company(world: World, key: str) -> str | None:
    company = next((c for c in world.companies if c.name.lower().replace(" ", "-") == key), None)
    if company is None:
        return None
    colour = _PALETTE[_h(company.name) % len(_PALETTE)]
    letters = "".join(word[0] for word in company.name.split())[:2].upper()
    return _svg(64, 64, f'<rect width="64" height="64" rx="12" fill="{colour}"/>' + _text(32, 41, letters, 24))


def _airline(key: str) -> str | None:
    if key not in AIRLINES:
        return None
    colour = _PALETTE[_h(key) % len(_PALETTE)]
    body = f'<rect width="48" height="48" rx="10" fill="{colour}"/><path d="M12 36l14-26h8L26 36z" fill="#fff"/>'
    return _svg(48, 48, body)


def _city(key: str) -> str | None:
    city = CITY_BY_SLUG.get(key)
    if city is None:
        return None
    sky = ("#fdba74", "#93c5fd", "#c4b5fd", "#fca5a5", "#6ee7b7")[_h(key) % 5]
    body = f'<rect width="480" height="300" fill="{sky}"/><circle cx="380" cy="80" r="34" fill="#fff7ed" opacity=".8"/>'
    x = 0
    while x < 480:
        width = 30 + _h(key, x) % 40
        height = 60 + _h(key, x, "h") % 150
        body += (
            f'<rect x="{x}" y="{300 - height}" width="{width - 4}" height="{height}" fill="#1e293b" '
            f'opacity="{0.65 + (_h(key, x, "o") % 30) / 100}"/>'
        )
        x += width
    body += _text(24, 48, city.name, 30, "#fff", 700, "start")
    return _svg(480, 300, body)


def draw(world: World, kind: str, key: str) -> str | None:
    """The SVG for `/img/{kind}/{key}.svg`, or None if there is no such picture."""
    match kind:
        case "logo":
            return _logo(key)
        case "product":
            return _product(world, key)
        case "hotel":
            return _hotel(world, key)
        case "restaurant":
            return _restaurant(world, key)
        case "event":
            return _event(world, key)
        case "home":
            return _home(world, key)
        case "company":
            return _company(world, key)
        case "airline":
            return _airline(key)
        case "city":
            return _city(key)
    return None
