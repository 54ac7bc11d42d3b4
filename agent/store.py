"""The one place trajectories are written and read: SQLite (WAL) plus PNG files named by content hash.

Every step is committed the moment it completes, so a crash loses at most the step in flight.
Screenshot files are written (atomically) before the row that names them. What the store holds is what
the pairing token protects: the folder is private to its owner (0700, files 0600).

A trajectory still `running` whose process is gone (killed, crashed) is shown `interrupted`: each row
names the process that last wrote it.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from agent.process import ProcessId, this_process
from agent.screenshot import digest_of
from agent.trajectory import SCHEMA_VERSION, Step, Trajectory, utcnow

PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600


def default_db_path() -> Path:
    home = (
        os.environ.get("FAROL_HOME") or Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local/share") / "farol"
    )
    return Path(home) / "farol.db"


class TrajectoryNotFound(KeyError):
    pass


Method = TypeVar("Method", bound=Callable[..., Any])


def _serialised(method: Method) -> Method:
    """One connection serves every thread (web handlers run in a pool); a lock keeps transactions whole."""

    @functools.wraps(method)
    def locked(self: Store, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return locked  # type: ignore[return-value]


class Store:
    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else default_db_path()
        _private_dir(self.path.parent, repair=path is None)
        self.screenshot_dir = self.path.parent / "screenshots"
        _private_dir(self.screenshot_dir)
        self._lock = threading.RLock()
        self._process = this_process()
        # Created private (SQLite's -wal/-shm take its mode). An existing file is never opened and closed here:
        # closing any descriptor of it would drop the locks of this process's open connections (a corrupt WAL).
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, PRIVATE_FILE))
        os.chmod(self.path, PRIVATE_FILE)
        self.db = sqlite_utils.Database(sqlite3.connect(self.path, check_same_thread=False))
        self.db.enable_wal()
        self._create_tables()

    def _create_tables(self) -> None:
        if "trajectories" not in self.db.table_names():
            self.db["trajectories"].create(
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
            self.db["trajectories"].create_index(["created_at"])
        if "owner" not in self.db["trajectories"].columns_dict:  # stores made before it existed
            self.db["trajectories"].add_column("owner", str)
        if "steps" not in self.db.table_names():
            self.db["steps"].create(
                {"trajectory_id": str, "idx": int, "screenshot": str, "data": str},
                pk=("trajectory_id", "idx"),
                foreign_keys=[("trajectory_id", "trajectories", "id")],
            )
            self.db["steps"].create_index(["screenshot"])

    # -- writing ---------------------------------------------------------------------------

    @_serialised
    def save_header(self, trajectory: Trajectory) -> None:
        """Everything but the steps: status, answer, user turns, approvals, consent."""
        header = trajectory.model_dump(mode="json", exclude={"steps"})
        self.db["trajectories"].upsert(
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
        with self.db.conn:
            self.save_header(trajectory)
            self.db["steps"].upsert(
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
            _private_dir(path.parent)
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
            with os.fdopen(descriptor, "wb") as file:
                file.write(png)
            partial.replace(path)
        return digest

    # -- reading ---------------------------------------------------------------------------

    def screenshot_path(self, digest: str) -> Path:
        return self.screenshot_dir / digest[:2] / f"{digest}.png"

    def read_screenshot(self, digest: str) -> bytes:
        return self.screenshot_path(digest).read_bytes()

    @_serialised
    def load(self, trajectory_id: str) -> Trajectory:
        self._mark_orphans()
        rows = list(self.db["trajectories"].rows_where("id = ?", [trajectory_id]))
        if not rows:
            raise TrajectoryNotFound(trajectory_id)
        header: dict[str, Any] = json.loads(rows[0]["data"])
        if header.get("schema_version", 0) > SCHEMA_VERSION:
            raise ValueError(
                f"trajectory {trajectory_id} has schema {header['schema_version']}; upgrade farol to read it"
            )
        steps = self.db["steps"].rows_where("trajectory_id = ?", [trajectory_id], order_by="idx")
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
        return list(self.db.query(sql, args))

    def _mark_orphans(self) -> None:
        """Trajectories left `running` by a process that is gone are `interrupted`, whoever started them."""
        orphans = [
            (row["id"], owner)
            for row in self.db.query("select id, owner from trajectories where status = 'running'")
            if not (owner := ProcessId.parse(row["owner"])).alive()
        ]
        for trajectory_id, owner in orphans:
            header = json.loads(self.db["trajectories"].get(trajectory_id)["data"])
            header.update(status="interrupted", reason=f"stopped before it finished: its process ({owner.pid}) ended")
            header["updated_at"] = utcnow().isoformat()
            self.db["trajectories"].update(
                trajectory_id, {"status": "interrupted", "updated_at": header["updated_at"], "data": json.dumps(header)}
            )

    # -- deleting --------------------------------------------------------------------------

    @_serialised
    def delete(self, trajectory_id: str) -> None:
        """Remove the trajectory's rows and every screenshot file no other trajectory uses."""
        digests = {row["screenshot"] for row in self.db["steps"].rows_where("trajectory_id = ?", [trajectory_id])}
        if not digests and not self.db["trajectories"].count_where("id = ?", [trajectory_id]):
            raise TrajectoryNotFound(trajectory_id)
        with self.db.conn:
            self.db["steps"].delete_where("trajectory_id = ?", [trajectory_id])
            self.db["trajectories"].delete_where("id = ?", [trajectory_id])
        for digest in digests:
            if not self.db["steps"].count_where("screenshot = ?", [digest]):
                self.screenshot_path(digest).unlink(missing_ok=True)

    @_serialised
    def close(self) -> None:
        self.db.close()


def _private_dir(folder: Path, *, repair: bool = True) -> None:
    """Create `folder` readable by its owner only; `repair` also narrows an existing one (our data folder)."""
    folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    if repair and folder.stat().st_mode & 0o077:
        os.chmod(folder, PRIVATE_DIR)
