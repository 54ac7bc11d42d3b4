"""The person's Chrome tab as an agent `Environment`, driven through the extension over the link.

The extension captures with CDP `Page.captureScreenshot` and relays the CDP commands of each action, which
`agent/cdp_actions.py` defines for both environments; the page settles by the one rule in `agent/settle.py`, read
through the extension's `probe`; a tab the page opens is followed only once the URL policy allows it. The agent
loop resizes the screenshot to model space (capped at the training size, so a large or HiDPI window looks as pages
did in training) and maps the model's points back to CSS pixels.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from agent.actions import Action
from agent.capture import CAPTURE, SCREENSHOT_TIMEOUT_MS
from agent.cdp_actions import Command, Pointer, perform
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
from agent.guard import UrlPolicy
from agent.page_scripts import (
    AFTER_CAPTURE_EXPRESSION,
    BEFORE_CAPTURE_EXPRESSION,
    DOM_WATCH_SCRIPT,
    FOCUSED_ELEMENT_EXPRESSION,
    PAGE_FACTS_EXPRESSION,
    capture_scan,
    element_at_expression,
)
from agent.settle import PageFacts, SettleRule, settle
from bridge.link import ConnectionLost, ExtensionFailed, ExtensionGone, ExtensionLink
from bridge.protocol import RequestMethod

CALL_TIMEOUT = 60.0
EXECUTE_TIMEOUT = 120.0  # covers `wait` (up to 60 s) plus the settle cap
# The capture as headless Chromium takes it (`agent/capture.py`): the same PNG, after the same reading of the page
# (carets hidden); the reading after it (carets shown) follows on its own (`ExtensionEnv._read_after`).
CAPTURE_REQUEST = {"before": BEFORE_CAPTURE_EXPRESSION, "capture": CAPTURE}


class ExtensionEnv(Environment):
    def __init__(
        self,
        link: ExtensionLink,
        session_id: str,
        settle: SettleRule,
        on_tab_hidden: Callable[[], Awaitable[None]],
        url_policy: UrlPolicy | None = None,
    ) -> None:
        self.link, self.session_id, self.settle = link, session_id, settle
        self.url_policy = url_policy or UrlPolicy()
        self._on_tab_hidden = on_tab_hidden  # returns once the person says the tab is visible again
        self._pointer = Pointer()
        self._mac = False  # the person's Chrome on macOS needs editor commands for shortcuts (observe says)
        self._readings = Readings()

    async def open(self, url: str) -> int:
        """Open `url` in a new agent tab (in the agent's tab group) and wait until it settles; returns its tab id."""
        data = await self._call("open", {"url": url, "script": DOM_WATCH_SCRIPT}, repeatable=False)
        await settle(self._facts, self.settle)
        return int(data["tab_id"])

    async def use_tab(self, tab_id: int) -> None:
        await self._call("open", {"tab_id": tab_id, "script": DOM_WATCH_SCRIPT}, repeatable=True)

    async def observe(self) -> Observation:
        await self._readings.wait()
        while True:
            try:
                data = await self._call("observe", CAPTURE_REQUEST, repeatable=True)
                break
            except ExtensionFailed as error:
                if error.kind != "tab_hidden":
                    raise _browser_error(error) from error
                await self._on_tab_hidden()
        self._mac = bool(data.get("mac", False))
        css_width, css_height, device_pixel_ratio = data["before"]["viewport"]
        return Observation(
            screenshot=base64.b64decode(data["png"]),
            css_width=int(css_width),
            css_height=int(css_height),
            device_pixel_ratio=float(device_pixel_ratio),
            url=str(data["url"]),  # the address bar's, as the person sees it (an error page's is the one that failed)
            page=self._readings.start(self._read_after(data["before"], str(data.get("title", "")))),
        )

    async def _read_after(self, before: dict[str, Any], tab_title: str) -> PageReading:
        """The reading after a capture (`agent/capture.py` `read_after`), as its own request: the step goes on with
        the pixels meanwhile. When it cannot be had, none of the page's fields are known, so nothing is kept."""
        try:
            data = await self._call(
                "evaluate",
                {"expression": AFTER_CAPTURE_EXPRESSION},
                repeatable=False,
                timeout=SCREENSHOT_TIMEOUT_MS / 1000,
            )
        except (BrowserError, ConnectionLost, ExtensionFailed):
            return PageReading(tab_title, None)
        return PageReading.from_scan(capture_scan(before, data.get("value")), tab_title)

    async def glance(self) -> bytes | None:
        # Captured as `observe` captures (the carets hidden, so the pixels can match), and left there: the carets
        # stay hidden for the capture after the settle. Not repeated across a reconnection; a hidden tab is left
        # for `observe` to report to the person.
        await self._readings.wait()
        try:
            data = await self._call("observe", CAPTURE_REQUEST, repeatable=False, timeout=GLANCE_TIMEOUT_SECONDS)
        except (BrowserError, ConnectionLost, ExtensionFailed):
            return None
        return base64.b64decode(data["png"])

    async def execute(self, action: Action, on_quiet: Callable[[], None] | None = None) -> ActionOutcome:
        try:
            performed = await perform(action, self._run_commands, self._pointer, mac=self._mac)
        except ConnectionLost:
            return ActionOutcome(observation="the extension restarted during this action; its effect is unknown")
        except ExtensionFailed as error:
            if error.kind in {"tab_closed", "detached"}:
                raise _browser_error(error) from error
            return ActionOutcome(observation=f"the action failed: {error}")
        outcome = ActionOutcome(observation=performed.observation)
        if not performed.settles:
            return outcome
        outcome.settle_seconds = await settle(self._facts, self.settle, on_quiet)
        outcome.navigated_to = await self._follow_opened_tabs()
        if outcome.navigated_to:
            outcome.settle_seconds += await settle(self._facts, self.settle, on_quiet)
        return outcome

    async def _run_commands(self, commands: list[Command]) -> list[dict[str, Any]]:
        batch = [[method, params] for method, params in commands]
        data = await self._call("cdp", {"commands": batch}, repeatable=False, timeout=EXECUTE_TIMEOUT)
        return list(data["results"])

    async def _facts(self) -> PageFacts:
        try:
            data = await self._call("probe", {"expression": PAGE_FACTS_EXPRESSION}, repeatable=True)
        except ExtensionFailed as error:
            if error.kind in {"tab_closed", "detached"}:
                raise _browser_error(error) from error
            data = {}
        page = data.get("page") or {"loaded": False, "dom_quiet_ms": 0}  # navigating: nothing to read yet
        return PageFacts(
            loaded=bool(page["loaded"]),
            dom_quiet_seconds=float(page["dom_quiet_ms"]) / 1000,
            requests_in_flight=int(data.get("requests_in_flight", 0)),
            network_quiet_seconds=float(data.get("network_quiet_ms", 0)) / 1000,
        )

    async def _follow_opened_tabs(self) -> list[str]:
        """Tabs the page opened: each refused by the URL policy is closed; the last allowed one becomes the agent's
        tab (as a person follows a popup). Returns the URL followed, if any."""
        tabs = (await self._call("opened_tabs", {}, repeatable=True))["tabs"]
        allowed = [tab for tab in tabs if not self.url_policy.refusal(tab["url"])]
        for tab in tabs:
            if tab not in allowed:
                await self._call("close_tab", {"tab_id": tab["tab_id"]}, repeatable=True)
        if not allowed:
            return []
        await self._call("adopt_tab", {"tab_id": allowed[-1]["tab_id"]}, repeatable=True)
        return [allowed[-1]["url"]]

    async def element_at(self, x: float, y: float) -> ElementInfo | None:
        return await self._describe(element_at_expression(x, y))

    async def focused_element(self) -> ElementInfo | None:
        return await self._describe(FOCUSED_ELEMENT_EXPRESSION)

    async def _describe(self, expression: str) -> ElementInfo | None:
        try:
            data = await self._call("evaluate", {"expression": expression}, repeatable=True)
        except ExtensionFailed:
            return None
        element = data.get("value")
        return ElementInfo(**element) if element else None

    async def close(self) -> None:
        """Detach the debugger from the agent's tabs: the task is over."""
        with contextlib.suppress(BrowserError, ConnectionLost, ExtensionFailed):
            await self._call("release", {}, repeatable=False, timeout=10)

    async def _call(
        self, method: RequestMethod, params: dict[str, Any], *, repeatable: bool, timeout: float = CALL_TIMEOUT
    ) -> dict[str, Any]:
        try:
            return await self.link.call(self.session_id, method, params, repeatable=repeatable, timeout=timeout)
        except ExtensionGone as error:
            raise BrowserError(str(error)) from error


def _browser_error(error: ExtensionFailed) -> BrowserError:
    return PageClosed(str(error)) if error.kind == "tab_closed" else BrowserError(str(error))
