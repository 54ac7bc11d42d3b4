"""Secrets never leave the machine: a value typed into a secret field is scrubbed from everything recorded (in its
variants), and a screenshot whose fields could have moved under the capture is withheld rather than kept unmasked."""

from __future__ import annotations

import io
import json
import re
from urllib.parse import quote, quote_plus

import pytest
from PIL import Image

from agent.actions import PauseAndMemorizeFact, Type, VisitUrl
from agent.approval import Decision
from agent.environment import ElementInfo, PageReading
from agent.export import export_webeval
from agent.guard import is_secret_field, sensitive_reason
from agent.page_scripts import capture_scan, same_capture_state
from agent.playwright_env import PlaywrightEnv
from agent.recorder import StoreRecorder
from agent.redact import MASK_COLOUR, screenshot_to_keep
from agent.secrets import SECRET_MASK, SecretScrubber
from agent.store import Store
from agent.trajectory import Approval, Step, StepResult, Trajectory, UserTurn
from bridge.sessions import set_consent
from bridge.uploads import Backoff, KeyRing, Uploader
from tests.conftest import run_async
from tests.support.collector import CollectorThread
from tests.support.driving import Approvals, drive
from tests.support.fara import reply
from tests.support.secrets import (
    CARD,
    CODE,
    CVC,
    PASSWORD,
    SECRETS,
    files_in,
    forms_of_secrets,
    leaks,
    red_pixels,
    secret_session_replies,
)
from training.samples import step_samples


def scrubbed(*values: str) -> SecretScrubber:
    scrubber = SecretScrubber()
    for value in values:
        scrubber.remember(value)
    return scrubber


# -- the scrubber's rules ----------------------------------------------------------------------------------------


@pytest.mark.unit
def test_a_secret_is_masked_in_any_letter_case():
    scrub = scrubbed("hunter2go").text
    assert scrub("pw hunter2go, HUNTER2GO or Hunter2Go.") == f"pw {SECRET_MASK}, {SECRET_MASK} or {SECRET_MASK}."


@pytest.mark.unit
def test_spacing_and_hyphens_between_characters_do_not_hide_a_secret():
    for typed, written in [(CARD, "4242424242424242"), ("4242424242424242", CARD), (CARD, "4242-4242 4242  4242")]:
        assert scrubbed(typed).text(f"card {written}!") == f"card {SECRET_MASK}!", (typed, written)
    assert scrubbed("correct horse").text("correcthorse / correct-horse") == f"{SECRET_MASK} / {SECRET_MASK}"


def test_url_encoded_and_json_escaped_secrets_are_masked():
    secret = 'p@ss wörd"\\!'
    scrub = scrubbed(secret).text
    for form in (quote(secret), quote_plus(secret), quote(secret).lower(), json.dumps(secret)[1:-1]):
        assert scrub(f"x={form}&y=1") == f"x={SECRET_MASK}&y=1", form
    assert scrub(json.dumps({"text": secret})) == json.dumps({"text": SECRET_MASK})


def test_a_short_secret_is_masked_only_as_a_whole_token():
    scrub = scrubbed(CVC).text
    assert scrub(f"CVC {CVC}.") == f"CVC {SECRET_MASK}."
    assert scrub(f"?cvc={CVC}&otp=1") == f"?cvc={SECRET_MASK}&otp=1"
    assert scrub(f"code%20{CVC}") == f"code%20{SECRET_MASK}"  # a percent-escape is a boundary
    for ordinary in (f"1{CVC}", f"{CVC}5", f"{CVC}rd", f"step {CVC}0 of x{CVC}"):
        assert scrub(ordinary) == ordinary


def test_a_short_secret_inside_a_longer_one_leaves_nothing_of_either():
    assert scrubbed("424", CARD).text(f"{CARD} and 424") == f"{SECRET_MASK} and {SECRET_MASK}"


def test_nothing_known_nothing_changed():
    scrubber = scrubbed("", " - ")
    assert scrubber.text("a - b") == "a - b"


@pytest.mark.unit
def test_the_record_is_scrubbed_in_place_but_names_its_screenshot_as_before():
    digest = "4242424242424242" + "0" * 48  # a digest that happens to hold the card's digits
    step = Step(
        index=0,
        screenshot=digest,
        url=f"https://a.test/pay?card={quote_plus(CARD)}",
        title=f"Card {CARD}",
        css_width=10,
        css_height=10,
        model_width=10,
        model_height=10,
        raw_text=reply(f"Typing {PASSWORD}.", "type", text=PASSWORD),
        thoughts=f"Typing {PASSWORD.upper()}.",
        action=Type(text=PASSWORD, coordinate=(1, 2)),
        result=StepResult(observation=f"I typed '{PASSWORD}'.", error=CVC, blocked=CODE, not_run=CODE),
    )
    memo = Step(**{**step.model_dump(), "index": 1, "action": PauseAndMemorizeFact(fact=f"code {CODE}")})
    visit = Step(**{**step.model_dump(), "index": 2, "action": VisitUrl(url=f"https://a.test/?c={CVC}")})
    trajectory = Trajectory(
        task=f"Pay with {CARD}",
        start_url=f"https://a.test/?p={quote(PASSWORD)}",
        final_answer=f"Paid, CVC {CVC}",
        reason=f"stopped at {CODE}",
        steps=[step, memo, visit],
        user_turns=[UserTurn(text=f"my code is {CODE}", before_step=0)],
        approvals=[Approval(step=0, kind="guard", reason=f"typing {CVC}", decision="reply", text=PASSWORD)],
        memorized_facts=[f"card {CARD}"],
    )
    scrubbed(*SECRETS).trajectory(trajectory)
    record = trajectory.model_dump_json()
    assert not [form for form in forms_of_secrets() if re.search(form, record.replace(digest, ""))]
    assert step.screenshot == digest and step.action == Type(text=SECRET_MASK, coordinate=(1, 2))
    assert trajectory.final_answer == f"Paid, CVC {SECRET_MASK}" and memo.action.fact == f"code {SECRET_MASK}"


# -- the guard knows the secret fields ------------------------------------------------------------------------------


def test_one_time_code_cvc_and_shown_password_fields_are_secret():
    typing = Type(text="x", coordinate=(1, 1))
    code = ElementInfo(tag="input", autocomplete="one-time-code")
    assert "one-time code" in sensitive_reason(typing, code)
    assert "one-time code" in sensitive_reason(typing, ElementInfo(tag="input", name="otp_code"))
    assert "payment" in sensitive_reason(typing, ElementInfo(tag="input", autocomplete="cc-csc"))
    assert "payment" in sensitive_reason(typing, ElementInfo(tag="input", text="CVC"))
    shown = ElementInfo(tag="input", input_type="text", autocomplete="current-password")  # "show password" on
    assert "password" in sensitive_reason(typing, shown)
    assert not is_secret_field(ElementInfo(tag="input", input_type="checkbox", name="show_password"))
    assert not is_secret_field(ElementInfo(tag="input", name="footprint"))


# -- capture and scan as one ----------------------------------------------------------------------------------------


def test_a_page_that_moves_its_field_between_scan_and_capture_never_keeps_it_unmasked(site):
    """swap.html moves its red password field whenever it is scanned: the two scans around a capture never agree,
    so the capture is withheld. With the field still, the same page is kept, with the field painted over."""

    async def observations(page: str) -> list:
        env = await PlaywrightEnv.launch(site.url(page))
        try:
            await env.settle_page()
            await env.execute(Type(text=PASSWORD, press_enter=False))  # the field has the focus
            seen = [await env.observe() for _ in range(3)]
            return [(one.screenshot, await one.page) for one in seen]
        finally:
            await env.close()

    for screenshot, page in run_async(observations("swap.html")):
        kept = screenshot_to_keep(screenshot, page, 1.0)
        assert page.filled_fields is None and kept.withheld and red_pixels(kept.png) == 0
        assert red_pixels(screenshot) > 0  # the capture itself showed the field: only the model sees it
    for screenshot, page in run_async(observations("swap.html?still")):
        [field] = page.filled_fields
        kept = screenshot_to_keep(screenshot, page, 1.0)
        assert kept.withheld is None and red_pixels(kept.png) == 0 and red_pixels(screenshot) > 0
        centre = (round(field.x + field.width / 2), round(field.y + field.height / 2))
        assert Image.open(io.BytesIO(kept.png)).convert("RGB").getpixel(centre) == MASK_COLOUR


def test_capture_states_agree_only_on_one_page_with_the_same_fields():
    state = {"document": "d", "url": "u", "viewport": [1, 1, 1], "fields": [{"x": 1}], "title": "a"}
    assert same_capture_state(state, {**state, "title": "b"})
    for changed in ({"document": "e"}, {"url": "v"}, {"viewport": [2, 1, 1]}, {"fields": [{"x": 2}]}):
        assert not same_capture_state(state, {**state, **changed})
    assert not same_capture_state(state, None) and not same_capture_state({**state, "fields": None}, state)


@pytest.mark.parametrize(
    "after",
    [None, [], {"same_document": "yes", "state": {}}, {"same_document": True, "state": "a page"}],
    ids=["none", "a list", "not a boolean", "no state"],
)
def test_a_reading_after_the_capture_of_another_shape_keeps_nothing(after):
    """The readings run in the page's own world, which can replace what they call: what comes back is not trusted."""
    before = {"document": "d", "url": "u", "viewport": [1, 1, 1], "fields": [], "title": "a"}
    assert PageReading.from_scan(capture_scan(before, after), "tab title") == PageReading("tab title", None)


def test_a_page_that_replaced_the_dom_s_built_ins_has_its_captures_withheld_and_the_task_goes_on(site, model):
    """hostile.html answers for its password field a box whose left edge is not a number: the boxes cannot be
    trusted, so no capture of it is kept, and the run finishes as it would anywhere."""
    from agent.loop import Agent
    from agent.policy import OpenAIPolicy

    model.add(reply("Look.", "mouse_move", coordinate=[50, 50]), reply("Done.", "terminate", status="success"))

    async def scenario() -> Trajectory:
        env = await PlaywrightEnv.launch(site.url("hostile.html"))
        policy = OpenAIPolicy(model.url, "fara-test", retries=0)
        try:
            return await Agent(env, policy).run("Look", site.url("hostile.html"))
        finally:
            await env.close()
            await policy.close()

    trajectory = run_async(scenario())
    assert trajectory.status == "awaiting_user" and len(trajectory.steps) == 2
    for step in trajectory.steps:
        assert step.screenshot_withheld and step.image is not None and red_pixels(step.image.png) == 0
        assert step.title == "Replaced built-ins"
    assert red_pixels(run_async(capture_of(site.url("hostile.html")))) > 0  # the page itself shows the red field


async def capture_of(url: str) -> bytes:
    env = await PlaywrightEnv.launch(url)
    try:
        return (await env.observe()).screenshot
    finally:
        await env.close()


# -- end to end, headless -------------------------------------------------------------------------------------------


def test_a_failure_the_caller_caught_is_recorded_scrubbed(site, model, tmp_path):
    """The bridge records an exception the loop did not expect through `Agent.fail`: its text may quote what was
    typed into a secret field, and is masked like the rest of the record before it is stored."""
    from agent.loop import Agent
    from agent.policy import OpenAIPolicy

    model.add(*secret_session_replies())
    store = Store(tmp_path / "farol.db")

    async def scenario() -> Trajectory:
        env = await PlaywrightEnv.launch(site.url("secrets.html"))
        policy = OpenAIPolicy(model.url, "fara-test", retries=0)
        try:
            agent = Agent(env, policy, approver=Approvals(*[Decision("approve")] * 4))
            await agent.run("Sign in and pay", site.url("secrets.html"))
            return agent.fail(f"Unexpected failure: RuntimeError('could not type {PASSWORD!r}')")
        finally:
            await env.close()
            await policy.close()

    failed = run_async(scenario())
    assert (
        failed.status == "error"
        and failed.reason == f"Unexpected failure: RuntimeError('could not type {SECRET_MASK!r}')"
    )
    store.save_header(failed)
    assert store.load(failed.id).reason == failed.reason


def test_secrets_typed_on_the_headless_path_are_nowhere_in_the_record(site, model, tmp_path):
    model.add(*secret_session_replies())
    data = tmp_path / "data"
    data.mkdir()
    store = Store(data / "farol.db")
    follow_up = f"Thanks. For the record: code {CODE}, password {PASSWORD}."
    approvals = Approvals(*[Decision("approve")] * 4)
    trajectory = run_async(
        drive(
            site,
            model,
            task="Sign in and pay",
            page="secrets.html",
            proceed=[follow_up],
            approver=approvals,
            hooks=[StoreRecorder(store)],
        )
    )

    # The model kept its own words: its history still holds what it typed.
    assert PASSWORD in json.dumps(model.requests[1]["messages"])
    # Every approval card carried the scrubbed step.
    assert [PASSWORD in request.step.thoughts + request.reason for request in approvals.requests] == [False] * 4
    stored = store.load(trajectory.id)
    assert [step.action.text for step in stored.steps if isinstance(step.action, Type)] == [SECRET_MASK] * 4
    assert stored.steps[5].url.startswith(site.url("secrets.html?password=")) and SECRET_MASK in stored.steps[5].url
    assert (
        stored.succeeded
        and stored.user_turns[-1].text == f"Thanks. For the record: code {SECRET_MASK}, password {SECRET_MASK}."
    )
    assert leaks(files_in(data)) == []  # the database, its -wal and -shm, the screenshots

    export = export_webeval(store, stored, tmp_path / "export")
    samples = list(step_samples(stored, store.read_screenshot, "cli"))
    assert len(samples) == len(stored.steps)
    (tmp_path / "samples.jsonl").write_text("\n".join(json.dumps([s.conversation, s.target]) for s in samples))
    for index, sample in enumerate(samples):
        for image, png in enumerate(sample.images):
            (tmp_path / "samples" / f"{index}-{image}.png").parent.mkdir(exist_ok=True)
            (tmp_path / "samples" / f"{index}-{image}.png").write_bytes(png)
    assert leaks([*files_in(export), tmp_path / "samples.jsonl", *files_in(tmp_path / "samples")]) == []

    # Shared, it reaches a collector through the uploader: nothing there either.
    set_consent(store, stored, shared=True)
    collector = CollectorThread(tmp_path / "collector" / "collector.db")
    try:
        keys = KeyRing(data)
        keys.remember(collector.url, collector.keys["alice"])
        keys.set_auto(collector.url, include_earlier=True)
        uploader = Uploader(store, keys, auto=collector.url, backoff=Backoff(first=0.05, cap=0.4), interval=0.05)
        outcomes = run_async(uploader.step())
        assert collector.held() == {trajectory.id}, outcomes
    finally:
        collector.stop()
    store.close()
    assert leaks(files_in(data) + files_in(tmp_path / "collector")) == []
