"""Per-step overhead through the extension: the step path before issue 12 and today's, side by side in one run,
with PlaywrightEnv on today's path for reference.

Through the extension a step is: capture (CDP in the service worker) -> WebSocket -> bridge -> instant
scripted model -> action over WebSocket -> CDP input -> settle -> ack. Rounds alternate between the
extension on the path before (its capture asking Chromium for the default PNG, the bridge's loop as in
`bench/baseline.py`), the extension on today's path, and PlaywrightEnv on today's path, each a fresh browser
on the same page with the same scripted steps (`bench/step_overhead.py`: the secret fields filled first).
Prints p50/p95 per phase, the ratios of harness overhead (everything but the model call and the settle
wait, which are the same in all), and whether the model received the same pixels. Not a test: nothing
here asserts on time.

    .venv/bin/python bench/extension_step.py [--steps 10] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any
from unittest.mock import patch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.async_api import async_playwright

import bridge.sessions
from agent.approval import Decision
from agent.capture import CAPTURE
from agent.policy import OpenAIPolicy
from agent.settle import SettleRule
from agent.store import Store
from bench.baseline import EXTENSION_CAPTURE_PATCH, EXTENSION_CAPTURES, BaselineAgent
from bench.step_overhead import (
    FLOOR_MOVE,
    Measured,
    merge,
    percentile,
    print_floor,
    print_look_ahead,
    print_sameness,
    print_side_by_side,
    recording_times,
    run_playwright,
    script,
    serving_page,
)
from bridge.browser import launch_with_extension, pair, run_in_panel, service_worker
from bridge.server import running_bridge
from doubles.scripted_model import ScriptedModel

COLUMNS = ("extension before", "extension today", "playwright today")
# In the service worker, on the benchmark's tab once the task is over: what Chrome itself needs through the
# extension's debugger, captures as both paths ask for them, then pointer moves, back to back (ms each).
EXTENSION_FLOOR = """
async ({url, repeats, capture, move}) => {
  const tab = (await chrome.tabs.query({})).find((each) => each.url === url);
  const target = {tabId: tab.id};
  const attached = await chrome.debugger.attach(target, '1.3').then(() => true, () => false);
  const timed = async (method, params) => {
    const times = [];
    for (let i = 0; i < repeats; i++) {
      const started = performance.now();
      await chrome.debugger.sendCommand(target, method, params(i));
      times.push(performance.now() - started);
    }
    return times;
  };
  const floor = {
    capture: await timed('Page.captureScreenshot', () => capture),
    'pointer move': await timed('Input.dispatchMouseEvent', (i) => ({...move, x: 300 + i})),
  };
  if (attached) await chrome.debugger.detach(target);
  return floor;
}
"""


async def through_extension(
    page: str, steps: int, folder: Path, path: str, floor: dict[str, list[float]] | None = None
) -> Measured:
    """One round through the extension on `path`'s step path; `floor` collects Chrome's own times after it."""
    model = ScriptedModel(script(steps))
    store = Store(folder / "farol.db")
    port = _free_port()
    measured = Measured()
    try:
        with _bridge_loop(path), recording_times() as recorded:
            async with (
                running_bridge(store, OpenAIPolicy(model.url, "instant", retries=0), port, SettleRule()) as token,
                async_playwright() as playwright,
            ):
                context = await launch_with_extension(playwright, folder / "profile")
                await pair(context, token, port)
                worker = await service_worker(context)
                if path == "before":
                    await worker.evaluate(EXTENSION_CAPTURE_PATCH)
                session = await run_in_panel(context, "Benchmark", page, _approve_card)
                if path == "before" and await worker.evaluate(EXTENSION_CAPTURES) < steps:
                    raise SystemExit("the service worker restarted: its captures went back to today's")
                if floor is not None:
                    measure = {"url": page, "repeats": 10, "capture": CAPTURE, "move": FLOOR_MOVE}
                    for what, times in (await worker.evaluate(EXTENSION_FLOOR, measure)).items():
                        floor[what] += times
                await context.close()
        trajectory = store.load(session["id"])
        measured.add(
            trajectory.steps, steps, model.requests, lambda step: store.read_screenshot(step.screenshot), recorded
        )
    finally:
        model.close()
        store.close()
    return measured


def _bridge_loop(path: str) -> contextlib.AbstractContextManager[object]:
    """The bridge's sessions run the loop of `path`."""
    return patch.object(bridge.sessions, "Agent", BaselineAgent) if path == "before" else contextlib.nullcontext()


async def _approve_card(card: dict[str, Any]) -> Decision:
    return Decision("approve")  # as approve_everything: the script types into guarded fields on purpose


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="scripted steps per round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per path, alternating")
    args = parser.parse_args()
    rounds: dict[str, list[Measured]] = {column: [] for column in COLUMNS}
    floors: dict[str, dict[str, list[float]]] = {
        path: {"capture": [], "pointer move": []} for path in ("extension", "playwright")
    }
    with serving_page() as page:
        for _ in range(args.rounds):
            for path in ("before", "today"):
                with tempfile.TemporaryDirectory() as folder:
                    measuring = floors["extension"] if path == "today" else None
                    run = through_extension(page, args.steps, Path(folder), path, measuring)
                    rounds[f"extension {path}"].append(asyncio.run(run))
            run = run_playwright(page, args.steps, "today", floor=floors["playwright"])
            rounds["playwright today"].append(asyncio.run(run))
    measured = {column: merge(values) for column, values in rounds.items()}
    print_side_by_side(
        f"Per-step time (ms), {args.steps * args.rounds} steps per path in {args.rounds} alternating rounds, "
        "local 1440x900 page, instant scripted model",
        measured,
    )
    before, today, playwright = (percentile(measured[column].phases["harness"], 50) for column in COLUMNS)
    print(f"harness p50 through the extension, today / before: {today / before:.2f}x")
    print(f"harness p50 today, extension / playwright: {today / playwright:.2f}x (goal <= 1.5x)")
    print_sameness(measured["extension before"], measured["extension today"])
    print_look_ahead({column: measured[column] for column in COLUMNS[1:]})
    print_floor(
        "Chrome alone through the extension's debugger",
        floors["extension"],
        {"extension today": measured["extension today"]},
    )
    print_floor(
        "Chromium alone through PlaywrightEnv's CDP session",
        floors["playwright"],
        {"playwright today": measured["playwright today"]},
    )


if __name__ == "__main__":
    main()
