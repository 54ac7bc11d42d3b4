"""Headless Chromium (Debian's build, through Playwright) as an agent environment.

Actions are the CDP commands `agent/cdp_actions.py` defines (the same ones the extension relays), run through this
page's own CDP session; the page settles by the one rule in `agent/settle.py`. New tabs are folded into the agent's
page, each through the URL policy first. Deliberate divergence: `type` without a coordinate types into the focused
element (the reference silently typed nothing).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import math
import os
import re
import signal
import time
from dataclasses import dataclass
from typing import Any

from playwright.async_api import Browser, BrowserContext, CDPSession, Frame, Page, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError

from agent.actions import Action
from agent.cdp_actions import Command, Performed, Pointer, perform
from agent.environment import (
    ActionOutcome,
    BrowserError,
    ElementInfo,
    Environment,
    FilledField,
    Observation,
    PageClosed,
)
from agent.guard import UrlPolicy
from agent.page_scripts import (
    CAPTURE_STATE_FUNCTION,
    DOM_WATCH_SCRIPT,
    ELEMENT_AT_FUNCTION,
    FOCUSED_ELEMENT_FUNCTION,
    PAGE_FACTS_EXPRESSION,
    same_capture_state,
)
from agent.settle import PageFacts, SettleRule, settle

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
SCREENSHOT_TIMEOUT_MS = 15_000
STATE_TIMEOUT_SECONDS = 10.0
# Chromium's fast PNG: lossless like the default, and several times quicker to make (and to decode).
CAPTURE = {"format": "png", "optimizeForSpeed": True}

# Before a capture, in every frame: the text caret made transparent, in the document and in each open shadow root
# (a blinking caret would be in some captures and not others; Playwright's own screenshot hides it too). An
# adopted style sheet, not a style attribute: no DOM change, so the settle rule never waits for our own capture.
HIDE_CARETS_FUNCTION = """
async () => {
  if (!window.__farolCaretSheet) {
    window.__farolCaretSheet = new CSSStyleSheet();
    window.__farolCaretSheet.replaceSync('* { caret-color: transparent !important; }');
  }
  const sheet = window.__farolCaretSheet;
  const roots = [document];
  for (let i = 0; i < roots.length; i++) {
    const walker = document.createTreeWalker(roots[i], NodeFilter.SHOW_ELEMENT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.shadowRoot) roots.push(node.shadowRoot);
    }
  }
  window.__farolCaretRoots = [...new Set([...(window.__farolCaretRoots ?? []), ...roots])];
  for (const root of roots) {
    if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  }
  await document.fonts.ready;
}
"""
# After the capture, in every frame: the carets back. True where the document is the one whose carets were hidden.
SHOW_CARETS_FUNCTION = """
() => {
  const roots = window.__farolCaretRoots;
  delete window.__farolCaretRoots;
  for (const root of roots ?? []) {
    root.adoptedStyleSheets = root.adoptedStyleSheets.filter((sheet) => sheet !== window.__farolCaretSheet);
  }
  return roots !== undefined;
}
"""
# In the top frame, the page's state read with the carets' hiding and showing (no extra round trip): just before
# and just after the capture.
HIDE_CARETS_AND_SCAN_FUNCTION = f"""
async () => {{
  await ({HIDE_CARETS_FUNCTION.strip()})();
  return ({CAPTURE_STATE_FUNCTION.strip()})();
}}
"""
SHOW_CARETS_AND_SCAN_FUNCTION = f"""
() => ({{same_document: ({SHOW_CARETS_FUNCTION.strip()})(), state: ({CAPTURE_STATE_FUNCTION.strip()})()}})
"""

log = logging.getLogger(__name__)


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
        self.settle = settle or SettleRule()
        self.url_policy = url_policy or UrlPolicy()
        self.device_scale_factor = device_scale_factor
        self._owned = owned  # (context, browser, playwright) we started and must close
        self._launch_options: BrowserOptions | None = None  # set by `launch`: how to start the browser again
        self._adopt(page)

    def _adopt(self, page: Page) -> None:
        self.page = page
        self._session: CDPSession | None = None  # for captures and actions, opened on the first
        self._pointer = Pointer()
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
        launch_options = BrowserOptions(viewport, device_scale_factor, headless)
        page, owned = await _start_browser(launch_options)
        env = cls(page, settle=settle, url_policy=url_policy, device_scale_factor=device_scale_factor, owned=owned)
        env._launch_options = launch_options
        if start_url and (failure := await env.goto(start_url)):
            await env.close()
            raise BrowserError(f"cannot load {start_url}: {failure}")
        return env

    # -- observation -------------------------------------------------------------------------

    async def observe(self) -> Observation:
        screenshot, scan = await self._screenshot()
        viewport = self.page.viewport_size or {"width": 0, "height": 0}
        # No scan, or no fields: the page navigated or changed during the capture, so none of it is kept.
        title, fields = (scan["title"], scan["fields"]) if scan else ("", None)
        return Observation(
            screenshot,
            viewport["width"],
            viewport["height"],
            self.device_scale_factor,
            await self._address(),
            title,
            None if fields is None else tuple(FilledField.from_page(field) for field in fields),
        )

    async def _address(self) -> str:
        """The URL in the address bar: for an error page, the one that failed to load (as the person's Chrome shows
        it), not Chromium's internal error page."""
        url = self.page.url
        if not url.startswith("chrome-error://"):
            return url
        history = await (await self._cdp()).send("Page.getNavigationHistory")
        return str(history["entries"][history["currentIndex"]]["url"])

    async def _screenshot(self) -> tuple[bytes, dict[str, Any] | None]:
        """The capture, and the page's title and filled fields read while it was taken.

        Seen under load: Chromium's compositor stops delivering frames while scripts still run, and
        every later screenshot in that browser times out. Chromium replaces a GPU process that dies, which
        keeps the page as it is; failing that, a new browser opens the same URL."""
        try:
            return await self._capture()
        except (PlaywrightError, TimeoutError) as error:
            failure: Exception = error
        recoveries = (
            [("restarting its GPU process", self._restart_gpu_process), ("opening a new one", self._restart_browser)]
            if self._launch_options
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
        """One try, within the screenshot timeout: carets hidden and the page scanned; CDP's capture (Playwright's
        own screenshot cannot ask for the fast PNG); carets back and the page scanned again. The scan stands only if
        the two agree and the top document is still the one whose carets were hidden: a page that changed its
        fields or navigated during the capture has none of it kept (the boxes might not match its pixels)."""
        async with asyncio.timeout(SCREENSHOT_TIMEOUT_MS / 1000):
            session = await self._cdp()
            main = self.page.main_frame
            before, *_, metrics = await asyncio.gather(
                _run_in(main, HIDE_CARETS_AND_SCAN_FUNCTION),
                *(_run_in(frame, HIDE_CARETS_FUNCTION) for frame in self.page.frames if frame is not main),
                session.send("Page.getLayoutMetrics"),
            )
            capture = await session.send("Page.captureScreenshot", {**CAPTURE, "clip": self._clip(metrics)})
            after, *_ = await asyncio.gather(
                _run_in(main, SHOW_CARETS_AND_SCAN_FUNCTION),
                *(_run_in(frame, SHOW_CARETS_FUNCTION) for frame in self.page.frames if frame is not main),
            )
        scan = after["state"] if after and after["same_document"] else None
        if scan is not None and not same_capture_state(before, scan):
            scan = {**scan, "fields": None}  # changed under the capture: its title stands, its field boxes do not
        return base64.b64decode(capture["data"]), scan

    def _clip(self, metrics: dict[str, Any]) -> dict[str, float]:
        """The viewport in device pixels, as Playwright's screenshot asks for it: this CDP session does not share
        Playwright's emulated device scale factor, so the clip carries it."""
        visual = metrics["visualViewport"]
        viewport = self.page.viewport_size or {"width": visual["clientWidth"], "height": visual["clientHeight"]}
        return {
            "x": visual["pageX"],
            "y": visual["pageY"],
            "width": math.floor(viewport["width"] / visual["scale"] + 1e-3),
            "height": math.floor(viewport["height"] / visual["scale"] + 1e-3),
            "scale": visual["scale"] * self.device_scale_factor,
        }

    async def _restart_gpu_process(self) -> None:
        await self._kill_chromium_processes("GPU")

    async def _restart_browser(self) -> None:
        """Start a new browser on the current URL with the old one's cookies and local storage (a signed-in
        visitor stays signed in). What only lived in the old page (typed text, history) is lost."""
        assert self._launch_options is not None
        url, context = self.page.url, self.page.context
        state: Any  # storage_state()'s StorageState, or the same shape from the cookies alone
        try:
            state = await asyncio.wait_for(context.storage_state(), STATE_TIMEOUT_SECONDS)
        except (PlaywrightError, TimeoutError):  # local storage is read through the page, which may hang
            state = {"cookies": await context.cookies(), "origins": []}
        await self._kill_chromium_processes("browser")
        await self.close()
        page, self._owned = await _start_browser(self._launch_options, storage_state=state)
        self._adopt(page)
        if failure := await self.goto(url):
            raise BrowserError(f"cannot load {url} after restarting Chromium: {failure}")
        await self.settle_page()

    async def _kill_chromium_processes(self, kind: str) -> None:
        """Kill this browser's processes of one kind ("GPU", "browser"), as the browser lists them."""
        browser = self.page.context.browser
        assert browser is not None
        session = await browser.new_browser_cdp_session()
        processes = (await session.send("SystemInfo.getProcessInfo"))["processInfo"]
        await session.detach()
        for process in processes:
            if process["type"] == kind:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process["id"], signal.SIGKILL)

    async def element_at(self, x: float, y: float) -> ElementInfo | None:
        return await self._describe(ELEMENT_AT_FUNCTION, [x, y])

    async def focused_element(self) -> ElementInfo | None:
        return await self._describe(FOCUSED_ELEMENT_FUNCTION)

    async def _describe(self, function: str, argument: Any = None) -> ElementInfo | None:
        try:
            info = await self.page.evaluate(function, argument)
        except PlaywrightError:
            return None
        return ElementInfo(**info) if info else None

    # -- actions -----------------------------------------------------------------------------

    async def execute(self, action: Action) -> ActionOutcome:
        try:
            performed = await perform(action, self._run_commands, self._pointer)
        except PlaywrightError as error:
            if self.page.is_closed():
                raise PageClosed(f"the agent's page closed: {error}") from error
            performed = Performed(f"the action failed: {error.message.splitlines()[0]}")
        outcome = ActionOutcome(observation=performed.observation)
        if not performed.settles:
            return outcome
        outcome.settle_seconds = await self.settle_page()
        outcome.navigated_to = await self._fold_new_tabs()
        if outcome.navigated_to:
            outcome.settle_seconds += await self.settle_page()
        return outcome

    async def _run_commands(self, commands: list[Command]) -> list[dict[str, Any]]:
        """The action's CDP commands, in order, through this page's own CDP session (as the extension relays them)."""
        session = await self._cdp()
        return [await session.send(method, params) for method, params in commands]

    async def _cdp(self) -> CDPSession:
        if self._session is None:
            self._session = await self.page.context.new_cdp_session(self.page)
        return self._session

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

    async def settle_page(self) -> float:
        """Wait by the one settle rule (`agent/settle.py`); returns the seconds it took."""
        return await settle(self._facts, self.settle)

    async def _facts(self) -> PageFacts:
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


async def _run_in(frame: Frame, function: str) -> Any:
    """A page function's result in one frame, or None when the frame cannot run it (navigating, detached)."""
    try:
        return await frame.evaluate(function)
    except PlaywrightError:
        return None


@dataclass(frozen=True)
class BrowserOptions:
    viewport: tuple[int, int]
    device_scale_factor: float
    headless: bool


async def _start_browser(
    options: BrowserOptions, storage_state: Any = None
) -> tuple[Page, tuple[BrowserContext, Browser, Playwright]]:
    """Debian's Chromium with one agent page; returns the page and what must be closed, in order."""
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
    await context.add_init_script(DOM_WATCH_SCRIPT)
    return await context.new_page(), (context, browser, playwright)
