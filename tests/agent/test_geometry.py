import io

import pytest
from PIL import Image

from agent.geometry import TRAINING_MAX_PIXELS, ScreenGeometry, png_size, resize_for_model, smart_resize

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (1440, 900, (1428, 896)),
        (1280, 720, (1288, 728)),
        (1920, 1080, (1932, 1092)),
        (1024, 768, (1036, 756)),
        (1280, 800, (1288, 812)),
    ],
)
def test_smart_resize_matches_the_reference(width, height, expected):
    resized_height, resized_width = smart_resize(height, width)
    assert (resized_width, resized_height) == expected


def test_smart_resize_caps_large_and_hidpi_screens_at_training_size():
    height, width = smart_resize(1800, 2880, max_pixels=TRAINING_MAX_PIXELS)
    assert height * width <= TRAINING_MAX_PIXELS
    assert height % 28 == 0 and width % 28 == 0
    assert abs(width / height - 1.6) < 0.05


def test_smart_resize_rejects_extreme_aspect_ratios():
    with pytest.raises(ValueError, match="aspect ratio"):
        smart_resize(10, 3000)


def test_model_point_maps_to_css_like_the_reference():
    geometry = ScreenGeometry.for_screenshot(1440, 900, 1440, 900)
    (x, y), clamped = geometry.to_css(1074, 37)
    assert x == pytest.approx(1083.0252, abs=1e-3)
    assert y == pytest.approx(37.1651, abs=1e-3)
    assert not clamped


def test_hidpi_screenshot_maps_back_to_css_pixels():
    # A 2x screenshot of a 1440x900 viewport: model space is computed from the 2880x1800 pixels.
    geometry = ScreenGeometry.for_screenshot(2880, 1800, 1440, 900, max_pixels=TRAINING_MAX_PIXELS)
    (x, y), _ = geometry.to_css(geometry.model_width / 2, geometry.model_height / 2)
    assert (x, y) == pytest.approx((720, 450))


def test_points_outside_the_screenshot_are_clamped_and_flagged():
    geometry = ScreenGeometry.for_screenshot(1440, 900, 1440, 900)
    (x, y), clamped = geometry.to_css(5000, -20)
    assert clamped
    assert (x, y) == (1439.0, 0.0)


def test_resize_for_model_and_png_size():
    buffer = io.BytesIO()
    Image.new("RGB", (1440, 900), "white").save(buffer, format="PNG")
    png = buffer.getvalue()
    assert png_size(png) == (1440, 900)
    image = resize_for_model(Image.open(io.BytesIO(png)), ScreenGeometry.for_screenshot(1440, 900, 1440, 900))
    assert image.size == (1428, 896)
    with pytest.raises(ValueError):
        png_size(b"GIF89a...")
