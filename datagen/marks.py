"""Set-of-Marks: the screenshot the WebSurfer's model sees, with a numbered box on every element it can act on.

The marks are drawn on a copy, in model pixels; the trajectory keeps the plain screenshot.
"""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageDraw, ImageFont

from agent.geometry import ScreenGeometry
from datagen.page import PageView

MARK_COLOUR = (255, 0, 200)  # a magenta no sandbox page uses, so a marked image is told from a plain one
LABEL_SIZE = 14


def draw_marks(image: Image.Image, view: PageView, geometry: ScreenGeometry) -> Image.Image:
    marked = image.convert("RGB")  # a copy: the original stays unmarked
    draw = ImageDraw.Draw(marked)
    font = ImageFont.load_default(size=LABEL_SIZE)
    for number, element in enumerate(view.marks, start=1):
        left, top, right, bottom = element.model_box(geometry)
        draw.rectangle((left, top, right, bottom), outline=MARK_COLOUR, width=2)
        label = str(number)
        _, _, width, height = draw.textbbox((0, 0), label, font=font)
        y = top - height - 4 if top - height - 4 >= 0 else top
        draw.rectangle((left, y, left + width + 4, y + height + 4), fill=MARK_COLOUR)
        draw.text((left + 2, y + 1), label, fill=(255, 255, 255), font=font)
    return marked


def decode_data_url(url: str) -> Image.Image:
    """A `data:image/...;base64,` URL as an image."""
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))


def shrink_png(png: bytes, width: int = 1024) -> bytes:
    """A screenshot at most `width` pixels wide, for roles that only need to follow what happens (fewer tokens)."""
    image = Image.open(io.BytesIO(png))
    if image.width <= width:
        return png
    image.thumbnail((width, width * 4))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
