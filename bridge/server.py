"""The bridge as a server: built once for `farol serve`, or run inside another program's event loop
(`farol browser`, the benchmarks) and stopped cleanly when that program is done."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import uvicorn

from agent.policy import Policy
from agent.settle import SettleRule
from agent.store import Store
from bridge.app import create_app
from bridge.link import ExtensionLink
from bridge.pairing import load_or_create_token
from bridge.protocol import MAX_MESSAGE_BYTES
from bridge.sessions import SessionManager
from bridge.uploads import KeyRing, Uploader


@dataclass(frozen=True)
class Bridge:
    server: uvicorn.Server
    token: str  # the pairing token
    manager: SessionManager  # runs the sessions


def build_server(
    store: Store, policy: Policy, port: int, settle: SettleRule, uploader: Uploader | None = None
) -> Bridge:
    """The bridge's server, pairing token and sessions; `uploader` (by default: to the collectors the data folder
    knows) contributes the shared ones."""
    token = load_or_create_token(store.path.parent)
    manager = SessionManager(store, ExtensionLink(), policy, settle=settle)
    config = uvicorn.Config(
        create_app(manager, token, uploader or Uploader(store, KeyRing(store.path.parent))),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws_max_size=4 * MAX_MESSAGE_BYTES,  # larger than our limit, so oversized messages get a reply, not a drop
        ws="websockets-sansio",
        ws_per_message_deflate=False,  # loopback only: deflating base64 screenshots costs time and saves nothing
    )
    return Bridge(uvicorn.Server(config), token, manager)


def bridge_running(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).json().get("farol") is not None
    except (httpx.HTTPError, ValueError):
        return False


@asynccontextmanager
async def running_bridge(store: Store, policy: Policy, port: int, settle: SettleRule) -> AsyncIterator[str]:
    """A bridge on `port` for the duration of the block (the one already running there, if any); yields
    the pairing token. One this started is shut down and awaited at the end, so nothing is left to cancel."""
    if bridge_running(port):
        yield load_or_create_token(store.path.parent)
        return
    bridge = build_server(store, policy, port, settle)
    server = bridge.server
    serving = asyncio.create_task(server.serve())
    while not server.started and not serving.done():
        await asyncio.sleep(0.05)
    try:
        yield bridge.token
    finally:
        server.should_exit = True
        await serving
