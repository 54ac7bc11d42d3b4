"""A screenshot of a Playwright page through CDP, and the page's title and filled fields read around it."""

from __future__ import annotations

import asyncio
import base64
import math
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Frame, Page

from agent.page_driver import PageDriver
from agent.page_scripts import (
    AFTER_CAPTURE_EXPRESSION,
    BEFORE_CAPTURE_EXPRESSION,
    HIDE_CARETS_FUNCTION,
    SHOW_CARETS_FUNCTION,
    capture_scan,
)

SCREENSHOT_TIMEOUT_MS = 15_000
# Chromium's fast PNG: lossless like the default, and several times quicker to make (and to decode).
CAPTURE = {"format": "png", "optimizeForSpeed": True}


async def capture(driver: PageDriver, device_scale_factor: float) -> tuple[bytes, dict[str, Any] | None]:
    """One try, within the screenshot timeout: carets hidden and the page scanned, then CDP's capture (Playwright's
    own screenshot cannot ask for the fast PNG). Returns the PNG and the scan, for `read_after`."""
    async with asyncio.timeout(SCREENSHOT_TIMEOUT_MS / 1000):
        page, session = driver.page, await driver.cdp()
        before, *_, metrics = await asyncio.gather(
            driver.evaluate(BEFORE_CAPTURE_EXPRESSION),
            *(_run_in(frame, HIDE_CARETS_FUNCTION) for frame in _subframes(page)),
            session.send("Page.getLayoutMetrics"),
        )
        clip = _clip(page, metrics, device_scale_factor)
        shot = await session.send("Page.captureScreenshot", {**CAPTURE, "clip": clip})
    return base64.b64decode(shot["data"]), before


async def read_after(driver: PageDriver, before: dict[str, Any] | None) -> dict[str, Any] | None:
    """After a capture: carets back and the page scanned again (`capture_scan`). The scan stands only if it agrees
    with the one before and the top document is still the one whose carets were hidden: a page that changed its
    fields or navigated during the capture has none of it kept (the boxes might not match its pixels); so has one
    that cannot be read within the screenshot timeout. A glance, which keeps nothing, skips this: its carets stay
    hidden for the capture after the settle (`page_scripts`)."""
    try:
        async with asyncio.timeout(SCREENSHOT_TIMEOUT_MS / 1000):
            after, *_ = await asyncio.gather(
                driver.evaluate(AFTER_CAPTURE_EXPRESSION),
                *(_run_in(frame, SHOW_CARETS_FUNCTION) for frame in _subframes(driver.page)),
            )
    except TimeoutError:
        return None
    return capture_scan(before, after)


def _subframes(page: Page) -> list[Frame]:
    return [frame for frame in page.frames if frame is not page.main_frame]


def _clip(page: Page, metrics: dict[str, Any], device_scale_factor: float) -> dict[str, float]:
    """The viewport in device pixels, as Playwright's screenshot asks for it: this CDP session does not share
    Playwright's emulated device scale factor, so the clip carries it."""
    visual = metrics["visualViewport"]
    viewport = page.viewport_size or {"width": visual["clientWidth"], "height": visual["clientHeight"]}
    return {
        "x": visual["pageX"],
        "y": visual["pageY"],
        "width": math.floor(viewport["width"] / visual["scale"] + 1e-3),
        "height": math.floor(viewport["height"] / visual["scale"] + 1e-3),
        "scale": visual["scale"] * device_scale_factor,
    }


async def _run_in(frame: Frame, function: str) -> Any:
    """A page function's result in one frame, or None when the frame cannot run it (navigating, detached)."""
    try:
        return await frame.evaluate(function)
    except PlaywrightError:
        return None
