"""Run the sandbox app on 127.0.0.1 in a background thread (tests, data generation, evaluation)."""

from __future__ import annotations

import threading
import time

import uvicorn

from sandbox.app import create_app


class SandboxServer:
    """`with SandboxServer(seed) as sandbox:` serves a fresh sandbox on a free port until the block ends."""

    def __init__(self, seed: int = 0, secret: str | None = None, port: int = 0) -> None:
        self.app = create_app(seed, secret)
        self.seed = seed
        self._server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")
        )
        self._thread = threading.Thread(target=self._server.run, name="sandbox-web", daemon=True)

    @property
    def secret(self) -> str:
        secret: str = self.app.state.secret
        return secret

    def start(self) -> SandboxServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox web did not start")
            time.sleep(0.02)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
