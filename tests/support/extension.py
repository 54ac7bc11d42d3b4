"""A bridge in a background thread and Chromium with the real extension, for end-to-end tests."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from playwright.async_api import BrowserContext, Page, async_playwright

from agent.policy import OpenAIPolicy
from agent.settle import SettleRule
from agent.store import Store
from bridge.browser import launch_with_extension, open_panel, pair, send_from_panel, service_worker
from bridge.server import build_server
from bridge.uploads import Uploader
from tests.support.polling import poll


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerThread:
    """A uvicorn server in a daemon thread, started (and waited for) at once."""

    def __init__(self, server: uvicorn.Server) -> None:
        self.server = server
        self._thread = threading.Thread(target=self.server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)


class BridgeThread(ServerThread):
    """`farol serve` in a thread, against the scripted model."""

    def __init__(
        self, db: Path, model_url: str, port: int | None = None, uploader: Uploader | None = None, retries: int = 0
    ) -> None:
        self.db, self.port, self.model_url = db, port or free_port(), model_url
        bridge = build_server(
            Store(db), OpenAIPolicy(model_url, "fara-test", retries=retries), self.port, SettleRule(), uploader
        )
        self.token = bridge.token
        super().__init__(bridge.server)

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"


@dataclass
class Browser:
    context: BrowserContext
    panel: Page
    bridge: BridgeThread

    async def send(self, message: dict[str, Any]) -> None:
        await send_from_panel(self.panel, message)

    async def memory(self) -> dict[str, Any]:
        """What the service worker remembers (the panel's view of the session)."""
        return await self.panel.evaluate("chrome.storage.session.get('memory').then((s) => s.memory || {})")

    async def wait_for(self, predicate: Any, timeout: float = 30.0) -> dict[str, Any]:
        """Poll the store's newest session until `predicate(row)` holds."""
        rows = await poll(
            lambda: Store(self.bridge.db).list(),
            lambda rows: rows and predicate(rows[0]),
            timeout=timeout,
            failure=lambda rows: f"timed out; newest session: {rows[:1]}",
        )
        return rows[0]

    async def session_where(self, predicate: Any, timeout: float = 30.0) -> dict[str, Any]:
        """Poll the service worker's view of the session until `predicate(session)` holds."""
        return await poll(
            lambda: self._remembered("session", {}),
            predicate,
            timeout=timeout,
            failure=lambda session: f"timed out; the session is {session}",
        )

    async def approval(self, timeout: float = 30.0) -> dict[str, Any]:
        return await poll(
            lambda: self._remembered("approval"), bool, timeout=timeout, failure=lambda _: "no approval request arrived"
        )

    async def _remembered(self, key: str, default: Any = None) -> Any:
        return (await self.memory()).get(key) or default

    async def connection_state(self) -> str:
        """Ask the service worker, as the panel does on opening, how its bridge connection is."""
        return await self.panel.evaluate(
            """new Promise((resolve) => {
                const port = chrome.runtime.connect({name: 'panel'});
                port.onMessage.addListener((m) => {
                    if (m.type === 'state') { port.disconnect(); resolve(m.connection.state); }
                });
            })"""
        )

    async def wait_until_connected(self, timeout: float = 15.0) -> None:
        await poll(
            self.connection_state,
            lambda state: state == "connected",
            timeout=timeout,
            failure=lambda _: "the extension did not connect to the bridge",
            interval=0.2,
        )

    async def kill_service_worker(self) -> None:
        """What Chrome does to an idle or crashed worker: the target goes away with its state in memory."""
        worker = await service_worker(self.context)
        session = await self.context.new_cdp_session(self.panel)
        targets = (await session.send("Target.getTargets"))["targetInfos"]
        target = next(t for t in targets if t["type"] == "service_worker" and t["url"] == worker.url)
        await session.send("Target.closeTarget", {"targetId": target["targetId"]})


@asynccontextmanager
async def extension_browser(bridge: BridgeThread, profile: Path, *, paired: bool = True, **launch: Any):
    """Chromium with the extension and its panel open; `paired=False` leaves pairing to the test."""
    async with async_playwright() as playwright:
        context = await launch_with_extension(playwright, profile, **launch)
        try:
            if paired:
                await pair(context, bridge.token, bridge.port)
            panel = await open_panel(context)
            browser = Browser(context, panel, bridge)
            if paired:
                await browser.wait_until_connected()
            yield browser
        finally:
            await context.close()
