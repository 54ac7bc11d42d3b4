"""The agent loop through real parts: PlaywrightEnv on Chromium, OpenAIPolicy over HTTP, a scripted model."""

from __future__ import annotations

import asyncio
import base64
import io

from PIL import Image

from agent.approval import Decision
from agent.guard import UrlPolicy
from agent.loop import Agent, Hooks
from agent.playwright_env import PlaywrightEnv
from agent.policy import OpenAIPolicy
from agent.recorder import StoreRecorder
from agent.redact import MASK_COLOUR
from agent.store import Store
from tests.conftest import run_async
from tests.support.driving import DONE, Approvals, drive, user_texts
from tests.support.fara import ActionsPage, model_point, reply
from tests.support.servers import Fail, Slow


def test_a_parse_error_is_recorded_and_the_model_asked_once_more(site, model):
    model.add("I think I should click<tool_call>{not json", DONE)
    trajectory = run_async(drive(site, model))
    assert trajectory.status == "awaiting_user" and trajectory.succeeded
    failed, done = trajectory.steps
    assert failed.parse_error.kind == "invalid_json" and failed.raw_text == "I think I should click<tool_call>{not json"
    assert failed.thoughts == "I think I should click" and failed.action is None
    assert done.screenshot == failed.screenshot  # the same observation, asked again
    assert model.requests[0]["messages"] == model.requests[1]["messages"]  # history unchanged


def test_two_parse_errors_in_a_row_stop_the_run_with_an_error(site, model):
    model.add("", "still no tool call")
    trajectory = run_async(drive(site, model))
    assert trajectory.status == "error"
    assert "could not be parsed twice" in trajectory.reason
    assert [s.parse_error.kind for s in trajectory.steps] == ["empty_output", "no_tool_call"]


def test_the_same_action_on_an_unchanged_screen_stops_the_run(site, model):
    blank = reply("Click the empty area.", "left_click", coordinate=model_point(*ActionsPage.EMPTY))
    model.add(blank, blank, blank, DONE)
    trajectory = run_async(drive(site, model, loop_limit=3))
    assert trajectory.status == "stopped"
    assert "repeated the same action 3 times" in trajectory.reason
    assert [s.result.ok for s in trajectory.steps] == [True, True, False]


def test_points_outside_the_screenshot_are_clamped_and_flagged(site, model):
    site.events.clear()
    model.add(reply("Click far away.", "left_click", coordinate=[5000, 5000]), DONE)
    trajectory = run_async(drive(site, model))
    step = trajectory.steps[0]
    assert step.result.clamped and step.css_point == (1439.0, 899.0)
    assert site.wait_for("click", target="corner")


def test_terminate_waits_for_the_user_and_proceed_continues_the_same_history(site, model):
    model.add(
        reply("Here is the page. Critical point: shall I buy?", "terminate", status="success"),
        reply("Going to page two as asked.", "visit_url", url=site.url("page2.html")),
        reply("It says 42.", "terminate", status="success"),
    )
    trajectory = run_async(drive(site, model, task="Look around", proceed=["Yes, but first open page two"]))
    assert trajectory.status == "awaiting_user" and trajectory.final_answer == "It says 42."
    assert [t.text for t in trajectory.user_turns] == ["Look around", "Yes, but first open page two"]
    assert [t.before_step for t in trajectory.user_turns] == [0, 1]
    second = model.requests[1]["messages"]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert [p["type"] for p in second[3]["content"]] == ["image_url", "text"]
    assert second[3]["content"][1]["text"] == "Yes, but first open page two"
    assert user_texts(model.requests[2])[-1].startswith(f"Current URL: {site.url('page2.html')}")


def test_typing_a_password_needs_approval_and_is_never_stored(site, model, tmp_path):
    model.add(
        reply("Enter the password.", "type", text="hunter2-secret", coordinate=model_point(*ActionsPage.PASSWORD)), DONE
    )
    approvals = Approvals(Decision("approve"))
    store = Store(tmp_path / "farol.db")
    trajectory = run_async(drive(site, model, approver=approvals, hooks=[StoreRecorder(store)]))
    assert trajectory.succeeded
    assert approvals.requests[0].kind == "guard" and "password" in approvals.requests[0].reason
    assert trajectory.approvals[0].decision == "approve"
    assert site.wait_for("keydown", target="password")  # it was typed
    stored = store.load(trajectory.id).steps[0]
    assert stored.action.text == "********" and "hunter2-secret" not in stored.raw_text
    store.close()
    for file in tmp_path.rglob("*"):
        if file.is_file():
            assert b"hunter2-secret" not in file.read_bytes(), file
    # The live history keeps the model's words verbatim.
    assert "hunter2-secret" in model.requests[1]["messages"][2]["content"]
    # The kept screenshot after typing has the field painted over; the model saw it as captured.
    kept = Image.open(store.screenshot_path(trajectory.steps[1].screenshot)).convert("RGB")
    assert {kept.getpixel((x, 618)) for x in range(101, 400, 20)} == {MASK_COLOUR}
    assert kept.getpixel((250, 560)) != MASK_COLOUR
    seen = next(part for part in model.requests[1]["messages"][-1]["content"] if part["type"] == "image_url")
    image = Image.open(io.BytesIO(base64.b64decode(seen["image_url"]["url"].split(",", 1)[1]))).convert("RGB")
    x, y = model_point(*ActionsPage.PASSWORD)
    assert image.getpixel((x, y)) != MASK_COLOUR


def test_denying_a_binding_click_ends_the_run_without_clicking(site, model):
    site.events.clear()
    model.add(reply("Place the order.", "left_click", coordinate=model_point(*ActionsPage.PLACE_ORDER)), DONE)
    approvals = Approvals(Decision("deny"))
    trajectory = run_async(drive(site, model, approver=approvals))
    assert trajectory.status == "stopped" and "declined" in trajectory.reason
    assert "Place order" in approvals.requests[0].reason
    assert not [e for e in site.of_type("click") if e["target"] == "buy"]
    assert trajectory.steps[0].result.blocked


def test_replying_instead_continues_with_the_persons_text(site, model):
    site.events.clear()
    model.add(reply("Place the order.", "left_click", coordinate=model_point(*ActionsPage.PLACE_ORDER)), DONE)
    approvals = Approvals(Decision("reply", "Don't order yet, just tell me the total"))
    trajectory = run_async(drive(site, model, approver=approvals))
    assert trajectory.succeeded
    assert not [e for e in site.of_type("click") if e["target"] == "buy"]
    follow_up = model.requests[1]["messages"][-1]["content"]
    assert [p["type"] for p in follow_up] == ["image_url", "text"]
    assert follow_up[1]["text"] == "Don't order yet, just tell me the total"
    assert trajectory.user_turns[-1].text == "Don't order yet, just tell me the total"


def test_navigation_to_a_denied_host_is_refused(site, model):
    model.add(reply("Visit the other site.", "visit_url", url="https://blocked.test/"), DONE)
    trajectory = run_async(drive(site, model, url_policy=UrlPolicy(deny=("blocked.test",))))
    assert trajectory.status == "stopped" and "deny list" in trajectory.reason
    assert trajectory.steps[0].result.blocked


def test_cancel_stops_a_run_while_the_model_thinks(site, model):
    model.add(Slow(DONE, delay=5))

    async def scenario():
        env = await PlaywrightEnv.launch(site.url("page2.html"))
        policy = OpenAIPolicy(model.url, "fara-test", retries=0)
        agent = Agent(env, policy)
        task = asyncio.create_task(agent.run("Slow task"))
        await model.requested(1)
        agent.cancel()
        trajectory = await task
        await env.close()
        return trajectory

    trajectory = run_async(scenario())
    assert trajectory.status == "cancelled" and trajectory.final_answer is None


def test_hooks_see_every_step_in_order(site, model):
    seen: list[str] = []

    class Recorder(Hooks):
        async def on_round_start(self, trajectory):
            seen.append(f"round:{trajectory.status}:{trajectory.user_turns[-1].text}")

        async def on_step(self, trajectory, step):
            assert step.image.png.startswith(b"\x89PNG") and step.image.digest == step.screenshot
            seen.append(f"step{step.index}")

        async def on_end(self, trajectory):
            seen.append(f"end:{trajectory.status}")

    model.add(reply("Wait.", "wait", time=0), DONE)
    run_async(drive(site, model, hooks=[Recorder()]))
    assert seen == ["round:running:Do it", "step0", "step1", "end:awaiting_user"]


def test_step_limit(site, model):
    model.add(reply("Wait.", "wait", time=0), reply("Hover.", "mouse_move", coordinate=[5, 5]))
    trajectory = run_async(drive(site, model, max_steps=2))
    assert trajectory.status == "stopped" and "step limit (2)" in trajectory.reason


def test_a_restored_trajectory_continues_with_the_same_request_as_a_live_one(site, model, tmp_path):
    """The conversation rebuilt from the store is what the model saw: no skew after a restart."""
    from tests.support.servers import ScriptedModel

    script = [
        "garbled",  # a parse error: recorded, never part of the history
        reply("Go to page two.", "visit_url", url=site.url("page2.html")),
        reply("Found it.", "terminate", status="success"),
        reply("Continuing.", "terminate", status="success"),
    ]
    model.add(*script)
    store = Store(tmp_path / "farol.db")

    async def live_then_restored():
        env = await PlaywrightEnv.launch(site.url("actions.html"))
        policy = OpenAIPolicy(model.url, "fara-test", retries=0)
        agent = Agent(env, policy, hooks=[StoreRecorder(store)])
        trajectory = await agent.run("Find page two")
        stored = store.load(trajectory.id)  # what a restart would find
        await agent.proceed("And now?")
        # A fresh agent (as after a restart) on the same page, restored from the store.
        replay = ScriptedModel([script[-1]])
        restored = Agent(env, OpenAIPolicy(replay.url, "fara-test", retries=0))
        restored.restore(stored, store.read_screenshot)
        await env.page.goto(site.url("page2.html"))  # the same screen the live continuation saw
        await restored.proceed("And now?")
        await env.close()
        replay.close()
        return replay.requests[0]

    restored_request = run_async(live_then_restored())
    live_request = model.requests[-1]
    assert restored_request["messages"] == live_request["messages"]


def test_a_failed_model_call_still_records_the_step_with_its_kept_copy_masked(site, model, tmp_path):
    """The kept copy is made while the model is called; when the call fails, the step waits for it all the same."""
    password = reply("Enter it.", "type", text="hunter2-secret", coordinate=model_point(*ActionsPage.PASSWORD))
    model.add(password, Fail(503))
    store = Store(tmp_path / "farol.db")
    trajectory = run_async(drive(site, model, approver=Approvals(Decision("approve")), hooks=[StoreRecorder(store)]))
    assert trajectory.status == "error"
    failed = store.load(trajectory.id).steps[1]
    assert not failed.result.ok and "503" in failed.result.error
    assert {"capture", "encode", "model", "keep"} <= set(failed.timing)
    kept = Image.open(store.screenshot_path(failed.screenshot)).convert("RGB")
    assert kept.getpixel((250, 618)) == MASK_COLOUR and kept.getpixel((680, 224)) != MASK_COLOUR
