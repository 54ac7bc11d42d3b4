"""Who may talk to the bridge: our extension (by Origin), with the pairing token, over loopback (by Host).

Web pages can open WebSockets to 127.0.0.1 (CORS does not apply), but cannot forge the Origin of an
extension; the Host check defeats DNS rebinding; the token keeps out other local programs and other
extensions. The token is created at first start and kept in the data dir with mode 0600.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
from pathlib import Path
from typing import NamedTuple

from agent.gate import Door, is_loopback_host
from agent.store.folder import PRIVATE_FILE, create_private, private_dir

log = logging.getLogger(__name__)

# Derived from the public `key` in extension/manifest.json (a test checks it), so it is the same everywhere.
EXTENSION_ID = "iffbddakgccbfdhgejllngcbapaoknnb"
EXTENSION_ORIGIN = f"chrome-extension://{EXTENSION_ID}"
SUBPROTOCOL = "farol.v1"
TOKEN_SUBPROTOCOL_PREFIX = "farol.token."
MAX_BODY_BYTES = 64 * 1024  # the bridge's REST API takes small JSON bodies only


class UnsafeToken(Exception):
    """The token file belongs to someone else: whoever owns it could pair with this bridge."""


def load_or_create_token(data_dir: Path) -> str:
    """The token kept in the (private) data folder, made at first start; two bridges starting at once share one."""
    path = data_dir / "pairing-token"
    private_dir(data_dir)
    token = secrets.token_hex(24)  # hex: valid inside a WebSocket subprotocol name
    if create_private(path, f"{token}\n".encode()):
        return token
    _keep_private(path)
    return path.read_text().strip()


def _keep_private(path: Path) -> None:
    """A token readable by others is no secret: repair the mode (and say so); refuse a file we do not own."""
    info = path.stat()
    if info.st_uid != os.getuid():
        raise UnsafeToken(f"{path} belongs to another user; remove it and start again to get a new token")
    if info.st_mode & 0o077:
        log.warning("%s was readable by other users; it is now private (mode 0600)", path)
        os.chmod(path, PRIVATE_FILE)


def token_from_subprotocols(offered: list[str]) -> str | None:
    for name in offered:
        if name.startswith(TOKEN_SUBPROTOCOL_PREFIX):
            return name[len(TOKEN_SUBPROTOCOL_PREFIX) :]
    return None


def token_matches(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def bridge_door(token: str) -> Door:
    """The HTTP gate's door (`agent/gate.py`): loopback only; the pairing token for `/api/` (but `/api/health`:
    `farol browser` looks for a bridge)."""
    return Door(
        identify=lambda given: "extension" if token_matches(given, token) else None,
        protected="/api/",
        credential="pairing token",
        max_body=MAX_BODY_BYTES,
        open_paths=frozenset({"/api/health"}),
    )


class Refusal(NamedTuple):
    """Why a WebSocket handshake is refused, and how: `code` None refuses the handshake itself (HTTP 403);
    a close code accepts it and closes at once, so the extension can tell the person what to fix."""

    reason: str
    code: int | None = None


# Close codes the panel reads (4000-4999 are the application's own).
CLOSE_WRONG_TOKEN = 4401
CLOSE_BAD_HOST = 4421
CLOSE_BAD_PROTOCOL = 4400


def websocket_refusal(origin: str | None, host: str | None, offered: list[str], token: str) -> Refusal | None:
    """Why a WebSocket handshake must be refused, or None to accept it.

    Only our extension is told why: anything else gets a bare 403, which a web page cannot tell apart from
    nothing listening (a page must not learn that Farol runs here)."""
    if origin != EXTENSION_ORIGIN:
        return Refusal(f"origin {origin!r} is not the Farol extension")
    if not is_loopback_host(host):
        return Refusal(f"host {host!r} is not a loopback address", CLOSE_BAD_HOST)
    if SUBPROTOCOL not in offered:
        return Refusal(f"the client does not speak {SUBPROTOCOL}", CLOSE_BAD_PROTOCOL)
    if not token_matches(token_from_subprotocols(offered), token):
        return Refusal("wrong or missing pairing token", CLOSE_WRONG_TOKEN)
    return None
