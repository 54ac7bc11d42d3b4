"""Fara-7B's actions, defined once: each one as the CDP commands that carry it out in Chromium.

Both environments run these same commands on the agent's tab, `PlaywrightEnv` through its own CDP session and
`ExtensionEnv` through the extension, which only relays them (`extension/cdp.js`); neither knows what an action
means. Semantics follow the reference harness: `left_click` moves, presses and releases the left button; `scroll`
is one 400 px wheel step by the sign of `pixels` at the mouse position; `type` clicks its coordinate first (or
types into the focused element), can clear the field, and presses Enter unless told not to; `key` presses a chord
in order and releases it in reverse; `visit_url` and `web_search` navigate (`agent/navigation.py` says where).

`type` types as a person does, one key at a time: each character on a US keyboard is a key down (with its text)
and a key up, so pages that listen to keys (autocomplete, masked inputs, search-as-you-type) see what they would see
from a person; a character no key types ("é", an emoji) is inserted as text, as an input method would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from agent.actions import (
    Action,
    HistoryBack,
    Key,
    LeftClick,
    MouseMove,
    PauseAndMemorizeFact,
    Scroll,
    Terminate,
    Type,
    VisitUrl,
    Wait,
    WebSearch,
)
from agent.navigation import navigation_target
from agent.page_scripts import dom_key

SCROLL_STEP = 400
MAX_WAIT_SECONDS = 60.0

Command = tuple[str, dict[str, Any]]  # a CDP method and its parameters
# Runs commands in order on the agent's tab and returns their results (one round trip for the extension).
RunCommands = Callable[[list[Command]], Awaitable[list[dict[str, Any]]]]

# The CDP methods actions use: the extension relays these and no others for actions.
ACTION_METHODS = frozenset(
    {
        "Input.dispatchMouseEvent",
        "Input.dispatchKeyEvent",
        "Input.insertText",
        "Page.navigate",
        "Page.getNavigationHistory",
        "Page.navigateToHistoryEntry",
    }
)

_NAMED_KEYS: dict[str, tuple[str, int, str | None]] = {  # DOM key -> (code, Windows key code, text)
    "Enter": ("Enter", 13, "\r"), "Tab": ("Tab", 9, None), "Backspace": ("Backspace", 8, None),
    "Delete": ("Delete", 46, None), "Escape": ("Escape", 27, None), "ArrowLeft": ("ArrowLeft", 37, None),
    "ArrowUp": ("ArrowUp", 38, None), "ArrowRight": ("ArrowRight", 39, None), "ArrowDown": ("ArrowDown", 40, None),
    "Home": ("Home", 36, None), "End": ("End", 35, None), "PageUp": ("PageUp", 33, None),
    "PageDown": ("PageDown", 34, None), "Insert": ("Insert", 45, None), "CapsLock": ("CapsLock", 20, None),
    " ": ("Space", 32, " "), "Divide": ("NumpadDivide", 111, "/"), "Backslash": ("Backslash", 220, "\\"),
    "Alt": ("AltLeft", 18, None), "Control": ("ControlLeft", 17, None), "Shift": ("ShiftLeft", 16, None),
    "Meta": ("MetaLeft", 91, None),
    **{f"F{n}": (f"F{n}", 111 + n, None) for n in range(1, 13)},
}  # fmt: skip
# Punctuation on a US keyboard: character -> (code, Windows key code); shifted characters share their key.
_PUNCTUATION = {
    **dict.fromkeys("-_", ("Minus", 189)), **dict.fromkeys("=+", ("Equal", 187)),
    **dict.fromkeys("[{", ("BracketLeft", 219)), **dict.fromkeys("]}", ("BracketRight", 221)),
    **dict.fromkeys("\\|", ("Backslash", 220)), **dict.fromkeys(";:", ("Semicolon", 186)),
    **dict.fromkeys("'\"", ("Quote", 222)), **dict.fromkeys(",<", ("Comma", 188)),
    **dict.fromkeys(".>", ("Period", 190)), **dict.fromkeys("/?", ("Slash", 191)),
    **dict.fromkeys("`~", ("Backquote", 192)),
    **{shifted: (f"Digit{digit}", 48 + int(digit)) for digit, shifted in zip("1234567890", "!@#$%^&*()", strict=True)},
}  # fmt: skip
_MODIFIER_BITS = {"Alt": 1, "Control": 2, "Meta": 4, "Shift": 8}
# macOS editing shortcuts do nothing as plain key events over CDP; they need editor commands.
_MAC_COMMANDS = {"a": "selectAll", "c": "copy", "v": "paste", "x": "cut", "z": "undo", "y": "redo"}


@dataclass
class Pointer:
    """Where the mouse is on the agent's tab (a scroll wheels there)."""

    x: float = 0.0
    y: float = 0.0


@dataclass
class Performed:
    """What running an action did: the reference's observation text, and whether the page may change."""

    observation: str
    settles: bool = True


async def perform(action: Action, run: RunCommands, pointer: Pointer, *, mac: bool = False) -> Performed:
    """Carry out one action on the agent's tab through `run`; returns what the step log says it did."""
    match action:
        case LeftClick(coordinate=(x, y)):
            await run(_click(x, y, pointer))
            return Performed(f"I clicked at coordinates ({x}, {y}).")
        case MouseMove(coordinate=(x, y)):
            await run(_move(x, y, pointer))
            return Performed("")
        case Type():
            commands = _click(*action.coordinate, pointer) if action.coordinate is not None else []
            if action.delete_existing_text:
                commands += _chord(["Meta" if mac else "Control", "a"], mac) + _chord(["Backspace"], mac)
            commands += type_text(action.text)
            if action.press_enter:
                commands += _chord(["Enter"], mac)
            await run(commands)
            return Performed(f"I typed '{action.text}'.")
        case Key(keys=keys):
            await run(_chord([dom_key(key) for key in keys], mac))
            return Performed(f"I pressed the following keys: {keys}")
        case Scroll(pixels=pixels):
            if int(pixels) == 0:
                return Performed("I did not scroll (0 pixels).", settles=False)
            delta = -SCROLL_STEP if pixels > 0 else SCROLL_STEP
            wheel = {"type": "mouseWheel", "x": pointer.x, "y": pointer.y, "deltaX": 0, "deltaY": delta}
            await run([("Input.dispatchMouseEvent", wheel)])
            return Performed(f"I scrolled {'up' if pixels > 0 else 'down'} one page in the browser.")
        case VisitUrl() | WebSearch():
            target = navigation_target(action)
            assert target is not None
            await run([("Page.navigate", {"url": target})])
            what, bar = (action.url, "address") if isinstance(action, VisitUrl) else (action.query, "search")
            return Performed(f"I typed '{what}' into the browser {bar} bar.")
        case HistoryBack():
            [history] = await run([("Page.getNavigationHistory", {})])
            index = history["currentIndex"]
            # A new tab's empty first page is not one to go back to (headless Chromium starts every tab on it).
            if index <= 0 or history["entries"][index - 1]["url"] == "about:blank":
                return Performed("There is no page to go back to.", settles=False)
            entry = history["entries"][index - 1]
            await run([("Page.navigateToHistoryEntry", {"entryId": entry["id"]})])
            return Performed("I clicked the browser back button.")
        case Wait(time=seconds):
            await asyncio.sleep(min(seconds, MAX_WAIT_SECONDS))
            return Performed("I am waiting a short period of time before taking further action.", settles=False)
        case PauseAndMemorizeFact(fact=fact):
            return Performed(f"I memorized the following fact: {fact}", settles=False)
        case Terminate():
            return Performed("", settles=False)
    raise ValueError(f"unknown action {action!r}")


def _move(x: float, y: float, pointer: Pointer) -> list[Command]:
    pointer.x, pointer.y = x, y
    return [("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})]


def _click(x: float, y: float, pointer: Pointer) -> list[Command]:
    button = {"x": x, "y": y, "button": "left", "clickCount": 1}
    return [
        *_move(x, y, pointer),
        ("Input.dispatchMouseEvent", {"type": "mousePressed", **button, "buttons": 1}),
        ("Input.dispatchMouseEvent", {"type": "mouseReleased", **button, "buttons": 0}),
    ]


def type_text(text: str) -> list[Command]:
    """Each character a key press where a US key types it, else inserted as text (runs of such characters at once)."""
    commands: list[Command] = []
    inserted = ""
    for character in text:
        key = _character_key(character)
        if key is None:
            inserted += character
            continue
        if inserted:
            commands.append(("Input.insertText", {"text": inserted}))
            inserted = ""
        commands += _press(*key)
    if inserted:
        commands.append(("Input.insertText", {"text": inserted}))
    return commands


def _character_key(character: str) -> tuple[str, str, int, str] | None:
    """(key, code, Windows key code, text) of the US key that types `character`, or None."""
    if character == "\n":
        return "Enter", "Enter", 13, "\r"
    if character == " ":
        return " ", "Space", 32, " "
    if character.isascii() and character.isalpha():
        return character, f"Key{character.upper()}", ord(character.upper()), character
    if character.isascii() and character.isdigit():
        return character, f"Digit{character}", ord(character), character
    if character in _PUNCTUATION:
        code, key_code = _PUNCTUATION[character]
        return character, code, key_code, character
    return None


def _press(key: str, code: str, key_code: int, text: str) -> list[Command]:
    down = {"type": "keyDown", "key": key, "code": code, "windowsVirtualKeyCode": key_code, "text": text}
    return [
        ("Input.dispatchKeyEvent", {**down, "unmodifiedText": text}),
        ("Input.dispatchKeyEvent", {"type": "keyUp", "key": key, "code": code, "windowsVirtualKeyCode": key_code}),
    ]


def _key_definition(name: str) -> tuple[str, int, str | None]:
    """(code, Windows key code, text) of a DOM key name (`Enter`, `Control`, `a`, `7`, `/`)."""
    if name in _NAMED_KEYS:
        return _NAMED_KEYS[name]
    found = _character_key(name) if len(name) == 1 else None
    if found is None:
        return "", 0, name if len(name) == 1 else None
    return found[1], found[2], found[3]


def _chord(names: list[str], mac: bool) -> list[Command]:
    """Press `names` down in order, then release them in reverse, with the modifier bits held at each point."""
    events: list[Command] = []
    modifiers = 0
    for name in names:
        code, key_code, text = _key_definition(name)
        modifiers |= _MODIFIER_BITS.get(name, 0)
        types_text = text is not None and not modifiers & ~_MODIFIER_BITS["Shift"]
        down: dict[str, Any] = {
            "type": "keyDown" if types_text else "rawKeyDown",
            "key": name,
            "code": code,
            "windowsVirtualKeyCode": key_code,
            "modifiers": modifiers,
        }
        if types_text:
            down["text"] = text
        if mac and modifiers & (_MODIFIER_BITS["Meta"] | _MODIFIER_BITS["Control"]) and name.lower() in _MAC_COMMANDS:
            down["commands"] = [_MAC_COMMANDS[name.lower()]]
        events.append(("Input.dispatchKeyEvent", down))
    for name in reversed(names):
        code, key_code, _ = _key_definition(name)
        up = {"type": "keyUp", "key": name, "code": code, "windowsVirtualKeyCode": key_code, "modifiers": modifiers}
        events.append(("Input.dispatchKeyEvent", up))
        modifiers &= ~_MODIFIER_BITS.get(name, 0)
    return events
