"""The one retry loop for runs the environment aborted (a browser or model failure, a killed process).

A run that finished, right or wrong, is never retried: only the agent's own result counts. Evaluation, the
offline scores and data generation all retry through it, each with a fresh browser per attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from agent.trajectory import Trajectory

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def aborted(trajectory: Trajectory) -> bool:
    """The environment, not the agent, ended the run (a browser or model failure, a killed process)."""
    return trajectory.status in {"error", "interrupted"}


class _HasTrajectory(Protocol):
    @property
    def trajectory(self) -> Trajectory: ...


A = TypeVar("A", bound=_HasTrajectory)


async def retry_aborted(
    start: Callable[[], Awaitable[A]],
    *,
    label: str,
    attempts: int = MAX_ATTEMPTS,
    discard: Callable[[A], None] | None = None,
) -> tuple[A | None, int]:
    """Call `start` (a fresh browser each time) until an attempt finishes or `attempts` are used.

    Returns the attempt that counts (the last one that produced a trajectory; None when every attempt raised
    before there was one) and how many attempts were made. `discard` gets each attempt that was superseded."""
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts}")
    kept: A | None = None
    for number in range(1, attempts + 1):
        try:
            candidate = await start()
        except Exception as error:  # the browser or a server failed before a trajectory existed
            log.warning("%s attempt %d failed: %r", label, number, error)
            continue
        if kept is not None and discard is not None:
            discard(kept)
        kept = candidate
        if not aborted(candidate.trajectory):
            break
        log.warning("%s attempt %d aborted: %s", label, number, candidate.trajectory.reason)
    return kept, number
