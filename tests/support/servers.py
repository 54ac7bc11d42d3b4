"""Local HTTP servers for tests: a scripted OpenAI-compatible model and a fixture site that logs events."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.polling import poll

PAGES = Path(__file__).parent.parent / "fixtures" / "pages"


@dataclass(frozen=True)
class Fail:
    """Answer one call with an HTTP error instead of a completion."""

    status: int = 500


@dataclass(frozen=True)
class Slow:
    """Answer one call after `delay` seconds."""

    text: str
    delay: float


Reply = str | Fail | Slow


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser closed mid-request (a beacon cut off at shutdown): nothing to report."""


class _Server:
    handler: type[BaseHTTPRequestHandler]

    def __init__(self) -> None:
        owner = self

        class Handler(self.handler):  # type: ignore[name-defined,misc]
            server_owner = owner

        self._http = _QuietServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))


class _ModelHandler(_Quiet):
    server_owner: ScriptedModel

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, json.dumps({"object": "list", "data": [{"id": "scripted", "object": "model"}]}).encode())
        else:
            self._send(404, b"{}")

    def do_POST(self) -> None:
        request = json.loads(self._body())
        reply = self.server_owner.take(request)
        if isinstance(reply, Fail):
            self._send(reply.status, json.dumps({"error": {"message": f"scripted failure {reply.status}"}}).encode())
            return
        if reply is None:
            self._send(410, json.dumps({"error": {"message": "the scripted model ran out of replies"}}).encode())
            return
        if isinstance(reply, Slow):
            time.sleep(reply.delay)
            reply = reply.text
        completion = {
            "id": f"chatcmpl-{len(self.server_owner.requests)}",
            "object": "chat.completion",
            "created": 0,
            "model": request.get("model", ""),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": 1000 + len(request["messages"]),
                "completion_tokens": len(reply) // 4,
                "total_tokens": 0,
            },
        }
        self._send(200, json.dumps(completion).encode())


class ScriptedModel(_Server):
    """An OpenAI-compatible /v1/chat/completions that replays given replies and records every request."""

    handler = _ModelHandler

    def __init__(self, replies: list[Reply] | tuple[Reply, ...] = ()) -> None:
        self.replies: deque[Reply] = deque(replies)
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        super().__init__()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def add(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    async def requested(self, count: int = 1, timeout: float = 30.0) -> None:
        """Wait (without blocking the event loop) until the model has been asked `count` times."""
        await poll(
            lambda: len(self.requests),
            lambda asked: asked >= count,
            timeout=timeout,
            failure=lambda asked: f"the model was asked {asked} times, not {count}",
            interval=0.05,
        )

    def take(self, request: dict[str, Any]) -> Reply | None:
        with self._lock:
            self.requests.append(request)
            return self.replies.popleft() if self.replies else None


class _SiteHandler(_Quiet):
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


class FixtureSite(_Server):
    """Serves tests/fixtures/pages; the pages POST their own events to /log."""

    handler = _SiteHandler

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        super().__init__()

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def record(self, event: dict[str, Any]) -> None:
        with self._lock:
            self.events.append(event)

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
