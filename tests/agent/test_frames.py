"""Card forms embedded in frames, through real Chromium: the guard sees into same-origin frames, treats a
cross-origin frame (which no page script can read) as secret, and secret fields are masked in kept pixels."""

from __future__ import annotations

import io

from PIL import Image

from agent.actions import LeftClick, Type
from agent.guard import is_secret_field, sensitive_reason
from agent.playwright_env import PlaywrightEnv
from agent.redact import MASK_COLOUR, screenshot_to_keep
from tests.conftest import run_async

CARD_NUMBER = "4111111111111111"
SAME_ORIGIN_FIELD = (262, 132)  # frame at 100,100 + 2px border + the field's 10px offset, its centre
CROSS_ORIGIN_FIELD = (762, 132)


def test_card_fields_inside_frames(site):
    async def scenario():
        env = await PlaywrightEnv.launch(site.url("frames.html"))
        try:
            await env.settle_page()
            same = await env.element_at(*SAME_ORIGIN_FIELD)
            cross = await env.element_at(*CROSS_ORIGIN_FIELD)
            typing = Type(text=CARD_NUMBER, coordinate=SAME_ORIGIN_FIELD, press_enter=False)
            await env.execute(typing)
            seen = await env.observe()
            return same, cross, typing, seen, await seen.page
        finally:
            await env.close()

    same, cross, typing, seen, page = run_async(scenario())
    assert same.tag == "input" and same.autocomplete == "cc-number" and is_secret_field(same)
    assert "payment field" in sensitive_reason(typing, same)
    assert cross.tag == "iframe" and "embedded frame" in sensitive_reason(typing, cross)

    [field] = page.filled_fields  # the typed field, in top-page CSS pixels; its value is never read
    assert field.element.autocomplete == "cc-number"
    assert (round(field.x), round(field.y)) == (112, 112) and field.width >= 300 and field.height >= 40
    kept = Image.open(io.BytesIO(screenshot_to_keep(seen.screenshot, page, 1.0).png)).convert("RGB")
    assert kept.getpixel(SAME_ORIGIN_FIELD) == MASK_COLOUR and kept.getpixel((50, 50)) != MASK_COLOUR
    captured = Image.open(io.BytesIO(seen.screenshot)).convert("RGB")
    assert captured.getpixel(SAME_ORIGIN_FIELD) != MASK_COLOUR


def test_a_cross_origin_frame_that_had_the_focus_is_painted_over_whole(site):
    """No script of ours can read a field inside a cross-origin frame, so the frame itself is masked once
    typing may have happened there; a frame the focus never entered is left alone."""

    async def scenario():
        env = await PlaywrightEnv.launch(site.url("frames.html"))
        try:
            await env.settle_page()
            untouched = await (await env.observe()).page
            await env.execute(Type(text=CARD_NUMBER, coordinate=CROSS_ORIGIN_FIELD, press_enter=False))
            await env.execute(LeftClick(coordinate=(50, 500)))  # the focus leaves the frame; its text stays
            typed = await env.observe()
            return untouched, typed, await typed.page
        finally:
            await env.close()

    untouched, typed, page = run_async(scenario())
    assert untouched.filled_fields == ()
    [frame] = page.filled_fields
    assert frame.element.tag == "iframe" and (frame.x, frame.y, frame.width, frame.height) == (600, 100, 404, 84)
    kept = Image.open(io.BytesIO(screenshot_to_keep(typed.screenshot, page, 1.0).png)).convert("RGB")
    assert kept.getpixel(CROSS_ORIGIN_FIELD) == MASK_COLOUR and kept.getpixel((1003, 183)) == MASK_COLOUR
    assert kept.getpixel(SAME_ORIGIN_FIELD) != MASK_COLOUR and kept.getpixel((50, 500)) != MASK_COLOUR
    captured = Image.open(io.BytesIO(typed.screenshot)).convert("RGB")
    assert captured.getpixel(CROSS_ORIGIN_FIELD) != MASK_COLOUR
