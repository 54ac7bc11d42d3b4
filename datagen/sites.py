"""Where tasks come from: seed URLs with categories (`--sites FILE`), or the sandbox's eight sites."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from datagen.records import SANDBOX
from sandbox.web import SITES

# The sandbox's sites by the category of task they serve (a store serves shopping).
SANDBOX_CATEGORIES = {
    "shop": "shopping", "mart": "shopping", "flights": "flights", "hotels": "hotels", "dine": "restaurants",
    "tickets": "tickets", "jobs": "jobs", "homes": "real_estate",
}  # fmt: skip


class SeedUrl(BaseModel):
    url: str = Field(pattern=r"^(https?://|/)")  # a path on the sandbox's origin, or a full URL
    category: str
    site: str = "web"


class SitesError(ValueError):
    """A seed file that cannot be read; the message names the file and line."""


def sandbox_seeds() -> list[SeedUrl]:
    return [
        SeedUrl(url=SITES[slug].root, category=category, site=SANDBOX) for slug, category in SANDBOX_CATEGORIES.items()
    ]


def read_seed_file(path: Path) -> list[SeedUrl]:
    """One seed per line, `URL CATEGORY` (a comma or spaces between); blank lines and `#` comments are skipped."""
    try:
        lines = path.read_text().splitlines()
    except OSError as error:
        raise SitesError(f"cannot read the seed file {path}: {error.strerror}") from None
    seeds = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].replace(",", " ").split()
        if not text:
            continue
        if len(text) != 2 or not text[0].startswith(("http://", "https://")):
            raise SitesError(f"{path}:{number}: expected `URL CATEGORY`, got {line.strip()!r}")
        seeds.append(SeedUrl(url=text[0], category=text[1]))
    if not seeds:
        raise SitesError(f"{path} lists no seed URLs")
    return seeds


def seeds_for(sites: str) -> list[SeedUrl]:
    """`sandbox`, or the path of a seed file."""
    return sandbox_seeds() if sites == SANDBOX else read_seed_file(Path(sites))
