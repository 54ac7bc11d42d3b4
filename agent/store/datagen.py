"""FaraGen's bookkeeping, in tables beside the trajectories (what each row holds is `datagen/db.py`'s to say):

- `datagen_proposals`: every proposal, accepted or rejected (with the reason), in the order proposed;
- `datagen_jobs`: one row per solved proposal: its state, its trajectory, whether it was kept, and a record;
- `datagen_usage`: tokens per role and model, per stage and item (a proposal batch or a job), as they are spent.

The records are JSON made by data generation; the store keeps them as they are.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple, TypedDict

from agent.store.database import Database
from agent.trajectory import utcnow


class ProposalRow(NamedTuple):
    id: str
    status: str  # "accepted" or "rejected"
    reason: str  # why it was rejected
    source: str  # what proposed it
    data: str  # the proposal, as JSON


class JobRow(TypedDict):
    proposal_id: str
    state: str
    trajectory_id: str | None
    kept: int | None
    updated_at: str
    data: dict[str, Any]


class DatagenTables:
    def __init__(self, db: Database) -> None:
        self._db = db
        with db.lock:
            tables = set(db.sql.table_names())
            if "datagen_proposals" not in tables:
                # Keyed by the order proposed: a rejected duplicate shares its task's id with the accepted one.
                db.sql.table("datagen_proposals").create(
                    {
                        "seq": int,
                        "id": str,
                        "status": str,
                        "reason": str,
                        "source": str,
                        "created_at": str,
                        "data": str,
                    },
                    pk="seq",
                )
                db.sql.table("datagen_proposals").create_index(["id"])
            if "datagen_jobs" not in tables:
                db.sql.table("datagen_jobs").create(
                    {
                        "proposal_id": str,
                        "state": str,
                        "trajectory_id": str,
                        "kept": int,
                        "updated_at": str,
                        "data": str,
                    },
                    pk="proposal_id",
                )
            if "datagen_usage" not in tables:
                db.sql.table("datagen_usage").create(
                    {
                        "id": int,
                        "item": str,
                        "stage": str,
                        "role": str,
                        "model": str,
                        "calls": int,
                        "prompt_tokens": int,
                        "completion_tokens": int,
                    },
                    pk="id",
                )

    # -- proposals --------------------------------------------------------------------------------

    def add_proposals(self, proposals: list[ProposalRow]) -> None:
        """After those already here, in this order."""
        with self._db.transaction() as sql:
            seq = sql.execute("select coalesce(max(seq), 0) from datagen_proposals").fetchone()[0]
            for number, proposal in enumerate(proposals, start=seq + 1):
                sql.table("datagen_proposals").insert(
                    {"seq": number, **proposal._asdict(), "created_at": utcnow().isoformat()}
                )

    def proposals(self, status: str | None = None) -> list[ProposalRow]:
        """In the order proposed; all of them, or those with this status."""
        where, args = (" where status = ?", [status]) if status else ("", [])
        rows = self._db.query(
            f"select {', '.join(ProposalRow._fields)} from datagen_proposals{where} order by seq", args
        )
        return [ProposalRow(**row) for row in rows]

    # -- jobs -------------------------------------------------------------------------------------

    def job(self, proposal_id: str) -> JobRow | None:
        rows = self._db.query("select * from datagen_jobs where proposal_id = ?", [proposal_id])
        return _job(rows[0]) if rows else None

    def jobs(self, *states: str) -> list[JobRow]:
        """All of them, or those in these states."""
        where = f" where state in ({', '.join('?' * len(states))})" if states else ""
        return [_job(row) for row in self._db.query(f"select * from datagen_jobs{where}", list(states))]

    def put_job(
        self, proposal_id: str, state: str, trajectory_id: str | None, data: dict[str, Any], kept: bool | None = None
    ) -> None:
        with self._db.transaction() as sql:
            sql.table("datagen_jobs").upsert(
                {
                    "proposal_id": proposal_id,
                    "state": state,
                    "trajectory_id": trajectory_id,
                    "kept": None if kept is None else int(kept),
                    "updated_at": utcnow().isoformat(),
                    "data": json.dumps(data),
                },
                pk="proposal_id",
            )

    def drop_job(self, proposal_id: str) -> None:
        with self._db.transaction() as sql:
            sql.table("datagen_jobs").delete(proposal_id)

    # -- usage ------------------------------------------------------------------------------------

    def add_usage(self, item: str, stage: str, usage: list[dict[str, Any]]) -> None:
        """`usage`: role, model, calls, prompt_tokens and completion_tokens, per row."""
        with self._db.transaction() as sql:
            sql.table("datagen_usage").insert_all([{"item": item, "stage": stage, **row} for row in usage], pk="id")

    def usage(self) -> list[dict[str, Any]]:
        return self._db.query("select * from datagen_usage")


def _job(row: dict[str, Any]) -> JobRow:
    return JobRow(
        proposal_id=row["proposal_id"],
        state=row["state"],
        trajectory_id=row["trajectory_id"],
        kept=row["kept"],
        updated_at=row["updated_at"],
        data=json.loads(row["data"]),
    )
