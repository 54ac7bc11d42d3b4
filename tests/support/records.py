"""Small stored trajectories for tests: coloured screenshots, clicks, a final answer."""

from __future__ import annotations

import io

from PIL import Image

from agent.actions import Action, LeftClick
from agent.screenshot import digest_of
from agent.trajectory import Step, StepResult, TokenUsage, Trajectory


def png(colour: str | tuple[int, int, int]) -> bytes:
    """A small one-colour PNG (64x40): different colours make different screenshots."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def bare_step(index: int, thoughts: str, action: Action | None = None) -> Step:
    """A step with nothing but its thoughts and action: what an approver is asked about."""
    return Step(
        index=index,
        screenshot="0" * 64,
        url="http://x.test/",
        css_width=1,
        css_height=1,
        model_width=1,
        model_height=1,
        thoughts=thoughts,
        action=action,
    )


def make_trajectory(*colours: str) -> tuple[Trajectory, dict[str, bytes]]:
    shots = {digest_of(png(c)): png(c) for c in colours}
    steps = [
        Step(
            index=i,
            screenshot=digest_of(png(c)),
            url=f"https://a.test/{i}",
            css_width=64,
            css_height=40,
            model_width=56,
            model_height=28,
            raw_text="t\n<tool_call>...",
            thoughts="t",
            action=LeftClick(coordinate=(1, 2)),
            result=StepResult(observation="clicked"),
            tokens=TokenUsage(prompt_tokens=10, completion_tokens=2),
        )
        for i, c in enumerate(colours)
    ]
    return Trajectory(task="A task", steps=steps, status="awaiting_user", final_answer="Done"), shots
