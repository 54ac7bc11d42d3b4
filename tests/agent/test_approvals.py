"""The one approval path: guard hits and critical points are asked inside the loop, of the one approver."""

from __future__ import annotations

import asyncio

import pytest
from PIL import Image

from agent.approval import APPROVED_TEXT, Decision
from agent.loop import Agent
from agent.playwright_env import PlaywrightEnv
from agent.policy import OpenAIPolicy
from agent.recorder import StoreRecorder
from agent.redact import MASK_COLOUR
from agent.store import Store
from tests.conftest import run_async
from tests.support.driving import DONE, Approvals, drive, user_texts
from tests.support.fara import ActionsPage, model_point, reply
from tests.support.servers import Slow

CRITICAL = reply("The cart is ready. This is a critical point: placing the order needs your approval.", "terminate")
SECRET = "correct-horse-battery"


@pytest.mark.parametrize("decision", ["approve", "reply"])
def test_a_critical_point_is_asked_and_the_same_conversation_goes_on(site, model, decision):
    model.add(CRITICAL, reply("Order placed.", "terminate", status="success"))
    approvals = Approvals(Decision(decision, "Use the blue one" if decision == "reply" else None))
    trajectory = run_async(drive(site, model, approver=approvals))
    request = approvals.requests[0]
    assert request.kind == "critical_point" and "critical point" in request.step.thoughts
    assert request.screenshot is trajectory.steps[0].image  # the kept screenshot, handed over, not re-read
    assert trajectory.approvals[0].kind == "critical_point" and trajectory.approvals[0].decision == decision
    assert trajectory.succeeded and trajectory.final_answer == "Order placed."
    answer = APPROVED_TEXT if decision == "approve" else "Use the blue one"
    assert trajectory.user_turns[-1].text == answer and trajectory.user_turns[-1].before_step == 1
    second = model.requests[1]["messages"]
    assert second[:3] == model.requests[0]["messages"] + [{"role": "assistant", "content": CRITICAL}]
    assert user_texts(model.requests[1])[-1] == answer


def test_declining_a_critical_point_stops_the_run(site, model):
    model.add(CRITICAL, DONE)
    trajectory = run_async(drive(site, model, approver=Approvals(Decision("deny"))))
    assert trajectory.status == "stopped" and "declined at the critical point" in trajectory.reason
    assert len(model.requests) == 1 and trajectory.approvals[0].decision == "deny"


def test_with_nobody_to_ask_a_critical_point_ends_the_run_as_the_reference_does(site, model):
    model.add(CRITICAL)
    trajectory = run_async(drive(site, model))
    assert trajectory.status == "awaiting_user" and "critical point" in trajectory.final_answer
    assert trajectory.approvals == []


def test_typing_without_a_point_into_a_focused_password_field_is_guarded_and_masked(site, model, tmp_path):
    """`type` with no coordinate goes to the focused element: the guard and the masking must see it."""
    site.events.clear()
    model.add(
        reply("Focus the password field.", "left_click", coordinate=model_point(*ActionsPage.PASSWORD)),
        reply(f"I will type {SECRET} now.", "type", text=SECRET, press_enter=False),
        DONE,
    )
    approvals = Approvals(Decision("approve"))
    store = Store(tmp_path / "farol.db")
    trajectory = run_async(drive(site, model, approver=approvals, hooks=[StoreRecorder(store)]))
    assert trajectory.succeeded
    assert approvals.requests[0].kind == "guard" and "password" in approvals.requests[0].reason
    assert site.wait_for("keydown", target="password")  # it was typed, where the focus was
    typed = store.load(trajectory.id).steps[1]
    assert typed.action.text == "********" and SECRET not in typed.raw_text and SECRET not in typed.thoughts
    assert SECRET not in typed.result.observation
    store.close()
    for file in tmp_path.rglob("*"):
        if file.is_file():
            assert SECRET.encode() not in file.read_bytes(), file
    kept = Image.open(store.screenshot_path(trajectory.steps[2].screenshot)).convert("RGB")
    assert kept.getpixel((250, 618)) == MASK_COLOUR


def test_a_screenshot_whose_fields_cannot_be_checked_is_not_kept(site, model, tmp_path):
    """Fail closed: if the page's fields cannot be listed, a placeholder is kept and the step says why;
    the model still sees the page as captured."""
    model.add(DONE)
    store = Store(tmp_path / "farol.db")

    async def scenario():
        env = await PlaywrightEnv.launch(site.url("actions.html"))
        await env.page.fill("#password", SECRET)
        await env.page.evaluate("() => { Document.prototype.querySelectorAll = () => { throw new Error('no'); }; }")
        policy = OpenAIPolicy(model.url, "fara-test", retries=0)
        try:
            return await Agent(env, policy, hooks=[StoreRecorder(store)]).run("Look")
        finally:
            await env.close()
            await policy.close()

    trajectory = run_async(scenario())
    step = store.load(trajectory.id).steps[0]
    assert step.screenshot_withheld and "could not be checked" in step.screenshot_withheld
    kept = Image.open(store.screenshot_path(step.screenshot)).convert("RGB")
    assert kept.getpixel((250, 618)) == kept.getpixel((680, 224)) == MASK_COLOUR  # nothing of the page
    assert any(part["type"] == "image_url" for part in model.requests[0]["messages"][-1]["content"])


def test_a_follow_up_round_is_saved_before_its_first_step(site, model, tmp_path):
    """A crash during the first step of a follow-up must not lose the person's message."""
    model.add(DONE, Slow(DONE, delay=30))
    store = Store(tmp_path / "farol.db")

    async def scenario():
        env = await PlaywrightEnv.launch(site.url("actions.html"))
        policy = OpenAIPolicy(model.url, "fara-test", retries=0)
        agent = Agent(env, policy, hooks=[StoreRecorder(store)])
        first = await agent.run("Do it")
        follow_up = asyncio.create_task(agent.proceed("Now the second part"))
        await model.requested(2)  # the round's first model call is in flight
        saved = Store(tmp_path / "farol.db").load(first.id)  # what a crash right now would leave
        agent.cancel()
        await follow_up
        await env.close()
        await policy.close()
        return saved

    saved = run_async(scenario())
    assert saved.status == "running" and saved.final_answer is None
    assert saved.user_turns[-1].text == "Now the second part" and saved.user_turns[-1].before_step == 1
