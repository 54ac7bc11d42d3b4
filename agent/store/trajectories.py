"""Trajectories: one row per trajectory, one per step, and PNG files named by their content hash.

Every step is committed the moment it completes, so a crash loses at most the step in flight.
Screenshot files are written (atomically) before the row that names them.

A trajectory still `running` whose process is gone (killed, crashed) is shown `interrupted`: each row
names the process that last wrote it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from agent.process import ProcessId, this_process
from agent.screenshot import digest_of
from agent.store.auxiliary import AuxiliaryTable
from agent.store.database import Database
from agent.store.datagen import DatagenTables
from agent.store.folder import default_db_path, private_dir, write_private
from agent.store.uploads import UploadTable
from agent.trajectory import SCHEMA_VERSION, Step, Trajectory, utcnow


class TrajectoryNotFound(KeyError):
    pass


Method = TypeVar("Method", bound=Callable[..., Any])


def _serialised(method: Method) -> Method:
    """The method runs whole under the database's one lock."""

    @functools.wraps(method)
    def locked(self: Store, *args: Any, **kwargs: Any) -> Any:
        with self._db.lock:
            return method(self, *args, **kwargs)

    return locked  # type: ignore[return-value]


class Store:
    """The trajectories, and the side tables kept in the same file (each made when first used)."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else default_db_path()
        private_dir(self.path.parent, repair=path is None)
        self.screenshot_dir = self.path.parent / "screenshots"
        private_dir(self.screenshot_dir)
        self._process = this_process()
        self._db = Database(self.path)
        self._create_tables()

    @property
    def _sql(self) -> sqlite_utils.Database:
        return self._db.sql

    @functools.cached_property
    def uploads(self) -> UploadTable:
        return UploadTable(self._db)

    @functools.cached_property
    def datagen(self) -> DatagenTables:
        return DatagenTables(self._db)

    @functools.cached_property
    def auxiliary(self) -> AuxiliaryTable:
        return AuxiliaryTable(self._db)

    @_serialised
    def _create_tables(self) -> None:
        if "trajectories" not in self._sql.table_names():
            self._sql.table("trajectories").create(
                {
                    "id": str,
                    "task": str,
                    "status": str,
                    "source": str,
                    "shared": int,
                    "created_at": str,
                    "updated_at": str,
                    "data": str,
                    "owner": str,
                },
                pk="id",
            )
            self._sql.table("trajectories").create_index(["created_at"])
        if "steps" not in self._sql.table_names():
            self._sql.table("steps").create(
                {"trajectory_id": str, "idx": int, "screenshot": str, "data": str},
                pk=("trajectory_id", "idx"),
                foreign_keys=[("trajectory_id", "trajectories", "id")],
            )
            self._sql.table("steps").create_index(["screenshot"])
        self._db.add_missing_columns("trajectories", {"owner": str})

    # -- writing ---------------------------------------------------------------------------

    @_serialised
    def save_header(self, trajectory: Trajectory) -> None:
        """Everything but the steps: status, answer, user turns, approvals, consent."""
        header = trajectory.model_dump(mode="json", exclude={"steps"})
        self._sql.table("trajectories").upsert(
            {
                "id": trajectory.id,
                "task": trajectory.task,
                "status": trajectory.status,
                "source": trajectory.provenance.source,
                "shared": int(trajectory.consent.shared),
                "created_at": header["created_at"],
                "updated_at": header["updated_at"],
                "data": json.dumps(header),
                "owner": str(self._process),
            },
            pk="id",
        )

    @_serialised
    def add_step(self, trajectory: Trajectory, step: Step) -> None:
        """Commit a finished step with its kept screenshot (`step.image`)."""
        if step.image is None:
            raise ValueError(f"step {step.index} has no screenshot to store")
        self._write_step(trajectory, step, step.image.png)

    @_serialised
    def save(self, trajectory: Trajectory, screenshots: dict[str, bytes]) -> None:
        """Write a whole trajectory at once (imports, synthetic data); `screenshots` maps digest -> PNG."""
        for step in trajectory.steps:
            self._write_step(trajectory, step, screenshots[step.screenshot])
        self.save_header(trajectory)

    def _write_step(self, trajectory: Trajectory, step: Step, png: bytes) -> None:
        self.put_screenshot(png, step.screenshot)
        with self._sql.conn:
            self.save_header(trajectory)
            self._sql.table("steps").upsert(
                {
                    "trajectory_id": trajectory.id,
                    "idx": step.index,
                    "screenshot": step.screenshot,
                    "data": step.model_dump_json(),
                },
                pk=("trajectory_id", "idx"),
            )

    def put_screenshot(self, png: bytes, digest: str | None = None) -> str:
        """Store a PNG under its digest (computed unless the caller has it already)."""
        digest = digest or digest_of(png)
        path = self.screenshot_path(digest)
        if not path.exists():
            private_dir(path.parent)
            write_private(path, png)
        return digest

    # -- reading ---------------------------------------------------------------------------

    def screenshot_path(self, digest: str) -> Path:
        return self.screenshot_dir / digest[:2] / f"{digest}.png"

    def read_screenshot(self, digest: str) -> bytes:
        return self.screenshot_path(digest).read_bytes()

    @_serialised
    def load(self, trajectory_id: str) -> Trajectory:
        self._mark_orphans()
        rows = list(self._sql.table("trajectories").rows_where("id = ?", [trajectory_id]))
        if not rows:
            raise TrajectoryNotFound(trajectory_id)
        header: dict[str, Any] = json.loads(rows[0]["data"])
        if header.get("schema_version", 0) > SCHEMA_VERSION:
            raise ValueError(
                f"trajectory {trajectory_id} has schema {header['schema_version']}; upgrade farol to read it"
            )
        steps = self._sql.table("steps").rows_where("trajectory_id = ?", [trajectory_id], order_by="idx")
        header["steps"] = [json.loads(row["data"]) for row in steps]
        return Trajectory.model_validate(header)

    @_serialised
    def list(self, limit: int | None = None, shared: bool | None = None) -> list[dict[str, Any]]:
        """Summaries, newest first: id, task, status, source, shared, created_at, updated_at, steps."""
        self._mark_orphans()
        where, args = ("shared = ?", [int(shared)]) if shared is not None else (None, [])
        sql = (
            "select t.id, t.task, t.status, t.source, t.shared, t.created_at, t.updated_at, "
            "(select count(*) from steps s where s.trajectory_id = t.id) as steps from trajectories t"
            + (f" where {where}" if where else "")
            + " order by t.created_at desc"
            + (f" limit {int(limit)}" if limit else "")
        )
        return list(self._sql.query(sql, args))

    def _mark_orphans(self) -> None:
        """Trajectories left `running` by a process that is gone are `interrupted`, whoever started them."""
        orphans = [
            (row["id"], owner)
            for row in self._sql.query("select id, owner from trajectories where status = 'running'")
            if not (owner := ProcessId.parse(row["owner"])).alive()
        ]
        for trajectory_id, owner in orphans:
            header = json.loads(self._sql.table("trajectories").get(trajectory_id)["data"])
            header.update(status="interrupted", reason=f"stopped before it finished: its process ({owner.pid}) ended")
            header["updated_at"] = utcnow().isoformat()
            self._sql.table("trajectories").update(
                trajectory_id, {"status": "interrupted", "updated_at": header["updated_at"], "data": json.dumps(header)}
            )

    @_serialised
    def screenshots_in_use(self) -> set[str]:
        """The digests some step names: a screenshot file outside them belongs to no trajectory."""
        return {row["screenshot"] for row in self._sql.query("select distinct screenshot from steps")}

    # -- deleting --------------------------------------------------------------------------

    @_serialised
    def delete(self, trajectory_id: str) -> None:
        """Remove the trajectory's rows and every screenshot file no other trajectory uses."""
        digests = {
            row["screenshot"] for row in self._sql.table("steps").rows_where("trajectory_id = ?", [trajectory_id])
        }
        if not digests and not self._sql.table("trajectories").count_where("id = ?", [trajectory_id]):
            raise TrajectoryNotFound(trajectory_id)
        with self._sql.conn:
            self._sql.table("steps").delete_where("trajectory_id = ?", [trajectory_id])
            self._sql.table("trajectories").delete_where("id = ?", [trajectory_id])
        for digest in digests:
            if not self._sql.table("steps").count_where("screenshot = ?", [digest]):
                self.screenshot_path(digest).unlink(missing_ok=True)

    def close(self) -> None:
        self._db.close()
