"""The one way our SQLite files are opened: private, in WAL mode, with a busy timeout (another Farol process may
be writing), and one connection shared by every thread (web handlers run in a pool) under one lock that keeps
each statement and transaction whole. The store and its side tables are the only code that uses it.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlite_utils

from agent.store.folder import private_file

BUSY_TIMEOUT_S = 30


class Database:
    def __init__(self, path: Path) -> None:
        private_file(path)  # SQLite's -wal and -shm files take its mode
        self.lock = threading.RLock()
        # Used only while holding `lock`.
        self.sql = sqlite_utils.Database(sqlite3.connect(path, check_same_thread=False, timeout=BUSY_TIMEOUT_S))
        self.sql.enable_wal()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        with self.lock, self.sql.conn:
            yield self.sql

    def query(self, sql: str, args: list[Any] | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.sql.query(sql, args or []))

    def has_table(self, name: str) -> bool:
        with self.lock:
            return self.sql.table(name).exists()

    def add_missing_columns(self, table: str, columns: dict[str, type]) -> None:
        """Tables made by an older Farol get the columns added since, empty."""
        with self.lock:
            for column, kind in columns.items():
                if column not in self.sql.table(table).columns_dict:
                    self.sql.table(table).add_column(column, kind)

    def close(self) -> None:
        with self.lock:
            self.sql.close()
