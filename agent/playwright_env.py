"""Headless Chromium (Debian's build, through Playwright) as an agent environment.

Composed of three parts: `agent/chromium.py` starts the browser and recovers it, `agent/capture.py` takes the
screenshot, `agent/page_driver.py` acts on the page. Actions are the CDP commands `agent/cdp_actions.py` defines (the
same ones the extension relays), run through this page's own CDP session; the page settles by the one rule in
`agent/settle.py`. New tabs are folded into the agent's page, each through the URL policy first. Deliberate
divergence: `type` without a coordinate types into the focused element (the reference silently typed nothing).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from agent.actions import Action
from agent.capture import capture, read_after
from agent.cdp_actions import Performed, perform
from agent.chromium import BrowserOptions, Chromium
from agent.environment import (
    GLANCE_TIMEOUT_SECONDS,
    ActionOutcome,
    BrowserError,
    ElementInfo,
    Environment,
    Observation,
    PageClosed,
    PageReading,
    Readings,
)
from agent.geometry import TRAINING_WINDOW
from agent.guard import UrlPolicy
from agent.page_driver import PageDriver
from agent.page_scripts import FOCUSED_ELEMENT_EXPRESSION, element_at_expression
from agent.settle import SettleRule, settle

log = logging.getLogger(__name__)


class PlaywrightEnv(Environment):
    """One agent page in a Playwright browser context. Use `launch` for a browser of its own, which is also one
    that can be recovered when it stops painting."""

    def __init__(
        self,
        page: Page,
        *,
        settle: SettleRule | None = None,
        url_policy: UrlPolicy | None = None,
        device_scale_factor: float = 1.0,
        chromium: Chromium | None = None,
    ) -> None:
        self.settle = settle or SettleRule()
        self.url_policy = url_policy or UrlPolicy()
        self.device_scale_factor = device_scale_factor
        self.chromium = chromium  # the browser we started and must close
        self.driver = PageDriver(page)
        self._readings = Readings()

    @property
    def page(self) -> Page:
        return self.driver.page

    @classmethod
    async def launch(
        cls,
        start_url: str | None = None,
        *,
        viewport: tuple[int, int] = TRAINING_WINDOW,
        device_scale_factor: float = 1.0,
        headless: bool = True,
        settle: SettleRule | None = None,
        url_policy: UrlPolicy | None = None,
    ) -> PlaywrightEnv:
        chromium = await Chromium.start(BrowserOptions(viewport, device_scale_factor, headless))
        env = cls(
            chromium.page,
            settle=settle,
            url_policy=url_policy,
            device_scale_factor=device_scale_factor,
            chromium=chromium,
        )
        if start_url and (failure := await env.goto(start_url)):
            await env.close()
            raise BrowserError(f"cannot load {start_url}: {failure}")
        return env

    # -- observation -------------------------------------------------------------------------

    async def observe(self) -> Observation:
        await self._readings.wait()
        screenshot, before = await self._screenshot()
        viewport = self.page.viewport_size or {"width": 0, "height": 0}
        return Observation(
            screenshot,
            viewport["width"],
            viewport["height"],
            self.device_scale_factor,
            await self.driver.address(),
            self._readings.start(self._read_after(before)),
        )

    async def _read_after(self, before: dict[str, Any] | None) -> PageReading:
        return PageReading.from_scan(await read_after(self.driver, before))

    async def _screenshot(self) -> tuple[bytes, dict[str, Any] | None]:
        """The capture, and the page's reading just before it (`capture`; `read_after` reads it again after).

        Seen under load: Chromium's compositor stops delivering frames while scripts still run, and
        every later screenshot in that browser times out. Chromium replaces a GPU process that dies, which
        keeps the page as it is; failing that, a new browser opens the same URL."""
        try:
            return await self._capture()
        except (PlaywrightError, TimeoutError) as error:
            failure: Exception = error
        recoveries = (
            [("restarting its GPU process", self.chromium.restart_gpu_process), ("opening a new one", self._restart)]
            if self.chromium
            else []
        )
        for remedy, recover in recoveries:
            if self.page.is_closed():
                break
            log.warning("Chromium stopped painting %s; %s", self.page.url, remedy)
            await recover()
            try:
                return await self._capture()
            except (PlaywrightError, TimeoutError) as error:
                failure = error
        raise BrowserError(f"cannot take a screenshot: {str(failure) or 'timed out'}")

    async def _capture(self) -> tuple[bytes, dict[str, Any] | None]:
        """One try, which the recovery above repeats."""
        return await capture(self.driver, self.device_scale_factor)

    async def _restart(self) -> None:
        """A new browser (`Chromium.restarted`) back on the current URL."""
        assert self.chromium is not None
        url = self.page.url
        self.chromium = await self.chromium.restarted()
        self.driver = PageDriver(self.chromium.page)
        if failure := await self.goto(url):
            raise BrowserError(f"cannot load {url} after restarting Chromium: {failure}")
        await self.settle_page()

    async def element_at(self, x: float, y: float) -> ElementInfo | None:
        return await self.driver.describe(element_at_expression(x, y))

    async def focused_element(self) -> ElementInfo | None:
        return await self.driver.describe(FOCUSED_ELEMENT_EXPRESSION)

    # -- actions -----------------------------------------------------------------------------

    async def glance(self) -> bytes | None:
        await self._readings.wait()
        try:
            async with asyncio.timeout(GLANCE_TIMEOUT_SECONDS):
                screenshot, _ = await self._capture()
        except (PlaywrightError, TimeoutError):
            return None
        return screenshot

    async def execute(self, action: Action, on_quiet: Callable[[], None] | None = None) -> ActionOutcome:
        try:
            performed = await perform(action, self.driver.run_commands, self.driver.pointer)
        except PlaywrightError as error:
            if self.page.is_closed():
                raise PageClosed(f"the agent's page closed: {error}") from error
            performed = Performed(f"the action failed: {error.message.splitlines()[0]}")
        outcome = ActionOutcome(observation=performed.observation)
        if not performed.settles:
            return outcome
        outcome.settle_seconds = await self.settle_page(on_quiet)
        outcome.navigated_to = await self.driver.fold_new_tabs(self.url_policy)
        if outcome.navigated_to:
            outcome.settle_seconds += await self.settle_page(on_quiet)
        return outcome

    async def goto(self, url: str) -> str | None:
        """Navigate; returns why the page failed to load, or None (`PageDriver.goto`)."""
        return await self.driver.goto(url)

    async def settle_page(self, on_quiet: Callable[[], None] | None = None) -> float:
        """Wait by the one settle rule (`agent/settle.py`); returns the seconds it took."""
        return await settle(self.driver.facts, self.settle, on_quiet)

    async def close(self) -> None:
        if self.chromium is not None:
            await self.chromium.close()
