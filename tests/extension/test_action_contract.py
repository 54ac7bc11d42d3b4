"""One contract for Fara-7B's actions, on both paths: headless Chromium (`PlaywrightEnv`) and the person's Chrome
through the real extension (`ExtensionEnv`) run the same CDP commands (`agent/cdp_actions.py`), so the same script
of actions on the same page leaves the same page-side event log (keys, input, pointer, scroll, loads) and the same
observation text on both."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from agent.store import Store
from bridge.browser import FINISHED
from tests.conftest import run_async
from tests.support.driving import drive
from tests.support.extension import BridgeThread, extension_browser
from tests.support.fara import ActionsPage, model_point, reply
from tests.support.servers import ScriptedModel


def script(site) -> list[str]:
    host = site.url("page2.html").removeprefix("http://")
    return [
        reply("Go back, on the first page.", "history_back"),
        reply("Click the target.", "left_click", coordinate=model_point(*ActionsPage.TARGET)),
        reply(
            "Type, with letters no key has.",
            "type",
            text="Zoë 50%!",
            coordinate=model_point(*ActionsPage.NAME),
            press_enter=False,
        ),
        reply("Replace it.", "type", text="Hi", coordinate=model_point(*ActionsPage.NAME), delete_existing_text=True),
        reply("A chord.", "key", keys=["ctrl", "a"]),
        reply("Another.", "key", keys=["Shift", "Tab"]),
        reply("Hover.", "mouse_move", coordinate=model_point(*ActionsPage.HOVER_ZONE)),
        reply("Scroll down where the mouse is.", "scroll", pixels=-500),
        reply("Scroll back up.", "scroll", pixels=300),
        reply("Open it with one.", "visit_url", url=site.url("page2.html")),
        reply("Back.", "history_back"),
        reply("Open the link in a new tab.", "left_click", coordinate=model_point(*ActionsPage.NEW_TAB_LINK)),
        reply("Open it without a scheme (https: this server has none, so an error page).", "visit_url", url=host),
        reply("Done.", "terminate", status="success"),
    ]


def headless(site, model, tmp_path):
    return run_async(drive(site, model, task="Exercise every action"))


def extension(site, model, tmp_path):
    bridge = BridgeThread(tmp_path / "farol.db", model.url)

    async def scenario():
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            await browser.send(
                {"type": "start_task", "task": "Exercise every action", "start_url": site.url("actions.html")}
            )
            return await browser.wait_for(lambda row: row["status"] in FINISHED, timeout=90)

    try:
        row = run_async(scenario())
    finally:
        bridge.stop()
    return Store(bridge.db).load(row["id"])


def page_log(site) -> tuple[list[tuple], list[tuple]]:
    """What the pages recorded, in order: the events without coordinates, and the coordinates apart (Chrome's
    debugging bar makes the extension's viewport a few pixels shorter, so a point may land a pixel apart)."""
    events, points = [], []
    for event in site.events:
        if event["type"] == "load" and event["page"] == "/popup.html":
            continue  # headless Chromium folds the new tab into the agent's page; the extension follows the tab
        events.append(tuple(sorted((k, v) for k, v in event.items() if k not in ("x", "y", "title", "at"))))
        if "x" in event:
            points.append((event["type"], event["x"], event["y"]))
    return events, points


@pytest.fixture
def runs(site, tmp_path):
    """Both paths, each with its own scripted model playing the same script; their records and page logs."""
    results = {}
    for name, run in (("headless", headless), ("extension", extension)):
        site.events.clear()
        model = ScriptedModel()
        model.add(*script(site))
        try:
            trajectory = run(site, model, tmp_path / name)
        finally:
            model.close()
        site.wait_for("load", page="/popup.html")  # the last page's beacon is in
        results[name] = trajectory, page_log(site)
    return results


def test_both_paths_leave_the_same_page_log_and_observations(runs):
    (headless_run, (headless_events, headless_points)) = runs["headless"]
    (extension_run, (extension_events, extension_points)) = runs["extension"]
    assert headless_run.status == extension_run.status == "awaiting_user"
    # The same words; the points in them are CSS pixels, a fraction apart where the viewports differ (see page_log).
    observations = [
        [re.sub(r"\(\d[\d.]*, \d[\d.]*\)", "(x, y)", step.result.observation) for step in run.steps]
        for run in (headless_run, extension_run)
    ]
    assert observations[0] == observations[1]
    assert observations[0][0] == "There is no page to go back to."
    # The same events (beacons may arrive a little out of order, so as a multiset), and the same points.
    assert Counter(headless_events) == Counter(extension_events)
    assert Counter(kind for kind, *_ in headless_points) == Counter(kind for kind, *_ in extension_points)
    for (_, x1, y1), (_, x2, y2) in zip(sorted(headless_points), sorted(extension_points), strict=True):
        assert abs(x1 - x2) <= 2 and abs(y1 - y2) <= 2
    # What the contract holds to: each character typed by a key where a key types it, the rest inserted.
    typed = [dict(event) for event in headless_events if dict(event)["type"] == "keydown"]
    assert [event["key"] for event in typed][:7] == ["Z", "o", " ", "5", "0", "%", "!"]  # "ë" has no key
    inputs = [dict(event)["value"] for event in headless_events if dict(event)["type"] == "input"]
    assert "Zoë 50%!" in inputs and inputs[-1] == "Hi"
    assert any(e["key"] == "a" and e["ctrl"] for e in typed) and any(e["key"] == "Tab" and e["shift"] for e in typed)
    loads = [dict(event)["page"] for event in headless_events if dict(event)["type"] == "load"]
    assert loads[:2] == ["/actions.html", "/page2.html"]  # back again is restored from the cache: no new load
    # The tab the link opened passed the URL policy and was followed, on both paths.
    assert all(run.steps[-2].url.endswith("/popup.html") for run in (headless_run, extension_run))
    # And an error page shows the address that failed, as Chrome's address bar does, on both.
    assert headless_run.steps[-1].url == extension_run.steps[-1].url and "https://" in headless_run.steps[-1].url
