"""The side panel through one task, as a person uses it, photographed at each state in light and dark: the one
scenario behind the README's screenshots (`docs/screenshots.py`) and the test that proves each state renders
(`tests/extension/test_panel_screenshots.py`).

It waits on elements, and on text only where the scripted model wrote it, so a reworded label does not break it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from playwright.async_api import Page

from bridge.browser import FINISHED
from doubles.scripted_model import Reply
from tests.support.extension import BridgeThread, Browser, extension_browser
from tests.support.fara import ActionsPage, model_point, reply
from tests.support.servers import FixtureSite, ScriptedModel, Slow

STATES = ("panel-pairing", "panel-approval", "panel-answer", "panel-history")
SCHEMES = ("light", "dark")
PANEL_SIZE = {"width": 400, "height": 900}
TASK = "Order the blue mug and tell me the total"
ANSWER = "The total was 42 EUR"


def screenshot_names() -> list[str]:
    """Every file a tour writes: each state in each colour scheme."""
    return [f"{state}-{scheme}.png" for state in STATES for scheme in SCHEMES]


def take_screenshots(out: Path, work: Path) -> list[Path]:
    """Run the tour against a fixture site, a scripted model and a bridge of its own (their files in `work`),
    writing the panel's screenshots into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    site, model = FixtureSite(), ScriptedModel(_replies())
    bridge = BridgeThread(work / "farol.db", model.url)
    try:
        asyncio.run(_tour(bridge, site, work / "profile", out))
    finally:
        bridge.stop()
        model.close()
        site.close()
    return [out / name for name in screenshot_names()]


def _replies() -> list[Reply]:
    """Two actions on the fixture page, a critical point, and the answer once it is approved."""
    critical = (
        "The order form is filled in. This is a critical point: placing the order is binding, "
        "so I need your approval before I press Place order."
    )
    target, name = model_point(*ActionsPage.TARGET), model_point(*ActionsPage.NAME)
    return [
        reply("I'll click the Target button to open the product.", "left_click", coordinate=target),
        reply("Now I type the name into the field.", "type", text="hello fara", coordinate=name),
        Slow(reply(critical, "terminate"), delay=0.5),
        reply(f"You approved, so the order is placed. {ANSWER}.", "terminate", status="success"),
    ]


async def _tour(bridge: BridgeThread, site: FixtureSite, profile: Path, out: Path) -> None:
    async with extension_browser(bridge, profile, paired=False) as browser:
        panel = browser.panel
        await panel.set_viewport_size(PANEL_SIZE)
        await panel.locator("#pair-form").wait_for()
        await _shoot(panel, out, "panel-pairing")
        await _pair(browser)
        await panel.fill("#task-input", TASK)
        await panel.fill("#start-url", site.url("actions.html"))
        await panel.click("#start")
        approve = panel.locator("#live .approval-buttons .approve")
        await approve.wait_for(timeout=30_000)
        await panel.locator("#live .approval", has_text="critical point").wait_for()
        await _shoot(panel, out, "panel-approval")
        await approve.click()
        await browser.wait_for(lambda row: row["status"] in FINISHED and row["steps"] >= 4)
        await panel.locator("#live").get_by_text(ANSWER, exact=False).first.wait_for()
        await panel.locator("#live .consent").wait_for()
        await _shoot(panel, out, "panel-answer")
        await panel.click("#tab-history")
        await panel.locator("#history-list .history-row", has_text=TASK).first.wait_for()
        await _shoot(panel, out, "panel-history")


async def _pair(browser: Browser) -> None:
    """As a new user pairs: the token and port `farol serve` printed, into the panel's form."""
    panel, bridge = browser.panel, browser.bridge
    await panel.fill("#pair-token", bridge.token)
    await panel.fill("#pair-port", str(bridge.port))
    await panel.locator("#pair-form button[type=submit]").click()
    await browser.wait_until_connected()


async def _shoot(panel: Page, out: Path, state: str) -> None:
    for scheme in SCHEMES:
        await panel.emulate_media(color_scheme=scheme)
        await panel.screenshot(path=out / f"{state}-{scheme}.png", animations="disabled")
