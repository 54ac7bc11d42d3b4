"""A page with a blinking text caret, for the tests that hold captures to Playwright's own (which hides it)."""

from __future__ import annotations

from agent.playwright_env import PlaywrightEnv

# The name field's caret colour as the page computes it: transparent while Farol hides the carets.
CARET_COLOUR = "getComputedStyle(document.querySelector('#name')).caretColor"


async def typed_into(env: PlaywrightEnv) -> None:
    """On actions.html: text in the name and password fields, the keyboard focus left in the name field."""
    await env.page.fill("#password", "hunter2-secret")
    await env.page.click("#name")
    await env.page.keyboard.type("Ana")
