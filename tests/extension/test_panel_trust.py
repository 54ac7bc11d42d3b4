"""The side panel a person can trust, through the real extension in Chromium: control that stops the agent before
it acts, pairing that recovers, text at a readable size, a panel that keeps its place, approval cards that show what
will happen and cannot be answered by a stray key, and consent that names where a session goes."""

from __future__ import annotations

import threading

import pytest

from agent.store import Store
from agent.trajectory import Trajectory
from bridge.browser import FINISHED
from tests.conftest import run_async
from tests.support.extension import BridgeThread, extension_browser, free_port
from tests.support.fara import ActionsPage, model_point, reply
from tests.support.polling import poll
from tests.support.responder import RespondingModel, user_text
from tests.support.servers import Fail

CLICK_TARGET = reply("Click the target.", "left_click", coordinate=model_point(*ActionsPage.TARGET))
DONE = reply("The answer is 42.", "terminate", status="success")


class HeldModel(RespondingModel):
    """Its first reply (a click) waits until the test lets it go: the person acts while the model thinks."""

    def __init__(self) -> None:
        self.release = threading.Event()
        super().__init__(self._answer)

    def _answer(self, request: dict) -> str:
        if len(self.requests) == 1:
            assert self.release.wait(30), "the test never released the model"
            return CLICK_TARGET
        return DONE


@pytest.fixture
def held_model():
    server = HeldModel()
    yield server
    server.release.set()
    server.close()


def start(browser, site):
    return browser.send({"type": "start_task", "task": "Click the target", "start_url": site.url("actions.html")})


@pytest.mark.parametrize(
    ("press", "then", "status"),
    [("pause", "resume", "paused"), ("take_over", "hand_back", "taken_over"), ("stop", None, "cancelled")],
)
def test_an_action_chosen_after_pause_take_over_or_stop_is_never_run(site, held_model, tmp_path, press, then, status):
    site.events.clear()
    bridge = BridgeThread(tmp_path / "farol.db", held_model.url)

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            await start(browser, site)
            row = await browser.wait_for(lambda row: row["status"] == "running")
            await held_model.requested(1)  # the model is thinking about its click
            await browser.send({"type": "control", "session_id": row["id"], "command": press})
            await browser.session_where(lambda session: session.get("status") == status)
            held_model.release.set()  # now it answers: a click, chosen after the person pressed
            if then is None:
                return await browser.wait_for(lambda row: row["status"] == "cancelled")
            await poll(
                lambda: Store(bridge.db).load(row["id"]).steps,
                lambda steps: len(steps) == 1,
                timeout=30,
                failure=lambda steps: f"the held step was not recorded: {steps}",
            )
            clicks_while_held = site.of_type("click", target="target")
            await browser.send({"type": "control", "session_id": row["id"], "command": then})
            finished = await browser.wait_for(lambda row: row["status"] in FINISHED)
            assert clicks_while_held == []
            return finished

    try:
        row = run_async(scenario())
    finally:
        bridge.stop()
    trajectory = Store(bridge.db).load(row["id"])
    assert site.wait_for("click", timeout=1, target="target") == []  # the click never reached the page
    if then is None:
        assert trajectory.status == "cancelled" and trajectory.reason == "You stopped the task."
        return
    held = trajectory.steps[0]
    assert held.action.action == "left_click" and held.result.not_run and not held.in_history
    assert [step.action.action for step in trajectory.steps] == ["left_click", "terminate"]
    # The model decided again from a fresh screenshot: its held click is not in the conversation.
    second = held_model.requests[1]["messages"]
    assert not any(message["role"] == "assistant" for message in second)
    assert "Click the target" in user_text(held_model.requests[1])


def test_pairing_recovers_from_a_wrong_token_and_a_bridge_that_is_not_running(model, tmp_path):
    bridge = BridgeThread(tmp_path / "farol.db", model.url)
    nothing_there = free_port()

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile", paired=False) as browser:
            panel = browser.panel
            form, detail = panel.locator("#pair-form"), panel.locator("#pair-detail")

            async def pair(token: str, port: int) -> None:
                await panel.fill("#pair-token", token)
                await panel.fill("#pair-port", str(port))
                await panel.locator("#pair-form button[type=submit]").click()

            await form.wait_for()
            await pair("not-the-token", bridge.port)
            await detail.get_by_text("Farol refused this token").wait_for()
            assert await form.is_visible() and await browser.connection_state() == "refused"

            await pair(bridge.token, nothing_there)
            await detail.get_by_text(f"Farol is not running on port {nothing_there}").wait_for()
            assert await form.is_visible() and "farol serve" in await detail.inner_text()

            await pair(bridge.token, bridge.port)
            await browser.wait_until_connected()
            await form.wait_for(state="hidden")
            # "Change pairing" is always there: from Settings it brings the form back, and Cancel keeps the pairing.
            await panel.click("#tab-settings")
            await panel.click("#change-pairing")
            await form.wait_for()
            await panel.click("#pair-cancel")
            await form.wait_for(state="hidden")
            assert await browser.connection_state() == "connected"

    try:
        run_async(scenario())
    finally:
        bridge.stop()


GUARDED = reply("Place the order.", "left_click", coordinate=model_point(*ActionsPage.PLACE_ORDER))


def test_the_panel_reads_at_normal_size_keeps_its_place_and_shows_what_an_approval_will_do(site, model, tmp_path):
    model.add(
        reply("Click the target first.", "left_click", coordinate=model_point(*ActionsPage.TARGET)),
        GUARDED,
        DONE,
        reply("Done again.", "terminate", status="success"),
    )
    bridge = BridgeThread(tmp_path / "farol.db", model.url)

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            panel = browser.panel
            await panel.set_viewport_size({"width": 360, "height": 700})
            await panel.fill("#task-input", "Order the thing")
            await panel.fill("#start-url", site.url("actions.html"))
            await panel.click("#start")
            card = panel.locator("#live .approval")
            await card.wait_for()
            # The card says what approving does, names the target and the site, and marks it on the screenshot.
            consequence = await card.locator(".approval-consequence").inner_text()
            assert "click the button “Place order" in consequence and "127.0.0.1" in consequence
            assert await card.locator(".approval-marker").is_visible()
            assert await panel.locator("#top-status").inner_text() == "Needs your approval"
            # Focus starts on the card; Esc and Enter there answer nothing, and Esc says so.
            assert await panel.evaluate("document.activeElement.classList.contains('approval')")
            await panel.keyboard.press("Escape")
            await panel.keyboard.press("Enter")
            await card.locator(".approval-keys").wait_for()
            assert not site.of_type("click", target="buy") and await card.is_visible()
            # The first Tab lands on Deny, not on the filled Approve; the card reads in the order it is used.
            await panel.keyboard.press("Tab")
            assert await panel.evaluate("document.activeElement.textContent.trim()") == "Deny"
            snapshot = await card.aria_snapshot()
            order = [
                snapshot.index(part)
                for part in (
                    'heading "Approve this step?"',
                    "If you approve",
                    'button "Deny"',
                    'button "Approve"',
                    'textbox "Reply to Fara"',
                    'button "Send"',
                )
            ]
            assert order == sorted(order), snapshot
            await card.locator(".approve").click()
            await browser.wait_for(lambda row: row["status"] in FINISHED and row["steps"] >= 3)
            await panel.locator("#live .outcome-text").get_by_text("The answer is 42.").wait_for()
            # After the answer the panel still follows the newest item: the answer is in view, not step 1.
            scroll = panel.locator("#live-scroll")
            await poll(
                lambda: scroll.evaluate("(el) => el.scrollHeight - el.scrollTop - el.clientHeight"),
                lambda gap: gap < 48,
                timeout=10,
                failure=lambda gap: f"the panel is {gap} px above its newest item",
            )
            # Text at a readable size: thoughts, the answer, the buttons, the task box.
            sizes = await panel.evaluate(
                """() => ['.step-thoughts', '.outcome-text', '#task-input', '#start', '.turn-text']
                    .map((selector) => document.querySelector(selector))
                    .map((el) => [el.className || el.id, parseFloat(getComputedStyle(el).fontSize)])"""
            )
            assert all(size >= 13 for _, size in sizes), sizes
            # The person's side, in order: the task, then the approval (after the step that asked).
            turns = await panel.locator("#live .turn .turn-text").all_inner_texts()
            assert turns == ["Your task: Order the thing", "You approved"]
            entries = await panel.locator("#live .timeline > li").evaluate_all(
                "(items) => items.map((item) => item.className)"
            )
            assert entries[:4] == ["turn", "step", "step", "turn"]
            # The step lines are in words, with what was clicked, never model coordinates.
            lines = await panel.locator("#live .step-action").all_inner_texts()
            assert "Click the button “Target”" in lines[0] and "(" not in lines[0]
            # Consent names where the session goes (no collector here), and the switch does not move the panel.
            where = panel.locator("#live .consent-where")
            assert (await where.inner_text()).startswith("Kept on this computer: no collector is set")
            await panel.wait_for_function("[...document.images].every((image) => image.complete)")
            await panel.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
            before = await scroll.evaluate("(el) => el.scrollTop")
            switch = panel.locator("#live .switch")
            at = await switch.bounding_box()
            await switch.click()
            await browser.wait_for(lambda row: row["shared"])
            await where.get_by_text("Marked as shared").wait_for()
            assert await scroll.evaluate("(el) => el.scrollTop") == before and await switch.bounding_box() == at
            assert "kept on this computer" in await where.inner_text()
            # One box continues the ended task; "New task" is one click away.
            assert await panel.locator("#task-label").inner_text() == "Continue this task"
            await panel.fill("#task-input", "Thanks, once more please")
            await panel.click("#start")
            await browser.wait_for(lambda row: row["steps"] >= 4 and row["status"] in FINISHED)
            await panel.locator("#live .turn-text").get_by_text("You: Thanks, once more please").wait_for()
            await panel.click("#compose-switch")
            assert await panel.locator("#start").inner_text() == "Start"
            # Every control has a name a screen reader can say.
            unnamed = await panel.evaluate(
                """() => [...document.querySelectorAll('button, input, textarea')]
                    .filter((el) => el.checkVisibility())
                    .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim()
                        || el.getAttribute('placeholder')))
                    .map((el) => el.outerHTML.slice(0, 80))"""
            )
            assert unnamed == []
            return Store(bridge.db).list()[0]["id"]

    try:
        session_id = run_async(scenario())
    finally:
        bridge.stop()
    trajectory: Trajectory = Store(bridge.db).load(session_id)
    assert trajectory.approvals[0].decision == "approve" and trajectory.steps[1].target == "the button “Place order”"


def test_settings_change_the_model_and_name_the_collector_without_a_restart(site, model, tmp_path):
    from tests.support.servers import ScriptedModel

    second = ScriptedModel()
    second.add(DONE)
    bridge = BridgeThread(tmp_path / "farol.db", model.url)

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            panel = browser.panel
            await panel.click("#tab-settings")
            url = panel.locator("#settings-model-url")
            await poll(url.input_value, lambda v: v == bridge.model_url, timeout=10, failure=lambda v: f"shows {v!r}")
            await url.fill(second.url)
            await panel.click("#settings-test")
            await panel.locator("#settings-test-result").get_by_text("serves", exact=False).wait_for()
            await panel.fill("#settings-collector", "http://127.0.0.1:9/")
            await panel.fill("#settings-collector-key", "a-contributor-key")
            await panel.locator("#settings-form button[type=submit]").click()
            await panel.locator("#settings-result").get_by_text("Saved").wait_for()
            await panel.click("#tab-live")
            await start(browser, site)
            await browser.wait_for(lambda row: row["status"] in FINISHED)
            where = panel.locator("#live .consent-where")
            await where.get_by_text("http://127.0.0.1:9", exact=False).wait_for()
            return await where.inner_text()

    try:
        where = run_async(scenario())
    finally:
        bridge.stop()
        second.close()
    assert where == "Turn on to send it to http://127.0.0.1:9."
    assert len(second.requests) == 1 and not model.requests  # the next task used the new endpoint


def test_a_failing_model_is_retried_in_view_and_retry_continues_the_task(site, model, tmp_path):
    model.add(Fail(), Fail(), Fail(), DONE)
    bridge = BridgeThread(tmp_path / "farol.db", model.url, retries=2)

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            panel = browser.panel
            await start(browser, site)
            progress = panel.locator("#live .progress")
            await progress.get_by_text(f"Trouble with the model at {bridge.model_url}; retrying (1/2)").wait_for()
            outcome = panel.locator("#live .outcome")
            await outcome.get_by_text("Something went wrong").wait_for()
            text = await outcome.locator(".outcome-text").inner_text()
            await outcome.locator(".outcome-retry").click()
            await browser.wait_for(lambda row: row["status"] == "awaiting_user")
            await panel.locator("#live .outcome-text").get_by_text("The answer is 42.").wait_for()
            return text

    try:
        text = run_async(scenario())
    finally:
        bridge.stop()
    assert bridge.model_url in text and "fara-test" in text and "5000" not in text
