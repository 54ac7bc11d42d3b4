"""Parse Fara-7B's reply: free-text thoughts, then one `<tool_call>` JSON block.

More tolerant than the reference (`split("<tool_call>\\n")` + `json.loads`): the newline after the
opening tag may be missing, the closing tag may be missing, the JSON may be a Python literal, text
may follow the call, `arguments` may be a JSON string. Every failure is a typed `ParseError`, never
an exception. The raw text is never modified here: the caller stores it verbatim in the history.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from agent.actions import Action, parse_action

ParseErrorKind = Literal["empty_output", "no_tool_call", "invalid_json", "missing_action", "invalid_action"]

_OPEN = "<tool_call>"
_CLOSE = "</tool_call>"


@dataclass(frozen=True)
class ParsedCall:
    thoughts: str
    action: Action


@dataclass(frozen=True)
class ParseError:
    kind: ParseErrorKind
    message: str
    thoughts: str = ""


def format_reply(thoughts: str, action: Action) -> str:
    """A reply exactly as Fara-7B writes it (whole numbers as integers, as the model emits them): what scripted
    surfers (the sandbox oracle, data generation) answer so their steps read like the model's own."""

    def whole(value: Any) -> Any:
        if isinstance(value, list):
            return [whole(item) for item in value]
        return int(value) if isinstance(value, float) and value.is_integer() else value

    arguments = {key: whole(value) for key, value in action.arguments().items()}
    call = json.dumps({"name": "computer_use", "arguments": arguments})
    return f"{thoughts}\n{_OPEN}\n{call}\n{_CLOSE}"


def parse_reply(text: str | None) -> ParsedCall | ParseError:
    if text is None or not text.strip():
        return ParseError(
            "empty_output",
            "the model returned empty content (servers that split reasoning from content, such as "
            "llama.cpp, LM Studio or Ollama, need that disabled, e.g. llama.cpp --reasoning-format none)",
        )
    start = text.find(_OPEN)
    if start < 0:
        return ParseError("no_tool_call", "no <tool_call> block in the reply", thoughts=text.strip())
    thoughts = text[:start].strip()
    body = text[start + len(_OPEN) :]
    end = body.find(_CLOSE)
    call_text = _first_object(body if end < 0 else body[:end])
    if call_text is None:
        return ParseError("invalid_json", "no JSON object inside <tool_call>", thoughts)
    call = _load_object(call_text)
    if call is None:
        return ParseError("invalid_json", f"cannot read the tool call as JSON: {call_text[:200]!r}", thoughts)
    arguments = call.get("arguments", call)
    if isinstance(arguments, str):
        arguments = _load_object(arguments)
    if not isinstance(arguments, dict) or "action" not in arguments:
        return ParseError("missing_action", "the tool call has no arguments.action", thoughts)
    try:
        action = parse_action(arguments)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'action'}: {e['msg']}" for e in error.errors())
        return ParseError("invalid_action", f"invalid {arguments.get('action')!r} call: {problems}", thoughts)
    return ParsedCall(thoughts, action)


def _first_object(text: str) -> str | None:
    """The first balanced {...} in `text`, honouring quoted strings; unbalanced -> the rest."""
    start = text.find("{")
    if start < 0:
        return None
    depth = 0
    quote: str | None = None
    escaped = False
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start : index + 1]
    return text[start:].strip()


_TRAILING_COMMA = re.compile(r",\s*([}\]])")


def _load_object(text: str) -> dict[str, Any] | None:
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            value = json.loads(candidate)
        except json.JSONDecodeError:
            try:
                value = ast.literal_eval(candidate)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                continue
        if isinstance(value, dict):
            return value
    return None
