"""When is a page ready for the next screenshot after an action? One rule, run by every environment.

The reference waits for `load` and then a fixed 3 s after every action. The default here waits
for `load`, then until the network has been idle and the DOM unchanged for `quiet_seconds`,
capped at `cap_seconds`. The rule lives only here (`settle`): an environment supplies a `Probe` of the
page's facts (its load state, how long its DOM and network have been quiet) and nothing else.

Halfway through a quiet window the rule tells its caller (`on_quiet`): the next screenshot will most likely look
like the page does then, so the loop captures it early and makes the model's image while the rule waits out the
rest (`Agent._glance`). Only a capture taken after the rule returns is ever used; the early one saves work when
the two are the same bytes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

SettleMode = Literal["smart", "fixed"]
FIXED_CAP_SECONDS = 60.0  # the most the fixed rule waits for `load`
GLANCE_AT = 0.5  # how far into a quiet window on_quiet is called


@dataclass(frozen=True)
class SettleRule:
    mode: SettleMode = "smart"
    fixed_seconds: float = 3.0  # the reference's pause after `load`
    quiet_seconds: float = 0.3
    cap_seconds: float = 5.0
    poll_seconds: float = 0.05

    @classmethod
    def fixed(cls) -> SettleRule:
        return cls(mode="fixed")


@dataclass(frozen=True)
class PageFacts:
    """What the settle rule reads from a page at one moment."""

    loaded: bool  # document.readyState is "complete"
    dom_quiet_seconds: float  # since the DOM last changed (0 when it cannot be read: the page is navigating)
    requests_in_flight: int
    network_quiet_seconds: float  # since a request last started or ended


Probe = Callable[[], Awaitable[PageFacts]]


async def settle(probe: Probe, rule: SettleRule, on_quiet: Callable[[], None] | None = None) -> float:
    """Wait until the page is ready for the next screenshot; returns the seconds it took. `on_quiet` is called once
    the page has been quiet for half the window, and again whenever it has been that quiet since changing."""
    started = time.monotonic()
    told: float | None = None  # when on_quiet was last called
    deadline = started + (FIXED_CAP_SECONDS if rule.mode == "fixed" else rule.cap_seconds)
    await asyncio.sleep(rule.poll_seconds)  # let a navigation the action started begin
    while time.monotonic() < deadline:
        facts = await probe()
        if not facts.loaded:
            await asyncio.sleep(rule.poll_seconds)
            continue
        if rule.mode == "fixed":
            await asyncio.sleep(rule.fixed_seconds)
            break
        # Quiet since the action, too: a navigation a click starts may not have sent its request yet.
        now = time.monotonic()
        quiet = min(facts.network_quiet_seconds, facts.dom_quiet_seconds, now - started)
        if facts.requests_in_flight:
            quiet = 0.0
        if quiet >= rule.quiet_seconds:
            break
        if on_quiet is not None and quiet >= rule.quiet_seconds * GLANCE_AT and (told is None or now - told > quiet):
            told = now
            on_quiet()
        await asyncio.sleep(rule.poll_seconds)
    return time.monotonic() - started
