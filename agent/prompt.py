"""Fara-7B's system prompt and `computer_use` tool schema, for any screen size.

The text below is an interoperability constant: it is carried over byte for byte from the
MIT-licensed reference harness microsoft/fara (commit 3f3f1fd, `src/fara/_prompts.py` and
`src/fara/qwen_helpers/fncall_prompt.py`), because Fara-7B was trained on exactly this prompt.
For a 1440x900 viewport it renders to 6093 bytes with sha256 b1b3a250...7d3a (see the tests).
Do not reformat these strings.
"""

from __future__ import annotations

import json
from typing import Any

ACTION_NAMES = (
    "key",
    "type",
    "mouse_move",
    "left_click",
    "scroll",
    "visit_url",
    "web_search",
    "history_back",
    "pause_and_memorize_fact",
    "wait",
    "terminate",
)

_TOOL_DESCRIPTION_TEMPLATE = (
    "Use a mouse and keyboard to interact with a computer, and take screenshots.\n"
    "* This is an interface to a desktop GUI. You do not have access to a terminal or applications menu. You must click on desktop icons to start applications.\n"
    "* Some applications may take time to start or process actions, so you may need to wait and take successive screenshots to see the results of your actions. E.g. if you click on Firefox and a window doesn't open, try wait and taking another screenshot.\n"
    "* The screen's resolution is {width}x{height}.\n"
    "* Whenever you intend to move the cursor to click on an element like an icon, you should consult a screenshot to determine the coordinates of the element before moving the cursor.\n"
    "* If you tried clicking on a program or link but it failed to load, even after waiting, try adjusting your cursor position so that the tip of the cursor visually falls on the element that you want to click.\n"
    "* Make sure to click any buttons, links, icons, etc with the cursor tip in the center of the element. Don't click boxes on their edges unless asked.\n"
    "* When a separate scrollable container prominently overlays the webpage, if you want to scroll within it, you typically need to mouse_move() over it first and then scroll().\n"
    "* If a popup window appears that you want to close, if left_click() on the 'X' or close button doesn't work, try key(keys=['Escape']) to close it.\n"
    "* On some search bars, when you type(), you may need to press_enter=False and instead separately call left_click() on the search button to submit the search query. This is especially true of search bars that have auto-suggest popups for e.g. locations\n"
    "* For calendar widgets, you usually need to left_click() on arrows to move between months and left_click() on dates to select them; type() is not typically used to input dates there."
)

_ACTION_DESCRIPTION = (
    "The action to perform. The available actions are:\n"
    '* `key`: Performs key down presses on the arguments passed in order, then performs key releases in reverse order. Includes "Enter", "Alt", "Shift", "Tab", "Control", "Backspace", "Delete", "Escape", "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "PageDown", "PageUp", "Shift", etc.\n'
    "* `type`: Type a string of text on the keyboard.\n"
    "* `mouse_move`: Move the cursor to a specified (x, y) pixel coordinate on the screen.\n"
    "* `left_click`: Click the left mouse button.\n"
    "* `scroll`: Performs a scroll of the mouse scroll wheel.\n"
    "* `visit_url`: Visit a specified URL.\n"
    "* `web_search`: Perform a web search with a specified query.\n"
    "* `history_back`: Go back to the previous page in the browser history.\n"
    "* `pause_and_memorize_fact`: Pause and memorize a fact for future reference.\n"
    "* `wait`: Wait specified seconds for the change to happen.\n"
    "* `terminate`: Terminate the current task and report its completion status."
)

_PREAMBLE = (
    "You are a web automation agent that performs actions on websites to fulfill user requests by calling various tools.\n"
    "* You should stop execution at Critical Points. A Critical Point would be encountered in tasks like 'Checkout', 'Book', 'Purchase', 'Call', 'Email', 'Order', etc where a binding transaction/agreement would require the user's permission/personal or sensitive information (name, email, credit card, address, payment information, resume, etc) in order to complete a transaction (purchase, reservation, sign-up etc), or to communicate in a way that a human would be expected to do (call, email, apply to a job, etc).\n"
    "* Solve the task as far as you can up until a Critical Point:\n"
    '    - For example, if the task is to "call a restaurant to make a reservation", you should not actually make the call but should navigate to the restaurant\'s page and find the phone number.\n'
    '    - Similarly, if the task is to "order new size 12 running shoes" you should not actually place the order but should instead search for the right shoes that meet the criteria and add them to the cart.\n'
    "    - Some tasks, like answering questions, may not encounter a Critical Point at all."
)

_FN_CALL_TEMPLATE = (
    "You are provided with function signatures within <tools></tools> XML tags:\n"
    "<tools>\n"
    "{tool_descs}\n"
    "</tools>\n"
    "\n"
    "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n"
    "<tool_call>\n"
    '{"name": <function-name>, "arguments": <args-json-object>}\n'
    "</tool_call>"
)

_SYSTEM_IDENTITY = "You are a helpful assistant."


def _required_by(action: str) -> str:
    return f"Required only by `action={action}`."


def tool_schema(width: int, height: int) -> dict[str, Any]:
    """The `computer_use` function definition; key order matters for the serialised prompt."""
    return {
        "type": "function",
        "function": {
            "name": "computer_use",
            "description": _TOOL_DESCRIPTION_TEMPLATE.format(width=width, height=height),
            "parameters": {
                "properties": {
                    "action": {
                        "description": _ACTION_DESCRIPTION,
                        "enum": list(ACTION_NAMES),
                        "type": "string",
                    },
                    "keys": {"description": _required_by("key"), "type": "array"},
                    "text": {"description": _required_by("type"), "type": "string"},
                    "press_enter": {
                        "description": "Whether to press the Enter key after typing. " + _required_by("type"),
                        "type": "boolean",
                    },
                    "delete_existing_text": {
                        "description": "Whether to delete existing text before typing. " + _required_by("type"),
                        "type": "boolean",
                    },
                    "coordinate": {
                        "description": "(x, y): The x (pixels from the left edge) and y (pixels from the top edge) "
                        "coordinates to move the mouse to. Required only by `action=left_click`, "
                        "`action=mouse_move`, and `action=type`.",
                        "type": "array",
                    },
                    "pixels": {
                        "description": "The amount of scrolling to perform. Positive values scroll up, "
                        "negative values scroll down. " + _required_by("scroll"),
                        "type": "number",
                    },
                    "url": {"description": "The URL to visit. " + _required_by("visit_url"), "type": "string"},
                    "query": {
                        "description": "The query to search for. " + _required_by("web_search"),
                        "type": "string",
                    },
                    "fact": {
                        "description": "The fact to remember for the future. "
                        + _required_by("pause_and_memorize_fact"),
                        "type": "string",
                    },
                    "time": {"description": "The seconds to wait. " + _required_by("wait"), "type": "number"},
                    "status": {
                        "description": "The status of the task. " + _required_by("terminate"),
                        "type": "string",
                        "enum": ["success", "failure"],
                    },
                },
                "required": ["action"],
                "type": "object",
            },
        },
    }


def system_prompt(width: int, height: int) -> str:
    """The system message for a screenshot of `width` x `height` model pixels (after smart_resize)."""
    tool_line = json.dumps(tool_schema(width, height), ensure_ascii=False)
    filled = _FN_CALL_TEMPLATE.replace("{tool_descs}", tool_line)
    return f"{_SYSTEM_IDENTITY}\n\n{_PREAMBLE}\n\n{filled}"
