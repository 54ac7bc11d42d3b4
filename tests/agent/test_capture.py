"""The fast step path against the reference's, through real Chromium: the capture (CDP's fast PNG) has the pixels of
Playwright's own screenshot, and the model receives exactly the pixels the reference harness sends (that
screenshot resized by Pillow's BICUBIC), at tolerance zero."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image

from agent.geometry import MAX_PIXELS, TRAINING_MAX_PIXELS, ScreenGeometry, png_size
from agent.history import Turn, decode_image, model_image_url
from agent.playwright_env import PlaywrightEnv
from agent.png import decode_png
from tests.conftest import run_async
from tests.support.carets import typed_into

LAST_MUTATION = "window.__farolLastMutation"


def pixels(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def test_a_capture_has_the_pixels_of_playwrights_screenshot_caret_hidden_and_changes_nothing_on_the_page(site):
    async def scenario():
        env = await PlaywrightEnv.launch(site.url("actions.html"))
        try:
            await typed_into(env)
            pairs, mutations = [], []
            for _ in range(6):  # across the caret's blink (about 0.5 s on, 0.5 s off)
                before = await env.page.evaluate(LAST_MUTATION)
                observation = await env.observe()
                page = await observation.page
                mutations.append((before, await env.page.evaluate(LAST_MUTATION)))
                pairs.append((observation, page, await env.page.screenshot()))
                await asyncio.sleep(0.17)
            return pairs, mutations
        finally:
            await env.close()

    pairs, mutations = run_async(scenario())
    for observation, page, reference in pairs:
        assert observation.screenshot != reference  # Chromium's fast PNG, not the default one
        assert pixels(observation.screenshot).tobytes() == pixels(reference).tobytes()
        assert page.title == "Action fixture"
        assert {field.element.id for field in page.filled_fields} == {"name", "password"}
    # The caret is hidden with an adopted style sheet: no DOM change the settle rule would wait for.
    assert all(before == after for before, after in mutations)


@pytest.mark.parametrize(("scale", "max_pixels"), [(1.0, MAX_PIXELS), (2.0, TRAINING_MAX_PIXELS)])
def test_the_model_receives_the_pixels_the_reference_harness_sends(site, scale, max_pixels):
    """The reference resizes Playwright's screenshot with Pillow's BICUBIC; so does Farol, from one decode of its
    own capture that also serves the kept copy. HiDPI with the training-size cap is the extension's case."""

    async def scenario():
        env = await PlaywrightEnv.launch(site.url("actions.html"), device_scale_factor=scale)
        try:
            await typed_into(env)
            return await env.observe(), await env.page.screenshot()
        finally:
            await env.close()

    observation, reference = run_async(scenario())
    width, height = png_size(observation.screenshot)
    assert (width, height) == (1440 * scale, 900 * scale)
    geometry = ScreenGeometry.for_screenshot(width, height, 1440, 900, max_pixels=max_pixels)
    expected = pixels(reference).resize((geometry.model_width, geometry.model_height), Image.Resampling.BICUBIC)
    made_by_loop = model_image_url(decode_png(observation.screenshot), geometry)  # the loop decodes once, for both
    shared = Turn(observation.screenshot, geometry, "u", _image_url=made_by_loop)
    alone = Turn(observation.screenshot, geometry, "u")  # a turn rebuilt from the store decodes on its own
    for turn in (shared, alone):
        seen = decode_image(turn.image_url)
        assert seen.size == (geometry.model_width, geometry.model_height)
        assert seen.tobytes() == expected.tobytes()
