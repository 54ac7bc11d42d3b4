"""Secrets on the person's-browser path: the real extension, bridge and store. What the model typed into secret
fields is nowhere in the store, the panel's view or an export; a page that moves its field under the capture has
the screenshot withheld."""

from __future__ import annotations

import json

import pytest

from agent.export import export_webeval
from agent.secrets import SECRET_MASK
from agent.store import Store
from tests.conftest import run_async
from tests.extension.test_extension import decide, finished, start
from tests.support.extension import BridgeThread, extension_browser
from tests.support.fara import reply
from tests.support.secrets import CODE, PASSWORD, files_in, found_in, leaks, red_pixels, secret_session_replies

TYPING_STEPS = (0, 1, 2, 4)  # the steps of `secret_session_replies` that type into a secret field


@pytest.fixture
def bridge(model, tmp_path):
    thread = BridgeThread(tmp_path / "data" / "farol.db", model.url)
    yield thread
    thread.stop()


def test_secrets_typed_through_the_extension_are_nowhere_in_the_record(site, model, bridge, tmp_path):
    model.add(*secret_session_replies())

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            await start(browser, site, task="Sign in and pay", page="secrets.html")
            cards = []
            for index in TYPING_STEPS:  # the guard asks before each secret field
                cards.append(await browser.approval())
                await decide(browser, cards[-1])
                await browser.wait_for(lambda row, n=index: row["steps"] > n)
            row = await browser.wait_for(finished)
            text = f"Thanks. For the record: code {CODE}, password {PASSWORD}."
            await browser.send({"type": "follow_up", "session_id": row["id"], "text": text})
            row = await browser.wait_for(lambda row: finished(row) and row["steps"] == 7)
            await browser.session_where(lambda session: session.get("status") == "awaiting_user")
            return row, cards, await browser.memory()

    row, cards, memory = run_async(scenario())
    assert found_in(json.dumps(cards)) == [] and found_in(json.dumps(memory)) == []  # the panel's cards and timeline
    assert PASSWORD in json.dumps(model.requests[1]["messages"])  # the model's own history is as it was
    store = Store(bridge.db)
    trajectory = store.load(row["id"])
    assert [trajectory.steps[index].action.text for index in TYPING_STEPS] == [SECRET_MASK] * 4
    assert SECRET_MASK in trajectory.steps[5].url and SECRET_MASK in trajectory.steps[5].title
    assert leaks(files_in(bridge.db.parent)) == []  # the database, its -wal and -shm, the screenshots
    assert leaks(files_in(export_webeval(store, trajectory, tmp_path / "export"))) == []


def test_a_page_that_moves_its_field_under_the_capture_has_its_screenshot_withheld(site, model, bridge, tmp_path):
    model.add(reply("Type the password.", "type", text=PASSWORD, press_enter=False), reply("Done.", "terminate"))

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            await start(browser, site, task="Sign in", page="swap.html")
            await decide(browser, await browser.approval())
            return await browser.wait_for(finished)

    store = Store(bridge.db)
    typed, after = store.load(run_async(scenario())["id"]).steps
    assert typed.screenshot_withheld is None  # an empty field is nothing to hide: kept as captured
    assert after.screenshot_withheld and red_pixels(store.read_screenshot(after.screenshot)) == 0
