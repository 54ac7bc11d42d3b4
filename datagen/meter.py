"""Tokens per role: every model call of a job goes through `Metered`, so the report can price each role and
each kept trajectory (prices come from the config when the report is made)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from agent.policy import ModelReply, Policy


class RoleUsage(BaseModel):
    role: str
    model: str
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Meter:
    """The usage of one job (a proposal batch, a trajectory, a verification), per role and model."""

    def __init__(self) -> None:
        self._usage: dict[tuple[str, str], RoleUsage] = {}

    def add(self, role: str, model: str, reply: ModelReply) -> None:
        usage = self._usage.setdefault((role, model), RoleUsage(role=role, model=model))
        usage.calls += 1
        if reply.usage is not None:
            usage.prompt_tokens += reply.usage.prompt_tokens
            usage.completion_tokens += reply.usage.completion_tokens

    def rows(self) -> list[RoleUsage]:
        return list(self._usage.values())

    def drain(self) -> list[RoleUsage]:
        """The usage so far, forgotten here: for a stage that stores its usage as it goes."""
        rows, self._usage = self.rows(), {}
        return rows


class Metered:
    """A role's model, counting what each call costs."""

    def __init__(self, model: Policy, role: str, meter: Meter) -> None:
        self.model, self.role, self.meter = model, role, meter
        self.name = model.name

    async def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        reply = await self.model.complete(messages)
        self.meter.add(self.role, self.name, reply)
        return reply

    async def close(self) -> None:
        """Nothing to release: `RoleModels` owns the model and closes it when the job ends."""
