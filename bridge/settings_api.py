"""`/api/settings`: the panel's Settings read, changed (for every panel at once) and the model endpoint tested
(`bridge/settings.py` decides what a change means)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from bridge import settings
from bridge.protocol import SettingsEvent
from bridge.sessions import SessionManager
from bridge.uploads import Uploader


def settings_api(manager: SessionManager, uploader: Uploader) -> APIRouter:
    router = APIRouter(prefix="/api/settings")

    @router.get("")
    def get_settings() -> SettingsEvent:
        return settings.current(manager, uploader)

    @router.put("")
    async def put_settings(change: settings.SettingsChange) -> SettingsEvent:
        try:
            now = settings.apply(manager, uploader, change)
        except ValueError as error:
            raise HTTPException(422, str(error)) from None
        await manager.link.send(now)  # every panel shows the new settings (and names the new collector)
        return now

    @router.post("/test-model")
    async def test_model(check: settings.ModelCheck) -> dict[str, object]:
        return await settings.check_model(check)

    return router
