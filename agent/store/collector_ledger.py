"""A collector's own tables, beside the `Store` of the sessions it received (the same file):

- `contributors`: who may send, by the hash of their key, and when a key was revoked;
- `contributions`: who sent each session, when, its fingerprint and size; a session counts as received once its
  row is written (after the session's rows and files);
- `exports`: the folders a session was exported to (deleting it removes them too);
- `deletions`: every deletion carried out or asked for, with who and why.

What the rows mean is the collector's (`collector/collector.py`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TypedDict, cast

from agent.store.database import Database
from agent.trajectory import utcnow


class ContributionRow(TypedDict):
    trajectory_id: str
    contributor: str
    fingerprint: str  # the sha256 of the record as received: the same session sent again is stored once
    received_at: str
    bytes: int | None  # the upload's size, for the contributor's quota


class DeletionRow(TypedDict):
    id: int
    trajectory_id: str | None
    contributor: str | None
    requested_at: str
    removed: int  # 1 if there was something to remove
    by: str | None  # the contributor's name, "operator", "retention" or "collector"
    reason: str | None


class CollectorLedger:
    def __init__(self, path: Path) -> None:
        # Its own connection, under the same policy: a key lookup at the door never waits behind an upload's
        # writes on the store's.
        self._db = Database(path)
        self._create_tables()

    def _create_tables(self) -> None:
        """If missing: `farol collector` commands may run while it serves."""
        with self._db.lock:
            sql = self._db.sql
            sql.table("contributors").create(
                {"name": str, "key_hash": str, "created_at": str, "revoked_at": str}, pk="name", if_not_exists=True
            )
            sql.table("contributors").create_index(["key_hash"], unique=True, if_not_exists=True)
            sql.table("contributions").create(
                {"trajectory_id": str, "contributor": str, "fingerprint": str, "received_at": str, "bytes": int},
                pk="trajectory_id",
                if_not_exists=True,
            )
            sql.table("deletions").create(
                {"id": int, "trajectory_id": str, "contributor": str, "requested_at": str, "removed": int, "by": str,
                 "reason": str},
                pk="id",
                if_not_exists=True,
            )  # fmt: skip
            sql.table("exports").create(
                {"trajectory_id": str, "path": str, "exported_at": str},
                pk=("trajectory_id", "path"),
                if_not_exists=True,
            )
        self._db.add_missing_columns("contributors", {"revoked_at": str})
        self._db.add_missing_columns("contributions", {"bytes": int})
        self._db.add_missing_columns("deletions", {"by": str, "reason": str})

    # -- contributors ------------------------------------------------------------------------------

    def contributors(self) -> list[str]:
        """Their names, in order, revoked or not."""
        return [row["name"] for row in self._db.query("select name from contributors order by name")]

    def set_key(self, name: str, key_hash: str) -> None:
        """A contributor's key from now on (a new contributor, or a new key for one, revoked or not)."""
        row = {"name": name, "key_hash": key_hash, "created_at": utcnow().isoformat(), "revoked_at": None}
        with self._db.transaction() as sql:
            sql.table("contributors").upsert(row, pk="name")

    def revoke(self, name: str) -> bool:
        """Refuse the contributor's key from now on; False if they have no key in use."""
        with self._db.transaction() as sql:
            return bool(
                sql.execute(
                    "update contributors set revoked_at = ? where name = ? and revoked_at is null",
                    [utcnow().isoformat(), name],
                ).rowcount
            )

    def contributor_for(self, key_hash: str) -> str | None:
        """Whose key in use this is, if anyone's."""
        rows = self._db.query("select name from contributors where key_hash = ? and revoked_at is null", [key_hash])
        return rows[0]["name"] if rows else None

    # -- contributions ------------------------------------------------------------------------------

    def contribution(self, trajectory_id: str) -> ContributionRow | None:
        rows = self._contributions("trajectory_id = ?", [trajectory_id])
        return rows[0] if rows else None

    def contributions(self) -> list[ContributionRow]:
        return self._contributions("1", [])

    def sent_by(self, contributor: str) -> list[ContributionRow]:
        return self._contributions("contributor = ?", [contributor])

    def received_before(self, moment: str) -> list[ContributionRow]:
        return self._contributions("received_at < ?", [moment])

    def _contributions(self, where: str, args: list[str]) -> list[ContributionRow]:
        return cast(list[ContributionRow], self._db.query(f"select * from contributions where {where}", args))

    def holdings(self, contributor: str, *, besides: str) -> tuple[int, int]:
        """(sessions, bytes) the contributor keeps here, besides the session `besides`."""
        row = self._db.query(
            "select count(*) as sessions, coalesce(sum(bytes), 0) as bytes from contributions "
            "where contributor = ? and trajectory_id != ?",
            [contributor, besides],
        )[0]
        return row["sessions"], row["bytes"]

    def add_contribution(self, row: ContributionRow) -> None:
        with self._db.transaction() as sql:
            sql.table("contributions").insert(dict(row))

    def remove_contribution(self, trajectory_id: str) -> None:
        with self._db.transaction() as sql:
            sql.table("contributions").delete_where("trajectory_id = ?", [trajectory_id])

    # -- exports ---------------------------------------------------------------------------------

    def add_export(self, trajectory_id: str, folder: Path) -> None:
        """An export is a copy: deleting the session later removes it too."""
        row = {"trajectory_id": trajectory_id, "path": str(folder.resolve()), "exported_at": utcnow().isoformat()}
        with self._db.transaction() as sql:
            sql.table("exports").upsert(row, pk=("trajectory_id", "path"))

    def exports(self, trajectory_id: str) -> list[Path]:
        rows = self._db.query("select path from exports where trajectory_id = ?", [trajectory_id])
        return [Path(row["path"]) for row in rows]

    def remove_exports(self, trajectory_id: str) -> None:
        with self._db.transaction() as sql:
            sql.table("exports").delete_where("trajectory_id = ?", [trajectory_id])

    # -- deletions --------------------------------------------------------------------------------

    def log_deletion(
        self, trajectory_id: str | None, contributor: str | None, removed: bool, by: str, reason: str
    ) -> None:
        row = {
            "trajectory_id": trajectory_id,
            "contributor": contributor,
            "requested_at": utcnow().isoformat(),
            "removed": int(removed),
            "by": by,
            "reason": reason,
        }
        with self._db.transaction() as sql:
            sql.table("deletions").insert(row)

    def deletions(self) -> list[DeletionRow]:
        """Newest first."""
        return cast(list[DeletionRow], self._db.query("select * from deletions order by id desc"))

    def removals(self) -> Counter[str]:
        """How many sessions were removed, per contributor."""
        rows = self._db.query(
            "select contributor, count(*) as count from deletions where removed = 1 group by contributor"
        )
        return Counter({row["contributor"]: row["count"] for row in rows})
