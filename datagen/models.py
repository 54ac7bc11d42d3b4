"""The role models of one job: made on first use in the job's event loop, metered, closed when it ends."""

from __future__ import annotations

from types import TracebackType

from agent.policy import OpenAIPolicy
from datagen.config import Config, Role
from datagen.meter import Meter, Metered


class RoleModels:
    """`async with RoleModels(config) as models: models.get("surfer")` (None when the role has no model)."""

    def __init__(self, config: Config, meter: Meter | None = None) -> None:
        self.config = config
        self.meter = meter or Meter()
        self._clients: dict[Role, OpenAIPolicy] = {}

    def get(self, role: Role) -> Metered | None:
        endpoint = self.config.role(role)
        if endpoint is None:
            return None
        if role not in self._clients:
            self._clients[role] = endpoint.client()
        return Metered(self._clients[role], role, self.meter)

    async def __aenter__(self) -> RoleModels:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for client in self._clients.values():
            await client.close()
