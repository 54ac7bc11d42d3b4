"""The interface every browser backend implements: headless Chromium here, the user's Chrome in `bridge`.

Actions reach `execute` with their coordinates already mapped to CSS pixels.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from agent.actions import Action

# A glance is only worth having before the settle ends, and the observation waits for one in flight: one that
# cannot be had this soon is given up (the observation's own capture then has its full time, and its recovery).
GLANCE_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class ElementInfo:
    """What lies under a point, for the guard. Never carries the element's current value."""

    tag: str
    input_type: str = ""
    autocomplete: str = ""
    name: str = ""
    id: str = ""
    role: str = ""
    text: str = ""  # visible text / label / aria-label, trimmed
    href: str = ""  # a link's href attribute as written ("" for anything but a link)
    form_method: str = ""  # "get" or "post": the method of the form a click would submit ("" when it submits none)

    def describe(self) -> str:
        """The element in words, as a person would point at it: `the button “Place order”`, `the password field`."""
        kind = self._kind()
        label = " ".join(self.text.split())
        if len(label) > 60:
            label = label[:59] + "…"
        if label:
            return f"the {kind} “{label}”" if kind else f"“{label}”"
        return f"the {kind or self.tag or 'page'}"

    def _kind(self) -> str:
        if self.input_type == "password":
            return "password field"
        if self.tag in {"iframe", "frame"}:
            return "embedded frame"
        if self.tag == "a" or self.role == "link":
            return "link"
        if self.tag == "button" or self.role == "button" or self.input_type in {"submit", "button", "image"}:
            return "button"
        if self.tag in {"input", "textarea"} or self.role in {"textbox", "searchbox", "combobox"}:
            return "field"
        if self.tag == "select":
            return "list"
        return ""


@dataclass(frozen=True)
class FilledField:
    """A text field with a value, on screen when the screenshot was taken; its box is in CSS pixels."""

    element: ElementInfo
    x: float
    y: float
    width: float
    height: float

    @classmethod
    def from_page(cls, data: dict[str, Any]) -> FilledField:
        """From what `page_scripts.FILLED_FIELDS_FUNCTION` returns for one field."""
        return cls(ElementInfo(**data["element"]), *(float(data[k]) for k in ("x", "y", "width", "height")))


@dataclass(frozen=True)
class PageReading:
    """The page as read just after a capture: its title, and its filled fields in view, so secret ones can be
    painted over before the capture is stored (None when the page could not be checked, or changed under it)."""

    title: str = ""
    filled_fields: tuple[FilledField, ...] | None = ()

    @classmethod
    def from_scan(cls, scan: dict[str, Any] | None, title: str = "") -> PageReading:
        """From `page_scripts.capture_scan`. No scan (`title` stands in), or no fields: the page navigated or changed
        during the capture, so none of it is kept."""
        if scan is None:
            return cls(title, None)
        title = scan["title"] if isinstance(scan.get("title"), str) else title
        try:
            fields = scan["fields"]
            return cls(title, None if fields is None else tuple(FilledField.from_page(field) for field in fields))
        except (KeyError, TypeError, ValueError):  # a page that replaced the DOM's built-ins: nothing can be checked
            return cls(title, None)


@dataclass(frozen=True)
class Observation:
    screenshot: bytes  # PNG in device pixels (css size x device_pixel_ratio)
    css_width: int
    css_height: int
    device_pixel_ratio: float
    url: str
    # Read once the capture is in: the model needs the pixels alone, so only the kept copy waits for it.
    page: asyncio.Future[PageReading]


class Readings:
    """The readings after an environment's captures (`Observation.page`), run on their own, one at a time: a
    capture waits for the reading before it, which shows the carets that capture hid (`page_scripts`)."""

    def __init__(self) -> None:
        self._last: asyncio.Future[PageReading] | None = None

    def start(self, reading: Coroutine[Any, Any, PageReading]) -> asyncio.Future[PageReading]:
        self._last = asyncio.ensure_future(reading)
        return self._last

    async def wait(self) -> None:
        if self._last is not None:
            await asyncio.wait({self._last})


@dataclass
class ActionOutcome:
    observation: str = ""
    settle_seconds: float = 0.0
    navigated_to: list[str] = field(default_factory=list)  # URLs of new tabs folded into the agent's page


class BrowserError(Exception):
    """The browser could not carry out a request (crashed, closed, timed out)."""


class PageClosed(BrowserError):
    """The agent's page or tab was closed (by the person, or with its browser): the task cannot go on."""


class Environment(ABC):
    @abstractmethod
    async def observe(self) -> Observation: ...

    @abstractmethod
    async def execute(self, action: Action, on_quiet: Callable[[], None] | None = None) -> ActionOutcome:
        """Run the action, then wait by the settle rule, which calls `on_quiet` as the page goes quiet."""

    async def glance(self) -> bytes | None:
        """A screenshot taken while the page settles, only to make the next model image early: one try within
        GLANCE_TIMEOUT_SECONDS, no recovery, nothing asked of the person; None when it cannot be had that way."""
        return None

    @abstractmethod
    async def element_at(self, x: float, y: float) -> ElementInfo | None: ...

    @abstractmethod
    async def focused_element(self) -> ElementInfo | None:
        """The element the keyboard types into (what `type` without a coordinate targets)."""

    async def close(self) -> None:
        return None
