"""Auxiliary samples labelled from the DOM of a real page: each grounding point lands on the element its words
name, the questions' answers are what the page shows there, and refusals are Fara-7B replies."""

from __future__ import annotations

import pytest

from agent.actions import Terminate
from agent.auxiliary_sample import Shot
from agent.geometry import ScreenGeometry, png_size
from agent.parser import ParsedCall, parse_reply
from agent.playwright_env import PlaywrightEnv
from agent.redact import screenshot_to_keep
from agent.trajectory import Step, Trajectory
from datagen import auxiliary_data
from datagen.page import read_page
from sandbox.server import SandboxServer
from tests.conftest import run_async

# What names the element at a point: its own labels and text, up to the control (or heading, image) it is in.
LABELS_AT = """
([x, y]) => {
  const labels = [];
  for (let el = document.elementFromPoint(x, y); el; el = el.parentElement) {
    labels.push(el.getAttribute('aria-label'), el.getAttribute('alt'), el.getAttribute('placeholder'),
                (el.labels && el.labels[0] || {}).innerText, el.innerText);
    if (el.matches('a, button, input, select, textarea, h1, h2, h3, img')) break;
  }
  return labels.filter(Boolean).join(' | ');
}
"""


@pytest.fixture(scope="module")
def sandbox_url():
    with SandboxServer() as server:
        yield server.url


async def one_step_on(url: str):
    """A trajectory of one observation of `url`, its page reading, and the browser still on it."""
    env = await PlaywrightEnv.launch(url)
    await env.settle_page()
    observation = await env.observe()
    kept = screenshot_to_keep(observation.screenshot, await observation.page, observation.device_pixel_ratio)
    geometry = ScreenGeometry.for_screenshot(*png_size(observation.screenshot), 1440, 900)
    step = Step(
        index=0,
        screenshot=kept.digest,
        url=url,
        css_width=1440,
        css_height=900,
        model_width=geometry.model_width,
        model_height=geometry.model_height,
    )
    view = await read_page(env.page)
    return env, geometry, Trajectory(task="t", steps=[step]), {kept.digest: view}


def test_grounding_and_questions_point_at_what_they_name(sandbox_url):
    async def check() -> None:
        env, geometry, trajectory, pages = await one_step_on(sandbox_url + "/mart/search?q=coffee+maker")
        try:
            samples = auxiliary_data.grounding(trajectory, pages)
            assert len(samples) == auxiliary_data.GROUNDING_PER_PAGE
            for sample in samples:
                assert sample.instruction.split(" ", 1)[0] in ("Click", "Where", "Point")
                assert f"“{sample.name}”" in sample.instruction or sample.role == "img"
                assert sample.trajectory_id == trajectory.id
                (x, y), _ = geometry.to_css(*sample.point)
                found = await env.page.evaluate(LABELS_AT, [x, y])
                assert sample.name.casefold() in " ".join(found.split()).casefold(), (sample, found)
            questions, captions = auxiliary_data.page_questions(trajectory, pages)
            answers = {q.question: q.answer for q in questions}
            assert answers["Which page is this, going by its title?"] == await env.page.title()
            button_question = next(q for q in answers if q.startswith("What does the button at"))
            x, y = map(float, button_question.split("(")[1].split(")")[0].split(", "))
            (css_x, css_y), _ = geometry.to_css(x, y)
            info = await env.element_at(css_x, css_y)
            assert info is not None and info.text == answers[button_question]
            assert len(captions) == 1 and captions[0].caption.startswith(await env.page.title())
        finally:
            await env.close()

    run_async(check())


def test_refusals_are_fara_replies_on_a_page_of_the_site():
    shot = Shot(screenshot="a" * 64, model_width=1428, model_height=896, url="http://127.0.0.1:1/mart/")
    samples = auxiliary_data.template_refusals(shot, "ValueMart")
    assert len(samples) == len(auxiliary_data.REFUSAL_TEMPLATES) and len({s.id for s in samples}) == len(samples)
    for sample in samples:
        parsed = parse_reply(sample.reply)
        assert isinstance(parsed, ParsedCall) and parsed.action == Terminate(status="failure")
        assert "ValueMart" in sample.request and sample.shot() == shot


def test_the_surfer_never_reads_what_was_typed():
    async def read() -> tuple[str, list[str]]:
        env = await PlaywrightEnv.launch()
        try:
            await env.page.set_content(
                '<label>Card <input id="c" autocomplete="cc-number"></label>'
                '<label>Password <input type="password" id="p"></label><label>Name <input id="n"></label>'
            )
            for field, text in (("#c", "4111111111111111"), ("#p", "hunter2"), ("#n", "Alex Morgan")):
                await env.page.fill(field, text)
            view = await read_page(env.page)
        finally:
            await env.close()
        return view.aria_tree + view.mark_list(), [element.name for element in view.marks]

    seen, names = run_async(read())
    assert names == ["Card", "Password", "Name"]
    assert not any(secret in seen for secret in ("4111", "hunter2", "Alex Morgan"))
