"""Writes a running trajectory to the store as it happens (one committed row per finished step)."""

from __future__ import annotations

from agent.loop import Hooks
from agent.store import Store
from agent.trajectory import Step, Trajectory


class StoreRecorder(Hooks):
    def __init__(self, store: Store) -> None:
        self.store = store

    async def on_round_start(self, trajectory: Trajectory) -> None:
        # Saved before the first step: a crash mid-round leaves the new user turn and a `running` status behind.
        self.store.save_header(trajectory)

    async def on_step(self, trajectory: Trajectory, step: Step) -> None:
        self.store.add_step(trajectory, step)

    async def on_end(self, trajectory: Trajectory) -> None:
        self.store.save_header(trajectory)
