"""Secret fields never reach the disk in pixels either: before any hook sees a screenshot (the store, the
panel, an export), the password, payment and one-time code fields in it are painted over. The model still gets
the screenshot as captured; it is only held in memory.

When the page could not be checked for filled fields, nothing of the capture is kept: a grey placeholder
of the same size stands in for it, and the step says why (fail closed). That includes a page that changed under
the capture: both environments scan the page just before and just after capturing it, and send no list of fields
when the two scans disagree (`page_scripts.CAPTURE_STATE_FUNCTION`), since the boxes might not match the pixels.

The kept copy is always encoded here (`agent/png.py`, zlib's default level): smaller files than the
capture's fast PNG, and a digest that depends on the pixels only. The loop makes it while the model thinks.
"""

from __future__ import annotations

import math

from PIL import Image, ImageDraw

from agent.environment import PageReading
from agent.geometry import png_size
from agent.guard import is_secret_field
from agent.png import decode_png, encode_png
from agent.screenshot import Screenshot

MASK_COLOUR = (128, 128, 128)
UNCHECKED = "not kept: the page could not be checked for secret fields (or changed while it was captured)"
KEPT_LEVEL = 6


def screenshot_to_keep(
    screenshot: bytes, page: PageReading, device_pixel_ratio: float, pixels: Image.Image | None = None
) -> Screenshot:
    """A capture (PNG) with every secret field the page showed in it (`page`, read around the capture) filled with
    grey.

    `pixels`, the capture already decoded, saves decoding it again; it is never changed."""
    if page.filled_fields is None:
        placeholder = _placeholder(*png_size(screenshot))
        return Screenshot.of(encode_png(placeholder, KEPT_LEVEL), placeholder, withheld=UNCHECKED)
    image = pixels if pixels is not None else decode_png(screenshot)
    masked = with_secrets_masked(image, page, device_pixel_ratio)
    return Screenshot.of(encode_png(masked, KEPT_LEVEL), masked)


def with_secrets_masked(image: Image.Image, page: PageReading, device_pixel_ratio: float) -> Image.Image:
    """`image`, a capture decoded, with its secret fields painted over: a copy if it shows any."""
    secret = [field for field in page.filled_fields or () if is_secret_field(field.element)]
    if not secret:
        return image
    image = image.copy()
    draw = ImageDraw.Draw(image)
    scale = device_pixel_ratio
    for field in secret:
        left, top = math.floor(field.x * scale), math.floor(field.y * scale)
        right, bottom = math.ceil((field.x + field.width) * scale), math.ceil((field.y + field.height) * scale)
        draw.rectangle((left, top, right, bottom), fill=MASK_COLOUR)
    return image


def _placeholder(width: int, height: int) -> Image.Image:
    image = Image.new("RGB", (width, height), MASK_COLOUR)
    ImageDraw.Draw(image).text((20, 20), f"Screenshot {UNCHECKED}.", fill=(255, 255, 255))
    return image
