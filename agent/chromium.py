"""Debian's Chromium, started through Playwright with one agent page: started, recovered when it stops painting, and
closed. The other browsers Farol starts (`farol browser`, the tests) use the same binary and flags."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from dataclasses import dataclass
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError

from agent.environment import BrowserError
from agent.page_scripts import DOM_WATCH_SCRIPT

CHROMIUM = os.environ.get("FAROL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
NAVIGATION_TIMEOUT_MS = 30_000
STATE_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class BrowserOptions:
    viewport: tuple[int, int]
    device_scale_factor: float
    headless: bool


@dataclass
class Chromium:
    """A browser of our own and its one agent page; `close` ends it."""

    options: BrowserOptions
    playwright: Playwright
    browser: Browser
    context: BrowserContext
    page: Page

    @classmethod
    async def start(cls, options: BrowserOptions, storage_state: Any = None) -> Chromium:
        playwright = await async_playwright().start()
        try:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, headless=options.headless, args=CHROMIUM_ARGS
            )
        except PlaywrightError as error:
            await playwright.stop()
            raise BrowserError(f"cannot start Chromium at {CHROMIUM} (apt-get install chromium): {error}") from error
        context = await browser.new_context(
            viewport={"width": options.viewport[0], "height": options.viewport[1]},
            device_scale_factor=options.device_scale_factor,
            storage_state=storage_state,
        )
        context.set_default_timeout(NAVIGATION_TIMEOUT_MS)
        await context.add_init_script(DOM_WATCH_SCRIPT)  # what the settle rule reads of the DOM
        return cls(options, playwright, browser, context, await context.new_page())

    async def restart_gpu_process(self) -> None:
        """Chromium replaces a GPU process that dies, and keeps its pages as they are."""
        await self._kill_processes("GPU")

    async def restarted(self) -> Chromium:
        """A new browser with this one's cookies and local storage (a signed-in visitor stays signed in), its page
        blank; this one is killed. What only lived in the old page (typed text, history) is lost."""
        state: Any  # storage_state()'s StorageState, or the same shape from the cookies alone
        try:
            state = await asyncio.wait_for(self.context.storage_state(), STATE_TIMEOUT_SECONDS)
        except (PlaywrightError, TimeoutError):  # local storage is read through the page, which may hang
            state = {"cookies": await self.context.cookies(), "origins": []}
        await self._kill_processes("browser")
        await self.close()
        return await Chromium.start(self.options, storage_state=state)

    async def _kill_processes(self, kind: str) -> None:
        """Kill this browser's processes of one kind ("GPU", "browser"), as the browser lists them."""
        session = await self.browser.new_browser_cdp_session()
        processes = (await session.send("SystemInfo.getProcessInfo"))["processInfo"]
        await session.detach()
        for process in processes:
            if process["type"] == kind:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process["id"], signal.SIGKILL)

    async def close(self) -> None:
        for resource in (self.context, self.browser):
            with contextlib.suppress(PlaywrightError):
                await resource.close()
        with contextlib.suppress(PlaywrightError):
            await self.playwright.stop()
