"""The step path as it was before issue 12, kept as the baseline the step benchmarks run beside today's.

Each piece does what the old code did, at the same point of the step, so the benchmarks compare the two
paths in one run on the same page: Playwright's own screenshot (Chromium's default PNG, the caret hidden),
the title and fields read after it; the kept copy painted and PNG-encoded by Pillow before the model call;
the model's image decoded again, resized and PNG-encoded by Pillow's default writer, on the event loop.
The action, the settle and everything after the model call are today's, shared by both paths.
"""

from __future__ import annotations

import asyncio
import base64
import io
from typing import Any

from playwright.async_api import Error as PlaywrightError

from agent.capture import SCREENSHOT_TIMEOUT_MS
from agent.environment import Observation, PageReading
from agent.geometry import ScreenGeometry, resize_for_model
from agent.guard import is_secret_field
from agent.history import Turn
from agent.loop import Agent, _Kept, _Seen
from agent.page_scripts import FILLED_FIELDS_FUNCTION as FILLED_FIELDS
from agent.playwright_env import PlaywrightEnv
from agent.png import decode_png
from agent.redact import screenshot_to_keep, with_secrets_masked
from agent.screenshot import Screenshot
from agent.trajectory import utcnow

# The extension's capture before issue 12: its service worker's CDP calls, with Page.captureScreenshot asking
# for the default PNG again. Counts the captures, so a benchmark can tell the patch held for the whole run.
EXTENSION_CAPTURE_PATCH = """
() => {
  const send = chrome.debugger.sendCommand.bind(chrome.debugger);
  globalThis.__farolBaselineCaptures = 0;
  chrome.debugger.sendCommand = (target, method, params) => {
    if (method !== 'Page.captureScreenshot') return send(target, method, params);
    globalThis.__farolBaselineCaptures += 1;
    return send(target, method, {format: 'png'});
  };
}
"""
EXTENSION_CAPTURES = "globalThis.__farolBaselineCaptures"


class BaselineEnv(PlaywrightEnv):
    async def _capture(self) -> tuple[bytes, dict[str, Any] | None]:
        screenshot = await self.page.screenshot(timeout=SCREENSHOT_TIMEOUT_MS)
        try:
            return screenshot, {"title": await self.page.title(), "fields": await self.page.evaluate(FILLED_FIELDS)}
        except PlaywrightError:
            return screenshot, None

    async def _read_after(self, scan: dict[str, Any] | None) -> PageReading:
        return PageReading.from_scan(scan)  # read after the screenshot already, inside the capture


class BaselineTurn(Turn):
    @property
    def image_url(self) -> str:
        if self._image_url is None:
            image = resize_for_model(decode_png(self.screenshot), self.geometry)
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            self._image_url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
        return self._image_url


class BaselineAgent(Agent):
    """The old order: the kept copy inside the capture, the model's image made on the event loop."""

    async def _observe(self) -> tuple[Observation, ScreenGeometry]:
        observation, geometry = await super()._observe()
        page = await observation.page
        self._baseline_kept = _Kept(_kept_as_before(observation, page), page)
        return observation, geometry

    def _glance(self) -> None:
        """The old path made nothing while the page settled."""

    async def _see(self, observation: Observation, geometry: ScreenGeometry, user_text: str | None) -> _Seen:
        turn = BaselineTurn(observation.screenshot, geometry, observation.url, user_text)
        _ = turn.image_url
        kept: asyncio.Future[_Kept] = asyncio.get_running_loop().create_future()
        kept.set_result(self._baseline_kept)
        return _Seen(observation, utcnow(), turn, kept)


def _kept_as_before(observation: Observation, page: PageReading) -> Screenshot:
    fields, scale = page.filled_fields, observation.device_pixel_ratio
    if fields is None:
        return screenshot_to_keep(observation.screenshot, page, scale)  # the placeholder (never on the bench's page)
    if not any(is_secret_field(field.element) for field in fields):
        return Screenshot(observation.screenshot)
    masked = with_secrets_masked(decode_png(observation.screenshot), page, scale)
    buffer = io.BytesIO()
    masked.save(buffer, format="PNG")
    return Screenshot(buffer.getvalue())
