"""A scripted model whose reply is chosen from the request's content: one endpoint can play several roles
(each recognised by its instructions) and answer what it is shown, deterministically."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from doubles.scripted_model import Reply
from tests.support.servers import ScriptedModel

Request = dict[str, Any]


class RespondingModel(ScriptedModel):
    """`RespondingModel(respond)`: every request is recorded and answered with `respond(request)`."""

    def __init__(self, respond: Callable[[Request], Reply]) -> None:
        self.respond = respond
        super().__init__()

    def take(self, request: Request) -> Reply | None:
        with self._lock:
            self.requests.append(request)
        return self.respond(request)


def system_text(request: Request) -> str:
    first = request["messages"][0]
    return first["content"] if first["role"] == "system" and isinstance(first["content"], str) else ""


def user_text(request: Request) -> str:
    """Every text the request's user messages carry, joined."""
    texts = []
    for message in request["messages"]:
        if message["role"] != "user":
            continue
        content = message["content"]
        texts += [content] if isinstance(content, str) else [p["text"] for p in content if p["type"] == "text"]
    return "\n".join(texts)


def mark_named(request: Request, pattern: str) -> int:
    """The number of the first mark whose line in the surfer's mark list matches `pattern`."""
    for number, line in re.findall(r"^\[(\d+)\] (.*)$", user_text(request), re.MULTILINE):
        if re.search(pattern, line):
            return int(number)
    raise AssertionError(f"no mark matches {pattern!r}")


def page_url(request: Request) -> str:
    found = re.search(r"^The page now: .*\((\S+)\)$", user_text(request), re.MULTILINE)
    assert found, "not a surfer request"
    return found.group(1)
