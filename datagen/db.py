"""FaraGen's bookkeeping, typed: proposals, jobs and usage in the store's datagen tables (`store.datagen`,
`agent/store/datagen.py`), beside its trajectories.

A job row holds the checker's and the verifiers' verdicts, the kept trajectory's outcome kind, who played each
role, the Orchestrator's ledgers and the user simulator's exchanges. A proposal has at most one job row and a job
at most one trajectory: a job is marked `storing` (with its trajectory id) before its trajectory is written and
`solved` after, so a killed run's half-written trajectory is found and removed before the job runs again.
"""

from __future__ import annotations

import contextlib
from typing import Any, Literal

from agent.store import Store, TrajectoryNotFound
from agent.store.datagen import JobRow, ProposalRow
from datagen.meter import RoleUsage
from datagen.records import Proposal, Rejection, Solved, VerifierVerdict

JobState = Literal["storing", "solved", "failed", "verified"]


class DatagenDB:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.tables = store.datagen

    # -- proposals --------------------------------------------------------------------------------

    def add_proposals(self, accepted: list[Proposal], rejected: list[Rejection]) -> None:
        rows = [(proposal, "accepted", "") for proposal in accepted]
        rows += [(rejection.proposal, "rejected", rejection.reason) for rejection in rejected]
        self.tables.add_proposals(
            [
                ProposalRow(proposal.id, status, reason, proposal.source, proposal.model_dump_json())
                for proposal, status, reason in rows
            ]
        )

    def proposals(self, status: str = "accepted") -> list[Proposal]:
        return [Proposal.model_validate_json(row.data) for row in self.tables.proposals(status)]

    def known_tasks(self) -> list[Proposal]:
        """Every proposal so far, accepted or not: new ones must not repeat them."""
        return [Proposal.model_validate_json(row.data) for row in self.tables.proposals()]

    def rejections(self) -> list[tuple[Proposal, str]]:
        return [(Proposal.model_validate_json(row.data), row.reason) for row in self.tables.proposals("rejected")]

    # -- jobs -------------------------------------------------------------------------------------

    def job(self, proposal_id: str) -> JobRow | None:
        return self.tables.job(proposal_id)

    def jobs(self, *states: JobState) -> list[JobRow]:
        return self.tables.jobs(*states)

    def clear_unfinished(self) -> int:
        """Remove what a killed run left half-written: jobs still `storing` and their trajectories."""
        stale = self.jobs("storing")
        for job in stale:
            if job["trajectory_id"]:
                with contextlib.suppress(TrajectoryNotFound):  # the kill came before its first row
                    self.store.delete(job["trajectory_id"])
            self.tables.drop_job(job["proposal_id"])
        return len(stale)

    def store_solved(self, solved: Solved) -> None:
        """Write a job's trajectory to the store, once: marked `storing` first, `solved` when all of it is in."""
        data = solved.model_dump(mode="json", exclude={"trajectory", "screenshots", "pages", "usage"})
        trajectory = solved.trajectory
        if trajectory is None:
            self.tables.put_job(solved.proposal_id, "failed", None, data)
        else:
            self.tables.put_job(solved.proposal_id, "storing", trajectory.id, data)
            self.store.save(trajectory, solved.screenshots)
            self.tables.put_job(solved.proposal_id, "solved", trajectory.id, data)
        self.add_usage(solved.proposal_id, "solve", solved.usage)

    def set_verified(
        self, proposal_id: str, verdicts: list[VerifierVerdict], kept: bool, outcome: str | None = None
    ) -> None:
        job = self.job(proposal_id)
        assert job is not None
        data = {**job["data"], "verdicts": [verdict.model_dump() for verdict in verdicts], "outcome": outcome}
        self.tables.put_job(proposal_id, "verified", job["trajectory_id"], data, kept=kept)

    # -- usage ------------------------------------------------------------------------------------

    def add_usage(self, item: str, stage: str, usage: list[RoleUsage]) -> None:
        self.tables.add_usage(item, stage, [row.model_dump() for row in usage if row.calls])

    def usage(self) -> list[dict[str, Any]]:
        return self.tables.usage()
