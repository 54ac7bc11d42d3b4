"""The side panel as a person uses it, through the real UI, in light and dark: the tour behind the README's
screenshots (`docs/screenshots.py` writes them to docs/screenshots/). Here they go to a temporary folder: the test
proves the panel renders each state in both colour schemes."""

from __future__ import annotations

from PIL import Image, ImageStat

from tests.support.panel_tour import PANEL_SIZE, STATES, take_screenshots


def _brightness(path) -> float:
    with Image.open(path) as image:
        assert image.width == PANEL_SIZE["width"], (path.name, image.size)
        return ImageStat.Stat(image.convert("L")).mean[0]


def test_the_panel_through_a_task_in_light_and_dark(tmp_path):
    shots = take_screenshots(tmp_path / "shots", tmp_path)
    assert all(shot.stat().st_size > 10_000 for shot in shots)
    for state in STATES:
        light, dark = (_brightness(tmp_path / "shots" / f"{state}-{scheme}.png") for scheme in ("light", "dark"))
        assert dark < light - 50, (state, light, dark)  # the dark scheme really applied
