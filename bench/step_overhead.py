"""Per-step harness overhead of the agent loop behind `farol run`, with an instant scripted model: the step path
before issue 12 (`bench/baseline.py`) and today's, side by side in one run.

Rounds alternate between the two paths, each round a fresh browser on the same local page running the same
scripted steps; the first two fill the page's password and card fields, which stay in view, so every later
step has secret fields to paint over. Prints p50/p95 per phase for both paths and their ratio, whether the
model received the same pixels and the same copy was kept, what the browser itself needs (a bare capture, a
bare pointer move), and the smart settle against the reference's fixed load + 3 s. Not a test: nothing here
asserts on time.

    .venv/bin/python bench/step_overhead.py [--steps 10] [--rounds 4] [--fixed-steps 8]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest.mock import patch

from PIL import ImageChops, ImageStat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.actions import LeftClick, MouseMove, Scroll, Terminate, Type
from agent.approval import ApprovalRequest, Decision
from agent.capture import CAPTURE
from agent.geometry import ScreenGeometry
from agent.history import data_url_bytes
from agent.loop import Agent
from agent.parser import format_reply
from agent.playwright_env import PlaywrightEnv
from agent.png import decode_png
from agent.policy import OpenAIPolicy
from agent.settle import SettleRule
from agent.trajectory import Step
from bench.baseline import BaselineAgent, BaselineEnv
from doubles.scripted_model import ScriptedModel

PHASES = ["capture", "encode", "build", "model", "keep", "parse", "execute", "settle", "record"]
HARNESS = ["capture", "encode", "build", "parse", "execute", "record"]  # what a step waits for, but the model, settle
GEOMETRY = ScreenGeometry(1440, 900, 1428, 896)
PATHS = ("before", "today")
# bench/page.html's secret fields, in CSS pixels: typed into first, they stay in view for the whole script.
PASSWORD, CARD = (250, 618), (250, 718)
FLOOR_MOVE = {"type": "mouseMoved", "y": 460}  # the floor's pointer moves, along this line from x = 300


def script(steps: int) -> list[str]:
    """Fill the password and card fields, then a varied mix of hovers, clicks, typing and scrolls (varied so the
    loop detector stays quiet; the scrolls alternate, so the secret fields stay in view)."""
    fills = [
        format_reply(f"Fill the {name}.", Type(text=text, coordinate=_model(*point), press_enter=False))
        for name, text, point in (("password", "hunter2-secret", PASSWORD), ("card", "4242 4242 4242 4242", CARD))
    ]
    replies = []
    for i in range(steps - len(fills)):
        x, y = _model(200 + (i * 37) % 1000, 150 + (i * 53) % 600)
        kind = i % 4
        if kind == 0:
            replies.append(format_reply(f"Hover {i}.", MouseMove(coordinate=(x, y))))
        elif kind == 1:
            replies.append(format_reply(f"Click {i}.", LeftClick(coordinate=(x, y))))
        elif kind == 2:
            typing = Type(text=f"query {i}", coordinate=(250, 218), press_enter=False)
            replies.append(format_reply(f"Type {i}.", typing))
        else:
            replies.append(format_reply(f"Scroll {i}.", Scroll(pixels=-100 if i % 8 == 3 else 100)))
    return [*fills, *replies, format_reply("Done.", Terminate(status="success"))]


def _model(css_x: float, css_y: float) -> tuple[int, int]:
    x, y = GEOMETRY.to_model(css_x, css_y)
    return round(x), round(y)


@contextmanager
def recording_times() -> Iterator[dict[int, float]]:
    """Seconds the loop took to record each step, by index (`Agent._record`: the hooks, which store it and show it
    in the panel). The step's own timing is stored by those hooks, so it cannot hold this; the next step waits for
    it all the same."""
    times: dict[int, float] = {}
    record = Agent._record

    async def timed(self: Agent, step: Step, timing: dict[str, float]) -> None:
        started = time.perf_counter()
        await record(self, step, timing)
        times[step.index] = time.perf_counter() - started

    with patch.object(Agent, "_record", timed):
        yield times


@contextmanager
def serving_page() -> Iterator[str]:
    """bench/page.html on a local port; yields its URL."""
    handler = functools.partial(_QuietFiles, directory=str(Path(__file__).parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/page.html"
    finally:
        server.shutdown()
        server.server_close()


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


async def approve_everything(request: ApprovalRequest) -> Decision:
    return Decision("approve")  # the script types into guarded fields on purpose


@dataclass
class Measured:
    """One path's steps over all its rounds: phase times (ms), and per round what the model saw and what was kept."""

    phases: dict[str, list[float]] = field(default_factory=lambda: {phase: [] for phase in [*PHASES, "harness"]})
    seen: list[list[bytes]] = field(default_factory=list)  # per round, per step: the model's image as PNG
    kept: list[list[bytes]] = field(default_factory=list)  # per round, per step: the kept copy as PNG
    after: list[list[str]] = field(default_factory=list)  # per round, per step: the action its screenshot follows

    def add(
        self,
        steps: list[Step],
        expected: int,
        requests: list[dict[str, Any]],
        kept: Callable[[Step], bytes],
        recorded: dict[int, float],
    ) -> None:
        """A round's `steps`, with the time each took to record (`recording_times`)."""
        acted = [s for s in steps if s.action and s.action.action != "terminate" and s.result and s.result.ok]
        if len(acted) != expected:
            raise SystemExit(f"only {len(acted)} of {expected} steps ran")
        for step in acted:
            times = {phase: step.timing.get(phase, 0.0) * 1000 for phase in PHASES}
            times["record"] = recorded[step.index] * 1000
            for phase, value in times.items():
                self.phases[phase].append(value)
            self.phases["harness"].append(sum(times[phase] for phase in HARNESS))
        self.seen.append([_newest_image(request) for request in requests[:expected]])
        self.kept.append([kept(step) for step in acted])
        self.after.append(["the page load", *(f"a {step.action.action}" for step in acted[:-1] if step.action)])


def _newest_image(request: dict[str, Any]) -> bytes:
    part = next(p for p in request["messages"][-1]["content"] if p["type"] == "image_url")
    return data_url_bytes(part["image_url"]["url"])


async def run_playwright(
    page: str, steps: int, path: str, settle: SettleRule | None = None, floor: dict[str, list[float]] | None = None
) -> Measured:
    """One round through PlaywrightEnv on `path`'s step path; `floor` collects the browser's own times after it."""
    model = ScriptedModel(script(steps))
    env_class, agent_class = (BaselineEnv, BaselineAgent) if path == "before" else (PlaywrightEnv, Agent)
    env = await env_class.launch(page, settle=settle)
    policy = OpenAIPolicy(model.url, "instant", retries=0)
    measured = Measured()
    try:
        with recording_times() as recorded:
            agent = agent_class(env, policy, max_steps=steps + 1, approver=approve_everything)
            trajectory = await agent.run("Benchmark")
        measured.add(trajectory.steps, steps, model.requests, _live_image, recorded)
        if floor is not None:
            await browser_floor(env, floor)
    finally:
        await env.close()
        await policy.close()
        model.close()
    return measured


def _live_image(step: Step) -> bytes:
    assert step.image is not None
    return step.image.png


async def browser_floor(env: PlaywrightEnv, floor: dict[str, list[float]], repeats: int = 10) -> None:
    """What Chromium itself needs on the page as the script left it: captures as today's path asks for them, back
    to back, then pointer moves back to back (every action sends at least one input event, and Chromium answers
    one once a frame has handled it)."""
    session = await env.page.context.new_cdp_session(env.page)
    calls: dict[str, Callable[[int], Awaitable[object]]] = {
        "capture": lambda i: session.send("Page.captureScreenshot", CAPTURE),
        "pointer move": lambda i: session.send("Input.dispatchMouseEvent", {**FLOOR_MOVE, "x": 300 + i}),
    }
    for what, call in calls.items():
        for i in range(repeats):
            started = time.perf_counter()
            await call(i)
            floor[what].append((time.perf_counter() - started) * 1000)
    await session.detach()


def print_look_ahead(paths: dict[str, Measured]) -> None:
    """How often the model's image was the one made while the page settled (`Agent._glance`): its encode then takes
    under 1 ms, where making it takes tens. A round's first step has no settle before it."""
    for name, measured in paths.items():
        encodes = measured.phases["encode"]
        used = sum(1 for ms in encodes if ms < 1.0)
        print(f"model image made while the page settled, {name}: {used} of {len(encodes)} steps")


def print_floor(where: str, floor: dict[str, list[float]], paths: dict[str, Measured]) -> None:
    """The browser's floor (a bare capture plus a pointer move, p50 each) and each path's harness p50 against it."""
    capture, move = percentile(floor["capture"], 50), percentile(floor["pointer move"], 50)
    print(f"{where} (p50 of {len(floor['capture'])}): a capture {capture:.1f} ms, a pointer move {move:.1f} ms")
    for name, measured in paths.items():
        harness = percentile(measured.phases["harness"], 50)
        print(f"harness p50 {name} / that floor: {harness / (capture + move):.2f}x (goal <= 1.2x)")


def merge(rounds: list[Measured]) -> Measured:
    total = Measured()
    for measured in rounds:
        for phase, values in measured.phases.items():
            total.phases[phase] += values
        total.seen += measured.seen
        total.kept += measured.kept
        total.after += measured.after
    return total


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def print_side_by_side(title: str, columns: dict[str, Measured]) -> None:
    print(title)
    width = max(len(name) for name in columns) + 6
    print(f"{'phase':<10}" + "".join(f"{name + ' p50':>{width}}{'p95':>8}" for name in columns))
    for phase in [*PHASES, "harness"]:
        cells = [(percentile(m.phases[phase], 50), percentile(m.phases[phase], 95)) for m in columns.values()]
        print(f"{phase:<10}" + "".join(f"{p50:>{width}.1f}{p95:>8.1f}" for p50, p95 in cells))
    print("harness = " + " + ".join(HARNESS) + " (keep: waiting for the kept copy once the instant model answered)")


def print_sameness(before: Measured, today: Measured) -> None:
    """Step by step, round by round: the model's image and the kept copy of both paths, in pixels."""
    for what, old, new in (("model's image", before.seen, today.seen), ("kept copy", before.kept, today.kept)):
        pairs = [pair for rounds in zip(old, new, strict=True) for pair in zip(*rounds, strict=True)]
        differences = [_difference(a, b) for a, b in pairs]
        identical = sum(box is None for _, box in differences)
        sizes = [statistics.mean(len(png) for png, _ in pairs), statistics.mean(len(png) for _, png in pairs)]
        print(
            f"The {what}, today vs before: {identical} of {len(pairs)} steps pixel-identical, largest channel "
            f"difference {max(largest for largest, _ in differences)}; PNG {sizes[1] / 1024:.0f} KB vs "
            f"{sizes[0] / 1024:.0f} KB on average"
        )
        after = [action for actions in today.after for action in actions]
        for index, (_, box) in enumerate(differences):
            if box is not None:
                left, top, right, bottom = box
                print(f"  step {index} (after {after[index]}): {right - left}x{bottom - top} px at ({left}, {top})")


def _difference(first: bytes, second: bytes) -> tuple[int, tuple[int, int, int, int] | None]:
    """The largest channel difference between two PNGs and the box it lies in (None: the same pixels)."""
    a, b = decode_png(first), decode_png(second)
    if a.size != b.size:
        return 255, (0, 0, *a.size)
    difference = ImageChops.difference(a, b)
    return max(high for _, high in ImageStat.Stat(difference).extrema), difference.getbbox()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="scripted steps per round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per path, alternating")
    parser.add_argument("--fixed-steps", type=int, default=8, help="steps measured with the fixed 3 s settle")
    args = parser.parse_args()
    rounds: dict[str, list[Measured]] = {path: [] for path in PATHS}
    floor: dict[str, list[float]] = {"capture": [], "pointer move": []}
    with serving_page() as page:
        for _ in range(args.rounds):
            for path in PATHS:
                measuring = floor if path == "today" else None
                rounds[path].append(asyncio.run(run_playwright(page, args.steps, path, floor=measuring)))
        fixed = asyncio.run(run_playwright(page, args.fixed_steps, "today", SettleRule.fixed()))
    before, today = merge(rounds["before"]), merge(rounds["today"])
    steps = args.steps * args.rounds
    print_side_by_side(
        f"Per-step time (ms) through PlaywrightEnv, {steps} steps per path in {args.rounds} alternating rounds, "
        "local 1440x900 page, instant scripted model",
        {"before": before, "today": today},
    )
    ratio = percentile(today.phases["harness"], 50) / percentile(before.phases["harness"], 50)
    print(f"harness p50, today / before: {ratio:.2f}x")
    print_sameness(before, today)
    print_look_ahead({"today": today})
    print_floor("Chromium alone on the same page", floor, {"today": today})
    print()
    smart, fixed_settle = today.phases["settle"], fixed.phases["settle"]
    print(f"Settle after an action (ms): smart ({steps} steps) vs fixed load + 3 s ({args.fixed_steps} steps)")
    print(f"{'rule':<10}{'p50':>10}{'p95':>10}")
    for name, values in (("smart", smart), ("fixed", fixed_settle)):
        print(f"{name:<10}{percentile(values, 50):>10.1f}{percentile(values, 95):>10.1f}")
    print(f"fixed/smart settle p50 ratio: {percentile(fixed_settle, 50) / percentile(smart, 50):.1f}x")


if __name__ == "__main__":
    main()
