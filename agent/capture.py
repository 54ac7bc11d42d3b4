"""A screenshot of a Playwright page through CDP, and the page's title and filled fields read while it was taken."""

from __future__ import annotations

import asyncio
import base64
import math
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Frame, Page

from agent.page_driver import PageDriver
from agent.page_scripts import CAPTURE_STATE_FUNCTION, same_capture_state

SCREENSHOT_TIMEOUT_MS = 15_000
# Chromium's fast PNG: lossless like the default, and several times quicker to make (and to decode).
CAPTURE = {"format": "png", "optimizeForSpeed": True}

# Before a capture, in every frame: the text caret made transparent, in the document and in each open shadow root
# (a blinking caret would be in some captures and not others; Playwright's own screenshot hides it too). An
# adopted style sheet, not a style attribute: no DOM change, so the settle rule never waits for our own capture.
HIDE_CARETS_FUNCTION = """
async () => {
  if (!window.__farolCaretSheet) {
    window.__farolCaretSheet = new CSSStyleSheet();
    window.__farolCaretSheet.replaceSync('* { caret-color: transparent !important; }');
  }
  const sheet = window.__farolCaretSheet;
  const roots = [document];
  for (let i = 0; i < roots.length; i++) {
    const walker = document.createTreeWalker(roots[i], NodeFilter.SHOW_ELEMENT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.shadowRoot) roots.push(node.shadowRoot);
    }
  }
  window.__farolCaretRoots = [...new Set([...(window.__farolCaretRoots ?? []), ...roots])];
  for (const root of roots) {
    if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  }
  await document.fonts.ready;
}
"""
# After the capture, in every frame: the carets back. True where the document is the one whose carets were hidden.
SHOW_CARETS_FUNCTION = """
() => {
  const roots = window.__farolCaretRoots;
  delete window.__farolCaretRoots;
  for (const root of roots ?? []) {
    root.adoptedStyleSheets = root.adoptedStyleSheets.filter((sheet) => sheet !== window.__farolCaretSheet);
  }
  return roots !== undefined;
}
"""
# In the top frame, the page's state read with the carets' hiding and showing (no extra round trip): just before
# and just after the capture.
HIDE_CARETS_AND_SCAN_FUNCTION = f"""
async () => {{
  await ({HIDE_CARETS_FUNCTION.strip()})();
  return ({CAPTURE_STATE_FUNCTION.strip()})();
}}
"""
SHOW_CARETS_AND_SCAN_FUNCTION = f"""
() => ({{same_document: ({SHOW_CARETS_FUNCTION.strip()})(), state: ({CAPTURE_STATE_FUNCTION.strip()})()}})
"""


async def capture(driver: PageDriver, device_scale_factor: float) -> tuple[bytes, dict[str, Any] | None]:
    """One try, within the screenshot timeout: carets hidden and the page scanned; CDP's capture (Playwright's
    own screenshot cannot ask for the fast PNG); carets back and the page scanned again. The scan stands only if
    the two agree and the top document is still the one whose carets were hidden: a page that changed its
    fields or navigated during the capture has none of it kept (the boxes might not match its pixels)."""
    async with asyncio.timeout(SCREENSHOT_TIMEOUT_MS / 1000):
        page, session = driver.page, await driver.cdp()
        main = page.main_frame
        before, *_, metrics = await asyncio.gather(
            _run_in(main, HIDE_CARETS_AND_SCAN_FUNCTION),
            *(_run_in(frame, HIDE_CARETS_FUNCTION) for frame in page.frames if frame is not main),
            session.send("Page.getLayoutMetrics"),
        )
        clip = _clip(page, metrics, device_scale_factor)
        shot = await session.send("Page.captureScreenshot", {**CAPTURE, "clip": clip})
        after, *_ = await asyncio.gather(
            _run_in(main, SHOW_CARETS_AND_SCAN_FUNCTION),
            *(_run_in(frame, SHOW_CARETS_FUNCTION) for frame in page.frames if frame is not main),
        )
    scan = after["state"] if after and after["same_document"] else None
    if scan is not None and not same_capture_state(before, scan):
        scan = {**scan, "fields": None}  # changed under the capture: its title stands, its field boxes do not
    return base64.b64decode(shot["data"]), scan


def _clip(page: Page, metrics: dict[str, Any], device_scale_factor: float) -> dict[str, float]:
    """The viewport in device pixels, as Playwright's screenshot asks for it: this CDP session does not share
    Playwright's emulated device scale factor, so the clip carries it."""
    visual = metrics["visualViewport"]
    viewport = page.viewport_size or {"width": visual["clientWidth"], "height": visual["clientHeight"]}
    return {
        "x": visual["pageX"],
        "y": visual["pageY"],
        "width": math.floor(viewport["width"] / visual["scale"] + 1e-3),
        "height": math.floor(viewport["height"] / visual["scale"] + 1e-3),
        "scale": visual["scale"] * device_scale_factor,
    }


async def _run_in(frame: Frame, function: str) -> Any:
    """A page function's result in one frame, or None when the frame cannot run it (navigating, detached)."""
    try:
        return await frame.evaluate(function)
    except PlaywrightError:
        return None
