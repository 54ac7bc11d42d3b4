"""A contributed session on the wire: exactly what the share preview shows, and the checks a collector makes.

The body of an upload is the share preview's record and its screenshots, the PNG bytes in base64 keyed by
their digest; nothing else (no token, no local path). Both ends check it with `accepted`: the uploader
before it sends (a session that would be refused is not sent), the collector before it stores a byte.
"""

from __future__ import annotations

import base64
import binascii
import io
from typing import Any

from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, ValidationError

from agent.actions import Type
from agent.guard import is_secret_typing
from agent.loop import SECRET_MASK
from agent.screenshot import digest_of
from agent.store import Store
from agent.trajectory import SCHEMA_VERSION, Trajectory
from bridge.sessions import share_preview

MAX_STEPS = 1000
MAX_SCREENSHOT_BYTES = 16 * 1024 * 1024  # a 4K PNG capture is a few MB
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Contribution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trajectory: dict[str, Any]
    screenshots: dict[str, str]  # digest -> the PNG in base64


class Refused(ValueError):
    """Why a contribution cannot be taken, in words for the person who sent it."""


def contribution_of(store: Store, trajectory: Trajectory) -> Contribution:
    """The share preview of a stored session, with its screenshots' bytes where the preview names them."""
    preview = share_preview(trajectory, lambda digest: digest)
    screenshots = {
        digest: base64.b64encode(store.read_screenshot(digest)).decode() for digest in preview["screenshots"]
    }
    return Contribution(trajectory=preview["trajectory"], screenshots=screenshots)


def read_contribution(body: bytes) -> Contribution:
    try:
        return Contribution.model_validate_json(body)
    except ValidationError as error:
        raise Refused(f"not a contribution: {_first_problem(error)}") from None


def accepted(contribution: Contribution) -> tuple[Trajectory, dict[str, bytes]]:
    """The trajectory and its screenshots (digest -> PNG) when the contribution may be stored; else `Refused`."""
    trajectory = _record(contribution.trajectory)
    if not trajectory.consent.shared:
        raise Refused("the session is not shared; only sessions the person shared may be contributed")
    if trajectory.status == "running":
        raise Refused("the session is still running; contribute it when it has ended")
    if len(trajectory.steps) > MAX_STEPS:
        raise Refused(f"the session has {len(trajectory.steps)} steps; at most {MAX_STEPS} are taken")
    if [step.index for step in trajectory.steps] != list(range(len(trajectory.steps))):
        raise Refused("the steps are not numbered 0, 1, 2, ... in order")
    _check_masks(trajectory)
    return trajectory, _screenshots(trajectory, contribution.screenshots)


def _record(data: dict[str, Any]) -> Trajectory:
    version = data.get("schema_version")
    if not isinstance(version, int):
        raise Refused("the record has no schema_version")
    if version > SCHEMA_VERSION:
        raise Refused(f"the record has schema {version}; this side reads up to {SCHEMA_VERSION}: upgrade farol")
    try:
        return Trajectory.model_validate(data)
    except ValidationError as error:
        raise Refused(f"not a trajectory record: {_first_problem(error)}") from None


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    return f"{'.'.join(str(part) for part in problem['loc']) or 'body'}: {problem['msg']}"


def _check_masks(trajectory: Trajectory) -> None:
    """Every step the guard stopped for typing into a secret field must carry the mask, not the value."""
    for approval in trajectory.approvals:
        if approval.kind != "guard" or not is_secret_typing(approval.reason):
            continue
        if approval.step >= len(trajectory.steps):
            raise Refused(f"an approval names step {approval.step}, which the session does not have")
        action = trajectory.steps[approval.step].action
        if not isinstance(action, Type) or action.text != SECRET_MASK:
            raise Refused(
                f"step {approval.step} typed into a secret field ({approval.reason}) but its text is not masked; "
                "Farol masks such values before storing them, so this record was altered"
            )


def _screenshots(trajectory: Trajectory, encoded: dict[str, str]) -> dict[str, bytes]:
    named = {step.screenshot for step in trajectory.steps}
    if missing := named - encoded.keys():
        raise Refused(f"{len(missing)} screenshot(s) the steps name are missing, e.g. {sorted(missing)[0]}")
    if extra := encoded.keys() - named:
        raise Refused(f"{len(extra)} screenshot(s) no step names were sent, e.g. {sorted(extra)[0]}")
    pngs = {}
    for digest, text in encoded.items():
        if len(text) > MAX_SCREENSHOT_BYTES * 4 // 3 + 4:
            raise Refused(f"screenshot {digest} is larger than {MAX_SCREENSHOT_BYTES} bytes")
        try:
            png = base64.b64decode(text, validate=True)
        except binascii.Error:
            raise Refused(f"screenshot {digest} is not valid base64") from None
        if digest_of(png) != digest:
            raise Refused(f"screenshot {digest} is not what its digest says (its bytes hash to {digest_of(png)})")
        if not _is_png(png):
            raise Refused(f"screenshot {digest} is not a PNG image")
        pngs[digest] = png
    return pngs


def _is_png(data: bytes) -> bool:
    if not data.startswith(PNG_SIGNATURE):
        return False
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        return False
    return True
