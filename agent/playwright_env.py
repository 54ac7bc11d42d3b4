"""Headless Chromium (Debian's build, through Playwright) as an agent environment.

Action semantics follow the reference harness: scroll is a 400 px wheel step by the sign of
`pixels` at the mouse position; `type` clicks its coordinate first, can clear the field, and
presses Enter unless told not to; new tabs are folded into the agent's page.
Deliberate divergence: `type` without a coordinate types into the focused element (the reference
silently typed nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from typing import Any

from playwright.async_api import Browser, Page, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError

from agent.actions import (
    Action,
    HistoryBack,
    Key,
    LeftClick,
    MouseMove,
    PauseAndMemorizeFact,
    Scroll,
    Terminate,
    Type,
    VisitUrl,
    Wait,
    WebSearch,
)
from agent.environment import ActionOutcome, BrowserError, ElementInfo, Environment, FilledField, Observation
from agent.guard import UrlPolicy
from agent.navigation import navigation_target
from agent.page_scripts import (
    DOM_QUIET_EXPRESSION,
    DOM_WATCH_SCRIPT,
    ELEMENT_AT_FUNCTION,
    FILLED_FIELDS_FUNCTION,
    dom_key,
)
from agent.settle import SettleRule

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
SCROLL_STEP = 400
MAX_WAIT_SECONDS = 60.0
NAVIGATION_TIMEOUT_MS = 30_000


class PlaywrightEnv(Environment):
    """One agent page in a Playwright browser context. Use `launch` for a browser of its own."""

    def __init__(
        self,
        page: Page,
        *,
        settle: SettleRule | None = None,
        url_policy: UrlPolicy | None = None,
        device_scale_factor: float = 1.0,
        owned: tuple[Any, ...] = (),
    ) -> None:
        self.page = page
        self.settle = settle or SettleRule()
        self.url_policy = url_policy or UrlPolicy()
        self.device_scale_factor = device_scale_factor
        self._owned = owned  # (context, browser, playwright) we started and must close
        self._inflight: set[Any] = set()
        self._last_network_activity = time.monotonic()
        self._new_pages: list[Page] = []
        page.context.on("page", lambda tab: self._new_pages.append(tab))
        self._watch_network(page)

    @classmethod
    async def launch(
        cls,
        start_url: str | None = None,
        *,
        viewport: tuple[int, int] = (1440, 900),
        device_scale_factor: float = 1.0,
        headless: bool = True,
        settle: SettleRule | None = None,
        url_policy: UrlPolicy | None = None,
    ) -> PlaywrightEnv:
        playwright: Playwright = await async_playwright().start()
        try:
            browser: Browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, headless=headless, args=CHROMIUM_ARGS
            )
        except PlaywrightError as error:
            await playwright.stop()
            raise BrowserError(f"cannot start Chromium at {CHROMIUM} (apt-get install chromium): {error}") from error
        context = await browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, device_scale_factor=device_scale_factor
        )
        context.set_default_timeout(NAVIGATION_TIMEOUT_MS)
        await context.add_init_script(DOM_WATCH_SCRIPT)
        page = await context.new_page()
        env = cls(
            page,
            settle=settle,
            url_policy=url_policy,
            device_scale_factor=device_scale_factor,
            owned=(context, browser, playwright),
        )
        if start_url and (failure := await env.goto(start_url)):
            await env.close()
            raise BrowserError(f"cannot load {start_url}: {failure}")
        return env

    # -- observation -------------------------------------------------------------------------

    async def observe(self) -> Observation:
        try:
            screenshot = await self.page.screenshot(timeout=15_000)
        except PlaywrightError:
            try:  # the reference's recovery: stop loading, then try once more
                await self.page.evaluate("window.stop()")
                screenshot = await self.page.screenshot(timeout=15_000)
            except PlaywrightError as error:
                raise BrowserError(f"cannot take a screenshot: {error}") from error
        viewport = self.page.viewport_size or {"width": 0, "height": 0}
        try:
            title = await self.page.title()
            fields = await self.page.evaluate(FILLED_FIELDS_FUNCTION)
        except PlaywrightError:  # the page is navigating away
            title, fields = "", []
        return Observation(
            screenshot,
            viewport["width"],
            viewport["height"],
            self.device_scale_factor,
            self.page.url,
            title,
            tuple(FilledField.from_page(field) for field in fields),
        )

    async def element_at(self, x: float, y: float) -> ElementInfo | None:
        try:
            info = await self.page.evaluate(ELEMENT_AT_FUNCTION, [x, y])
        except PlaywrightError:
            return None
        return ElementInfo(**info) if info else None

    # -- actions -----------------------------------------------------------------------------

    async def execute(self, action: Action) -> ActionOutcome:
        try:
            observation = await self._perform(action)
        except PlaywrightError as error:
            if self.page.is_closed():
                raise BrowserError(f"the agent's page closed: {error}") from error
            observation = f"the action failed: {error.message.splitlines()[0]}"
        outcome = ActionOutcome(observation=observation)
        if isinstance(action, (PauseAndMemorizeFact, Terminate, Wait)):
            return outcome
        settle_start = time.perf_counter()
        await self.settle_page()
        outcome.navigated_to = await self._fold_new_tabs()
        if outcome.navigated_to:
            await self.settle_page()
        outcome.settle_seconds = time.perf_counter() - settle_start
        return outcome

    async def _perform(self, action: Action) -> str:
        page, mouse, keyboard = self.page, self.page.mouse, self.page.keyboard
        match action:
            case LeftClick(coordinate=(x, y)):
                await mouse.click(x, y, delay=10)
                return f"I clicked at coordinates ({x}, {y})."
            case MouseMove(coordinate=(x, y)):
                await mouse.move(x, y)
                return ""
            case Type():
                if action.coordinate is not None:
                    await mouse.click(*action.coordinate)
                if action.delete_existing_text:
                    await keyboard.press("ControlOrMeta+A")
                    await keyboard.press("Backspace")
                await keyboard.type(action.text)
                if action.press_enter:
                    await keyboard.press("Enter")
                return f"I typed '{action.text}'."
            case Key(keys=keys):
                names = [dom_key(key) for key in keys]
                for name in names:
                    await keyboard.down(name)
                for name in reversed(names):
                    await keyboard.up(name)
                return f"I pressed the following keys: {keys}"
            case Scroll(pixels=pixels):
                if int(pixels) == 0:
                    return "I did not scroll (0 pixels)."
                await mouse.wheel(0, -SCROLL_STEP if pixels > 0 else SCROLL_STEP)
                return f"I scrolled {'up' if pixels > 0 else 'down'} one page in the browser."
            case VisitUrl() | WebSearch():
                target = navigation_target(action)
                assert target is not None
                await self.goto(target)
                what = action.url if isinstance(action, VisitUrl) else action.query
                bar = "address" if isinstance(action, VisitUrl) else "search"
                return f"I typed '{what}' into the browser {bar} bar."
            case HistoryBack():
                response = await page.go_back(wait_until="commit")
                return (
                    "I clicked the browser back button." if response or page.url else "There is no page to go back to."
                )
            case Wait(time=seconds):
                await asyncio.sleep(min(seconds, MAX_WAIT_SECONDS))
                return "I am waiting a short period of time before taking further action."
            case PauseAndMemorizeFact(fact=fact):
                return f"I memorized the following fact: {fact}"
            case Terminate():
                return ""
        raise ValueError(f"unknown action {action!r}")

    async def goto(self, url: str) -> str | None:
        """Navigate; returns why the page failed to load, or None. Error pages (DNS failure, refused
        connection) stay on screen for the model, as in a real browser."""
        try:
            await self.page.goto(url, wait_until="commit")
        except PlaywrightError as error:
            if "net::" not in error.message and "Timeout" not in error.message:
                raise
            reason = re.search(r"net::\w+", error.message)
            return reason.group(0) if reason else "timed out"
        return None

    # -- settling ----------------------------------------------------------------------------

    async def settle_page(self) -> None:
        rule = self.settle
        deadline = time.monotonic() + (60.0 if rule.mode == "fixed" else rule.cap_seconds)
        await self._wait_for_load(deadline)
        if rule.mode == "fixed":
            await asyncio.sleep(rule.fixed_seconds)
            return
        while time.monotonic() < deadline:
            network_quiet = not self._inflight and time.monotonic() - self._last_network_activity >= rule.quiet_seconds
            if network_quiet and await self._dom_quiet_for() >= rule.quiet_seconds:
                return
            await asyncio.sleep(rule.poll_seconds)

    async def _wait_for_load(self, deadline: float) -> None:
        timeout_ms = max(1.0, (deadline - time.monotonic()) * 1000)
        try:
            await self.page.wait_for_load_state("load", timeout=timeout_ms)
        except PlaywrightError:
            with contextlib.suppress(PlaywrightError):
                await self.page.evaluate("window.stop()")

    async def _dom_quiet_for(self) -> float:
        try:
            return float(await self.page.evaluate(DOM_QUIET_EXPRESSION)) / 1000
        except PlaywrightError:  # navigating: the context is being replaced
            return 0.0

    def _watch_network(self, page: Page) -> None:
        def started(request: Any) -> None:
            self._inflight.add(request)
            self._last_network_activity = time.monotonic()

        def ended(request: Any) -> None:
            self._inflight.discard(request)
            self._last_network_activity = time.monotonic()

        page.on("request", started)
        page.on("requestfinished", ended)
        page.on("requestfailed", ended)

    async def _fold_new_tabs(self) -> list[str]:
        """Close tabs the page opened and load their URL in the agent's page (single-tab mode)."""
        opened: list[str] = []
        while self._new_pages:
            tab = self._new_pages.pop(0)
            with contextlib.suppress(PlaywrightError):
                await tab.wait_for_load_state("domcontentloaded", timeout=5_000)
            url = tab.url
            await tab.close()
            if not url or url == "about:blank" or url == self.page.url:
                continue
            if self.url_policy.refusal(url):
                continue  # the loop reports the refusal if the model tries to go there itself
            await self.goto(url)
            opened.append(url)
        return opened

    async def close(self) -> None:
        for resource in self._owned:
            with contextlib.suppress(PlaywrightError):
                await (resource.stop() if isinstance(resource, Playwright) else resource.close())
