"""The kept screenshot: one value per step, made once by the loop and carried on the step.

What is kept is the capture with password and payment fields painted over (`agent/redact.py`), or a
placeholder when the page could not be checked for them. Its digest names its file in the store, and its
JPEG previews (the panel's timeline, approval cards) are made once: the timeline's with the kept copy itself
(`Screenshot.of`, in the loop's thread while the model is asked), the others on first use.
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass, field
from functools import cached_property

from PIL import Image

TIMELINE_WIDTH = 320  # the preview every step gets: the side panel's timeline shows each one


def digest_of(png: bytes) -> str:
    """The name a screenshot is stored under: the sha256 of its PNG bytes."""
    return hashlib.sha256(png).hexdigest()


@dataclass(frozen=True, eq=False)
class Screenshot:
    png: bytes
    withheld: str | None = None  # why the capture itself was not kept (this is a placeholder)
    _previews: dict[int, str] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, png: bytes, pixels: Image.Image, withheld: str | None = None) -> Screenshot:
        """`png` (the encoding of `pixels`), with its timeline preview made now from the pixels in hand."""
        screenshot = cls(png, withheld)
        screenshot._previews[TIMELINE_WIDTH] = _jpeg_data_url(pixels, TIMELINE_WIDTH)
        return screenshot

    @cached_property
    def digest(self) -> str:
        return digest_of(self.png)

    def jpeg_data_url(self, width: int) -> str:
        """A JPEG preview at most `width` pixels wide, as a data URL; made once per width."""
        if width not in self._previews:
            self._previews[width] = _jpeg_data_url(Image.open(io.BytesIO(self.png)).convert("RGB"), width)
        return self._previews[width]


def _jpeg_data_url(pixels: Image.Image, width: int) -> str:
    image = pixels.convert("RGB")  # a copy: the pixels are never changed
    image.thumbnail((width, width * 4))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=70)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
