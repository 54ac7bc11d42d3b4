"""The bridge's HTTP side: the extension's WebSocket and a token-protected REST API for history and export.

Bad input never closes the extension's connection: malformed, unknown and oversized messages each get
an `error` reply and the next message is read as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import tempfile
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ValidationError

from agent import __version__
from agent.contribution import share_preview
from agent.export import export_webeval
from agent.gate import Gate
from agent.store import TrajectoryNotFound
from agent.trajectory import Trajectory
from bridge import settings
from bridge.pairing import SUBPROTOCOL, bridge_door, websocket_refusal
from bridge.protocol import (
    EXTENSION_MESSAGE,
    MAX_MESSAGE_BYTES,
    ErrorMessage,
    Hello,
    Ping,
    Pong,
    Result,
    SessionView,
    SetConsent,
    SettingsEvent,
    Welcome,
)
from bridge.sessions import SessionManager, stored_view
from bridge.uploads import Uploader

log = logging.getLogger(__name__)


class ConsentBody(BaseModel):
    shared: bool


def create_app(manager: SessionManager, token: str, uploader: Uploader) -> FastAPI:
    @contextlib.asynccontextmanager
    async def uploading(app: FastAPI) -> AsyncIterator[None]:
        """Shared sessions go to the collector (and deletions follow) while the bridge runs."""
        task = asyncio.create_task(uploader.run())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app = FastAPI(
        title="Farol bridge", version=__version__, docs_url=None, redoc_url=None, openapi_url=None, lifespan=uploading
    )
    app.state.manager = manager
    store, link = manager.store, manager.link

    @app.websocket("/ws")
    async def extension_socket(socket: WebSocket) -> None:
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
                await _handle_frame(socket, frame)
        except WebSocketDisconnect:
            pass
        finally:
            link.detach(socket)

    async def _handle_frame(socket: WebSocket, frame: dict[str, Any]) -> None:
        text = frame.get("text")
        if text is None:
            await _reply(socket, ErrorMessage(message="send JSON text frames"))
            return
        if len(text) > MAX_MESSAGE_BYTES:
            await _reply(
                socket, ErrorMessage(message=f"message too large ({len(text)} bytes; the limit is {MAX_MESSAGE_BYTES})")
            )
            return
        try:
            message = EXTENSION_MESSAGE.validate_json(text)
        except ValidationError as error:
            await _reply(socket, ErrorMessage(message=f"malformed message: {_first_problem(error)}"))
            return
        if isinstance(message, Hello):
            await _reply(socket, Welcome(bridge_version=__version__, session=manager.view_for(message.session_id)))
            await _reply(socket, settings.current(manager, uploader))
            if message.session_id is not None:
                await manager.resend_steps(message.session_id, message.last_step)
        elif isinstance(message, Ping):
            await _reply(socket, Pong())
        elif isinstance(message, Result):
            link.resolve(message)
        elif not isinstance(message, Pong):
            try:
                await manager.handle(message)
            except TrajectoryNotFound:
                await _reply(socket, ErrorMessage(message="Unknown session."))

    async def _reply(socket: WebSocket, message: BaseModel) -> None:
        await socket.send_text(message.model_dump_json(exclude_none=True))

    # -- REST (Host and token are checked by the Gate, before any body is read) -----------------

    sessions = APIRouter(prefix="/api/sessions")

    def load(session_id: str) -> Trajectory:
        try:
            return store.load(session_id)
        except TrajectoryNotFound:
            raise HTTPException(404, "no such session") from None

    @app.get("/api/health")
    def health() -> dict[str, str]:
        return {"farol": __version__}

    @sessions.get("")
    def list_sessions(source: str | None = None) -> dict[str, Any]:
        """Newest first, each with its upload state; `?source=extension` keeps the person's own sessions (not eval
        or datagen runs)."""
        uploads = uploader.queue.statuses()
        rows = [row for row in store.list() if source is None or row["source"] == source]
        return {"sessions": [{**row, "upload": _dumped(uploads.get(row["id"]))} for row in rows]}

    @sessions.get("/{session_id}")
    def get_session(session_id: str) -> dict[str, Any]:
        trajectory = load(session_id)
        live = manager.current if manager.current and manager.current.trajectory.id == session_id else None
        view = live.view() if live else stored_view(trajectory)
        steps = [manager.step_view(step).model_dump() for step in trajectory.steps]
        return {"session": view.model_dump(), "steps": steps}

    @sessions.get("/{session_id}/share-preview")
    def preview_sharing(session_id: str) -> dict[str, Any]:
        """Exactly what sharing this session would hand over: the record and its screenshots."""
        return share_preview(load(session_id), lambda digest: f"/api/sessions/{session_id}/screenshots/{digest}.png")

    @sessions.get("/{session_id}/screenshots/{digest}.png")
    def screenshot(session_id: str, digest: str) -> FileResponse:
        if digest not in {step.screenshot for step in load(session_id).steps}:
            raise HTTPException(404, "no such screenshot in this session")
        return FileResponse(store.screenshot_path(digest), media_type="image/png")

    @sessions.post("/{session_id}/consent")
    async def consent(session_id: str, body: ConsentBody) -> SessionView:
        load(session_id)
        await manager.set_consent(SetConsent(session_id=session_id, shared=body.shared))
        live = manager.current if manager.current and manager.current.trajectory.id == session_id else None
        return live.view() if live else stored_view(load(session_id))

    @sessions.delete("/{session_id}", status_code=204)
    def delete(session_id: str) -> Response:
        load(session_id)
        if manager.current and manager.current.running and manager.current.trajectory.id == session_id:
            raise HTTPException(409, "the session is running; stop it first")
        store.delete(session_id)
        return Response(status_code=204)

    @sessions.get("/{session_id}/export")
    def export(session_id: str) -> Response:
        """A zip in the webeval layout; only for sessions the person chose to share."""
        trajectory = load(session_id)
        if not trajectory.consent.shared:
            raise HTTPException(403, "this session is not shared; only shared sessions leave the database")
        buffer = io.BytesIO()
        with tempfile.TemporaryDirectory() as folder, zipfile.ZipFile(buffer, "w") as archive:
            for file in sorted(export_webeval(store, trajectory, Path(folder)).iterdir()):
                archive.write(file, f"{session_id}/{file.name}")
        headers = {"Content-Disposition": f'attachment; filename="farol-{session_id}.zip"'}
        return Response(buffer.getvalue(), media_type="application/zip", headers=headers)

    app.include_router(sessions)

    @app.get("/api/settings")
    def get_settings() -> SettingsEvent:
        return settings.current(manager, uploader)

    @app.put("/api/settings")
    async def put_settings(change: settings.SettingsChange) -> SettingsEvent:
        try:
            now = settings.apply(manager, uploader, change)
        except ValueError as error:
            raise HTTPException(422, str(error)) from None
        await link.send(now)  # every panel shows the new settings (and names the new collector)
        return now

    @app.post("/api/settings/test-model")
    async def test_model(check: settings.ModelCheck) -> dict[str, object]:
        return await settings.check_model(check)

    @app.exception_handler(TrajectoryNotFound)
    async def not_found(request: Request, error: TrajectoryNotFound) -> JSONResponse:
        return JSONResponse({"detail": "no such session"}, status_code=404)

    app.add_middleware(Gate, door=bridge_door(token))
    return app


def _dumped(model: BaseModel | None) -> dict[str, Any] | None:
    return model.model_dump() if model is not None else None


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"]) or "message"
    return f"{where}: {problem['msg']}"
