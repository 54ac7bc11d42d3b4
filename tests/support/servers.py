"""Local HTTP servers for tests: the scripted model (with a wait for its requests) and a fixture site that logs
events."""

from __future__ import annotations

import bisect
import json
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from doubles import scripted_model
from doubles.scripted_model import Fail, LocalServer, QuietHandler, Slow
from tests.support.polling import poll

__all__ = ["Fail", "FixtureSite", "ScriptedModel", "Slow"]

PAGES = Path(__file__).parent.parent / "fixtures" / "pages"


class ScriptedModel(scripted_model.ScriptedModel):
    async def requested(self, count: int = 1, timeout: float = 30.0) -> None:
        """Wait (without blocking the event loop) until the model has been asked `count` times."""
        await poll(
            lambda: len(self.requests),
            lambda asked: asked >= count,
            timeout=timeout,
            failure=lambda asked: f"the model was asked {asked} times, not {count}",
            interval=0.05,
        )


class _SiteHandler(QuietHandler):
    server_owner: FixtureSite

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/search":
            query = parse_qs(parts.query).get("q", [""])[0]
            self.server_owner.record({"type": "search", "query": query})
            self._send(200, f"<!doctype html><title>Search</title><h1>Results for {query}</h1>".encode(), "text/html")
            return
        name = parts.path.lstrip("/") or "index.html"
        file = (PAGES / name).resolve()
        if PAGES.resolve() not in file.parents or not file.is_file():
            self._send(404, b"not found", "text/plain")
            return
        kind = "text/javascript" if file.suffix == ".js" else "text/html; charset=utf-8"
        self._send(200, file.read_bytes(), kind)

    def do_POST(self) -> None:
        if self.path == "/log":
            self.server_owner.record(json.loads(self._body()))
            self._send(204, b"")
        else:
            self._send(404, b"{}")


class FixtureSite(LocalServer):
    """Serves tests/fixtures/pages; the pages POST their own events to /log."""

    handler = _SiteHandler

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        super().__init__()

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def record(self, event: dict[str, Any]) -> None:
        """Keep `event` in the order things happened (its `at`, else now), not the order its beacon arrived."""
        event.setdefault("at", time.time() * 1000)
        with self._lock:
            bisect.insort(self.events, event, key=lambda kept: kept["at"])

    def of_type(self, kind: str, **fields: Any) -> list[dict[str, Any]]:
        """Events of `kind` whose fields equal `fields` (e.g. page="/actions.html")."""
        with self._lock:
            return [
                event
                for event in self.events
                if event.get("type") == kind and all(event.get(key) == value for key, value in fields.items())
            ]

    def wait_for(self, kind: str, count: int = 1, timeout: float = 10.0, **fields: Any) -> list[dict[str, Any]]:
        """Beacons arrive asynchronously; wait until `count` matching events are in."""
        deadline = time.monotonic() + timeout
        while len(found := self.of_type(kind, **fields)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return found
