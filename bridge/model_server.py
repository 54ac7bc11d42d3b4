"""The model, run by the bridge: `vllm serve` as a child process with the flags Fara-7B needs.

Started when `farol serve --serve-model MODEL` finds nothing answering at the model URL. Its output goes
to a log file; the bridge waits for its health endpoint while the weights load, restarts it a few times
if it crashes (saying why in plain words, read from its log), and stops it when the bridge stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, Field

READY_TIMEOUT_SECONDS = 45 * 60  # a 7B model's first download and load can take long
STOP_GRACE_SECONDS = 20.0
INSTALL_HINT = "install it on a GPU machine (pip install -e '.[serve]'), or point --model-url at another server"


class ModelServerUnavailable(Exception):
    """This machine cannot run the model server; the message says what to do instead."""


class ServeOptions(BaseModel):
    """The `vllm serve` flags for Fara-7B; each can be overridden (`farol serve --vllm-arg` adds any other)."""

    model: str  # a hub name or a local checkpoint folder (e.g. from `farol train sft`)
    served_name: str  # the name clients ask for (`--model`)
    port: int
    max_model_len: int = Field(default=16384, ge=15000)  # Fara-7B needs at least 15,000 tokens of context
    images_per_request: int = 3  # the history keeps the last 3 screenshots
    dtype: str = "auto"
    gpu_memory_utilization: float = Field(default=0.9, gt=0, le=1)
    tensor_parallel_size: int | None = None  # default: every GPU present
    extra_args: list[str] = Field(default_factory=list)

    def command(self, gpus: int) -> list[str]:
        return [
            "vllm",
            "serve",
            self.model,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--served-model-name",
            self.served_name,
            "--max-model-len",
            str(self.max_model_len),
            "--limit-mm-per-prompt",
            f'{{"image": {self.images_per_request}}}',
            "--dtype",
            self.dtype,
            "--gpu-memory-utilization",
            str(self.gpu_memory_utilization),
            "--tensor-parallel-size",
            str(self.tensor_parallel_size or max(gpus, 1)),
            *self.extra_args,
        ]


def local_port(model_url: str) -> int:
    """The port to serve on, from a model URL on this machine; the model server never listens elsewhere."""
    parts = urlsplit(model_url)
    if parts.hostname not in {"127.0.0.1", "localhost"}:
        raise ModelServerUnavailable(
            f"--serve-model runs the model on this machine, but --model-url points at {parts.hostname}; "
            "use http://127.0.0.1:PORT/v1"
        )
    return parts.port or (443 if parts.scheme == "https" else 80)


def gpu_count() -> int:
    """NVIDIA GPUs as the driver lists them (0 without a driver)."""
    if shutil.which("nvidia-smi") is None:
        return 0
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in listing.splitlines() if line.startswith("GPU "))


def check_machine() -> int:
    """The number of GPUs, or why this machine cannot run vLLM (in one line, with what to do)."""
    if shutil.which("vllm") is None:
        raise ModelServerUnavailable(f"vLLM is not installed; {INSTALL_HINT}")
    gpus = gpu_count()
    if gpus == 0:
        raise ModelServerUnavailable(
            "no NVIDIA GPU found (nvidia-smi lists none), and vLLM needs one; "
            "serve Fara-7B on a GPU machine and point --model-url at it"
        )
    return gpus


_DIAGNOSES = [
    (re.compile(r"out of memory|OutOfMemoryError|CUDA error: out of memory", re.I), "it ran out of GPU memory "
     "(lower --gpu-memory-utilization or --max-model-len, or use a larger GPU)"),
    (re.compile(r"address already in use|Errno 98", re.I), "its port {port} is taken by another program "
     "(choose another --model-url port, or stop that program)"),
    (re.compile(r"no CUDA GPUs are available|CUDA driver|libcuda|Found no NVIDIA driver|CUDA is not available", re.I),
     "CUDA is missing or broken (check the NVIDIA driver with nvidia-smi)"),
]  # fmt: skip


def diagnose(log_tail: str, port: int, code: int | None) -> str:
    """Why the model server ended, in plain words, from the end of its log."""
    for pattern, words in _DIAGNOSES:
        if pattern.search(log_tail):
            return words.format(port=port)
    return f"it exited with code {code}"


Notify = Callable[[str], Awaitable[None]]


class ManagedModelServer:
    def __init__(self, options: ServeOptions, log_path: Path, *, max_restarts: int = 3, notify: Notify) -> None:
        self.options, self.log_path, self.max_restarts = options, log_path, max_restarts
        self.notify = notify  # the terminal and the panel hear about crashes and restarts
        self.url = f"http://127.0.0.1:{options.port}/v1"
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stopping = False
        self._gpus = 0
        self._log_start = 0

    def start(self) -> None:
        """Launch `vllm serve` (after checking the machine can run it); its output goes to the log file."""
        self._gpus = self._gpus or check_machine()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._log_start = log.tell()  # diagnoses read this run's lines only
            log.write(f"\n--- farol: starting {' '.join(self.options.command(self._gpus))}\n".encode())
            self.process = subprocess.Popen(
                self.options.command(self._gpus),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stopping it stops its workers too
            )

    async def wait_ready(self, on_wait: Callable[[float, str], None] = lambda elapsed, line: None) -> None:
        """Until the health endpoint answers; `on_wait(seconds, last log line)` shows progress. Raises
        ModelServerUnavailable with the reason if the process ends first."""
        started = time.monotonic()
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() - started < READY_TIMEOUT_SECONDS:
                if self._exited():
                    raise ModelServerUnavailable(f"the model server stopped: {self._why()}; log: {self.log_path}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}/models")).status_code == 200:
                        return
                on_wait(time.monotonic() - started, self.last_log_line())
                await asyncio.sleep(0.5)
        raise ModelServerUnavailable(f"the model server did not become ready; log: {self.log_path}")

    async def supervise(self) -> None:
        """Watch the running server; after a crash, say why and restart it, at most `max_restarts` times."""
        while not self._stopping:
            await asyncio.sleep(0.5)
            if self._stopping or not self._exited():
                continue
            why = self._why()
            if self.restarts >= self.max_restarts:
                await self.notify(
                    f"The model server stopped: {why}. It was restarted {self.restarts} times; "
                    f"giving up. Log: {self.log_path}"
                )
                return
            self.restarts += 1
            await self.notify(
                f"The model server stopped: {why}. Restarting it ({self.restarts} of {self.max_restarts})."
            )
            try:
                self.start()
                await self.wait_ready()
            except ModelServerUnavailable as error:
                await self.notify(str(error))
                continue
            await self.notify("The model server is back.")

    def stop(self) -> None:
        """Terminate the server and its workers; kill them if they do not end in time."""
        self._stopping = True
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def last_log_line(self) -> str:
        lines = self._log_tail().strip().splitlines()
        return lines[-1] if lines else ""

    def _exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def _why(self) -> str:
        return diagnose(self._log_tail(), self.options.port, self.process.returncode if self.process else None)

    def _log_tail(self, size: int = 20_000) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(max(self._log_start, log.seek(0, os.SEEK_END) - size))
                return log.read().decode(errors="replace")
        except OSError:
            return ""
