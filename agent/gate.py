"""The front door for HTTP: who may ask, checked before a single byte of the body is read.

One mechanism serves the bridge and the collector; a `Door` says what each one checks. The bridge's door
(`bridge/pairing.py` `bridge_door`) wants a loopback `Host` for every request (no DNS rebinding), `/api/health`
included, and the pairing token as a bearer token for the rest of `/api/`. The collector's wants a contributor key
under `/v1/`, on any host (it sits behind a reverse proxy). Bodies are capped: a declared length over the cap is
refused at once, and a body that grows past it while being read is cut off. Who the credential names is
left in the request's state (`request.state.caller`). The bridge's WebSocket is not handled here: its
handshake has its own checks (origin, Host, token; see `bridge/pairing.py` `websocket_refusal`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]"}


def is_loopback_host(host_header: str | None) -> bool:
    if not host_header:
        return False
    host = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
    return host.lower() in LOOPBACK_HOSTS


@dataclass(frozen=True)
class Door:
    identify: Callable[[str], str | None]  # a bearer credential -> who it names, or None to refuse it
    protected: str  # paths under this prefix need the credential...
    credential: str  # (what a refusal calls it)
    max_body: int
    open_paths: frozenset[str] = frozenset()  # ...except these
    loopback_only: bool = True


class Gate:
    def __init__(self, app: ASGIApp, door: Door) -> None:
        self.app, self.door = app, door

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await _respond(scope, receive, send, *refusal)
            return
        await self._forward_capped(scope, receive, send)

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str, dict[str, str]] | None:
        """(status, detail, headers) of the answer that refuses this request, or None to let it in."""
        door, path = self.door, scope["path"]
        if door.loopback_only and not is_loopback_host(headers.get("host")):
            return 403, "this server answers on loopback only", {}
        if path.startswith(door.protected) and path not in door.open_paths:
            scheme, _, given = headers.get("authorization", "").partition(" ")
            caller = door.identify(given.strip()) if scheme.lower() == "bearer" and given.strip() else None
            if caller is None:
                return 401, f"wrong or missing {door.credential}", {"WWW-Authenticate": "Bearer"}
            scope.setdefault("state", {})["caller"] = caller
        declared = headers.get("content-length", "0")
        if not declared.isdigit() or int(declared) > door.max_body:
            return 413, f"request bodies are limited to {door.max_body} bytes", {}
        return None

    async def _forward_capped(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the body up to the cap before the app sees it; past the cap, refuse and read no more."""
        buffered: list[Message] = []
        size = 0
        while True:
            message = await receive()
            buffered.append(message)
            size += len(message.get("body", b""))
            if size > self.door.max_body:
                limit = f"request bodies are limited to {self.door.max_body} bytes"
                await _respond(scope, receive, send, 413, limit, {})
                return
            if message["type"] != "http.request" or not message.get("more_body", False):
                break

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)


async def _respond(
    scope: Scope, receive: Receive, send: Send, status: int, detail: str, headers: dict[str, str]
) -> None:
    await JSONResponse({"detail": detail}, status_code=status, headers=headers)(scope, receive, send)
