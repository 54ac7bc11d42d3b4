"""A trajectory told in words, for the roles that read it (the Orchestrator and the verifiers)."""

from __future__ import annotations

from agent.trajectory import Trajectory


def narrate(trajectory: Trajectory) -> str:
    """Each step (page, thoughts, action, what went wrong) with the user's later messages where they came."""
    later = sorted(trajectory.user_turns[1:], key=lambda turn: turn.before_step)
    lines = []
    for step in trajectory.steps:
        lines += [f"The user said: {turn.text}" for turn in later if turn.before_step == step.index]
        action = step.action.summary() if step.action is not None else "(no action)"
        line = f"Step {step.index + 1} on {step.url}: {step.thoughts or '(no thoughts)'} -> {action}"
        problem = step.result and (step.result.error or step.result.blocked)
        lines.append(line + (f" [{problem}]" if problem else ""))
    lines += [f"The user said: {turn.text}" for turn in later if turn.before_step >= len(trajectory.steps)]
    return "\n".join(lines) or "(no steps yet)"


def visited(trajectory: Trajectory) -> list[str]:
    """The URLs of the observed pages, each once, in the order first seen."""
    return list(dict.fromkeys(step.url for step in trajectory.steps))
