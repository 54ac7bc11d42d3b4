"""`datagen_aux`: the auxiliary samples (`agent/auxiliary_sample.py`), one a row: its kind, trajectory and
screenshot in columns, the rest of the record as JSON. Data generation writes them; training reads them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from agent.auxiliary_sample import AUXILIARY_KINDS, AUXILIARY_SAMPLE, AuxiliaryKind, AuxiliarySample
from agent.store.database import Database
from agent.trajectory import utcnow

TABLE = "datagen_aux"
COLUMNS = {"kind", "trajectory_id"}  # kept in columns, not in the JSON


class AuxiliaryTable:
    """Made on the first write: reading a store that never had any (a collector's) leaves it as it is."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, samples: Sequence[AuxiliarySample]) -> None:
        """A sample already here (the same id, so the same content) is kept once."""
        rows = [
            {
                "id": sample.id,
                "kind": sample.kind,
                "trajectory_id": sample.trajectory_id,
                "screenshot": sample.screenshot,
                "created_at": utcnow().isoformat(),
                "data": sample.model_dump_json(exclude=COLUMNS),
            }
            for sample in samples
        ]
        with self._db.lock:
            if not self._db.sql.table(TABLE).exists():
                self._db.sql.table(TABLE).create(
                    {"id": str, "kind": str, "trajectory_id": str, "screenshot": str, "created_at": str, "data": str},
                    pk="id",
                )
                self._db.sql.table(TABLE).create_index(["kind"])
            self._db.sql.table(TABLE).insert_all(rows, pk="id", ignore=True)

    def samples(self, kind: AuxiliaryKind | None = None) -> list[AuxiliarySample]:
        """In the order they were first stored."""
        if not self._db.has_table(TABLE):
            return []
        where, args = (" where kind = ?", [kind]) if kind else ("", [])
        rows = self._db.query(f"select kind, trajectory_id, data from {TABLE}{where} order by rowid", args)
        return [_record(row) for row in rows]

    def counts(self) -> dict[AuxiliaryKind, int]:
        """How many samples of each kind."""
        found = {}
        if self._db.has_table(TABLE):
            found = {
                row["kind"]: row["n"]
                for row in self._db.query(f"select kind, count(*) as n from {TABLE} group by kind")
            }
        return {kind: found.get(kind, 0) for kind in AUXILIARY_KINDS}


def _record(row: dict[str, Any]) -> AuxiliarySample:
    return AUXILIARY_SAMPLE.validate_python(json.loads(row["data"]) | {key: row[key] for key in COLUMNS})
