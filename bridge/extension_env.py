"""The person's Chrome tab as an agent `Environment`, driven through the extension over the link.

The extension captures with CDP `Page.captureScreenshot` and acts with CDP `Input` in CSS pixels; the
agent loop resizes the screenshot to model space (capped at the training size, so a large or HiDPI
window looks as pages did in training) and maps the model's points back to CSS pixels.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from agent.actions import Action, Key
from agent.environment import (
    ActionOutcome,
    BrowserError,
    ElementInfo,
    Environment,
    FilledField,
    Observation,
    PageClosed,
)
from agent.navigation import navigation_target
from agent.page_scripts import (
    DOM_QUIET_EXPRESSION,
    DOM_WATCH_SCRIPT,
    FILLED_FIELDS_EXPRESSION,
    FOCUSED_ELEMENT_EXPRESSION,
    dom_key,
    element_at_expression,
)
from agent.settle import SettleRule
from bridge.link import ConnectionLost, ExtensionFailed, ExtensionGone, ExtensionLink

CALL_TIMEOUT = 60.0
EXECUTE_TIMEOUT = 120.0  # covers `wait` (up to 60 s) plus the settle cap


class ExtensionEnv(Environment):
    def __init__(
        self,
        link: ExtensionLink,
        session_id: str,
        settle: SettleRule,
        on_tab_hidden: Callable[[], Awaitable[None]],
    ) -> None:
        self.link, self.session_id, self.settle = link, session_id, settle
        self._on_tab_hidden = on_tab_hidden  # returns once the person says the tab is visible again

    async def open(self, url: str) -> int:
        """Open `url` in a new agent tab (in the agent's tab group); returns its tab id."""
        data = await self._call("open", {"url": url}, repeatable=False)
        return int(data["tab_id"])

    async def use_tab(self, tab_id: int) -> None:
        await self._call("open", {"tab_id": tab_id}, repeatable=True)

    async def observe(self) -> Observation:
        while True:
            try:
                data = await self._call("observe", {"fields_expression": FILLED_FIELDS_EXPRESSION}, repeatable=True)
                break
            except ExtensionFailed as error:
                if error.kind != "tab_hidden":
                    raise _browser_error(error) from error
                await self._on_tab_hidden()
        return Observation(
            screenshot=base64.b64decode(data["png"]),
            css_width=int(data["css_width"]),
            css_height=int(data["css_height"]),
            device_pixel_ratio=float(data["device_pixel_ratio"]),
            url=str(data["url"]),
            title=str(data.get("title", "")),
            # The extension sends no list when its scan of the page failed: then nothing of the capture is kept.
            filled_fields=None
            if data.get("fields") is None
            else tuple(FilledField.from_page(field) for field in data["fields"]),
        )

    async def execute(self, action: Action) -> ActionOutcome:
        arguments = action.arguments()
        if isinstance(action, Key):
            arguments["keys"] = [dom_key(key) for key in action.keys]
        if (target := navigation_target(action)) is not None:
            arguments["target_url"] = target  # resolved by the one copy of the reference's rules
        params = {"action": arguments, "settle": self._settle_params()}
        try:
            data = await self._call("execute", params, repeatable=False, timeout=EXECUTE_TIMEOUT)
        except ConnectionLost:
            return ActionOutcome(observation="the extension restarted during this action; its effect is unknown")
        except ExtensionFailed as error:
            if error.kind in {"tab_closed", "detached"}:
                raise _browser_error(error) from error
            return ActionOutcome(observation=f"the action failed: {error}")
        return ActionOutcome(
            observation=str(data.get("observation", "")),
            settle_seconds=float(data.get("settle_ms", 0)) / 1000,
            navigated_to=list(data.get("navigated_to", [])),
        )

    async def element_at(self, x: float, y: float) -> ElementInfo | None:
        return await self._describe(element_at_expression(x, y))

    async def focused_element(self) -> ElementInfo | None:
        return await self._describe(FOCUSED_ELEMENT_EXPRESSION)

    async def _describe(self, expression: str) -> ElementInfo | None:
        try:
            data = await self._call("element_at", {"expression": expression}, repeatable=True)
        except ExtensionFailed:
            return None
        element = data.get("element")
        return ElementInfo(**element) if element else None

    async def close(self) -> None:
        """Detach the debugger from the agent's tabs: the task is over."""
        with contextlib.suppress(BrowserError, ConnectionLost, ExtensionFailed):
            await self._call("release", {}, repeatable=False, timeout=10)

    def _settle_params(self) -> dict[str, Any]:
        rule = self.settle
        return {
            "mode": rule.mode,
            "fixed_ms": round(rule.fixed_seconds * 1000),
            "quiet_ms": round(rule.quiet_seconds * 1000),
            "cap_ms": round(rule.cap_seconds * 1000),
            "poll_ms": round(rule.poll_seconds * 1000),
            "watch_script": DOM_WATCH_SCRIPT,
            "quiet_expression": DOM_QUIET_EXPRESSION,
        }

    async def _call(
        self, method: str, params: dict[str, Any], *, repeatable: bool, timeout: float = CALL_TIMEOUT
    ) -> dict[str, Any]:
        try:
            return await self.link.call(self.session_id, method, params, repeatable=repeatable, timeout=timeout)
        except ExtensionGone as error:
            raise BrowserError(str(error)) from error


def _browser_error(error: ExtensionFailed) -> BrowserError:
    return PageClosed(str(error)) if error.kind == "tab_closed" else BrowserError(str(error))
