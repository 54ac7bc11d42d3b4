"""The bridge's front door for HTTP: who may ask, checked before a single byte of the body is read.

Every request needs a loopback `Host` (no DNS rebinding), `/api/health` included; everything else under
`/api/` needs the pairing token as a bearer token. Bodies are capped: a declared length over the cap is
refused at once, and a body that grows past it while being read is cut off. The WebSocket is not handled
here: its handshake has its own checks (origin, Host, token; see `pairing.websocket_refusal`).
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bridge.pairing import is_loopback_host, token_matches

MAX_BODY_BYTES = 64 * 1024  # the REST API takes small JSON bodies only
OPEN_PATHS = {"/api/health"}  # need the loopback Host, not the token (`farol browser` looks for a bridge)


class Gate:
    def __init__(self, app: ASGIApp, token: str, max_body: int = MAX_BODY_BYTES) -> None:
        self.app, self.token, self.max_body = app, token, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        refusal = self._refusal(scope["path"], headers)
        if refusal is not None:
            await _respond(scope, receive, send, *refusal)
            return
        await self._forward_capped(scope, receive, send)

    def _refusal(self, path: str, headers: dict[str, str]) -> tuple[int, str, dict[str, str]] | None:
        """(status, detail, headers) of the answer that refuses this request, or None to let it in."""
        if not is_loopback_host(headers.get("host")):
            return 403, "the bridge answers on loopback only", {}
        if path.startswith("/api/") and path not in OPEN_PATHS:
            scheme, _, given = headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token_matches(given.strip(), self.token):
                return 401, "wrong or missing pairing token", {"WWW-Authenticate": "Bearer"}
        declared = headers.get("content-length", "0")
        if not declared.isdigit() or int(declared) > self.max_body:
            return 413, f"request bodies are limited to {self.max_body} bytes", {}
        return None

    async def _forward_capped(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the (small) body up to the cap before the app sees it; past the cap, refuse and read no more."""
        buffered: list[Message] = []
        size = 0
        while True:
            message = await receive()
            buffered.append(message)
            size += len(message.get("body", b""))
            if size > self.max_body:
                await _respond(scope, receive, send, 413, f"request bodies are limited to {self.max_body} bytes", {})
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
