"""The elements in view as a page script reads them (role, accessible name, box), and how a person refers to one
in words.

Elements are listed in document order. Only elements a click at their centre would reach are listed (not covered by
a banner, not scrolled away). Like the guard's script, it never reads what was typed into a field. The data
generator's WebSurfer (`datagen/page.py`) and grounding samples (`datagen/auxiliary_data.py`) and
`farol eval grounding` all read pages and word references through this one module.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from agent.geometry import ScreenGeometry

ElementKind = Literal["text", "icon", "input"]
FIELD_ROLES = ("textbox", "searchbox", "combobox", "spinbutton")
GROUNDING_PER_PAGE = 8

_ROLE_NOUNS = {
    "link": "link", "button": "button", "textbox": "field", "searchbox": "search field", "combobox": "menu",
    "checkbox": "checkbox", "radio": "option", "tab": "tab", "menuitem": "menu item", "option": "option",
}  # fmt: skip
_VERBS = ("Click {}.", "Where is {}?", "Point to {}.")

ELEMENTS_FUNCTION = """
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
      name: nameOf(el), input_type: (el.getAttribute('type') || '').toLowerCase(), interactive,
      shows_text: !!clean(el.innerText), ...box}});
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
    shows_text: bool = True  # has visible text of its own (an icon or a picture has none)
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

    @property
    def kind(self) -> ElementKind:
        """ScreenSpot's kinds: a field to type into, an element that shows its text, or an icon (or widget)."""
        if self.role in FIELD_ROLES:
            return "input"
        return "text" if self.shows_text and self.role != "img" else "icon"


def content_id(kind: str, *parts: Any) -> str:
    """A short id made from content: the same content always gives the same id."""
    return hashlib.sha256(json.dumps([kind, *parts], default=str).encode()).hexdigest()[:24]


def reference(element: Element) -> str:
    """The element in words, as a grounding instruction names it: `the “Search” button`."""
    if element.role == "heading":
        return f"the heading “{element.name}”"
    if element.role == "img":
        return f"the picture of {element.name}"
    return f"the “{element.name}” {_ROLE_NOUNS.get(element.role, element.role)}"


@dataclass(frozen=True)
class GroundingTarget:
    element: Element
    instruction: str  # "Click the “Search” button."


def grounding_targets(elements: list[Element], screenshot: str) -> list[GroundingTarget]:
    """Up to `GROUNDING_PER_PAGE` elements of one screenshot whose name is unique on it (a reference must point at
    one element), chosen by a hash of the screenshot so that pages give varied ones, each with its instruction."""
    named = [element for element in elements if element.name]
    counts = Counter(element.name.casefold() for element in named)
    unique = [element for element in named if counts[element.name.casefold()] == 1]
    chosen = sorted(unique, key=lambda e: content_id("order", screenshot, e.name))[:GROUNDING_PER_PAGE]
    targets = []
    for element in chosen:
        words = reference(element)
        verb = _VERBS[int(content_id("verb", words), 16) % len(_VERBS)]
        targets.append(GroundingTarget(element, verb.format(words)))
    return targets
