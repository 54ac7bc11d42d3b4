"""FaraGen's bookkeeping, in tables of the store's own SQLite database (beside its trajectories):

- `datagen_proposals`: every proposal, accepted or rejected (with the reason), in the order proposed;
- `datagen_jobs`: one row per solved proposal: its trajectory, the checker's and the verifiers' verdicts, the
  kept trajectory's outcome kind, who played each role, the Orchestrator's ledgers and the user simulator's
  exchanges;
- `datagen_usage`: tokens per role and stage, per proposal batch or job, written as each is spent;
- `datagen_aux`: auxiliary training samples (grounding, UI questions, captions, refusals).

A proposal has at most one job row and a job at most one trajectory: a job is marked `storing` (with its
trajectory id) before its trajectory is written and `solved` after, so a killed run's half-written trajectory
is found and removed before the job runs again.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from agent.store import Store
from agent.trajectory import utcnow
from datagen.meter import RoleUsage
from datagen.records import Proposal, Rejection, Solved, VerifierVerdict

JobState = Literal["storing", "solved", "failed", "verified"]
AuxKind = Literal["grounding", "question", "caption", "refusal"]


class DatagenDB:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db
        self._create_tables()

    def _create_tables(self) -> None:
        tables = set(self.db.table_names())
        if "datagen_proposals" not in tables:
            # Keyed by the order proposed: a rejected duplicate shares its task's id with the accepted one.
            self.db["datagen_proposals"].create(
                {"seq": int, "id": str, "status": str, "reason": str, "source": str, "created_at": str, "data": str},
                pk="seq",
            )
            self.db["datagen_proposals"].create_index(["id"])
        if "datagen_jobs" not in tables:
            self.db["datagen_jobs"].create(
                {"proposal_id": str, "state": str, "trajectory_id": str, "kept": int, "updated_at": str, "data": str},
                pk="proposal_id",
            )
        if "datagen_usage" not in tables:
            self.db["datagen_usage"].create(
                {"id": int, "item": str, "stage": str, "role": str, "model": str, "calls": int,
                 "prompt_tokens": int, "completion_tokens": int},
                pk="id",
            )  # fmt: skip
        if "datagen_aux" not in tables:
            self.db["datagen_aux"].create(
                {"id": str, "kind": str, "trajectory_id": str, "screenshot": str, "created_at": str, "data": str},
                pk="id",
            )
            self.db["datagen_aux"].create_index(["kind"])

    # -- proposals --------------------------------------------------------------------------------

    def add_proposals(self, accepted: list[Proposal], rejected: list[Rejection]) -> None:
        seq = self.db.execute("select coalesce(max(seq), 0) from datagen_proposals").fetchone()[0]
        rows = [(proposal, "accepted", "") for proposal in accepted]
        rows += [(rejection.proposal, "rejected", rejection.reason) for rejection in rejected]
        with self.db.conn:
            for number, (proposal, status, reason) in enumerate(rows, start=seq + 1):
                self.db["datagen_proposals"].insert(
                    {"seq": number, "id": proposal.id, "status": status, "reason": reason, "source": proposal.source,
                     "created_at": utcnow().isoformat(), "data": proposal.model_dump_json()}
                )  # fmt: skip

    def proposals(self, status: str = "accepted") -> list[Proposal]:
        rows = self.db["datagen_proposals"].rows_where("status = ?", [status], order_by="seq")
        return [Proposal.model_validate_json(row["data"]) for row in rows]

    def known_tasks(self) -> list[Proposal]:
        """Every proposal so far, accepted or not: new ones must not repeat them."""
        return [Proposal.model_validate_json(row["data"]) for row in self.db["datagen_proposals"].rows_where()]

    def rejections(self) -> list[tuple[Proposal, str]]:
        rows = self.db["datagen_proposals"].rows_where("status = 'rejected'", order_by="seq")
        return [(Proposal.model_validate_json(row["data"]), row["reason"]) for row in rows]

    # -- jobs -------------------------------------------------------------------------------------

    def job(self, proposal_id: str) -> dict[str, Any] | None:
        rows = list(self.db["datagen_jobs"].rows_where("proposal_id = ?", [proposal_id]))
        return _job(rows[0]) if rows else None

    def jobs(self, *states: JobState) -> list[dict[str, Any]]:
        where = f"state in ({', '.join('?' * len(states))})" if states else None
        return [_job(row) for row in self.db["datagen_jobs"].rows_where(where, list(states))]

    def clear_unfinished(self) -> int:
        """Remove what a killed run left half-written: jobs still `storing` and their trajectories."""
        stale = self.jobs("storing")
        for job in stale:
            if job["trajectory_id"] and self.db["trajectories"].count_where("id = ?", [job["trajectory_id"]]):
                self.store.delete(job["trajectory_id"])
            self.db["datagen_jobs"].delete(job["proposal_id"])
        return len(stale)

    def store_solved(self, solved: Solved) -> None:
        """Write a job's trajectory to the store, once: marked `storing` first, `solved` when all of it is in."""
        data = solved.model_dump(mode="json", exclude={"trajectory", "screenshots", "pages", "usage"})
        trajectory = solved.trajectory
        if trajectory is None:
            self._set_job(solved.proposal_id, "failed", None, data)
        else:
            self._set_job(solved.proposal_id, "storing", trajectory.id, data)
            self.store.save(trajectory, solved.screenshots)
            self._set_job(solved.proposal_id, "solved", trajectory.id, data)
        self.add_usage(solved.proposal_id, "solve", solved.usage)

    def set_verified(
        self, proposal_id: str, verdicts: list[VerifierVerdict], kept: bool, outcome: str | None = None
    ) -> None:
        job = self.job(proposal_id)
        assert job is not None
        data = {**job["data"], "verdicts": [verdict.model_dump() for verdict in verdicts], "outcome": outcome}
        self._set_job(proposal_id, "verified", job["trajectory_id"], data, kept=kept)

    def _set_job(
        self,
        proposal_id: str,
        state: JobState,
        trajectory_id: str | None,
        data: dict[str, Any],
        kept: bool | None = None,
    ) -> None:
        self.db["datagen_jobs"].upsert(
            {"proposal_id": proposal_id, "state": state, "trajectory_id": trajectory_id,
             "kept": None if kept is None else int(kept), "updated_at": utcnow().isoformat(), "data": json.dumps(data)},
            pk="proposal_id",
        )  # fmt: skip

    # -- usage ------------------------------------------------------------------------------------

    def add_usage(self, item: str, stage: str, usage: list[RoleUsage]) -> None:
        self.db["datagen_usage"].insert_all(
            [{"item": item, "stage": stage, **row.model_dump()} for row in usage if row.calls], pk="id"
        )

    def usage(self) -> list[dict[str, Any]]:
        return list(self.db["datagen_usage"].rows_where())

    # -- auxiliary samples ------------------------------------------------------------------------

    def add_aux(self, kind: AuxKind, samples: list[dict[str, Any]], trajectory_id: str | None = None) -> None:
        """Samples carry their own `id` (a hash of their content), so adding one twice keeps one."""
        rows = [
            {"id": sample["id"], "kind": kind, "trajectory_id": trajectory_id, "screenshot": sample.get("screenshot"),
             "created_at": utcnow().isoformat(), "data": json.dumps(sample)}
            for sample in samples
        ]  # fmt: skip
        self.db["datagen_aux"].insert_all(rows, pk="id", ignore=True)

    def aux(self, kind: AuxKind | None = None) -> list[dict[str, Any]]:
        rows = self.db["datagen_aux"].rows_where("kind = ?" if kind else None, [kind] if kind else [])
        return [json.loads(row["data"]) | {"kind": row["kind"]} for row in rows]


def _job(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "data": json.loads(row["data"])}
