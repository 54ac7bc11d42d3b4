"""The one approval path: what the agent asks the person, and what it hears back.

The loop asks its one `approver` in two cases: the guard found an action that needs the person (typing a
secret, a binding click), or the model stopped at a critical point (Fara-7B's `terminate` whose thoughts
say so, Magentic-UI's rule). The terminal, the side panel, evaluation and data generation each supply an
approver; none of them handles approvals anywhere else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from agent.screenshot import Screenshot
from agent.trajectory import ApprovalKind, Step

APPROVED_TEXT = "I approve. Go ahead."  # the user turn that continues the conversation after "approve"
CRITICAL_POINT_REASON = "The agent reached a critical point."


def is_critical_point(thoughts: str | None) -> bool:
    return thoughts is not None and "critical point" in thoughts.lower()


@dataclass(frozen=True)
class ApprovalRequest:
    kind: ApprovalKind
    reason: str
    step: Step  # the step that asks: its thoughts, its action, its URL
    screenshot: Screenshot  # what the person sees with the question (secret fields painted over)


@dataclass(frozen=True)
class Decision:
    decision: Literal["approve", "deny", "reply"]
    text: str | None = None  # with "reply": what the model should do instead


Approver = Callable[[ApprovalRequest], Awaitable[Decision]]


async def deny_all(request: ApprovalRequest) -> Decision:
    """For runs with nobody to ask who must still be safe: every approval is refused."""
    return Decision("deny")
