"""Driving the agent loop in tests: headless Chromium on a fixture page, the scripted model, an approver."""

from __future__ import annotations

from agent.approval import ApprovalRequest, Decision
from agent.loop import Agent
from agent.playwright_env import PlaywrightEnv
from agent.policy import OpenAIPolicy
from tests.support.fara import reply

DONE = reply("All done.", "terminate", status="success")


async def drive(site, model, task="Do it", page="actions.html", proceed=(), **options):
    env = await PlaywrightEnv.launch(site.url(page))
    policy = OpenAIPolicy(model.url, "fara-test", retries=0)
    try:
        agent = Agent(env, policy, **options)
        trajectory = await agent.run(task, site.url(page))
        for text in proceed:
            trajectory = await agent.proceed(text)
        return trajectory
    finally:
        await env.close()
        await policy.close()


def user_texts(request):
    return [p["text"] for m in request["messages"] if m["role"] == "user" for p in m["content"] if p["type"] == "text"]


class Approvals:
    def __init__(self, *decisions: Decision) -> None:
        self.decisions = list(decisions)
        self.requests: list[ApprovalRequest] = []

    async def __call__(self, request: ApprovalRequest) -> Decision:
        self.requests.append(request)
        return self.decisions.pop(0)
