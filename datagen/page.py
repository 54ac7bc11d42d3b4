"""What the WebSurfer reads from the live page besides the screenshot: the elements it can act on, with
their boxes, and the page's accessibility tree.

Elements are listed in document order and numbered from 1 (the Set-of-Marks numbers). Only elements a click
at their centre would reach are listed (not covered by a banner, not scrolled away), so a mark always names
something the model could click. Like the guard's script, it never reads what was typed into a field, and it
takes the fields' values out of the accessibility tree.
"""

from __future__ import annotations

import re

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from pydantic import BaseModel

from agent.geometry import ScreenGeometry

ARIA_TREE_LIMIT = 6000  # characters of the accessibility tree shown to the surfer
# A field's line in Playwright's accessibility snapshot, `- textbox "Card": 4111...`: its value goes (the snapshot
# shows even a password's in clear; the screenshot shows what the model may see of a field).
_FIELD_VALUE = re.compile(
    r'^(\s*- (?:textbox|searchbox|combobox|spinbutton)(?: "(?:[^"\\]|\\.)*")?(?: \[[^\]]*\])*): .*$', re.M
)

_ELEMENTS_FUNCTION = """
() => {
  const INTERACTIVE = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], '
    + '[role=link], [role=tab], [role=checkbox], [role=radio], [role=menuitem], [role=option], [role=switch], '
    + '[role=combobox], [role=textbox], [role=searchbox], [onclick]';
  const LANDMARK = 'h1, h2, h3, img[alt]:not([alt=""])';
  const TEXT_TYPES = ['', 'text', 'search', 'email', 'tel', 'url', 'number', 'password'];
  const implicitRole = (el) => {
    const tag = el.tagName.toLowerCase(), type = (el.getAttribute('type') || '').toLowerCase();
    if (tag === 'a') return 'link';
    if (tag === 'button' || tag === 'summary') return 'button';
    if (tag === 'select') return 'combobox';
    if (tag === 'textarea') return 'textbox';
    if (tag === 'img') return 'img';
    if (/^h[1-6]$/.test(tag)) return 'heading';
    if (tag === 'input') {
      if (type === 'checkbox' || type === 'radio') return type;
      if (['submit', 'button', 'reset', 'image'].includes(type)) return 'button';
      return TEXT_TYPES.includes(type) ? 'textbox' : type;
    }
    return tag;
  };
  const clean = (text) => (text || '').trim().replace(/\\s+/g, ' ').slice(0, 80);
  const nameOf = (el) => {
    const tag = el.tagName.toLowerCase(), type = (el.getAttribute('type') || '').toLowerCase();
    const labelled = el.getAttribute('aria-labelledby');
    const fromIds = labelled ? labelled.split(/\\s+/).map((id) => document.getElementById(id))
      .filter(Boolean).map((e) => e.innerText).join(' ') : '';
    const field = tag === 'input' || tag === 'textarea' || tag === 'select';
    const label = field && el.labels && el.labels.length ? el.labels[0].innerText : '';
    const buttonValue = tag === 'input' && ['submit', 'button', 'reset'].includes(type) ? el.value : '';
    return clean(el.getAttribute('aria-label') || fromIds || label || el.getAttribute('placeholder')
      || (field ? '' : el.innerText) || buttonValue || el.getAttribute('alt') || el.getAttribute('title')
      || el.querySelector('img[alt]')?.getAttribute('alt'));
  };
  const reachable = (el) => {
    const box = el.getBoundingClientRect();
    const left = Math.max(box.left, 0), top = Math.max(box.top, 0);
    const right = Math.min(box.right, innerWidth), bottom = Math.min(box.bottom, innerHeight);
    if (right - left < 2 || bottom - top < 2 || getComputedStyle(el).visibility === 'hidden') return null;
    const x = (left + right) / 2, y = (top + bottom) / 2;
    const hit = document.elementFromPoint(x, y);
    if (!hit || !(hit === el || el.contains(hit) || (hit.tagName === 'LABEL' && hit.control === el))) return null;
    return {x: left, y: top, width: right - left, height: bottom - top};
  };
  const listed = [];
  const add = (el, interactive) => {
    if (interactive && listed.some((item) => item.el.contains(el))) return;  // a control inside a control
    const box = reachable(el);
    if (!box) return;
    listed.push({el, item: {tag: el.tagName.toLowerCase(), role: el.getAttribute('role') || implicitRole(el),
      name: nameOf(el), input_type: (el.getAttribute('type') || '').toLowerCase(), interactive, ...box}});
  };
  document.querySelectorAll(INTERACTIVE).forEach((el) => add(el, true));
  document.querySelectorAll(LANDMARK).forEach((el) => add(el, false));
  return listed.map(({item}) => item);
}
"""


class Element(BaseModel):
    """One element in view; its box in CSS pixels of the viewport."""

    tag: str
    role: str
    name: str
    input_type: str = ""
    interactive: bool
    x: float
    y: float
    width: float
    height: float

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2

    def model_box(self, geometry: ScreenGeometry) -> tuple[float, float, float, float]:
        left, top = geometry.to_model(self.x, self.y)
        right, bottom = geometry.to_model(self.x + self.width, self.y + self.height)
        return left, top, right, bottom

    def model_centre(self, geometry: ScreenGeometry) -> tuple[int, int]:
        """Where Fara-7B would point at it: the centre in model pixels, as whole numbers (as the model writes)."""
        x, y = geometry.to_model(*self.centre)
        return round(x), round(y)

    def describe(self) -> str:
        """A line of the surfer's element list: `button "Add to cart"`."""
        kind = self.role if not self.input_type or self.role == self.input_type else f"{self.role} ({self.input_type})"
        return f'{kind} "{self.name}"' if self.name else kind


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
        found = await page.evaluate(_ELEMENTS_FUNCTION)
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
