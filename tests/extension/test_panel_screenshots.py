"""The side panel as a person uses it, through the real UI; its screenshots are the README's.

They are always taken (into a temporary folder, so the test proves the panel renders each state) and
written to docs/screenshots/ when FAROL_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bridge.browser import FINISHED
from tests.conftest import run_async
from tests.support.extension import BridgeThread, extension_browser
from tests.support.fara import ActionsPage, model_point, reply
from tests.support.servers import Slow

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def bridge(model, tmp_path):
    thread = BridgeThread(tmp_path / "farol.db", model.url)
    yield thread
    thread.stop()


def test_the_panel_through_a_task(site, model, bridge, tmp_path):
    model.add(
        reply(
            "I'll click the Target button to open the product.",
            "left_click",
            coordinate=model_point(*ActionsPage.TARGET),
        ),
        reply(
            "Now I type the name into the field.", "type", text="hello fara", coordinate=model_point(*ActionsPage.NAME)
        ),
        Slow(
            reply(
                "The order form is filled in. This is a critical point: placing the order is binding, "
                "so I need your approval before I press Place order.",
                "terminate",
            ),
            delay=0.5,
        ),
        reply("You approved, so the order is placed. The total was 42 EUR.", "terminate", status="success"),
    )
    shots = tmp_path / "shots"
    shots.mkdir()

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile", paired=False) as browser:
            panel = browser.panel
            await panel.set_viewport_size({"width": 420, "height": 900})
            # Pairing, as a new user does it: the token `farol serve` printed, into the panel's form.
            await panel.locator("#pair-form").wait_for()
            await panel.screenshot(path=shots / "panel-pairing.png")
            await panel.fill("#pair-token", bridge.token)
            await panel.fill("#pair-port", str(bridge.port))
            await panel.locator("#pair-form button[type=submit]").click()
            await browser.wait_until_connected()
            await panel.fill("#task-input", "Order the blue mug and tell me the total")
            await panel.fill("#start-url", site.url("actions.html"))
            await panel.click("#start")
            card = panel.locator("#live .approval-buttons .approve")
            await card.wait_for(timeout=30_000)
            await panel.get_by_text("critical point", exact=False).first.wait_for()
            await panel.screenshot(path=shots / "panel-approval.png")
            await card.click()
            await browser.wait_for(lambda row: row["status"] in FINISHED and row["steps"] >= 4)
            await panel.get_by_text("The total was 42 EUR", exact=False).first.wait_for()
            await panel.get_by_text("Share this session to help improve Fara", exact=False).first.wait_for()
            await panel.screenshot(path=shots / "panel-answer.png")
            await panel.click("#tab-history")
            await panel.locator("#history-list").get_by_text("Order the blue mug", exact=False).first.wait_for()
            await panel.screenshot(path=shots / "panel-history.png")

    run_async(scenario())
    for name in ("panel-pairing.png", "panel-approval.png", "panel-answer.png", "panel-history.png"):
        assert (shots / name).stat().st_size > 10_000
    if os.environ.get("FAROL_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        for file in shots.iterdir():
            shutil.copy(file, DOCS / file.name)
