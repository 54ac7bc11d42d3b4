"""PlaywrightEnv recovering from a browser that stops painting, through real Chromium processes; a glance, taken
while a page settles, gives up instead.

Stopping a process (SIGSTOP) gives the stall seen under load: the page's scripts may still answer,
but screenshots never come."""

from __future__ import annotations

import contextlib
import logging
import os
import signal

import pytest

from agent import capture, chromium
from agent.playwright_env import PlaywrightEnv
from tests.conftest import run_async

REMEMBER = "document.cookie = 'visitor=ana; path=/'; localStorage.setItem('cart', '2 items')"
RECALL = "[document.cookie, localStorage.getItem('cart'), document.querySelector('#name').value]"


async def chromium_processes(env: PlaywrightEnv, kind: str) -> list[int]:
    session = await env.page.context.browser.new_browser_cdp_session()
    processes = (await session.send("SystemInfo.getProcessInfo"))["processInfo"]
    return [process["id"] for process in processes if process["type"] == kind]


@pytest.fixture(autouse=True)
def quick_timeouts(monkeypatch):
    monkeypatch.setattr(capture, "SCREENSHOT_TIMEOUT_MS", 2_000)
    monkeypatch.setattr(chromium, "STATE_TIMEOUT_SECONDS", 1.0)


def stall_then_observe(site, kind: str):
    """Stop the env's `kind` processes, observe, and report what the page remembers afterwards."""

    async def scenario():
        env = await PlaywrightEnv.launch(site.url("actions.html"))
        stopped = await chromium_processes(env, kind)
        try:
            await env.page.evaluate(REMEMBER)
            await env.page.fill("#name", "half-typed")
            browser = env.page.context.browser
            for pid in stopped:
                os.kill(pid, signal.SIGSTOP)
            glanced = await env.glance()  # one try and no recovery: recovering is the observation's
            untouched = set(stopped) <= set(await chromium_processes(env, kind)) and env.page.context.browser is browser
            observation = await env.observe()
            title = (await observation.page).title
            kept = env.page.context.browser is browser
            replaced = not set(stopped) & set(await chromium_processes(env, kind))
            return glanced, untouched, (observation, title), await env.page.evaluate(RECALL), kept, replaced
        finally:
            for pid in stopped:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
            await env.close()

    glanced, untouched, (observation, title), remembered, same_browser, replaced = run_async(scenario())
    assert glanced is None and untouched
    assert observation.url == site.url("actions.html") and title == "Action fixture"
    assert observation.screenshot.startswith(b"\x89PNG")
    assert replaced
    return remembered, same_browser


@pytest.mark.serial
def test_a_stalled_gpu_process_is_replaced_and_the_page_kept_as_it_was(site, caplog):
    with caplog.at_level(logging.WARNING, logger="agent.playwright_env"):
        remembered, same_browser = stall_then_observe(site, "GPU")
    assert same_browser
    assert remembered == ["visitor=ana", "2 items", "half-typed"]
    assert "restarting its GPU process" in caplog.text and "new one" not in caplog.text


@pytest.mark.serial
def test_a_stall_that_outlives_the_gpu_process_restarts_the_browser_keeping_cookies(site, caplog):
    with caplog.at_level(logging.WARNING, logger="agent.playwright_env"):
        remembered, same_browser = stall_then_observe(site, "renderer")
    assert not same_browser
    # Local storage is read through the hung page, so only the cookies survive; typed text is lost.
    assert remembered == ["visitor=ana", None, ""]
    assert "opening a new one" in caplog.text
