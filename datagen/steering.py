"""Who decides when a trajectory stops: critical point > Orchestrator stop > WebSurfer stop.

- A `terminate` whose thoughts declare a critical point goes to the loop as it is: the UserSimulator answers
  it through the approval path. Nothing overrides it, not even an Orchestrator that wants to go on.
- An Orchestrator stop does not end the run in code: it takes every action but `terminate` away from the
  surfer, which then says in its own words why it stops (the Orchestrator may call it a critical point,
  when the user must answer, and then the surfer says so).
- The WebSurfer's own `terminate` stands only if the Orchestrator accepts it; otherwise the surfer hears why
  and goes on (a bounded number of times).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from agent.actions import Action, Terminate
from agent.approval import is_critical_point


@dataclass(frozen=True)
class Directive:
    """What the Orchestrator tells the surfer before its next step."""

    instruction: str | None = None
    stop: str | None = None  # why the surfer must stop now (only `terminate` is left to it)
    critical_point: bool = False  # with `stop`: the user must answer; the surfer stops at a critical point


class Steering(Protocol):
    def directive(self) -> Directive: ...

    async def review_stop(self, thoughts: str, status: str) -> str | None:
        """The surfer wants to stop: None lets it, or the instruction it should follow instead."""


Ruling = Literal["act", "critical_point", "orchestrator_stop", "surfer_stop"]


def ruling(action: Action, thoughts: str, directive: Directive) -> Ruling:
    """Which rule governs the surfer's chosen action."""
    if not isinstance(action, Terminate):
        return "act"
    if is_critical_point(thoughts):
        return "critical_point"
    if directive.stop is not None:
        return "orchestrator_stop"
    return "surfer_stop"


class Unsteered:
    """No Orchestrator: no instruction, and the surfer's stop always stands."""

    def directive(self) -> Directive:
        return Directive()

    async def review_stop(self, thoughts: str, status: str) -> str | None:
        return None
