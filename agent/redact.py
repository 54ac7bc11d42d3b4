"""Secret fields never reach the disk in pixels either: before any hook sees a screenshot (the store, the
panel, an export), the password and payment fields in it are painted over. The model still gets the
screenshot as captured; it is only held in memory.

When the page could not be checked for filled fields, nothing of the capture is kept: a grey placeholder
of the same size stands in for it, and the step says why (fail closed).
"""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw

from agent.environment import Observation
from agent.geometry import png_size
from agent.guard import is_secret_field
from agent.screenshot import Screenshot

MASK_COLOUR = (128, 128, 128)
UNCHECKED = "not kept: the page could not be checked for password and payment fields"


def screenshot_to_keep(observation: Observation) -> Screenshot:
    """The observation's screenshot with every secret field filled with grey; unchanged when it shows none."""
    if observation.filled_fields is None:
        return Screenshot(_placeholder(*png_size(observation.screenshot)), withheld=UNCHECKED)
    secret = [field for field in observation.filled_fields if is_secret_field(field.element)]
    if not secret:
        return Screenshot(observation.screenshot)
    image = Image.open(io.BytesIO(observation.screenshot)).convert("RGB")
    draw = ImageDraw.Draw(image)
    scale = observation.device_pixel_ratio
    for field in secret:
        left, top = math.floor(field.x * scale), math.floor(field.y * scale)
        right, bottom = math.ceil((field.x + field.width) * scale), math.ceil((field.y + field.height) * scale)
        draw.rectangle((left, top, right, bottom), fill=MASK_COLOUR)
    return Screenshot(_png(image))


def _placeholder(width: int, height: int) -> bytes:
    image = Image.new("RGB", (width, height), MASK_COLOUR)
    ImageDraw.Draw(image).text((20, 20), f"Screenshot {UNCHECKED}.", fill=(255, 255, 255))
    return _png(image)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
