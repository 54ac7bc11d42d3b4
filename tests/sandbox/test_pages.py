"""The sites in real Chromium at 1440x900: the same seed renders the same DOM, and a screenshot of each
site's main page (written to docs/sandbox/ with FAROL_UPDATE_SCREENSHOTS=1, for the README)."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

from PIL import Image

from agent.playwright_env import PlaywrightEnv
from sandbox.server import SandboxServer
from tests.conftest import run_async
from tests.sandbox.test_app import PAGES

# A sample of pages for the determinism check: listings, detail pages, and the start page (no seeded data).
SAMPLE = [PAGES[0], PAGES[2], PAGES[3], PAGES[7], PAGES[10], PAGES[12], PAGES[16], PAGES[18], PAGES[22]]

DOCS = Path(__file__).parents[2] / "docs" / "sandbox"
# (file name, path): each site's main page, and the pages that show its harder widgets.
SHOTS = [
    ("start", "/"),
    ("shop", "/shop/"),
    ("shop-results", "/shop/search?q=rain+jacket&rating=4&sort=price_asc"),
    ("shop-product", "/shop/p/P1222"),
    ("valuemart", "/mart/"),
    ("flights", "/flights/"),
    ("flights-results", "/flights/search?trip=round&from=SEA&to=BOS&depart=2026-06-12&return=2026-06-19&adults=2"),
    ("hotels", "/hotels/"),
    ("hotels-results", "/hotels/search?city=boston&checkin=2026-06-12&checkout=2026-06-15&adults=2&rooms=1"),
    ("restaurants", "/dine/"),
    ("restaurant", "/dine/r/R4001?date=2026-06-12&time=19:00&party=2"),
    ("tickets", "/tickets/"),
    ("tickets-event", "/tickets/e/E5001"),
    ("jobs", "/jobs/"),
    ("jobs-results", "/jobs/search?q=engineer"),
    ("homes", "/homes/"),
    ("homes-listing", "/homes/l/L7001"),
]


async def dom_hashes(urls: list[str]) -> list[str]:
    """The rendered DOM of each page (after scripts ran), hashed; each URL in a fresh visitor's browser."""
    env = await PlaywrightEnv.launch()
    try:
        hashes = []
        for url in urls:
            await env.page.context.clear_cookies()
            await env.page.goto(url, wait_until="load")
            hashes.append(hashlib.sha256((await env.page.content()).encode()).hexdigest())
        return hashes
    finally:
        await env.close()


def test_the_same_seed_renders_identical_pages_and_another_seed_different_ones(server):
    with SandboxServer(seed=0) as twin, SandboxServer(seed=1) as other:
        hashes = run_async(dom_hashes([s.url + path for s in (server, twin, other) for path in SAMPLE]))
    first, again, different = (hashes[n * len(SAMPLE) : (n + 1) * len(SAMPLE)] for n in range(3))
    assert first == again
    changed = [path for path, a, b in zip(SAMPLE, first, different, strict=True) if a != b]
    assert changed == SAMPLE[1:]  # every sampled page but the start page shows seeded data


async def shoot(url: str, folder: Path) -> list[Path]:
    env = await PlaywrightEnv.launch()
    files = []
    try:
        for name, path in SHOTS:
            await env.page.goto(url + path, wait_until="load")
            if await env.page.locator("#cookie-accept").count():  # a person would dismiss the banner first
                async with env.page.expect_navigation(wait_until="load"):
                    await env.page.click("#cookie-accept")
            files.append(folder / f"{name}.png")
            files[-1].write_bytes(await env.page.screenshot())
        return files
    finally:
        await env.close()


def test_screenshots_of_every_site_at_1440x900(server, tmp_path):
    folder = DOCS if os.environ.get("FAROL_UPDATE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    for file in run_async(shoot(server.url, folder)):
        image = Image.open(io.BytesIO(file.read_bytes())).convert("RGB")
        assert image.size == (1440, 900), file.name
        colours = image.resize((144, 90)).getcolors(144 * 90)
        assert colours is not None and len(colours) > 40, f"{file.name} looks blank"
