"""Debian's Chromium with the Farol extension loaded and paired, through Playwright (`farol browser`, tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from playwright.async_api import BrowserContext, Page, Playwright, Worker

from agent.approval import Decision
from agent.chromium import CHROMIUM, CHROMIUM_ARGS
from agent.geometry import TRAINING_WINDOW
from bridge.pairing import EXTENSION_ID

EXTENSION_DIR = Path(__file__).resolve().parent.parent / "extension"
# Headless Chromium's window frame takes 87 px of height: a 1440x987 window has a 1440x900 viewport.
WINDOW_FRAME_HEIGHT = 87
PANEL_URL = f"chrome-extension://{EXTENSION_ID}/panel.html"


async def launch_with_extension(
    playwright: Playwright,
    profile_dir: Path,
    *,
    headless: bool = True,
    viewport: tuple[int, int] = TRAINING_WINDOW,
    device_scale_factor: float = 1.0,
) -> BrowserContext:
    """A persistent profile (extensions need one) with a real window of that viewport.

    No viewport emulation: the extension's own debugger session captures the real window surface,
    so the window itself must have the size the page reports (as in the person's Chrome).
    """
    args = [
        *CHROMIUM_ARGS,
        f"--disable-extensions-except={EXTENSION_DIR}",
        f"--load-extension={EXTENSION_DIR}",
        f"--window-size={viewport[0]},{viewport[1] + WINDOW_FRAME_HEIGHT}",
        f"--force-device-scale-factor={device_scale_factor}",
    ]
    return await playwright.chromium.launch_persistent_context(
        str(profile_dir), executable_path=CHROMIUM, headless=headless, args=args, no_viewport=True
    )


async def service_worker(context: BrowserContext) -> Worker:
    for worker in context.service_workers:
        if worker.url.startswith(f"chrome-extension://{EXTENSION_ID}/"):
            return worker
    started: Worker = await context.wait_for_event(
        "serviceworker", predicate=lambda worker: worker.url.startswith(f"chrome-extension://{EXTENSION_ID}/")
    )
    return started


async def pair(context: BrowserContext, token: str, port: int) -> None:
    """What a person does once in the side panel: hand the extension the bridge's token and port."""
    worker = await service_worker(context)
    await worker.evaluate("([token, port]) => chrome.storage.local.set({token, port})", [token, port])


async def open_panel(context: BrowserContext) -> Page:
    """The side panel's page in a tab (a side panel itself is not reachable from Playwright)."""
    page = await context.new_page()
    await page.goto(PANEL_URL)
    return page


async def send_from_panel(panel: Page, message: dict[str, object]) -> None:
    """Post a message to the service worker exactly as the side panel does, over a `panel` port."""
    await panel.evaluate(
        "(message) => { const port = chrome.runtime.connect({name: 'panel'}); port.postMessage(message); "
        "setTimeout(() => port.disconnect(), 1000); }",
        message,
    )


class PanelChannel:
    """The side panel's own connection to the service worker, held from Python: what it receives (session,
    step and approval events) and what it sends (start a task, answer an approval) are the panel's messages."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    @classmethod
    async def open(cls, context: BrowserContext) -> PanelChannel:
        channel = cls(await open_panel(context))
        await channel.page.expose_function("farolDeliver", channel._inbox.put_nowait)
        await channel.page.evaluate(
            "() => { window.farolPort = chrome.runtime.connect({name: 'panel'});"
            " window.farolPort.onMessage.addListener((message) => window.farolDeliver(message)); }"
        )
        return channel

    async def send(self, message: dict[str, Any]) -> None:
        await self.page.evaluate("(message) => window.farolPort.postMessage(message)", message)

    async def receive(self) -> dict[str, Any]:
        return await self._inbox.get()


class TaskRefused(Exception):
    """The bridge would not start the task (one is already running, a refused URL, ...)."""


FINISHED = {"awaiting_user", "stopped", "error", "cancelled", "interrupted"}


async def run_in_panel(
    context: BrowserContext,
    task: str,
    start_url: str,
    decide: Callable[[dict[str, Any]], Awaitable[Decision]],
    on_step: Callable[[dict[str, Any]], None] = lambda step: None,
) -> dict[str, Any]:
    """Do what a person does in the side panel, with the panel's own messages: start the task, follow its
    events, answer each approval card with `decide(card)`. Returns the finished session's view."""
    channel = await PanelChannel.open(context)
    await channel.send({"type": "start_task", "task": task, "start_url": start_url})
    session_id: str | None = None
    while True:
        message = await channel.receive()
        kind = message["type"]
        if kind == "error" and session_id is None:
            raise TaskRefused(message["message"])
        if kind == "session":
            session: dict[str, Any] = message["session"]
            session_id = session_id or session["id"]
            if session["id"] == session_id and session["status"] in FINISHED:
                return session
        elif kind == "step" and message["session_id"] == session_id:
            on_step(message["step"])
        elif kind == "approval_request" and message["session_id"] == session_id:
            decision = await decide(message)
            answer = {"type": "approval", "session_id": session_id, "request_id": message["request_id"]}
            await channel.send({**answer, "decision": decision.decision, "text": decision.text})
