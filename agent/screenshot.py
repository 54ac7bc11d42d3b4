"""The kept screenshot: one value per step, made once by the loop and carried on the step.

What is kept is the capture with password and payment fields painted over (`agent/redact.py`), or a
placeholder when the page could not be checked for them. Its digest names its file in the store, and its
JPEG previews (the panel's timeline, approval cards) are made once, on first use.
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass, field
from functools import cached_property

from PIL import Image


def digest_of(png: bytes) -> str:
    """The name a screenshot is stored under: the sha256 of its PNG bytes."""
    return hashlib.sha256(png).hexdigest()


@dataclass(frozen=True, eq=False)
class Screenshot:
    png: bytes
    withheld: str | None = None  # why the capture itself was not kept (this is a placeholder)
    _previews: dict[int, str] = field(default_factory=dict, repr=False)

    @cached_property
    def digest(self) -> str:
        return digest_of(self.png)

    def jpeg_data_url(self, width: int) -> str:
        """A JPEG preview at most `width` pixels wide, as a data URL; made once per width."""
        if width not in self._previews:
            image = Image.open(io.BytesIO(self.png)).convert("RGB")
            image.thumbnail((width, width * 4))
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=70)
            self._previews[width] = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
        return self._previews[width]
