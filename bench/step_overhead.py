"""Per-step harness overhead of the agent loop behind `farol run`, with an instant scripted model.

Runs the same scripted steps on a local page twice in one process: once with the smart settle (the
default) and once with the reference's fixed settle (load + 3 s). Prints p50/p95 per phase in ms and
the settle times side by side. Not a test: nothing here asserts on time.

    .venv/bin/python bench/step_overhead.py [--steps 40] [--fixed-steps 8]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.actions import LeftClick, MouseMove, Scroll, Terminate, Type
from agent.approval import ApprovalRequest, Decision
from agent.geometry import ScreenGeometry
from agent.loop import Agent
from agent.parser import format_reply
from agent.playwright_env import PlaywrightEnv
from agent.policy import OpenAIPolicy
from agent.scripted_model import ScriptedModel
from agent.settle import SettleRule

PHASES = ["capture", "encode", "build", "model", "parse", "execute", "settle"]
GEOMETRY = ScreenGeometry(1440, 900, 1428, 896)


def script(steps: int) -> list[str]:
    """A varied mix of clicks, hovers, typing and scrolls (varied so the loop detector stays quiet)."""
    replies = []
    for i in range(steps):
        x, y = (round(v) for v in GEOMETRY.to_model(200 + (i * 37) % 1000, 150 + (i * 53) % 600))
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
    return [*replies, format_reply("Done.", Terminate(status="success"))]


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
    return Decision("approve")  # scrolling moves guarded fields under the scripted points


async def measure(page: str, steps: int, settle: SettleRule) -> dict[str, list[float]]:
    model = ScriptedModel(script(steps))
    env = await PlaywrightEnv.launch(page, settle=settle)
    policy = OpenAIPolicy(model.url, "instant", retries=0)
    try:
        agent = Agent(env, policy, max_steps=steps + 1, approver=approve_everything)
        trajectory = await agent.run("Benchmark")
    finally:
        await env.close()
        await policy.close()
        model.close()
    acted = [s for s in trajectory.steps if s.action is not None and s.action.action != "terminate"]
    if len(acted) != steps:
        raise SystemExit(f"the run stopped early: {trajectory.status} ({trajectory.reason})")
    return {phase: [s.timing.get(phase, 0.0) * 1000 for s in acted] for phase in PHASES}


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="steps measured with the smart settle")
    parser.add_argument("--fixed-steps", type=int, default=8, help="steps measured with the fixed 3 s settle")
    args = parser.parse_args()
    with serving_page() as page:
        smart = asyncio.run(measure(page, args.steps, SettleRule()))
        fixed = asyncio.run(measure(page, args.fixed_steps, SettleRule.fixed()))

    print(f"Per-step harness overhead, smart settle, {args.steps} steps on a local 1440x900 page (ms)")
    print(f"{'phase':<10}{'p50':>10}{'p95':>10}")
    for phase in PHASES:
        print(f"{phase:<10}{percentile(smart[phase], 50):>10.1f}{percentile(smart[phase], 95):>10.1f}")
    harness = [sum(smart[p][i] for p in PHASES if p not in {"model", "settle"}) for i in range(args.steps)]
    total = f"{'total*':<10}{percentile(harness, 50):>10.1f}{percentile(harness, 95):>10.1f}"
    print(f"{total}   * the harness alone: without model and settle")
    print()
    print(f"Settle after an action (ms): smart ({args.steps} steps) vs fixed load + 3 s ({args.fixed_steps} steps)")
    print(f"{'rule':<10}{'p50':>10}{'p95':>10}")
    for name, values in (("smart", smart["settle"]), ("fixed", fixed["settle"])):
        print(f"{name:<10}{percentile(values, 50):>10.1f}{percentile(values, 95):>10.1f}")
    ratio = percentile(fixed["settle"], 50) / percentile(smart["settle"], 50)
    print(f"fixed/smart settle p50 ratio: {ratio:.1f}x")


if __name__ == "__main__":
    main()
