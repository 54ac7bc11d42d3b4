"""While the page settles, the loop glances at it and makes the model's image early (`Agent._glance`). The model
receives that image only when the capture after the settle is the same bytes: it sees what it would have seen
anyway, at tolerance zero, and a page that changed since the glance is encoded afresh."""

from __future__ import annotations

import asyncio

from PIL import Image

from agent.geometry import ScreenGeometry, png_size
from agent.history import decode_image
from agent.loop import Agent
from agent.page_scripts import CARETS_HIDDEN_AT_MOST_MS
from agent.playwright_env import PlaywrightEnv
from agent.png import decode_png
from agent.policy import OpenAIPolicy
from agent.settle import SettleRule
from tests.conftest import run_async
from tests.support.carets import CARET_COLOUR, typed_into
from tests.support.fara import model_point, reply
from tests.support.look_ahead import record_look_ahead

# A wide quiet window, so the glance (at half of it) is taken on even a busy machine.
PATIENT = SettleRule(quiet_seconds=0.8)


def run_hover(site, model, page: str, monkeypatch) -> tuple[list[bytes | None], list[bytes], list]:
    """A hover on `page`, then terminate; returns every glance, every capture the loop encoded, and the steps."""
    glances, encoded = record_look_ahead(monkeypatch, PlaywrightEnv)
    model.add(
        reply("Hover the heading.", "mouse_move", coordinate=model_point(60, 30)),
        reply("Done.", "terminate", status="success"),
    )

    async def scenario():
        env = await PlaywrightEnv.launch(site.url(page), settle=PATIENT)
        policy = OpenAIPolicy(model.url, "fara-test", retries=0)
        try:
            trajectory = await Agent(env, policy).run("Look around", site.url(page))
        finally:
            await env.close()
            await policy.close()
        return trajectory.steps

    steps = run_async(scenario())
    return glances, encoded, steps


def sent_image(request: dict) -> Image.Image:
    return decode_image(request["messages"][-1]["content"][0]["image_url"]["url"])


def resized(png: bytes) -> Image.Image:
    return decode_png(png).resize(_model_size(png), Image.Resampling.BICUBIC)


def _model_size(png: bytes) -> tuple[int, int]:
    geometry = ScreenGeometry.for_screenshot(*png_size(png), *png_size(png))
    return geometry.model_width, geometry.model_height


def test_on_a_still_page_the_model_gets_the_image_made_while_it_settled(site, model, monkeypatch):
    glanced, encoded, steps = run_hover(site, model, "actions.html", monkeypatch)
    glances = [glance for glance in glanced if glance is not None]
    assert glances, "the settle rule never said the page had gone quiet"
    # The first capture, then each glance: the capture after the settle was the last glance's bytes, not encoded again.
    assert encoded[1:] == glances
    after_hover = steps[1].image.png  # the kept copy: the capture's pixels (no secret fields on this page)
    assert decode_png(after_hover).tobytes() == decode_png(glances[-1]).tobytes()
    assert sent_image(model.requests[1]).tobytes() == resized(glances[-1]).tobytes()


def test_a_page_that_changed_since_the_glance_is_encoded_afresh(site, model, monkeypatch):
    glanced, encoded, steps = run_hover(site, model, "animated.html", monkeypatch)
    glances = [glance for glance in glanced if glance is not None]
    assert glances  # its DOM is quiet, so the rule glanced; its pixels moved on
    after_hover = steps[1].image.png
    assert decode_png(after_hover).tobytes() != decode_png(glances[-1]).tobytes()
    assert len(encoded) == 2 + len(glances)  # the first capture, each glance, and the capture after the settle
    assert decode_png(encoded[-1]).tobytes() == decode_png(after_hover).tobytes()
    assert sent_image(model.requests[1]).tobytes() == resized(after_hover).tobytes()


def test_a_glance_leaves_the_carets_hidden_until_the_capture_after_the_settle_or_a_few_seconds(site):
    """So the capture after the settle finds nothing to repaint: the glance hides the carets and leaves them hidden;
    the reading after the next capture shows them again, and so does a timer when no capture follows (a round
    that ended during the settle must not leave the person's tab without its caret)."""

    async def scenario():
        env = await PlaywrightEnv.launch(site.url("actions.html"))
        try:
            await typed_into(env)
            colours = [await env.page.evaluate(CARET_COLOUR)]
            await env.glance()
            colours.append(await env.page.evaluate(CARET_COLOUR))
            observation = await env.observe()
            await observation.page
            colours.append(await env.page.evaluate(CARET_COLOUR))
            await env.glance()
            colours.append(await env.page.evaluate(CARET_COLOUR))
            async with asyncio.timeout(CARETS_HIDDEN_AT_MOST_MS / 1000 + 10):
                while await env.page.evaluate(CARET_COLOUR) == colours[1]:
                    await asyncio.sleep(0.2)
            return colours, observation.screenshot, await env.page.screenshot()
        finally:
            await env.close()

    (shown, after_glance, after_reading, after_second_glance), captured, reference = run_async(scenario())
    assert after_glance == after_second_glance == "rgba(0, 0, 0, 0)" != shown
    assert after_reading == shown
    assert decode_png(captured).tobytes() == decode_png(reference).tobytes()  # as Playwright's, caret hidden
