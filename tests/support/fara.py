"""The model's side of a test: replies in Fara-7B's exact format, and where it points on the fixture pages."""

from __future__ import annotations

import json
from typing import Any

from agent.geometry import ScreenGeometry

# The reference viewport and its model-space size.
GEOMETRY = ScreenGeometry(css_width=1440, css_height=900, model_width=1428, model_height=896)


class ActionsPage:
    """Centres of the controls on tests/fixtures/pages/actions.html, in CSS pixels (its stylesheet places them)."""

    TARGET = (680, 224)  # the "Target" button
    NAME = (250, 218)  # a plain text field
    HOVER_ZONE = (250, 450)
    NEAR_HOVER_ZONE = (260, 450)  # inside the zone, 10 px right: a different action on the same screen
    NEW_TAB_LINK = (980, 420)  # opens popup.html in a new tab
    PASSWORD = (250, 618)
    CARD = (250, 718)  # autocomplete="cc-number"
    PLACE_ORDER = (680, 624)  # a binding button
    EMPTY = (1000, 800)  # nothing there


def reply(thoughts: str, action: str, **arguments: Any) -> str:
    """A Fara-7B reply in the exact format the model emits."""
    call = json.dumps({"name": "computer_use", "arguments": {"action": action, **arguments}})
    return f"{thoughts}\n<tool_call>\n{call}\n</tool_call>"


def model_point(css_x: float, css_y: float) -> list[int]:
    """Where the model would point (rounded, as the model emits integers) for a CSS point."""
    x, y = GEOMETRY.to_model(css_x, css_y)
    return [round(x), round(y)]
