"""Honest variety for the oracle's script: its thoughts said in other words, and on some runs a recoverable detour.

Paraphrases come from templates with slots, filled from the thought they replace, so they say the same thing.
A detour is a wrong turn the oracle then recovers from, at the start of the task where no open menu can be
lost: a wrong page then back, a search too broad then refined, a scroll past what it needs and back. The
detour's own steps are marked (the step's `detour`: recorded, never trained on); the recovery is ordinary data.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Literal, get_args

from agent.actions import Action, Scroll
from sandbox.taskspec import PlanStep, Task
from sandbox.web import SITES

Detour = Literal["wrong_page", "refine", "scroll"]
DETOURS: tuple[Detour, ...] = get_args(Detour)

# (what a thought says, other ways to say it); the first way is the plan's own.
_PHRASES: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(p), alternatives)
    for p, alternatives in (
        (r"^I search (?P<site>.+?) for “(?P<q>.+)”\.$",
         ("I'll look for “{q}” on {site}.", "To find it on {site}, I search for “{q}”.")),
        (r"^I open the sort menu\.$",
         ("I'll open the sort options.", "The results need sorting; I open the sort menu.")),
        (r"^I sort by (?P<how>.+)\.$", ("Sorting by {how} puts what I need first.", "I choose to sort by {how}.")),
        (r"^I filter to (?P<what>.+)\.$", ("I narrow the results to {what}.", "I apply the filter for {what}.")),
        (r"^I add it to the cart\.$", ("This is the one; I add it to the cart.", "I put it in the cart.")),
        (r"^I continue to (?P<what>.+)\.$", ("Next I go on to {what}.", "I proceed to {what}.")),
        (r"^I choose (?P<what>.+)\.$", ("I pick {what}.", "I select {what}.")),
        (r"^I fill in the (?P<what>.+)\.$", ("I enter the {what}.", "I type in the {what}.")),
        (r"^The (?P<item>.+) at (?P<price>\$[\d,.]+) fits; I open it\.$",
         ("The {item} at {price} matches; I open its page.", "{price} for the {item} fits what you asked; I open it.")),
        (r"^(?P<what>.+) is not in view; I scroll (?P<way>up|down) to reach it\.$",
         ("I need to scroll {way} to get to {what}.", "{what} is off screen, so I scroll {way}.")),
        (r"^A cookie consent banner covers the bottom of the page\. (?P<rest>.+)$",
         ("A cookie banner is in the way at the bottom. {rest}", "First the cookie consent banner: {rest}")),
        (r"^The page is still updating; I wait a moment\.$",
         ("The page has not finished loading; I give it a moment.", "I wait for the page to finish updating.")),
    )
]  # fmt: skip


@dataclass(frozen=True)
class Fixed:
    """A scripted action that needs no element (the scroll of a detour)."""

    thought: str
    action: Action


Script = list[PlanStep | Fixed]


@dataclass
class Variety:
    """One run's variety: `rng` picks the words; `detour` (when set, and possible for the task) is taken."""

    rng: random.Random
    detour: Detour | None = None

    @classmethod
    def for_run(cls, key: str, detour_share: float) -> Variety:
        """Deterministic for `key` (a proposal's id): the same run gets the same words and detour."""
        rng = random.Random(key)
        detour = rng.choice(DETOURS) if rng.random() < detour_share else None
        return cls(rng, detour)

    def say(self, thought: str) -> str:
        for pattern, alternatives in _PHRASES:
            if match := pattern.match(thought):
                choice = self.rng.randrange(len(alternatives) + 1)
                if choice == 0:
                    return thought
                said = alternatives[choice - 1].format(**match.groupdict())
                return said[:1].upper() + said[1:]
        return thought

    def script(self, task: Task, steps: Script) -> tuple[Script, set[int]]:
        """The steps with the run's detour in front (when the task allows it), and the indexes of its steps."""
        detour = _detour(self.detour, task, steps) if self.detour else None
        if detour is None:
            return steps, set()
        wrong, recovery, replaced = detour
        return [*wrong, *recovery, *steps[replaced:]], set(range(len(wrong)))


def _detour(kind: Detour, task: Task, steps: Script) -> tuple[Script, Script, int] | None:
    """(the wrong steps, the recovery, how many of the script's first steps the recovery replaces)."""
    first = steps[0] if steps else None
    if kind == "refine":
        if not (isinstance(first, PlanStep) and first.do == "type" and first.press_enter and first.text):
            return None
        query = first.text.split()
        if len(query) < 2:
            return None
        broad = PlanStep(
            do="type", target=first.target, text=query[-1], press_enter=True, thought=f"I search for “{query[-1]}”."
        )
        refined = first.model_copy(
            update={"clear": True, "thought": f"“{query[-1]}” is too broad; I refine the search to “{first.text}”."}
        )
        return [broad], [refined], 1
    if kind == "scroll":
        return [Fixed("I scroll down to see what else the page offers.", Scroll(pixels=-900))], [], 0
    site = SITES[task.sites[0]]
    pages = [(label, path) for label, path in site.nav if path and not path.startswith("#")]
    if not pages:
        return None
    label, path = pages[-1]
    wrong = PlanStep(do="visit", url=site.root + path, thought=f"I'll look at {label} on {site.name} first.")
    back = PlanStep(do="back", thought=f"{label} is not where this task is done; I go back.")
    return [wrong], [back], 0
