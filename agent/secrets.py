"""A secret typed once is scrubbed everywhere, before the first write, in one place, on both paths.

When the loop types a value into a secret field (`guard.is_secret_field`: a password, card number, CVC or
one-time code field, or a cross-origin frame), its `SecretScrubber` remembers the value, in memory only: it is
never stored. From then on the loop (`Agent._scrub`, the only caller) replaces the value with `SECRET_MASK` in
everything it records or publishes: the steps' thoughts, raw replies, actions, results, URLs and titles; the
task, user turns, memorised facts, final answer, reason and approvals. The model's own history (`Agent._turns`)
keeps the text as it was said; only the record is scrubbed. The headless path and the extension path run the
same loop, so this one place covers both.

Each of these counts as the value appearing:

- the value in any letter case;
- with whitespace or hyphens between its characters removed, added or changed: "4242 4242 4242 4242",
  "4242-4242-4242-4242" and "4242424242424242" are one card number (separators in the value are not part of it);
- URL-encoded: any character percent-encoded (its UTF-8 bytes, either hex case), a space as `+` or `%20`;
- JSON-escaped (`\\"`, `\\\\`, `\\u00e9`), as a tool call in the model's raw reply carries it.

The short-token rule: a value of fewer than 4 characters (a 3-digit CVC) is replaced only as a whole token, with
no letter or digit right before or after it (a percent-escape before it counts as a boundary): "123" is masked in
"CVC 123" and "cvc=123&", but not in "41234" or "123rd", so ordinary numbers survive.
"""

from __future__ import annotations

import json
import re
from typing import Any

from agent.actions import Action, Type
from agent.trajectory import Step, StepResult, Trajectory

SECRET_MASK = "********"
SHORT_SECRET = 4  # characters (separators aside): shorter values are masked as whole tokens only

# Between two characters of a value: nothing, or any run of whitespace, hyphens and URL-encoded spaces.
_SEPARATORS = r"(?:[\s\-+]|%20)*"
_BEFORE_TOKEN = r"(?:(?<![^\W_])|(?<=%[0-9a-fA-F]{2}))"  # no letter or digit before, unless a percent-escape
_AFTER_TOKEN = r"(?![^\W_])"


def _is_separator(character: str) -> bool:
    return character.isspace() or character == "-"


def _character(character: str) -> str:
    """One character of a value: as written, JSON-escaped, or percent-encoded."""
    forms = {character, json.dumps(character)[1:-1], "".join(f"%{byte:02X}" for byte in character.encode())}
    return "(?:" + "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True)) + ")"


def secret_pattern(value: str) -> re.Pattern[str] | None:
    """What counts as `value` appearing in a text (see the module's rules); None for a value of separators only."""
    core = [character for character in value if not _is_separator(character)]
    if not core:
        return None
    body = _SEPARATORS.join(_character(character) for character in core)
    if len(core) < SHORT_SECRET:
        body = _BEFORE_TOKEN + body + _AFTER_TOKEN
    return re.compile(body, re.IGNORECASE)


def _only_masks(text: str) -> bool:
    return SECRET_MASK in text and not text.replace(SECRET_MASK, "").strip()


class SecretScrubber:
    """The secrets typed in one conversation, held in memory only, and the one way they are masked."""

    def __init__(self) -> None:
        self._patterns: dict[str, re.Pattern[str]] = {}  # by the value's characters, case-folded
        # By trajectory id: how many of its first steps are scrubbed of every secret known now. Only steps after
        # those are scrubbed on the next call (each record of a step), until a new secret makes them all due again.
        self._clean_steps: dict[str, int] = {}

    def remember(self, value: str) -> None:
        """`value` was typed into a secret field: mask it from now on."""
        key = "".join(character for character in value if not _is_separator(character)).casefold()
        if key in self._patterns or (pattern := secret_pattern(value)) is None:
            return
        self._patterns[key] = pattern
        self._clean_steps.clear()
        # Longest first: a short secret inside a longer one must not leave the rest of it behind.
        self._patterns = dict(sorted(self._patterns.items(), key=lambda item: -len(item[0])))

    def text(self, text: str) -> str:
        for pattern in self._patterns.values():
            text = pattern.sub(SECRET_MASK, text)
        return text

    def optional(self, text: str | None) -> str | None:
        return None if text is None else self.text(text)

    def trajectory(self, trajectory: Trajectory) -> None:
        """Scrub the record in place: its header and every step (ones recorded before a secret was known, too; ones
        already scrubbed of every known secret are not read again)."""
        if not self._patterns:
            return
        trajectory.task = self.text(trajectory.task)
        trajectory.start_url = self.optional(trajectory.start_url)
        trajectory.final_answer = self.optional(trajectory.final_answer)
        trajectory.reason = self.optional(trajectory.reason)
        trajectory.memorized_facts = [self.text(fact) for fact in trajectory.memorized_facts]
        trajectory.verifier_reasons = {name: self.text(why) for name, why in trajectory.verifier_reasons.items()}
        for turn in trajectory.user_turns:
            turn.text = self.text(turn.text)
        for approval in trajectory.approvals:
            approval.reason, approval.text = self.text(approval.reason), self.optional(approval.text)
        for step in trajectory.steps[self._clean_steps.get(trajectory.id, 0) :]:
            self.step(step)
        self._clean_steps[trajectory.id] = len(trajectory.steps)

    def step(self, step: Step) -> None:
        """Scrub one step in place (its screenshot is masked separately, in `agent/redact.py`)."""
        if not self._patterns:
            return
        step.url, step.title = self.text(step.url), self.text(step.title)
        step.raw_text, step.thoughts = self.optional(step.raw_text), self.text(step.thoughts)
        step.target = self.optional(step.target)
        if step.action is not None:
            step.action = self._action(step.action)
        if step.parse_error is not None:
            step.parse_error.message = self.text(step.parse_error.message)
        if step.result is not None:
            self._result(step.result)

    def _result(self, result: StepResult) -> None:
        result.observation = self.text(result.observation)
        result.error, result.blocked = self.optional(result.error), self.optional(result.blocked)
        result.not_run = self.optional(result.not_run)

    def _action(self, action: Action) -> Action:
        """The action with every text argument scrubbed (actions are frozen: a copy when anything changed)."""
        update: dict[str, Any] = {}
        for name, value in action:
            if name == "action":
                continue
            if isinstance(value, str):
                update[name] = self.text(value)
            elif isinstance(value, list):
                update[name] = [self.text(item) if isinstance(item, str) else item for item in value]
        if isinstance(action, Type) and _only_masks(update["text"]):
            update["text"] = SECRET_MASK  # the typed value is the mask, exactly, as `agent/contribution.py` checks
        changed = {name: value for name, value in update.items() if value != getattr(action, name)}
        return action.model_copy(update=changed) if changed else action
