"""The one live connection to the extension, and request/response calls over it.

The extension's service worker can be killed and restarted by Chrome at any time; it then reconnects.
A call that was in flight is re-sent on the new connection when that is safe (observing, inspecting)
and reported as interrupted when it is not (an action may or may not have happened).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from fastapi import WebSocket
from pydantic import BaseModel

from bridge.protocol import Request, RequestMethod, Result

log = logging.getLogger(__name__)

RECONNECT_GRACE_SECONDS = 60.0  # how long a call waits for the extension to come back


class ExtensionGone(Exception):
    """No extension connected within the grace period."""


class ConnectionLost(Exception):
    """The connection dropped while a call that must not be repeated was in flight."""


class ExtensionFailed(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class ExtensionLink:
    def __init__(self, reconnect_grace: float = RECONNECT_GRACE_SECONDS) -> None:
        self.reconnect_grace = reconnect_grace
        self._socket: WebSocket | None = None
        self._connected = asyncio.Event()
        self._pending: dict[str, tuple[asyncio.Future[Result], WebSocket]] = {}
        self._send_lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        return self._socket is not None

    async def attach(self, socket: WebSocket) -> None:
        """Make `socket` the extension's connection; a previous one (a restarted worker's) is closed."""
        previous, self._socket = self._socket, socket
        self._connected.set()
        if previous is not None:
            self._fail_pending(previous)
            await _close_quietly(previous, 4000, "replaced by a newer connection")

    def detach(self, socket: WebSocket) -> None:
        if self._socket is socket:
            self._socket = None
            self._connected.clear()
        self._fail_pending(socket)

    async def send(self, message: BaseModel) -> None:
        """Send an event if the extension is connected; events missed while away are re-synced on hello."""
        if self._socket is not None:
            await self._send_to(self._socket, message)

    async def call(
        self, session_id: str, method: RequestMethod, params: dict[str, Any], *, repeatable: bool, timeout: float
    ) -> dict[str, Any]:
        while True:
            socket = await self._wait_for_connection()
            request = Request(id=uuid.uuid4().hex, session_id=session_id, method=method, params=params)
            future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
            self._pending[request.id] = (future, socket)
            try:
                await self._send_to(socket, request)
                result = await asyncio.wait_for(future, timeout)
            except ConnectionLost:
                if repeatable:
                    log.info("extension reconnecting; repeating %s", method)
                    continue
                raise
            except TimeoutError as error:
                raise ExtensionFailed(
                    "failed", f"the extension did not answer {method} within {timeout:.0f} s"
                ) from error
            finally:
                self._pending.pop(request.id, None)
            if not result.ok:
                raise ExtensionFailed(result.error_kind or "failed", result.error or f"{method} failed")
            return result.data or {}

    def resolve(self, result: Result) -> bool:
        """Deliver the extension's answer; False if no call is waiting for it."""
        entry = self._pending.get(result.id)
        if entry is None or entry[0].done():
            return False
        entry[0].set_result(result)
        return True

    async def _wait_for_connection(self) -> WebSocket:
        """The current connection; while there is none, wait for one (a restarting worker may flap)."""
        deadline = asyncio.get_running_loop().time() + self.reconnect_grace
        while self._socket is None:
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                await asyncio.wait_for(self._connected.wait(), max(remaining, 0))
            except TimeoutError as error:
                raise ExtensionGone(f"the extension has been disconnected for {self.reconnect_grace:.0f} s") from error
        return self._socket

    async def _send_to(self, socket: WebSocket, message: BaseModel) -> None:
        async with self._send_lock:
            try:
                await socket.send_text(message.model_dump_json(exclude_none=True))
            except Exception as error:  # the socket died under us: its reader will detach it
                log.info("send failed: %s", error)
                self._fail_pending(socket)

    def _fail_pending(self, socket: WebSocket) -> None:
        for future, owner in list(self._pending.values()):
            if owner is socket and not future.done():
                future.set_exception(ConnectionLost())


async def _close_quietly(socket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):  # already closed
        await socket.close(code=code, reason=reason)
