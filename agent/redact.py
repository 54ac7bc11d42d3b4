"""Secret fields never reach the disk in pixels either: before any hook sees a screenshot (the store, the
panel, an export), the password and payment fields in it are painted over. The model still gets the
screenshot as captured; it is only held in memory."""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw

from agent.environment import Observation
from agent.guard import is_secret_field

MASK_COLOUR = (128, 128, 128)


def screenshot_to_keep(observation: Observation) -> bytes:
    """The observation's screenshot with every secret field filled with grey; unchanged when it shows none."""
    secret = [field for field in observation.filled_fields if is_secret_field(field.element)]
    if not secret:
        return observation.screenshot
    image = Image.open(io.BytesIO(observation.screenshot)).convert("RGB")
    draw = ImageDraw.Draw(image)
    scale = observation.device_pixel_ratio
    for field in secret:
        left, top = math.floor(field.x * scale), math.floor(field.y * scale)
        right, bottom = math.ceil((field.x + field.width) * scale), math.ceil((field.y + field.height) * scale)
        draw.rectangle((left, top, right, bottom), fill=MASK_COLOUR)
    kept = io.BytesIO()
    image.save(kept, format="PNG")
    return kept.getvalue()
