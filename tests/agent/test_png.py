"""The PNG writer the step path uses: lossless at every level, RGB only."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image, ImageDraw

from agent.png import decode_png, encode_png

pytestmark = pytest.mark.unit


def noise(width: int, height: int) -> Image.Image:
    generator = random.Random(12)
    return Image.frombytes("RGB", (width, height), generator.randbytes(width * height * 3))


def page_like() -> Image.Image:
    image = Image.new("RGB", (640, 400), (246, 247, 249))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 300, 60), fill=(255, 255, 255), outline=(200, 200, 200))
    draw.text((30, 30), "Search Cartwheel", fill=(30, 30, 30))
    return image


@pytest.mark.parametrize("level", [1, 6])
@pytest.mark.parametrize("make", [lambda: noise(333, 71), page_like])
def test_every_pixel_comes_back(make, level):
    image = make()
    png = encode_png(image, level)
    decoded = Image.open(io.BytesIO(png))
    assert decoded.format == "PNG" and decoded.mode == "RGB" and decoded.size == image.size
    assert decoded.tobytes() == image.tobytes()


def test_a_flat_page_compresses_better_at_the_default_level():
    assert len(encode_png(page_like(), 6)) < len(encode_png(page_like(), 1)) < len(page_like().tobytes()) / 20


def test_only_rgb_is_written_and_anything_decodes_to_rgb():
    with pytest.raises(ValueError, match="RGBA"):
        encode_png(Image.new("RGBA", (4, 4)), 1)
    buffer = io.BytesIO()
    Image.new("L", (4, 4), 200).save(buffer, format="PNG")
    assert decode_png(buffer.getvalue()).getpixel((0, 0)) == (200, 200, 200)
