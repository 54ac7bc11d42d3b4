"""Replaying a stored trajectory through `PlaywrightEnv` on a fresh sandbox, as a new visitor: each step's
action at the point it landed, then the checker on what the replay left behind."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlsplit

from agent.actions import Terminate, VisitUrl, action_point
from agent.playwright_env import PlaywrightEnv
from agent.settle import SettleRule
from agent.trajectory import Trajectory
from sandbox.checks import CheckResult, check, evidence_of
from sandbox.episode import Sandbox
from sandbox.state import VISITOR_COOKIE
from sandbox.taskspec import Task


def _here(url: str, sandbox: Sandbox) -> str:
    """The same page on this sandbox's origin (the trajectory was made on another port)."""
    parts = urlsplit(url)
    return sandbox.url + parts.path + (f"?{parts.query}" if parts.query else "")


async def replay(trajectory: Trajectory, task: Task, sandbox: Sandbox) -> CheckResult:
    visitor = uuid.uuid4().hex
    env = await PlaywrightEnv.launch(settle=SettleRule(quiet_seconds=0.15))
    try:
        await env.page.context.add_cookies([{"name": VISITOR_COOKIE, "value": visitor, "url": sandbox.url}])
        assert trajectory.start_url is not None
        await env.goto(_here(trajectory.start_url, sandbox))
        await env.settle_page()
        for step in trajectory.steps:
            assert urlsplit(env.page.url).path == urlsplit(step.url).path, (step.index, env.page.url, step.url)
            action = step.action
            if action is None or isinstance(action, Terminate):
                continue
            if action_point(action) is not None:
                action = action.model_copy(update={"coordinate": step.css_point})
            if isinstance(action, VisitUrl):
                action = action.model_copy(update={"url": _here(action.url, sandbox)})
            await env.execute(action)
    finally:
        await env.close()
    return check(task, evidence_of(trajectory, await asyncio.to_thread(sandbox.state, visitor)))
