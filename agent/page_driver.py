"""The agent's page in a Playwright browser: the CDP session actions run through, navigation, the facts the settle rule
reads, the elements the guard asks about, and the tabs the page opens."""

from __future__ import annotations

import contextlib
import re
import time
from typing import Any

from playwright.async_api import CDPSession, Page
from playwright.async_api import Error as PlaywrightError

from agent.cdp_actions import Command, Pointer
from agent.environment import ElementInfo
from agent.guard import UrlPolicy
from agent.page_scripts import PAGE_FACTS_EXPRESSION
from agent.settle import PageFacts


class PageDriver:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.pointer = Pointer()
        self._session: CDPSession | None = None  # for captures and actions, opened on the first
        self._inflight: set[Any] = set()
        self._last_network_activity = time.monotonic()
        self._new_tabs: list[Page] = []
        page.context.on("page", lambda tab: self._new_tabs.append(tab))
        page.on("request", self._request_started)
        page.on("requestfinished", self._request_ended)
        page.on("requestfailed", self._request_ended)

    async def cdp(self) -> CDPSession:
        if self._session is None:
            self._session = await self.page.context.new_cdp_session(self.page)
        return self._session

    async def run_commands(self, commands: list[Command]) -> list[dict[str, Any]]:
        """An action's CDP commands, in order, through this page's own CDP session (as the extension relays them)."""
        session = await self.cdp()
        return [await session.send(method, params) for method, params in commands]

    async def evaluate(self, expression: str) -> Any:
        """An expression's value in the top frame, as the extension reads it (CDP `Runtime.evaluate`, awaited,
        by value); None when the page cannot run it (navigating, or the script threw)."""
        try:
            reply = await (await self.cdp()).send(
                "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}
            )
        except PlaywrightError:
            return None
        return None if "exceptionDetails" in reply else reply["result"].get("value")

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

    async def address(self) -> str:
        """The URL in the address bar: for an error page, the one that failed to load (as the person's Chrome shows
        it), not Chromium's internal error page."""
        url = self.page.url
        if not url.startswith("chrome-error://"):
            return url
        history = await (await self.cdp()).send("Page.getNavigationHistory")
        return str(history["entries"][history["currentIndex"]]["url"])

    async def describe(self, expression: str) -> ElementInfo | None:
        """The element a page expression picks (`page_scripts`), or None when there is none or the page is away."""
        info = await self.evaluate(expression)
        return ElementInfo(**info) if info else None

    async def facts(self) -> PageFacts:
        try:
            page = await self.page.evaluate(PAGE_FACTS_EXPRESSION)
        except PlaywrightError:  # navigating: the context is being replaced
            page = {"loaded": False, "dom_quiet_ms": 0}
        return PageFacts(
            loaded=page["loaded"],
            dom_quiet_seconds=page["dom_quiet_ms"] / 1000,
            requests_in_flight=len(self._inflight),
            network_quiet_seconds=time.monotonic() - self._last_network_activity,
        )

    def _request_started(self, request: Any) -> None:
        self._inflight.add(request)
        self._last_network_activity = time.monotonic()

    def _request_ended(self, request: Any) -> None:
        self._inflight.discard(request)
        self._last_network_activity = time.monotonic()

    async def fold_new_tabs(self, url_policy: UrlPolicy) -> list[str]:
        """Close tabs the page opened and load their URL in the agent's page (single-tab mode)."""
        opened: list[str] = []
        while self._new_tabs:
            tab = self._new_tabs.pop(0)
            with contextlib.suppress(PlaywrightError):
                await tab.wait_for_load_state("domcontentloaded", timeout=5_000)
            url = tab.url
            await tab.close()
            if not url or url == "about:blank" or url == self.page.url:
                continue
            if url_policy.refusal(url):
                continue  # the loop reports the refusal if the model tries to go there itself
            await self.goto(url)
            opened.append(url)
        return opened
