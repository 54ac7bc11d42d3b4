"""Per-step overhead through the extension against PlaywrightEnv: same page, same scripted steps, one run.

Through the extension a step is: capture (CDP in the service worker) -> WebSocket -> bridge -> instant
scripted model -> action over WebSocket -> CDP input -> settle -> ack. Prints p50/p95 per phase for both
paths and the ratio of their harness overhead (everything but the model call and the settle wait, which
are the same in both). Not a test: nothing here asserts on time.

    .venv/bin/python bench/extension_step.py [--steps 40]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.async_api import async_playwright

from agent.approval import Decision
from agent.policy import OpenAIPolicy
from agent.scripted_model import ScriptedModel
from agent.settle import SettleRule
from agent.store import Store
from bench.step_overhead import PHASES, approve_everything, percentile, script, serving_page
from bridge.browser import launch_with_extension, pair, run_in_panel
from bridge.server import running_bridge

HARNESS = [phase for phase in PHASES if phase not in {"model", "settle"}]


async def through_extension(page: str, steps: int, folder: Path) -> dict[str, list[float]]:
    model = ScriptedModel(script(steps))
    store = Store(folder / "farol.db")
    port = _free_port()
    try:
        async with (
            running_bridge(store, OpenAIPolicy(model.url, "instant", retries=0), port, SettleRule()) as token,
            async_playwright() as playwright,
        ):
            context = await launch_with_extension(playwright, folder / "profile")
            await pair(context, token, port)
            session = await run_in_panel(context, "Benchmark", page, _approve_card)
            await context.close()
    finally:
        model.close()
    return phases_of(store.load(session["id"]).steps, steps)


async def _approve_card(card: dict) -> Decision:  # type: ignore[type-arg]
    return Decision("approve")  # as approve_everything: scrolling moves guarded fields under the scripted points


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def through_playwright(page: str, steps: int) -> dict[str, list[float]]:
    from agent.loop import Agent
    from agent.playwright_env import PlaywrightEnv
    from agent.policy import OpenAIPolicy

    model = ScriptedModel(script(steps))
    env = await PlaywrightEnv.launch(page)
    policy = OpenAIPolicy(model.url, "instant", retries=0)
    try:
        trajectory = await Agent(env, policy, max_steps=steps + 1, approver=approve_everything).run("Benchmark")
    finally:
        await env.close()
        await policy.close()
        model.close()
    return phases_of(trajectory.steps, steps)


def phases_of(steps: list, expected: int) -> dict[str, list[float]]:  # type: ignore[type-arg]
    acted = [s for s in steps if s.action is not None and s.action.action != "terminate" and s.result and s.result.ok]
    if len(acted) != expected:
        raise SystemExit(f"only {len(acted)} of {expected} steps ran")
    phases = {phase: [s.timing.get(phase, 0.0) * 1000 for s in acted] for phase in PHASES}
    phases["harness"] = [sum(phases[p][i] for p in HARNESS) for i in range(expected)]
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    args = parser.parse_args()
    with serving_page() as page, tempfile.TemporaryDirectory() as folder:
        extension = asyncio.run(through_extension(page, args.steps, Path(folder)))
        playwright = asyncio.run(through_playwright(page, args.steps))
    print(f"Per-step time (ms), {args.steps} steps on a local 1440x900 page, instant scripted model")
    print(f"{'phase':<10}{'playwright p50':>16}{'p95':>8}{'extension p50':>16}{'p95':>8}")
    for phase in [*PHASES, "harness"]:
        row = [percentile(playwright[phase], 50), percentile(playwright[phase], 95)]
        row += [percentile(extension[phase], 50), percentile(extension[phase], 95)]
        print(f"{phase:<10}{row[0]:>16.1f}{row[1]:>8.1f}{row[2]:>16.1f}{row[3]:>8.1f}")
    ratio = percentile(extension["harness"], 50) / percentile(playwright["harness"], 50)
    print(f"harness overhead p50, extension / playwright: {ratio:.2f}x (goal <= 1.5x)")


if __name__ == "__main__":
    main()
