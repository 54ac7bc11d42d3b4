"""MiniWoB++ from the `miniwob` pip package: its task pages served on 127.0.0.1, driven by pixels.

Each task is one seeded episode on a freshly opened page. The runner opens `task.start_url` in a
`PlaywrightEnv` (the training window), calls `start_episode` (which returns the task with the page's own
instruction as its text), runs the agent, then reads `episode_result`. The reward comes from the package's
JavaScript core (`WOB_REWARD_GLOBAL`, `WOB_RAW_REWARD_GLOBAL`, `WOB_DONE_GLOBAL`), unchanged.

Viewport: 1440x900, the size Fara-7B was trained and prompted at. The task itself is a 160x210 block in the
top-left corner, with the package's 10 px text at nearly 1:1 in the model's 1428x896 image; a viewport of
the task's own size would become a 168x196 model image, far outside anything the model has seen.
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from collections.abc import Sequence
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from pydantic import BaseModel

from agent.playwright_env import PlaywrightEnv
from eval.judges.base import Verdict
from eval.tasks import EvalTask, TaskFileError

SUITE = "miniwob"
# The package's 10 s episode timer is meant for scripted agents; a model takes seconds per step. With an hour
# the time-scaled reward stays within 0.1% of the raw one and only the agent's step limit ends an episode.
EPISODE_MAX_MS = 3_600_000

_READY = "() => typeof core !== 'undefined' && core.cover_div !== null"  # the page's onload has run
_START = """([seed, maxTime]) => {
  core.EPISODE_MAX_TIME = maxTime;
  Math.seedrandom(seed);
  core.startEpisodeReal();
  window.FAROL_SEED = seed;
  // One episode per page: the cover that would start the next one says DONE and does nothing, so the
  // reward stays as the episode left it whatever the agent does afterwards.
  core.startEpisodeReal = () => {};
  core.startEpisode = () => {
    core.cover_div.textContent = 'DONE';
    core.cover_div.style.display = 'block';
  };
  // The model sees the task area only, as the package's own environments crop it.
  for (const id of ['reward-display', 'click-canvas']) document.getElementById(id).style.display = 'none';
}"""
_RESULT = """() => window.FAROL_SEED === undefined ? null : {
  done: WOB_DONE_GLOBAL, reward: WOB_REWARD_GLOBAL, raw_reward: WOB_RAW_REWARD_GLOBAL, reason: WOB_REWARD_REASON
}"""


def html_dir() -> Path:
    """The package's `html/` folder, found without importing the package (it pulls in gymnasium and selenium)."""
    spec = importlib.util.find_spec("miniwob")
    if spec is None or not spec.submodule_search_locations:
        raise TaskFileError("MiniWoB needs the miniwob package: pip install -c constraints.txt miniwob")
    return Path(next(iter(spec.submodule_search_locations))) / "html"


def task_names() -> list[str]:
    return sorted(page.stem for page in (html_dir() / "miniwob").glob("*.html"))


def load_miniwob(base_url: str, names: Sequence[str] | None = None, seeds: Sequence[int] = (0,)) -> list[EvalTask]:
    """One task per (name, seed); every task page when `names` is None. `base_url` is a `MiniWobServer`'s."""
    known = task_names()
    unknown = sorted(set(names or ()) - set(known))
    if unknown:
        raise TaskFileError(f"unknown MiniWoB task(s) {', '.join(unknown)}; {len(known)} exist, e.g. click-button")
    return [
        EvalTask(
            id=f"{name}-{seed}",
            suite=SUITE,
            task="",
            start_url=urljoin(base_url, f"miniwob/{name}.html"),
            category=name,
            metadata={"seed": seed},
        )
        for name in (known if names is None else names)
        for seed in seeds
    ]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser dropped a connection mid-transfer (a page closed): nothing to report."""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class MiniWobServer:
    """The package's HTML over HTTP on 127.0.0.1 (a static server in a thread; some tasks refuse file://)."""

    def __init__(self, port: int = 0) -> None:
        handler = functools.partial(_QuietHandler, directory=str(html_dir()))
        self._http = _QuietServer(("127.0.0.1", port), handler)
        self.base_url = f"http://127.0.0.1:{self._http.server_address[1]}/"
        threading.Thread(target=self._http.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def __enter__(self) -> MiniWobServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


async def start_episode(env: PlaywrightEnv, task: EvalTask, max_ms: int = EPISODE_MAX_MS) -> EvalTask:
    """Start the task's seeded episode on the page `env` shows; returns the task with the page's instruction."""
    page = env.page
    await page.wait_for_function(_READY)
    await page.evaluate(_START, [task.metadata["seed"], max_ms])
    await page.wait_for_function("() => WOB_TASK_READY")  # a few tasks build their problem asynchronously
    return task.model_copy(update={"task": await page.evaluate("core.getUtterance()")})


class EpisodeResult(BaseModel):
    done: bool
    reward: float  # time-scaled, in [-1, 1]
    raw_reward: float  # as the task awarded it, in [-1, 1]
    reason: str | None = None

    def verdict(self) -> Verdict:
        """Passed when the episode ended with a positive raw reward, the usual MiniWoB success criterion."""
        if not self.done:
            return Verdict(passed=False, score=0.0, reason=self.reason or "the episode did not end")
        detail = f"reward {self.reward:.3f} (raw {self.raw_reward:g})" + (f": {self.reason}" if self.reason else "")
        return Verdict(passed=self.raw_reward > 0, score=min(max(self.raw_reward, 0.0), 1.0), reason=detail)


async def episode_result(env: PlaywrightEnv) -> EpisodeResult:
    result = await env.page.evaluate(_RESULT)
    if result is None:  # another page, or the task page reloaded: the seeded episode is gone
        return EpisodeResult(
            done=False, reward=0.0, raw_reward=0.0, reason=f"the agent left the episode ({env.page.url})"
        )
    return EpisodeResult.model_validate(result)
