"""An OpenAI-compatible endpoint that plays scripted replies and records every request.

The stand-in for the model wherever no GPU is at hand: the tests and the benchmarks. It
answers `POST .../chat/completions` with the next scripted reply (or an HTTP error, or a reply after a
delay) and `GET .../models` with one model.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


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


class LocalServer:
    """An HTTP server on a free loopback port, in a background thread; `handler` says what it answers."""

    handler: type[BaseHTTPRequestHandler]

    def __init__(self, port: int = 0) -> None:
        owner = self

        class Handler(self.handler):  # type: ignore[name-defined,misc]
            server_owner = owner

        self._http = _QuietServer(("127.0.0.1", port), Handler)
        self._http.daemon_threads = True
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()


class QuietHandler(BaseHTTPRequestHandler):
    """Logs nothing; `_send` and `_body` for small JSON and HTML exchanges."""

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


class _ModelHandler(QuietHandler):
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


class ScriptedModel(LocalServer):
    """An OpenAI-compatible /v1/chat/completions that replays given replies and records every request."""

    handler = _ModelHandler

    def __init__(self, replies: list[Reply] | tuple[Reply, ...] = (), port: int = 0) -> None:
        self.replies: deque[Reply] = deque(replies)
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        super().__init__(port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def add(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def take(self, request: dict[str, Any]) -> Reply | None:
        with self._lock:
            self.requests.append(request)
            return self.replies.popleft() if self.replies else None
