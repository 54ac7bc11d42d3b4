"""Sharing a session: what it hands over (`share_preview`), that on the wire (`Contribution`), and the checks a
collector makes (`accepted`). Both ends use this: the bridge's uploader and the collector.

The body of an upload is the share preview's record and its screenshots, the PNG bytes in base64 keyed by
their digest; nothing else (no token, no local path). Both ends check it with `accepted`: the uploader
before it sends (a session that would be refused is not sent), the collector before it stores a byte. The
checks recompute from the steps themselves what the loop writes when a step types into a secret field (the
masked text, the guard's approval row), so a record that lost either is refused, whoever sent it.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Callable, Iterable
from typing import Any

from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, ValidationError

from agent.actions import Terminate, Type
from agent.geometry import png_size
from agent.guard import SECRET_TYPING, is_secret_typing
from agent.parser import ParsedCall, parse_reply
from agent.screenshot import digest_of
from agent.secrets import SECRET_MASK
from agent.store import Store
from agent.trajectory import SCHEMA_VERSION, Approval, Step, Trajectory

MAX_STEPS = 1000
MAX_SCREENSHOT_BYTES = 16 * 1024 * 1024  # a 4K PNG capture is a few MB
# An 8K screen (7680x4320): the largest capture a screen makes. Checked from the PNG's header, before any decode,
# so a small file declaring a huge image (a decompression bomb) costs nothing.
MAX_IMAGE_PIXELS = 7680 * 4320
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# What `Trajectory.id` is (`uuid4().hex`): the only ids a collector takes, and the only ones it uses in a path.
SESSION_ID = re.compile(r"[0-9a-f]{32}")


class Contribution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trajectory: dict[str, Any]
    screenshots: dict[str, str]  # digest -> the PNG in base64


class Refused(ValueError):
    """Why a contribution cannot be taken, in words for the person who sent it."""


def is_session_id(text: str) -> bool:
    return SESSION_ID.fullmatch(text) is not None


def share_preview(trajectory: Trajectory, locate: Callable[[str], str]) -> dict[str, Any]:
    """Exactly what sharing this session hands over: the record and its screenshots (each where `locate`
    says it can be seen: a file, a URL)."""
    digests = dict.fromkeys(step.screenshot for step in trajectory.steps)
    return {"trajectory": trajectory.model_dump(mode="json"), "screenshots": [locate(digest) for digest in digests]}


def contribution_of(store: Store, trajectory: Trajectory) -> Contribution:
    """The share preview of a stored session, with its screenshots' bytes where the preview names them."""
    preview = share_preview(trajectory, lambda digest: digest)
    screenshots = {
        digest: base64.b64encode(store.read_screenshot(digest)).decode() for digest in preview["screenshots"]
    }
    return Contribution(trajectory=preview["trajectory"], screenshots=screenshots)


def accepted(contribution: Contribution) -> tuple[Trajectory, dict[str, bytes]]:
    """The trajectory and its screenshots (digest -> PNG) when the contribution may be stored; else `Refused`."""
    trajectory = _record(contribution.trajectory)
    if not is_session_id(trajectory.id):
        raise Refused("the record's id is not a session id (32 lowercase hex digits)")
    if not trajectory.consent.shared:
        raise Refused("the session is not shared; only sessions the person shared may be contributed")
    if trajectory.status == "running":
        raise Refused("the session is still running; contribute it when it has ended")
    if len(trajectory.steps) > MAX_STEPS:
        raise Refused(f"the session has {len(trajectory.steps)} steps; at most {MAX_STEPS} are taken")
    if [step.index for step in trajectory.steps] != list(range(len(trajectory.steps))):
        raise Refused("the steps are not numbered 0, 1, 2, ... in order")
    _check_approvals(trajectory)
    _check_secret_steps(trajectory)
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
        raise Refused(f"not a trajectory record: {first_problem(error)}") from None


def first_problem(error: ValidationError) -> str:
    """The first thing wrong with what was sent, in words."""
    problem = error.errors()[0]
    return f"{'.'.join(str(part) for part in problem['loc']) or 'body'}: {problem['msg']}"


def _check_approvals(trajectory: Trajectory) -> None:
    """Each approval names a step the loop asked it for: a critical point is asked at a `terminate`."""
    for approval in trajectory.approvals:
        if not 0 <= approval.step < len(trajectory.steps):
            raise Refused(f"an approval names step {approval.step}, which the session does not have")
        if approval.kind == "critical_point" and not isinstance(trajectory.steps[approval.step].action, Terminate):
            raise Refused(f"step {approval.step} has a critical-point approval but did not terminate")


def _check_secret_steps(trajectory: Trajectory) -> None:
    """A step typed into a secret field if its text is the mask, its result says the guard stopped it for that,
    or a guard approval says so. Such a step must carry both marks the loop writes (`loop._ask`, `agent/secrets.py`):
    the guard's approval row, and the mask instead of the value (in its action and in its raw reply)."""
    for step in trajectory.steps:
        approved = _secret_approvals(trajectory.approvals, step.index)
        if not approved and not _marked_secret(step):
            continue
        if not approved:
            raise Refused(
                f"step {step.index} typed into a secret field but the session has no approval row for it; "
                "Farol records the guard's question for every such step, so this record was altered"
            )
        if not _masked(step):
            raise Refused(
                f"step {step.index} typed into a secret field ({approved[0].reason}) but its text is not masked; "
                "Farol masks such values before storing them, so this record was altered"
            )


def _secret_approvals(approvals: Iterable[Approval], index: int) -> list[Approval]:
    return [a for a in approvals if a.step == index and a.kind == "guard" and is_secret_typing(a.reason)]


def _marked_secret(step: Step) -> bool:
    """What the step itself says: the mask as its text, or the guard's refusal to type into a secret field."""
    masked_text = isinstance(step.action, Type) and step.action.text == SECRET_MASK
    blocked = step.result.blocked if step.result else None
    return masked_text or (blocked is not None and SECRET_TYPING in blocked)


def _masked(step: Step) -> bool:
    """The action's text is the mask, and the raw reply does not still hold the typed text."""
    if not isinstance(step.action, Type) or step.action.text != SECRET_MASK:
        return False
    reparsed = parse_reply(step.raw_text)
    return not (
        isinstance(reparsed, ParsedCall) and isinstance(reparsed.action, Type) and reparsed.action.text != SECRET_MASK
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
        _check_png(digest, png)
        pngs[digest] = png
    return pngs


def _check_png(digest: str, data: bytes) -> None:
    """A PNG whose header declares a screen-sized image, then (only then) one Pillow can read."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise Refused(f"screenshot {digest} is not a PNG image")
    width, height = png_size(data)
    if not 0 < width * height <= MAX_IMAGE_PIXELS:
        raise Refused(f"screenshot {digest} is {width}x{height}; at most {MAX_IMAGE_PIXELS} pixels are taken")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        raise Refused(f"screenshot {digest} is not a PNG image") from None
