"""`/api/sessions`: the person's sessions for the panel's history: listed, read, previewed for sharing, shared or not,
deleted, exported. The `Gate` has checked the Host and the token before any body is read."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel

from agent.contribution import share_preview
from agent.export import export_webeval
from agent.store import TrajectoryNotFound
from agent.trajectory import Trajectory
from bridge.protocol import SessionView
from bridge.sessions import SessionManager
from bridge.uploads import Uploader


class ConsentBody(BaseModel):
    shared: bool


def sessions_api(manager: SessionManager, uploader: Uploader) -> APIRouter:
    router = APIRouter(prefix="/api/sessions")
    store = manager.store

    def load(session_id: str) -> Trajectory:
        try:
            return store.load(session_id)
        except TrajectoryNotFound:
            raise HTTPException(404, "no such session") from None

    @router.get("")
    def list_sessions(source: str | None = None) -> dict[str, Any]:
        """Newest first, each with its upload state; `?source=extension` keeps the person's own sessions (not eval
        or datagen runs)."""
        uploads = uploader.queue.statuses()
        rows = [row for row in store.list() if source is None or row["source"] == source]
        return {"sessions": [{**row, "upload": _dumped(uploads.get(row["id"]))} for row in rows]}

    @router.get("/{session_id}")
    def get_session(session_id: str) -> dict[str, Any]:
        trajectory = load(session_id)
        steps = [manager.step_views.view(step).model_dump() for step in trajectory.steps]
        return {"session": manager.view_of(trajectory).model_dump(), "steps": steps}

    @router.get("/{session_id}/share-preview")
    def preview_sharing(session_id: str) -> dict[str, Any]:
        """Exactly what sharing this session would hand over: the record and its screenshots."""
        return share_preview(load(session_id), lambda digest: f"/api/sessions/{session_id}/screenshots/{digest}.png")

    @router.get("/{session_id}/screenshots/{digest}.png")
    def screenshot(session_id: str, digest: str) -> FileResponse:
        if digest not in {step.screenshot for step in load(session_id).steps}:
            raise HTTPException(404, "no such screenshot in this session")
        return FileResponse(store.screenshot_path(digest), media_type="image/png")

    @router.post("/{session_id}/consent")
    async def consent(session_id: str, body: ConsentBody) -> SessionView:
        load(session_id)
        return await manager.share(session_id, body.shared)

    @router.delete("/{session_id}", status_code=204)
    def delete(session_id: str) -> Response:
        load(session_id)
        current = manager.current
        if current and current.running and current.trajectory.id == session_id:
            raise HTTPException(409, "the session is running; stop it first")
        store.delete(session_id)
        return Response(status_code=204)

    @router.get("/{session_id}/export")
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

    return router


def _dumped(model: BaseModel | None) -> dict[str, Any] | None:
    return model.model_dump() if model is not None else None
