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
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.store import Store
from bench.step_overhead import PHASES, approve_everything, percentile, script
from tests.support.extension import FINISHED, BridgeThread, extension_browser
from tests.support.servers import FixtureSite, ScriptedModel

HARNESS = [phase for phase in PHASES if phase not in {"model", "settle"}]


async def through_extension(site: FixtureSite, steps: int, folder: Path) -> dict[str, list[float]]:
    model = ScriptedModel(script(steps))
    bridge = BridgeThread(folder / "farol.db", model.url)
    try:
        async with extension_browser(bridge, folder / "profile") as browser:
            await browser.send({"type": "start_task", "task": "Benchmark", "start_url": site.url("actions.html")})
            while True:
                await asyncio.sleep(0.2)
                card = (await browser.memory()).get("approval")
                if card:  # scrolling moves guarded fields under the scripted points
                    decision = {
                        "decision": "approve",
                        "session_id": card["session_id"],
                        "request_id": card["request_id"],
                    }
                    await browser.send({"type": "approval", **decision})
                rows = Store(bridge.db).list()
                if rows and rows[0]["status"] in FINISHED:
                    break
        trajectory = Store(bridge.db).load(rows[0]["id"])
    finally:
        bridge.stop()
        model.close()
    return phases_of(trajectory.steps, steps)


async def through_playwright(site: FixtureSite, steps: int) -> dict[str, list[float]]:
    from agent.loop import Agent
    from agent.playwright_env import PlaywrightEnv
    from agent.policy import OpenAIPolicy

    model = ScriptedModel(script(steps))
    env = await PlaywrightEnv.launch(site.url("actions.html"))
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
    site = FixtureSite()
    try:
        with tempfile.TemporaryDirectory() as folder:
            extension = asyncio.run(through_extension(site, args.steps, Path(folder)))
        playwright = asyncio.run(through_playwright(site, args.steps))
    finally:
        site.close()
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
