"""The `uploads` table: one row per session and collector, saying what the collector should hold and whether it
confirmed it. What the rows mean, and when they change, is the uploader's (`bridge/uploads.py`)."""

from __future__ import annotations

import time
from typing import Any, Literal, TypedDict, cast

from agent.store.database import Database
from agent.trajectory import utcnow

Want = Literal["upload", "delete"]


class UploadRow(TypedDict):
    trajectory_id: str
    collector: str
    want: Want  # what the collector should hold: the upload, or its deletion
    done: int  # the collector acknowledged it
    sent: int | None  # an upload was attempted: the collector may hold it
    refused: int  # the collector refused this version of the session: wait for a change
    version: str | None  # the session's updated_at when it was last sent
    attempts: int
    next_try: float
    error: str | None
    updated_at: str


class UploadTable:
    def __init__(self, db: Database) -> None:
        self._db = db
        with db.lock:
            db.sql.table("uploads").create(
                {"trajectory_id": str, "collector": str, "want": str, "done": int, "sent": int, "refused": int,
                 "version": str, "attempts": int, "next_try": float, "error": str, "updated_at": str},
                pk=("trajectory_id", "collector"),
                if_not_exists=True,  # the bridge and a `farol sessions` command may both be first
            )  # fmt: skip

    def rows(self, collector: str | None = None, *, want: Want | None = None) -> list[UploadRow]:
        return self._select("1", collector, want=want)

    def due(self, collector: str | None = None, now: float | None = None) -> list[UploadRow]:
        """The rows waiting for an attempt whose time has come."""
        now = time.time() if now is None else now
        return self._select("done = 0 and refused = 0 and next_try <= ?", collector, [now])

    def pending(self, collector: str | None = None) -> list[UploadRow]:
        """The rows not carried out yet that are not waiting for a change."""
        return self._select("done = 0 and refused = 0", collector)

    def _select(
        self, where: str, collector: str | None, args: list[Any] | None = None, *, want: Want | None = None
    ) -> list[UploadRow]:
        args = list(args or [])
        for column, value in (("collector", collector), ("want", want)):
            if value is not None:
                where, args = f"{where} and {column} = ?", [*args, value]
        return cast(list[UploadRow], self._db.query(f"select * from uploads where {where}", args))

    def put(self, trajectory_id: str, collector: str, **columns: Any) -> None:
        with self._db.transaction() as sql:
            sql.table("uploads").upsert(
                {"trajectory_id": trajectory_id, "collector": collector, "updated_at": utcnow().isoformat(), **columns},
                pk=("trajectory_id", "collector"),
            )

    def drop(self, trajectory_id: str, collector: str) -> None:
        with self._db.transaction() as sql:
            sql.table("uploads").delete((trajectory_id, collector))

    def settle(self, row: UploadRow, **columns: Any) -> None:
        """Record how an attempt went, if the row still wants what was attempted. If it changed meanwhile (another
        process un-shared or re-shared the session), what it wants now is made due again: the attempt may have
        undone it at the collector."""
        assignments = ", ".join(f"{name} = ?" for name in columns)
        key = [row["trajectory_id"], row["collector"]]
        with self._db.transaction() as sql:
            updated = sql.execute(
                f"update uploads set {assignments}, updated_at = ? where trajectory_id = ? and collector = ? "
                "and want = ?",
                [*columns.values(), utcnow().isoformat(), *key, row["want"]],
            ).rowcount
            if not updated:
                sql.execute(
                    "update uploads set done = 0, refused = 0, attempts = 0, next_try = 0 "
                    "where trajectory_id = ? and collector = ?",
                    key,
                )

    def hold_for_key(self, refused: set[str], reason: str) -> None:
        """Rows for a collector in `refused` wait, saying `reason`; those held so for one no longer in it go."""
        with self._db.transaction() as sql:
            for collector in refused:
                sql.execute(
                    "update uploads set refused = 1, error = ? where collector = ? and done = 0 and refused = 0",
                    [reason, collector],
                )
            waiting = {
                row[0] for row in sql.execute("select distinct collector from uploads where error = ?", [reason])
            }
            for collector in waiting - refused:
                sql.execute(
                    "update uploads set refused = 0, error = null, attempts = 0, next_try = 0 "
                    "where collector = ? and error = ?",
                    [collector, reason],
                )
