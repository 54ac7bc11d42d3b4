"""The extension's WebSocket: the handshake's checks, then one message per text frame, handed to the dispatcher.

Bad input never closes the extension's connection: malformed, unknown and oversized messages each get an `error`
reply and the next message is read as usual.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import MutableMapping
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ValidationError

from bridge.dispatcher import Dispatcher
from bridge.link import ExtensionLink
from bridge.pairing import SUBPROTOCOL, websocket_refusal
from bridge.protocol import EXTENSION_MESSAGE, MAX_MESSAGE_BYTES, PROTOCOL_VERSION, ErrorMessage

log = logging.getLogger(__name__)


def extension_socket(dispatcher: Dispatcher, link: ExtensionLink, token: str) -> APIRouter:
    """`/ws`, for the extension paired with `token`; the accepted connection becomes the `link`'s."""
    router = APIRouter()

    @router.websocket("/ws")
    async def connect(socket: WebSocket) -> None:
        offered = list(socket.scope.get("subprotocols", []))
        refusal = websocket_refusal(socket.headers.get("origin"), socket.headers.get("host"), offered, token)
        if refusal is not None:
            log.warning("refused a WebSocket connection: %s", refusal.reason)
            if refusal.code is None:
                await socket.close(code=1008)  # before accept: the handshake fails with 403
                return
            # Our extension, refused: accept and close at once with the reason, so its panel can say what to fix.
            # (Browsers hide a refused handshake's status and reason from the page: it would read as "not running".)
            await socket.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
            await socket.close(code=refusal.code, reason=refusal.reason)
            return
        await socket.accept(subprotocol=SUBPROTOCOL)
        await link.attach(socket)
        try:
            while True:
                frame = await socket.receive()
                if frame["type"] == "websocket.disconnect":
                    break
                await _handle_frame(dispatcher, socket, frame)
        except WebSocketDisconnect:
            pass
        finally:
            link.detach(socket)

    return router


async def _handle_frame(dispatcher: Dispatcher, socket: WebSocket, frame: MutableMapping[str, Any]) -> None:
    async def reply(message: BaseModel) -> None:
        await socket.send_text(message.model_dump_json(exclude_none=True))

    text = frame.get("text")
    if text is None:
        await reply(ErrorMessage(message="send JSON text frames"))
        return
    if len(text) > MAX_MESSAGE_BYTES:
        await reply(ErrorMessage(message=f"message too large ({len(text)} bytes; the limit is {MAX_MESSAGE_BYTES})"))
        return
    try:
        message = EXTENSION_MESSAGE.validate_json(text)
    except ValidationError as error:
        await reply(ErrorMessage(message=_other_version(text) or f"malformed message: {_first_problem(error)}"))
        return
    await dispatcher.handle(message, reply)


def _other_version(text: str) -> str | None:
    """What to do about a message of another protocol version: the extension and the bridge come from different
    Farols. None when the message is not one."""
    with contextlib.suppress(ValueError):
        sent = json.loads(text)
        if isinstance(sent, dict) and isinstance(sent.get("v"), int) and sent["v"] != PROTOCOL_VERSION:
            return (
                f"this extension speaks protocol v{sent['v']} and the bridge v{PROTOCOL_VERSION}: they come from "
                "different versions of Farol. Reload the extension from the Farol you run (chrome://extensions)."
            )
    return None


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"]) or "message"
    return f"{where}: {problem['msg']}"
