"""What the WebSurfer reads from the live page besides the screenshot: the elements it can act on, with
their boxes, and the page's accessibility tree.

Elements (`agent/page_elements.py`) are numbered from 1 in document order (the Set-of-Marks numbers); only
those a click at their centre would reach are listed, so a mark always names something the model could click.
The fields' values are taken out of the accessibility tree.
"""

from __future__ import annotations

import re

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from pydantic import BaseModel

from agent.page_elements import ELEMENTS_FUNCTION, Element

ARIA_TREE_LIMIT = 6000  # characters of the accessibility tree shown to the surfer
# A field's line in Playwright's accessibility snapshot, `- textbox "Card": 4111...`: its value goes (the snapshot
# shows even a password's in clear; the screenshot shows what the model may see of a field).
_FIELD_VALUE = re.compile(
    r'^(\s*- (?:textbox|searchbox|combobox|spinbutton)(?: "(?:[^"\\]|\\.)*")?(?: \[[^\]]*\])*): .*$', re.M
)


class PageView(BaseModel):
    """The page as the surfer reads it at one observation."""

    url: str
    title: str
    css_width: int
    css_height: int
    elements: list[Element]
    aria_tree: str = ""

    @property
    def marks(self) -> list[Element]:
        """The interactive elements, numbered from 1 in this order."""
        return [element for element in self.elements if element.interactive]

    def mark(self, number: int) -> Element | None:
        marks = self.marks
        return marks[number - 1] if 1 <= number <= len(marks) else None

    def mark_list(self) -> str:
        return "\n".join(f"[{number}] {element.describe()}" for number, element in enumerate(self.marks, start=1))


def without_field_values(tree: str) -> str:
    return _FIELD_VALUE.sub(r"\1", tree)


async def read_page(page: Page, *, with_tree: bool = True) -> PageView:
    """The elements in view and (optionally) the accessibility tree; an empty view while the page navigates."""
    viewport = page.viewport_size or {"width": 0, "height": 0}
    try:
        title = await page.title()
        found = await page.evaluate(ELEMENTS_FUNCTION)
        tree = await page.locator("body").aria_snapshot(timeout=5_000) if with_tree else ""
    except PlaywrightError:  # the document is being replaced: the next observation will read the new one
        title, found, tree = "", [], ""
    return PageView(
        url=page.url,
        title=title,
        css_width=viewport["width"],
        css_height=viewport["height"],
        elements=[Element.model_validate(item) for item in found],
        aria_tree=without_field_values(tree)[:ARIA_TREE_LIMIT],
    )
