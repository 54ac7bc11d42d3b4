"""Secret fields are painted over in every screenshot that is kept; other pixels are untouched."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from agent.environment import ElementInfo, FilledField, PageReading
from agent.redact import MASK_COLOUR, screenshot_to_keep
from agent.screenshot import TIMELINE_WIDTH, Screenshot

pytestmark = pytest.mark.unit

WHITE = (255, 255, 255)
CARD = ElementInfo(tag="input", autocomplete="cc-number", name="cardnumber")
PASSWORD = ElementInfo(tag="input", input_type="password")
SEARCH = ElementInfo(tag="input", input_type="search", name="q")


def capture(dpr: float = 1.0) -> bytes:
    image = Image.new("RGB", (round(200 * dpr), round(100 * dpr)), WHITE)
    png = io.BytesIO()
    image.save(png, format="PNG")
    return png.getvalue()


def pixels(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def test_a_screenshot_without_secret_fields_is_kept_as_captured():
    page = PageReading(filled_fields=(FilledField(SEARCH, 10, 10, 100, 20),))
    assert pixels(screenshot_to_keep(capture(), page, 1.0).png).tobytes() == pixels(capture()).tobytes()


def test_secret_fields_are_masked_in_device_pixels():
    fields = (
        FilledField(CARD, 10.25, 20, 100, 20),
        FilledField(PASSWORD, 10, 60, 50, 20),
        FilledField(SEARCH, 150, 60, 40, 20),
    )
    kept = pixels(screenshot_to_keep(capture(dpr=2), PageReading(filled_fields=fields), 2.0).png)
    assert kept.size == (400, 200)
    for x in range(21, 221, 10):  # the card field: CSS 10.25..110.25 x 20..40
        for y in (40, 60, 80):
            assert kept.getpixel((x, y)) == MASK_COLOUR, (x, y)
    # Partly covered device pixels (20.5 -> 20, 220.5 -> 221) are masked too.
    assert kept.getpixel((20, 40)) == MASK_COLOUR and kept.getpixel((221, 80)) == MASK_COLOUR
    assert kept.getpixel((60, 140)) == MASK_COLOUR  # the password field
    assert kept.getpixel((340, 140)) == WHITE  # the search field keeps what it shows
    assert kept.getpixel((5, 5)) == WHITE and kept.getpixel((250, 40)) == WHITE


@pytest.mark.parametrize("fields", [(FilledField(PASSWORD, 10, 60, 50, 20),), None], ids=["masked", "placeholder"])
def test_the_timeline_preview_made_with_the_kept_copy_is_the_one_its_stored_png_gives(fields):
    """Made in the loop's thread from the pixels in hand, so the bridge's timeline need not decode the PNG again on
    its event loop; a reader of the stored PNG (a session reopened later) gets the same preview."""
    kept = screenshot_to_keep(capture(dpr=2), PageReading(filled_fields=fields), 2.0)
    made_with_it = kept.jpeg_data_url(TIMELINE_WIDTH)
    assert made_with_it == Screenshot(kept.png).jpeg_data_url(TIMELINE_WIDTH)
    assert pixels(base64.b64decode(made_with_it.split(",", 1)[1])).size == (TIMELINE_WIDTH, TIMELINE_WIDTH // 2)
