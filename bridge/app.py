"""The bridge's HTTP side, assembled: the extension's WebSocket (`bridge/extension_socket.py`) and a token-protected
REST API for the panel's history and Settings (`bridge/sessions_api.py`, `bridge/settings_api.py`), all behind the
`Gate`; the uploader runs while the app does."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from agent import __version__
from agent.gate import Gate
from agent.store import TrajectoryNotFound
from bridge.dispatcher import Dispatcher
from bridge.extension_socket import extension_socket
from bridge.pairing import bridge_door
from bridge.sessions import SessionManager
from bridge.sessions_api import sessions_api
from bridge.settings_api import settings_api
from bridge.uploads import Uploader


def create_app(manager: SessionManager, token: str, uploader: Uploader) -> FastAPI:
    app = FastAPI(
        title="Farol bridge",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lambda app: _uploading(uploader),
    )
    app.state.manager = manager
    app.include_router(extension_socket(Dispatcher(manager, uploader), manager.link, token))
    app.add_api_route("/api/health", health)
    app.include_router(sessions_api(manager, uploader))
    app.include_router(settings_api(manager, uploader))
    app.add_exception_handler(TrajectoryNotFound, _no_such_session)
    app.add_middleware(Gate, door=bridge_door(token))
    return app


def health() -> dict[str, str]:
    """The one `/api/` route open without the token: is a bridge listening here, and which Farol is it."""
    return {"farol": __version__}


@contextlib.asynccontextmanager
async def _uploading(uploader: Uploader) -> AsyncIterator[None]:
    """Shared sessions go to the collector (and deletions follow) while the bridge runs."""
    task = asyncio.create_task(uploader.run())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _no_such_session(request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"detail": "no such session"}, status_code=404)
