"""Screenshot sizing and the one mapping between model pixels and CSS pixels.

Fara-7B sees screenshots resized by Qwen2.5-VL's `smart_resize` and answers in the pixels of that
resized image. The page is driven in CSS pixels. A screenshot may have devicePixelRatio x the CSS
size in device pixels; the model size is computed from the screenshot's real pixel size.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass

from PIL import Image

from agent.png import SIGNATURE, encode_png

# Qwen2.5-VL defaults the reference harness hard-codes.
PATCH_FACTOR = 28  # patch_size 14 x merge_size 2
MIN_PIXELS = 3136
MAX_PIXELS = 12845056
# The size Fara-7B saw in training (1440x900 resized); a cap for large or HiDPI windows.
TRAINING_MAX_PIXELS = 1428 * 896
# The browser window Fara-7B was trained at, CSS pixels: every window's default. A smaller one (e.g. to train on a
# CPU) keeps screenshots, prompts and the model's points all in its own pixels.
TRAINING_WINDOW = (1440, 900)
MIN_WINDOW = 200  # per side: smaller pages do not lay out as sites expect
# The model's image is made while the step waits: zlib's fastest level (lossless all the same).
MODEL_IMAGE_LEVEL = 1


def check_window(width: int, height: int) -> tuple[int, int]:
    """A browser window's (width, height), or ValueError when a side is under `MIN_WINDOW`."""
    if min(width, height) < MIN_WINDOW:
        raise ValueError(f"the window must be at least {MIN_WINDOW}x{MIN_WINDOW}, not {width}x{height}")
    return width, height


def smart_resize(
    height: int,
    width: int,
    factor: int = PATCH_FACTOR,
    min_pixels: int = MIN_PIXELS,
    max_pixels: int = MAX_PIXELS,
) -> tuple[int, int]:
    """Qwen2.5-VL's resize rule; returns (height, width), each a multiple of `factor`."""
    if max(height, width) / min(height, width) > 200:
        raise ValueError(f"aspect ratio of {width}x{height} exceeds 200")
    h_bar = max(factor, round(height / factor) * factor)
    w_bar = max(factor, round(width / factor) * factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = math.floor(height / beta / factor) * factor
        w_bar = math.floor(width / beta / factor) * factor
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


@dataclass(frozen=True)
class ScreenGeometry:
    """How one screenshot relates to the page: its CSS viewport and the model's image size."""

    css_width: int
    css_height: int
    model_width: int
    model_height: int

    @classmethod
    def for_screenshot(
        cls, pixel_width: int, pixel_height: int, css_width: int, css_height: int, max_pixels: int = MAX_PIXELS
    ) -> ScreenGeometry:
        model_height, model_width = smart_resize(pixel_height, pixel_width, max_pixels=max_pixels)
        return cls(css_width, css_height, model_width, model_height)

    def to_css(self, x: float, y: float) -> tuple[tuple[float, float], bool]:
        """Map a model point to CSS pixels, clamped into the viewport; the flag says it was clamped."""
        css_x = x * self.css_width / self.model_width
        css_y = y * self.css_height / self.model_height
        clamped_x = min(max(css_x, 0.0), self.css_width - 1.0)
        clamped_y = min(max(css_y, 0.0), self.css_height - 1.0)
        return (clamped_x, clamped_y), (clamped_x, clamped_y) != (css_x, css_y)

    def to_model(self, css_x: float, css_y: float) -> tuple[float, float]:
        """Map a CSS point to model pixels (used by scripted solvers that know the page)."""
        return css_x * self.model_width / self.css_width, css_y * self.model_height / self.css_height


def resize_for_model(image: Image.Image, geometry: ScreenGeometry) -> Image.Image:
    """The screenshot's pixels as the model sees them (Pillow's default BICUBIC, as in the reference)."""
    size = (geometry.model_width, geometry.model_height)
    return image if image.size == size else image.resize(size, Image.Resampling.BICUBIC)


def png_data_url(image: Image.Image) -> str:
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    return "data:image/png;base64," + base64.b64encode(encode_png(rgb, MODEL_IMAGE_LEVEL)).decode("ascii")


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) of a PNG from its header, without decoding the pixels."""
    if png[: len(SIGNATURE)] != SIGNATURE:
        raise ValueError("not a PNG")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
