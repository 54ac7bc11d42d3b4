"""What the side panel's Settings can see and change while the bridge runs: the model, and where shared sessions go.

Changes apply to the next task (a running one keeps its model) and need no restart. The model endpoint is held in
memory only: `farol serve --model-url/--model` stay the lasting setting. The collector and its key are kept in the
data folder (`collector.json`), as `farol sessions upload --to URL --key KEY --auto` keeps them.
"""

from __future__ import annotations

import httpx
from pydantic import BaseModel, Field

from agent.policy import OpenAIPolicy
from bridge.protocol import SettingsEvent
from bridge.sessions import SessionManager
from bridge.uploads import Uploader, collector_url


class SettingsChange(BaseModel):
    model: str = Field(min_length=1, max_length=300)
    model_url: str | None = Field(default=None, max_length=2000)  # None: keep the in-process model
    collector: str | None = Field(default=None, max_length=2000)  # None: shared sessions stay on this computer
    collector_key: str | None = Field(default=None, max_length=500)
    # A new collector gets the sessions shared from now on; these earlier ones too only when the person says so.
    include_earlier: bool = False


class ModelCheck(BaseModel):
    model: str = Field(min_length=1, max_length=300)
    model_url: str = Field(min_length=1, max_length=2000)


def current(manager: SessionManager, uploader: Uploader) -> SettingsEvent:
    policy = manager.policy
    collector = uploader.auto
    refused = collector is not None and collector in uploader.keys.refused()
    return SettingsEvent(
        model=policy.name,
        model_url=policy.base_url if isinstance(policy, OpenAIPolicy) else None,
        collector=collector,
        collector_refused="get a new key from the people who run it" if refused else None,
    )


def apply(manager: SessionManager, uploader: Uploader, change: SettingsChange) -> SettingsEvent:
    """Use these settings from the next task on; raises ValueError, saying what is wrong, and changes nothing."""
    policy = manager.policy
    new_policy = None
    if change.model_url is not None:
        if not isinstance(policy, OpenAIPolicy):
            raise ValueError("this bridge runs its model in-process (--model-path); restart it to use an endpoint")
        if not change.model_url.startswith(("http://", "https://")):
            raise ValueError(f"{change.model_url!r} is not an http(s) URL")
        new_policy = OpenAIPolicy(change.model_url.rstrip("/"), change.model, policy.api_key)
    elif change.model != policy.name:
        raise ValueError("an in-process model cannot be renamed; restart the bridge with another --model-path")
    collector = collector_url(change.collector) if change.collector else None
    if collector is not None and not change.collector_key and uploader.keys.key_for(collector) is None:
        raise ValueError(f"no contributor key for {collector}: paste the key its people gave you")
    if collector is not None and change.collector_key:
        uploader.keys.remember(collector, change.collector_key.strip())
    uploader.use(collector, include_earlier=change.include_earlier)
    if new_policy is not None:
        manager.use_policy(new_policy)
    return current(manager, uploader)


async def check_model(check: ModelCheck) -> dict[str, object]:
    """Ask an endpoint what it serves: {"ok": whether it serves `model`, "detail": in words}."""
    url = check.model_url.rstrip("/") + "/models"
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            listed = (await client.get(url)).json()
        served = [entry["id"] for entry in listed.get("data", [])]
    except (httpx.HTTPError, ValueError, AttributeError, KeyError, TypeError) as error:
        return {"ok": False, "detail": f"Nothing answers at {check.model_url} ({error.__class__.__name__})."}
    if check.model in served:
        return {"ok": True, "detail": f"{check.model_url} serves {check.model}."}
    return {"ok": False, "detail": f"{check.model_url} serves {', '.join(served) or 'no model'}, not {check.model}."}
