"""The person's-browser path end to end: real extension in Chromium, real bridge, scripted model, fixture pages."""

from __future__ import annotations

import asyncio
import base64
import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from agent.redact import MASK_COLOUR
from agent.store import Store
from bridge.browser import FINISHED
from bridge.extension_env import ExtensionEnv
from tests.conftest import run_async
from tests.support.extension import BridgeThread, extension_browser
from tests.support.fara import ActionsPage, model_point, reply
from tests.support.look_ahead import record_look_ahead
from tests.support.polling import poll
from tests.support.responder import RespondingModel
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


def decide(browser, card, decision="approve", **answer):
    """Answer an approval card as the panel does."""
    ids = {"session_id": card["session_id"], "request_id": card["request_id"]}
    return browser.send({"type": "approval", **ids, "decision": decision, **answer})


def test_a_task_runs_in_the_real_extension(site, model, bridge, tmp_path):
    """A task through the panel's messages, the bridge and the extension, to its answer (what each action does on
    the page is the contract test's: tests/extension/test_action_contract.py)."""
    site.events.clear()
    model.add(
        reply("Click the target.", "left_click", coordinate=model_point(*ActionsPage.TARGET)),
        reply("Open page two.", "visit_url", url=site.url("page2.html")),
        DONE,
    )

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            await start(browser, site)
            row = await browser.wait_for(finished)
            await browser.session_where(lambda session: session.get("status") == "awaiting_user")
            return row, await browser.memory()

    row, memory = run_async(scenario())
    assert row["status"] == "awaiting_user", row
    trajectory = Store(bridge.db).load(row["id"])
    assert trajectory.final_answer == "The answer is 42." and trajectory.provenance.source == "extension"
    assert [s.action.action for s in trajectory.steps] == ["left_click", "visit_url", "terminate"]
    assert site.wait_for("click", target="target")
    # The panel's view, kept by the service worker: every step, in order, with thumbnails.
    assert [s["index"] for s in memory["steps"]] == list(range(3))
    assert memory["steps"][0]["thumbnail"].startswith("data:image/jpeg;base64,")
    assert memory["session"]["status"] == "awaiting_user" and memory["session"]["final_answer"] == "The answer is 42."
    # Screenshots reached the model in model space, capped at the training size, every one the same size: the tab
    # is attached (Chrome's debugging bar shown) before its first capture, so the viewport never changes mid-task.
    sizes = {(step.model_width, step.model_height) for step in trajectory.steps}
    assert len(sizes) == 1 and next(iter(sizes))[0] == 1428


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
            await decide(browser, card, decision, **answer)
            if decision == "deny":
                return await browser.wait_for(lambda row: row["status"] == "stopped")
            return await browser.wait_for(lambda row: finished(row) and row["steps"] >= 2)

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
    """The card waits for the person, and so does the tab: its group and the toolbar badge say so until they
    answer (each is redrawn only when what it says changes, so these transitions are what is left to check)."""
    site.events.clear()
    model.add(
        reply("Look first.", "mouse_move", coordinate=model_point(*ActionsPage.HOVER_ZONE)),
        reply("Place the order.", "left_click", coordinate=model_point(*ActionsPage.PLACE_ORDER)),
        DONE,
    )

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            await start(browser, site)
            card = await browser.approval()
            assert card["kind"] == "guard" and "Place order" in card["reason"]
            assert not site.of_type("click", target="buy")  # nothing happened before the decision
            waiting = await cues_become(browser, (["Farol · waiting for you"], ["orange"], "!"))
            await decide(browser, card)
            row = await browser.wait_for(finished)
            return row, waiting, await cues_become(browser, (["Farol"], ["blue"], ""))

    row, waiting, done = run_async(scenario())
    assert row["status"] == "awaiting_user"
    assert site.wait_for("click", target="buy")
    assert waiting and done


async def cues_become(browser, expected: tuple[list[str], list[str], str]) -> tuple:
    """The agent tab's group titles and colours and the toolbar badge, once they are `expected`."""
    read = (
        "Promise.all([chrome.tabGroups.query({}), chrome.action.getBadgeText({})])"
        ".then(([groups, badge]) => [groups.map((g) => g.title), groups.map((g) => g.color), badge])"
    )
    shown = await poll(
        lambda: browser.panel.evaluate(read),
        lambda cues: tuple(cues) == expected,
        timeout=10,
        failure=lambda cues: f"the tab group and badge show {cues}, not {expected}",
    )
    return tuple(shown)


def test_take_over_and_hand_back(site, model, bridge, tmp_path):
    model.add(Slow(reply("Look at page two.", "visit_url", url=site.url("page2.html")), delay=1.5), DONE)

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            await start(browser, site)
            row = await browser.wait_for(lambda row: row["status"] == "running")
            await model.requested(1)  # take over while the model thinks about step 1
            await browser.send({"type": "control", "session_id": row["id"], "command": "take_over"})
            await browser.session_where(lambda session: session.get("status") == "taken_over")
            await browser.wait_for(lambda row: row["steps"] == 1)  # the step in flight is recorded, not run
            await asyncio.sleep(1)  # and no new step starts while the person acts
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
    assert trajectory.steps[0].result.not_run == "you took over"  # its visit_url never ran
    assert trajectory.steps[-1].url == site.url("popup.html")  # the fresh screenshot shows what the person left


@pytest.mark.serial
def test_a_killed_service_worker_resumes_the_task(site, model, bridge, tmp_path):
    model.add(
        reply("Hover.", "mouse_move", coordinate=model_point(*ActionsPage.HOVER_ZONE)),
        Slow(reply("Click the target.", "left_click", coordinate=model_point(*ActionsPage.TARGET)), delay=2.0),
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
    trajectory = Store(bridge.db).load(row["id"])
    assert trajectory.status == "awaiting_user", trajectory.reason
    assert site.wait_for("click", target="target")
    assert trajectory.final_answer == "The answer is 42."


def test_clicks_land_on_target_at_device_scale_factor_2(site, tmp_path):
    """The model points at the target's centre in the (HiDPI, resized to training size) screenshot it is shown."""
    from agent.geometry import TRAINING_MAX_PIXELS, ScreenGeometry

    def answer(request):
        if len(model.requests) > 1:
            return DONE
        image = next(p for p in request["messages"][-1]["content"] if p["type"] == "image_url")["image_url"]["url"]
        width, height = Image.open(io.BytesIO(base64.b64decode(image.split(",", 1)[1]))).size
        geometry = ScreenGeometry(1440, round(1440 * height / width), width, height)
        x, y = geometry.to_model(680, 224)
        return reply("Click the target.", "left_click", coordinate=[round(x), round(y)])

    site.events.clear()
    model = RespondingModel(answer)
    bridge = BridgeThread(tmp_path / "farol.db", model.url)

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile", device_scale_factor=2) as browser:
            await start(browser, site)
            return await browser.wait_for(finished)

    try:
        row = run_async(scenario())
    finally:
        bridge.stop()
        model.close()
    step = Store(bridge.db).load(row["id"]).steps[0]
    expected = ScreenGeometry.for_screenshot(
        2880, 2 * step.css_height, 1440, step.css_height, max_pixels=TRAINING_MAX_PIXELS
    )
    assert step.device_pixel_ratio == 2 and (step.model_width, step.model_height) == (
        expected.model_width,
        expected.model_height,
    )
    # On the Target button, at its centre give or take the model's estimate of the CSS height (from the resized
    # screenshot's aspect ratio: Chrome's debugging bar takes some of the 900 px).
    click = site.wait_for("click", target="target")[0]
    assert abs(click["x"] - 680) <= 2 and abs(click["y"] - 224) <= 5


SECRET_PASSWORD = "correct-horse-battery"
SECRET_CARD = "4111111111111111"


def test_consent_export_and_secrets(site, model, bridge, tmp_path):
    """Only shared sessions leave the database; password and card text is never written anywhere."""
    model.add(
        reply(
            "Enter the password.",
            "type",
            text=SECRET_PASSWORD,
            coordinate=model_point(*ActionsPage.PASSWORD),
            press_enter=False,
        ),
        reply(
            "Enter the card.", "type", text=SECRET_CARD, coordinate=model_point(*ActionsPage.CARD), press_enter=False
        ),
        DONE,
        reply("Nothing to do.", "terminate", status="success"),
    )

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            await start(browser, site, task="Log in and pay")
            for _ in range(2):  # the guard asks before each secret field
                card = await browser.approval()
                await decide(browser, card)
                await browser.wait_for(lambda row, n=_: row["steps"] > n)
            shared = await browser.wait_for(finished)
            await browser.send({"type": "consent", "session_id": shared["id"], "shared": True})
            await start(browser, site, task="A private task")
            private = await browser.wait_for(lambda row: row["id"] != shared["id"] and finished(row))
            await browser.wait_for(lambda row: True)
            return shared["id"], private["id"]

    shared_id, private_id = run_async(scenario())
    store = Store(bridge.db)
    assert store.load(shared_id).consent.shared and not store.load(private_id).consent.shared
    steps = store.load(shared_id).steps
    typed = [step.action.text for step in steps if step.action.action == "type"]
    assert typed == ["********", "********"]
    # Their pixels are painted over too, in the screenshot kept after both were typed.
    after = Image.open(store.screenshot_path(steps[2].screenshot)).convert("RGB")
    assert after.getpixel((250, 618)) == after.getpixel((250, 718)) == MASK_COLOUR
    assert after.getpixel((250, 560)) != MASK_COLOUR

    out = tmp_path / "export"
    farol = Path(sys.executable).parent / "farol"
    result = subprocess.run(
        [str(farol), "sessions", "export", str(out), "--consented", "--db", str(bridge.db)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert [folder.name for folder in out.iterdir()] == [shared_id]
    refused = subprocess.run(
        [str(farol), "sessions", "export", str(tmp_path / "all"), "--db", str(bridge.db)],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2 and not (tmp_path / "all").exists()

    for file in [*bridge.db.parent.rglob("*"), *out.rglob("*")]:
        if "profile" in file.parts or not file.is_file():
            continue
        for secret in (SECRET_PASSWORD, SECRET_CARD):
            assert secret not in file.name
            assert secret.encode() not in file.read_bytes(), file


def test_a_card_form_in_a_cross_origin_frame_is_painted_over(site, model, bridge, tmp_path):
    """Typing into a frame no script can read asks first; afterwards the whole frame is masked in kept pixels."""
    frame_field, elsewhere = (762, 132), (50, 500)
    model.add(
        reply("Enter the card.", "type", text=SECRET_CARD, coordinate=model_point(*frame_field), press_enter=False),
        reply("Done with the card.", "left_click", coordinate=model_point(*elsewhere)),
        DONE,
    )

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            await start(browser, site, task="Pay", page="frames.html")
            card = await browser.approval()
            assert "embedded frame" in card["reason"]
            await decide(browser, card)
            return await browser.wait_for(finished)

    row = run_async(scenario())
    steps = Store(bridge.db).load(row["id"]).steps
    assert [step.action.text for step in steps if step.action.action == "type"] == ["********"]
    before = Image.open(Store(bridge.db).screenshot_path(steps[0].screenshot)).convert("RGB")
    after = Image.open(Store(bridge.db).screenshot_path(steps[2].screenshot)).convert("RGB")
    assert before.getpixel(frame_field) != MASK_COLOUR
    assert after.getpixel(frame_field) == after.getpixel((1003, 183)) == MASK_COLOUR
    assert after.getpixel(elsewhere) != MASK_COLOUR


def test_a_hidden_agent_tab_pauses_the_task_until_resumed(site, model, bridge, tmp_path):
    model.add(
        reply("Hover.", "mouse_move", coordinate=model_point(*ActionsPage.HOVER_ZONE)),
        Slow(reply("Hover again.", "mouse_move", coordinate=model_point(*ActionsPage.NEAR_HOVER_ZONE)), delay=1.5),
        DONE,
    )
    # Headless Chromium reports every tab as visible; the agent's page reports what Chrome reports for
    # a background tab, so the extension's check and the bridge's pause run for real.
    set_visibility = (
        "(state) => Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => state})"
    )

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            await start(browser, site)
            row = await browser.wait_for(lambda row: row["steps"] >= 1)
            agent_page = next(page for page in browser.context.pages if page.url.endswith("/actions.html"))
            # Hidden either before step 2's screenshot or while the model thinks about step 2 (its action
            # then meets the hidden tab): the task pauses at whichever comes first.
            await agent_page.evaluate(set_visibility, "hidden")
            paused = await browser.session_where(lambda session: session.get("status") == "paused")
            requests_at_pause = len(model.requests)
            await asyncio.sleep(1.5)
            requests_while_hidden = len(model.requests) - requests_at_pause
            await agent_page.evaluate(set_visibility, "visible")
            await browser.send({"type": "control", "session_id": row["id"], "command": "resume"})
            return paused, requests_while_hidden, await browser.wait_for(finished)

    paused, requests_while_hidden, row = run_async(scenario())
    assert paused["status"] == "paused" and "hidden" in paused["reason"]
    assert requests_while_hidden == 0  # nothing was sent to the model while the tab was hidden
    assert row["status"] == "awaiting_user" and len(model.requests) == 3


def test_farol_browser_runs_a_task_through_the_extension(site, model, tmp_path):
    from tests.support.extension import free_port

    site.events.clear()
    model.add(reply("Click the target.", "left_click", coordinate=model_point(*ActionsPage.TARGET)), DONE)
    farol = Path(sys.executable).parent / "farol"
    result = subprocess.run(
        [
            str(farol),
            "browser",
            "--task",
            "Click the target",
            "--start-url",
            site.url("actions.html"),
            "--model-url",
            model.url,
            "--model",
            "fara-test",
            "--port",
            str(free_port()),
            "--db",
            str(tmp_path / "farol.db"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "The answer is 42." in result.stdout and "Click the button “Target”" in result.stdout
    assert site.wait_for("click", target="target")
    assert Store(tmp_path / "farol.db").list()[0]["source"] == "extension"
    assert "Traceback" not in result.stderr and "CancelledError" not in result.stderr  # its own bridge stops cleanly
    assert list((tmp_path / "task-profiles").iterdir()) == []  # what was typed in the run left with its profile


def test_farol_browser_answers_approvals_through_the_panel_messages(site, model, tmp_path):
    """No terminal to ask: the critical point's card is answered "deny", as the panel would send it; a profile
    left behind by a crashed run is removed at the start."""
    from tests.support.extension import free_port

    model.add(CRITICAL)
    orphan = tmp_path / "task-profiles" / "999999999-1"  # no such process
    orphan.mkdir(parents=True)
    farol = Path(sys.executable).parent / "farol"
    args = ["browser", "--task", "Order it", "--start-url", site.url("actions.html"), "--model-url", model.url]
    args += ["--port", str(free_port()), "--db", str(tmp_path / "farol.db")]
    result = subprocess.run([str(farol), *args], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no terminal to ask, so: denied" in result.stdout and "declined at the critical point" in result.stdout
    store = Store(tmp_path / "farol.db")
    trajectory = store.load(store.list()[0]["id"])
    assert [(a.kind, a.decision) for a in trajectory.approvals] == [("critical_point", "deny")]
    assert list((tmp_path / "task-profiles").iterdir()) == [] and "Traceback" not in result.stderr
    assert (tmp_path / "task-profiles").stat().st_mode & 0o777 == 0o700  # made by someone else: narrowed


def test_steps_recorded_while_the_worker_is_away_reach_the_timeline(site, model, bridge, tmp_path):
    model.add(reply("Hover.", "mouse_move", coordinate=model_point(*ActionsPage.HOVER_ZONE)), Slow(DONE, delay=3.0))

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            await start(browser, site)
            await browser.wait_for(lambda row: row["steps"] >= 1)
            await browser.kill_service_worker()  # the last step is recorded while it is gone
            await browser.wait_for(lambda row: row["steps"] >= 2 and finished(row), timeout=60)
            await browser.send({"type": "get_state"})  # the worker wakes and says what it has
            return await poll(
                browser.memory,
                lambda memory: [step["index"] for step in memory.get("steps", [])] == [0, 1],
                timeout=30,
                failure=lambda memory: f"the timeline holds {[s['index'] for s in memory.get('steps', [])]}",
            )

    memory = run_async(scenario())
    assert memory["steps"][1]["verb"] == "Finish"


def test_closing_the_agents_tab_stops_the_task_and_says_why(site, model, bridge, tmp_path):
    model.add(
        reply("Hover.", "mouse_move", coordinate=model_point(*ActionsPage.HOVER_ZONE)),
        Slow(reply("Click the target.", "left_click", coordinate=model_point(*ActionsPage.TARGET)), delay=2.0),
        DONE,
    )

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            await start(browser, site)
            await browser.wait_for(lambda row: row["steps"] >= 1)
            agent_tab = next(page for page in browser.context.pages if page.url == site.url("actions.html"))
            await agent_tab.close()  # the person closes it while the model thinks
            return await browser.wait_for(finished, timeout=60)

    row = run_async(scenario())
    trajectory = Store(bridge.db).load(row["id"])
    assert trajectory.status == "stopped" and "tab was closed" in trajectory.reason, trajectory.reason


def test_a_tab_opened_by_the_agent_becomes_its_tab(site, model, bridge, tmp_path):
    model.add(
        reply("Open the link in a new tab.", "left_click", coordinate=model_point(*ActionsPage.NEW_TAB_LINK)),
        reply("Now on the new page.", "mouse_move", coordinate=[10, 10]),
        DONE,
    )

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            await start(browser, site)
            row = await browser.wait_for(finished)
            groups = await browser.panel.evaluate(
                "chrome.tabs.query({}).then((tabs) => tabs.filter((t) => t.groupId !== -1).map((t) => t.url))"
            )
            return row, groups

    row, grouped_urls = run_async(scenario())
    trajectory = Store(bridge.db).load(row["id"])
    assert trajectory.steps[1].url == site.url("popup.html")  # the agent followed the new tab
    assert sorted(grouped_urls) == sorted([site.url("actions.html"), site.url("popup.html")])  # both in its group


def test_a_session_interrupted_by_a_bridge_restart_continues(site, model, tmp_path):
    from tests.support.extension import free_port

    port = free_port()
    model.add(reply("Hover.", "mouse_move", coordinate=model_point(*ActionsPage.HOVER_ZONE)), Slow(DONE, delay=30))

    async def scenario():
        first = BridgeThread(tmp_path / "farol.db", model.url, port=port)
        async with extension_browser(first, tmp_path / "profile") as browser:
            await start(browser, site)
            row = await browser.wait_for(lambda row: row["steps"] >= 1)
            first.stop()  # the bridge goes away mid-task
            second = BridgeThread(tmp_path / "farol.db", model.url, port=port)
            browser.bridge = second
            try:
                interrupted = await browser.wait_for(lambda row: row["status"] == "interrupted")
                await browser.wait_until_connected(timeout=45)  # the worker reconnects with backoff
                model.replies.clear()
                model.add(reply("Picking up where we left off: done.", "terminate", status="success"))
                await browser.send({"type": "follow_up", "session_id": row["id"], "text": "Please finish"})
                return interrupted, await browser.wait_for(lambda row: row["status"] == "awaiting_user")
            finally:
                second.stop()

    interrupted, row = run_async(scenario())
    assert interrupted["id"] == row["id"]
    trajectory = Store(tmp_path / "farol.db").load(row["id"])
    assert trajectory.final_answer == "Picking up where we left off: done."
    assert [turn.text for turn in trajectory.user_turns] == ["Do the task", "Please finish"]
    # The continued conversation carries the earlier turns, rebuilt from the store.
    messages = model.requests[-1]["messages"]
    assert messages[2] == {
        "role": "assistant",
        "content": reply("Hover.", "mouse_move", coordinate=model_point(*ActionsPage.HOVER_ZONE)),
    }
    assert messages[-1]["content"][1]["text"] == "Please finish"


def test_typing_without_a_point_into_the_focused_password_field_is_guarded_and_masked(site, model, bridge, tmp_path):
    model.add(
        reply("Focus the password field.", "left_click", coordinate=model_point(*ActionsPage.PASSWORD)),
        reply(f"Typing {SECRET_PASSWORD}.", "type", text=SECRET_PASSWORD, press_enter=False),
        DONE,
    )

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            await start(browser, site)
            card = await browser.approval()
            assert card["kind"] == "guard" and "password" in card["reason"]
            await decide(browser, card, "approve")
            return await browser.wait_for(finished)

    row = run_async(scenario())
    store = Store(bridge.db)
    typed = store.load(row["id"]).steps[1]
    assert typed.action.text == "********" and SECRET_PASSWORD not in typed.raw_text + typed.thoughts
    store.close()
    for file in tmp_path.rglob("*"):
        if file.is_file() and "profile" not in file.parts:
            assert SECRET_PASSWORD.encode() not in file.read_bytes(), file


def test_the_caret_is_hidden_in_the_extensions_captures_and_the_look_ahead_holds(
    site, model, bridge, tmp_path, monkeypatch
):
    """The extension reads the page around each capture with the same expressions headless Chromium uses, carets
    hidden included: with the focus left in a field, captures across the caret's blink show the same pixels (the
    model never sees a caret the reference's screenshot would not have). So on this still page every capture after
    a settle is the bytes of the glance taken during it, and its model image is the one made then."""
    glances, encoded = record_look_ahead(monkeypatch, ExtensionEnv)
    blank = [model_point(900 + 40 * i, 700) for i in range(5)]  # points over nothing that reacts to a hover
    model.add(
        reply("Type the name.", "type", text="Ana", coordinate=model_point(*ActionsPage.NAME), press_enter=False),
        *(reply(f"Look {i}.", "mouse_move", coordinate=point) for i, point in enumerate(blank)),
        DONE,
    )

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            await start(browser, site)
            return await browser.wait_for(finished)

    row = run_async(scenario())
    assert row["status"] == "awaiting_user", row
    after_typing = [request["messages"][-1]["content"][0]["image_url"]["url"] for request in model.requests[1:]]
    assert len(after_typing) == 6 and len(set(after_typing)) == 1  # the focus is in the field the whole time
    assert len(glances) >= 6 and None not in glances  # at least one glance per settle
    assert encoded[1:] == glances  # the first capture, then only the glances: no capture after a settle encoded
