"""The exploratory proposer: an agent explores a site for k steps, seeing what the WebSurfer sees (marks and
the accessibility tree), and drafts a task grounded in it, refining the draft at every step.

It runs through the one agent loop: the explorer is a `WebSurfer` with other instructions, whose answers also
carry the current draft. Its own trajectory is scaffolding and is not kept; its last draft is the proposal.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from agent.loop import Agent
from agent.playwright_env import PlaywrightEnv
from agent.policy import Policy
from datagen import prompts
from datagen.llm_propose import review, written_proposal
from datagen.propose import Batch
from datagen.records import SANDBOX, Proposal, Rejection
from datagen.sites import SeedUrl
from datagen.surfer import Choice, WebSurfer
from sandbox.episode import Sandbox
from sandbox.state import VISITOR_COOKIE

EXPLORE_TASK = "Explore {url} (a {category} site) and draft one realistic task a person could ask for there."


class Explorer(WebSurfer):
    system = prompts.EXPLORER_SYSTEM

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.draft: dict[str, Any] | None = None

    def _accepted(self, choice: Choice) -> None:
        if isinstance(choice.raw.get("draft"), dict):
            self.draft = choice.raw["draft"]


async def explore(model: Policy, seed: SeedUrl, steps: int, sandbox: Sandbox | None) -> Proposal | Rejection:
    start = sandbox.url + seed.url if sandbox else seed.url
    env = await PlaywrightEnv.launch()
    try:
        if sandbox:
            await env.page.context.add_cookies(
                [{"name": VISITOR_COOKIE, "value": uuid.uuid4().hex, "url": sandbox.url}]
            )
        await env.goto(start)
        await env.settle_page()
        explorer = Explorer(env, model)
        await Agent(env, explorer, max_steps=steps).run(
            EXPLORE_TASK.format(url=seed.url, category=seed.category), start
        )
    finally:
        await env.close()
    if explorer.draft is None:
        shown = Proposal(
            task=f"(no draft after exploring {seed.url})", start_url=seed.url, site=seed.site, source="exploratory"
        )
        return Rejection(proposal=shown, reason=f"no task: the explorer wrote none in {steps} steps")
    return written_proposal(
        explorer.draft, start_url=seed.url, site=seed.site, category=seed.category, source="exploratory"
    )


async def explore_source(
    model: Policy, seeds: Sequence[SeedUrl], steps: int, sandbox_for: Callable[[int], Sandbox]
) -> AsyncIterator[Batch]:
    for seed in seeds:
        found = await explore(model, seed, steps, sandbox_for(0) if seed.site == SANDBOX else None)
        yield await review(model, [found])
