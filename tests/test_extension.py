"""The person's-browser path end to end: real extension in Chromium, real bridge, scripted model, fixture pages."""

from __future__ import annotations

import asyncio

import pytest

from agent.store import Store
from tests.conftest import model_point, reply, run_async
from tests.support.extension import FINISHED, BridgeThread, extension_browser
from tests.support.servers import Slow

DONE = reply("The answer is 42.", "terminate", status="success")
CRITICAL = reply("The cart is ready. This is a critical point: placing the order needs your approval.", "terminate")


@pytest.fixture
def bridge(model, tmp_path):
    thread = BridgeThread(tmp_path / "farol.db", model.url)
    yield thread
    thread.stop()


def start(browser, site, task="Do the task", page="actions.html"):
    return browser.send({"type": "start_task", "task": task, "start_url": site.url(page)})


def finished(row):
    return row["status"] in FINISHED


def test_a_task_runs_in_the_real_extension(site, model, bridge, tmp_path):
    site.events.clear()
    model.add(
        reply("Click the target.", "left_click", coordinate=model_point(680, 224)),
        reply("Type my name.", "type", text="hello fara", coordinate=model_point(250, 218), press_enter=False),
        reply("Select all.", "key", keys=["ctrl", "a"]),
        reply("Scroll down.", "scroll", pixels=-200),
        reply("Open page two.", "visit_url", url=site.url("page2.html")),
        reply("Back.", "history_back"),
        DONE,
    )

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            await start(browser, site)
            row = await browser.wait_for(finished)
            return row, await browser.memory()

    row, memory = run_async(scenario())
    assert row["status"] == "awaiting_user", row
    trajectory = Store(bridge.db).load(row["id"])
    assert trajectory.final_answer == "The answer is 42." and trajectory.provenance.source == "extension"
    assert [s.action.action for s in trajectory.steps] == [
        "left_click",
        "type",
        "key",
        "scroll",
        "visit_url",
        "history_back",
        "terminate",
    ]
    click = site.wait_for("click", target="target")[0]
    assert abs(click["x"] - 680) <= 2 and abs(click["y"] - 224) <= 2
    assert site.wait_for("input", value="hello fara")
    assert any(e["key"] == "a" and e["ctrl"] for e in site.of_type("keydown", page="/actions.html"))
    assert site.wait_for("scroll", y=400)
    assert [e["page"] for e in site.wait_for("load", 3, tab="agent-tab")][:3] == [
        "/actions.html",
        "/page2.html",
        "/actions.html",
    ]
    # The panel's view, kept by the service worker: every step, in order, with thumbnails.
    assert [s["index"] for s in memory["steps"]] == list(range(7))
    assert memory["steps"][0]["thumbnail"].startswith("data:image/jpeg;base64,")
    assert memory["session"]["status"] == "awaiting_user" and memory["session"]["final_answer"] == "The answer is 42."
    # Screenshots reached the model in model space, capped at the training size.
    assert (trajectory.steps[0].model_width, trajectory.steps[0].model_height) == (1428, 896)


@pytest.mark.parametrize("decision", ["approve", "deny", "reply"])
def test_critical_point(site, model, bridge, tmp_path, decision):
    model.add(CRITICAL, reply("Order placed as you approved.", "terminate", status="success"))

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            await start(browser, site, task="Order the thing")
            card = await browser.approval()
            assert card["kind"] == "critical_point" and "critical point" in card["thoughts"]
            assert card["screenshot"].startswith("data:image/jpeg;base64,")
            answer = {"approve": {}, "deny": {}, "reply": {"text": "Use the blue one instead"}}[decision]
            await browser.send(
                {
                    "type": "approval",
                    "session_id": card["session_id"],
                    "request_id": card["request_id"],
                    "decision": decision,
                    **answer,
                }
            )
            return await browser.wait_for(
                lambda row: finished(row) and row["steps"] >= (1 if decision == "deny" else 2)
            )

    row = run_async(scenario())
    trajectory = Store(bridge.db).load(row["id"])
    assert trajectory.approvals[0].kind == "critical_point" and trajectory.approvals[0].decision == decision
    if decision == "deny":
        assert trajectory.status == "stopped" and len(model.requests) == 1
        return
    assert trajectory.status == "awaiting_user" and trajectory.final_answer == "Order placed as you approved."
    follow_up = model.requests[1]["messages"][-1]["content"][1]["text"]
    assert follow_up == ("I approve. Go ahead." if decision == "approve" else "Use the blue one instead")


def test_guard_hit_waits_for_the_person(site, model, bridge, tmp_path):
    site.events.clear()
    model.add(reply("Place the order.", "left_click", coordinate=model_point(680, 624)), DONE)

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            await start(browser, site)
            card = await browser.approval()
            assert card["kind"] == "guard" and "Place order" in card["reason"]
            assert not site.of_type("click", target="buy")  # nothing happened before the decision
            await browser.send(
                {
                    "type": "approval",
                    "session_id": card["session_id"],
                    "request_id": card["request_id"],
                    "decision": "approve",
                }
            )
            return await browser.wait_for(finished)

    row = run_async(scenario())
    assert row["status"] == "awaiting_user"
    assert site.wait_for("click", target="buy")


def test_take_over_and_hand_back(site, model, bridge, tmp_path):
    model.add(Slow(reply("Look at page two.", "visit_url", url=site.url("page2.html")), delay=1.5), DONE)

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            await start(browser, site)
            row = await browser.wait_for(lambda row: row["status"] == "running")
            await browser.send({"type": "control", "session_id": row["id"], "command": "take_over"})
            await asyncio.sleep(0.3)
            assert (await browser.memory())["session"]["status"] == "taken_over"
            await asyncio.sleep(2.5)  # the step in flight finishes; no new step starts while the person acts
            steps_while_taken_over = len(model.requests)
            # The person acts in the agent's tab, then hands back.
            tab_id = (await browser.memory())["session"]["tab_id"]
            await browser.panel.evaluate("(id) => chrome.tabs.update(id, {url: location.origin})", tab_id)
            await browser.panel.evaluate(
                "(args) => chrome.tabs.update(args[0], {url: args[1]})", [tab_id, site.url("popup.html")]
            )
            await asyncio.sleep(1)
            await browser.send({"type": "control", "session_id": row["id"], "command": "hand_back"})
            final = await browser.wait_for(finished)
            return final, steps_while_taken_over

    row, steps_while_taken_over = run_async(scenario())
    assert steps_while_taken_over == 1
    trajectory = Store(bridge.db).load(row["id"])
    assert trajectory.status == "awaiting_user"
    assert trajectory.steps[-1].url == site.url("popup.html")  # the fresh screenshot shows what the person left


def test_a_killed_service_worker_resumes_the_task(site, model, bridge, tmp_path):
    model.add(
        reply("Hover.", "mouse_move", coordinate=model_point(250, 450)),
        Slow(reply("Click the target.", "left_click", coordinate=model_point(680, 224)), delay=2.0),
        DONE,
    )
    site.events.clear()

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            await start(browser, site)
            await browser.wait_for(lambda row: row["steps"] >= 1)
            await browser.kill_service_worker()  # while the model thinks about step 1
            await browser.send({"type": "get_state"})  # opening the panel wakes the worker
            return await browser.wait_for(finished, timeout=60)

    row = run_async(scenario())
    assert row["status"] == "awaiting_user", row
    assert site.wait_for("click", target="target")
    assert Store(bridge.db).load(row["id"]).final_answer == "The answer is 42."


def test_clicks_land_on_target_at_device_scale_factor_2(site, model, bridge, tmp_path):
    site.events.clear()
    model.add(reply("Click the target.", "left_click", coordinate=[0, 0]), DONE)

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile", device_scale_factor=2) as browser:
            await start(browser, site)
            return await browser.wait_for(finished)

    # The model sees a 2880x1800 screenshot resized to training size; point at the target's centre there.
    from agent.geometry import TRAINING_MAX_PIXELS, ScreenGeometry

    geometry = ScreenGeometry.for_screenshot(2880, 1800, 1440, 900, max_pixels=TRAINING_MAX_PIXELS)
    x, y = geometry.to_model(680, 224)
    model.replies[0] = reply("Click the target.", "left_click", coordinate=[round(x), round(y)])
    row = run_async(scenario())
    step = Store(bridge.db).load(row["id"]).steps[0]
    assert step.device_pixel_ratio == 2 and (step.model_width, step.model_height) == (
        geometry.model_width,
        geometry.model_height,
    )
    click = site.wait_for("click", target="target")[0]
    assert abs(click["x"] - 680) <= 2 and abs(click["y"] - 224) <= 2
