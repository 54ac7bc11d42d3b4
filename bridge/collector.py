"""The collector: where the sessions people share arrive, kept in the ordinary store format (`agent/store.py`),
so `farol train build-data --db COLLECTOR_DB` reads them like local ones.

Each contributor has a key (stored hashed); the Gate checks it, and caps the body, before a byte of the body
is read. An upload is taken whole or not at all: it is checked (`bridge/contribution.py`) before anything is
written, and a session is counted as received only when its `contributions` row is written, after its rows
and files; anything a crash left without that row is removed when it next starts serving. The same session
sent twice is stored once. A deletion removes the session (rows, and screenshot files no other session uses)
and leaves a row in `deletions` saying it did.

    PUT    /v1/sessions/{id}   a `Contribution` (JSON) -> 201 stored; 200 unchanged or replaced; 422 refused
    DELETE /v1/sessions/{id}   -> 200 {"removed": true|false}; recorded either way
    GET    /v1/health          open: {"farol": version, "schema_version": n}
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import secrets
import sqlite3
import threading
from collections import Counter
from pathlib import Path
from typing import Any, Literal

import sqlite_utils
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from agent import __version__
from agent.store import Store, TrajectoryNotFound
from agent.trajectory import SCHEMA_VERSION, Trajectory, utcnow
from bridge.contribution import Refused, accepted, read_contribution
from bridge.gate import Door, Gate

DEFAULT_MAX_UPLOAD_MB = 256
CONTRIBUTOR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
Received = Literal["stored", "unchanged", "replaced"]


class NotYours(Exception):
    """The session id belongs to another contributor's session."""


def key_hash(key: str) -> str:
    """Keys are 32 random bytes, so a plain sha256 is as good as a slow hash for finding and checking them."""
    return hashlib.sha256(key.encode()).hexdigest()


class Collector:
    """The collector's store: an ordinary `Store`, plus its contributors, who sent what, and the deletions."""

    def __init__(self, path: Path) -> None:
        self.store = Store(path)
        # Its own connection: a key lookup at the door never waits behind a long upload on the store's.
        self.db = sqlite_utils.Database(sqlite3.connect(path, check_same_thread=False, timeout=30))
        self._query = threading.Lock()  # one statement at a time on our connection
        self._writing = threading.Lock()  # one upload or deletion at a time
        self._create_tables()

    def _create_tables(self) -> None:
        """If missing: `farol collector` commands may run while it serves."""
        self.db["contributors"].create({"name": str, "key_hash": str, "created_at": str}, pk="name", if_not_exists=True)
        self.db["contributors"].create_index(["key_hash"], unique=True, if_not_exists=True)
        self.db["contributions"].create(
            {"trajectory_id": str, "contributor": str, "fingerprint": str, "received_at": str},
            pk="trajectory_id",
            if_not_exists=True,
        )
        self.db["deletions"].create(
            {"id": int, "trajectory_id": str, "contributor": str, "requested_at": str, "removed": int},
            pk="id",
            if_not_exists=True,
        )

    def remove_partial(self) -> None:
        """Sessions whose writing a crash cut short have rows but no `contributions` row: they never arrived.
        Only before serving: while it serves, a session being written looks the same."""
        received = {row["trajectory_id"] for row in self._rows("select trajectory_id from contributions")}
        for row in self.store.list():
            if row["id"] not in received:
                self.store.delete(row["id"])

    def _rows(self, sql: str, args: list[Any] | None = None) -> list[dict[str, Any]]:
        with self._query:
            return list(self.db.query(sql, args or []))

    # -- contributors ------------------------------------------------------------------------------

    def add_contributor(self, name: str, *, new_key: bool = False) -> str:
        """A new contributor (or, with `new_key`, a new key for one): the key, which is shown only now."""
        if not CONTRIBUTOR_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a contributor name: letters, digits and _.@- (up to 64)")
        exists = bool(self._rows("select name from contributors where name = ?", [name]))
        if exists and not new_key:
            raise ValueError(f"{name} is already a contributor; --new-key replaces their key")
        if new_key and not exists:
            raise ValueError(f"{name} is not a contributor yet")
        key = "farol_" + secrets.token_urlsafe(32)
        with self._query, self.db.conn:
            self.db["contributors"].upsert(
                {"name": name, "key_hash": key_hash(key), "created_at": utcnow().isoformat()}, pk="name"
            )
        return key

    def contributor_for(self, key: str) -> str | None:
        rows = self._rows("select name from contributors where key_hash = ?", [key_hash(key)])
        return rows[0]["name"] if rows else None

    # -- contributions ------------------------------------------------------------------------------

    def receive(self, contributor: str, trajectory: Trajectory, screenshots: dict[str, bytes]) -> Received:
        """Store a checked contribution once; a changed one (the session went on) replaces the old one."""
        fingerprint = hashlib.sha256(trajectory.model_dump_json().encode()).hexdigest()
        with self._writing:
            previous = self._contribution(trajectory.id)
            if previous is not None and previous["contributor"] != contributor:
                raise NotYours(trajectory.id)
            if previous is not None and previous["fingerprint"] == fingerprint:
                return "unchanged"
            self._forget(trajectory.id)  # the older version, or what a failed write left
            received_at = utcnow()
            trajectory.provenance = trajectory.provenance.model_copy(
                update={"contributor": contributor, "received_at": received_at}
            )
            self.store.save(trajectory, screenshots)
            with self._query, self.db.conn:
                self.db["contributions"].insert(
                    {
                        "trajectory_id": trajectory.id,
                        "contributor": contributor,
                        "fingerprint": fingerprint,
                        "received_at": received_at.isoformat(),
                    }
                )
            return "replaced" if previous is not None else "stored"

    def withdraw(self, contributor: str, trajectory_id: str) -> bool:
        """Remove a contributor's session, if it is here; record the deletion either way."""
        with self._writing:
            previous = self._contribution(trajectory_id)
            if previous is not None and previous["contributor"] != contributor:
                raise NotYours(trajectory_id)
            if previous is not None:
                self._forget(trajectory_id)
            with self._query, self.db.conn:
                self.db["deletions"].insert(
                    {
                        "trajectory_id": trajectory_id,
                        "contributor": contributor,
                        "requested_at": utcnow().isoformat(),
                        "removed": int(previous is not None),
                    }
                )
            return previous is not None

    def _contribution(self, trajectory_id: str) -> dict[str, Any] | None:
        rows = self._rows("select * from contributions where trajectory_id = ?", [trajectory_id])
        return rows[0] if rows else None

    def _forget(self, trajectory_id: str) -> None:
        """The `contributions` row goes first: a crash in between leaves a partial session, removed at start."""
        with self._query, self.db.conn:
            self.db["contributions"].delete_where("trajectory_id = ?", [trajectory_id])
        with contextlib.suppress(TrajectoryNotFound):  # a partial write may have left nothing
            self.store.delete(trajectory_id)

    # -- for the people who run it ---------------------------------------------------------------

    def contributed(self, contributor: str | None = None) -> list[dict[str, Any]]:
        """Summaries of the sessions received, newest first, each with its contributor and received time."""
        received = {row["trajectory_id"]: row for row in self._rows("select * from contributions")}
        return [
            {**row, "contributor": by["contributor"], "received_at": by["received_at"]}
            for row in self.store.list()
            if (by := received.get(row["id"])) and contributor in (None, by["contributor"])
        ]

    def stats(self) -> dict[str, Any]:
        """Per contributor: sessions and steps held, deletions carried out; and the screenshot files on disk."""
        sessions: Counter[str] = Counter()
        steps: Counter[str] = Counter()
        for row in self.contributed():
            sessions[row["contributor"]] += 1
            steps[row["contributor"]] += row["steps"]
        removed = Counter(
            {
                row["contributor"]: row["count"]
                for row in self._rows(
                    "select contributor, count(*) as count from deletions where removed = 1 group by contributor"
                )
            }
        )
        names = [row["name"] for row in self._rows("select name from contributors order by name")]
        files = [path.stat().st_size for path in self.store.screenshot_dir.rglob("*.png")]
        return {
            "contributors": {
                name: {"sessions": sessions[name], "steps": steps[name], "deleted": removed[name]} for name in names
            },
            "sessions": sum(sessions.values()),
            "steps": sum(steps.values()),
            "screenshots": len(files),
            "screenshot_bytes": sum(files),
        }


def create_collector_app(collector: Collector, max_body: int = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024) -> FastAPI:
    app = FastAPI(title="Farol collector", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/v1/health")
    def health() -> dict[str, Any]:
        return {"farol": __version__, "schema_version": SCHEMA_VERSION}

    @app.put("/v1/sessions/{trajectory_id}")
    async def receive(trajectory_id: str, request: Request) -> JSONResponse:
        try:
            body = await request.body()
        except ClientDisconnect:  # the upload stopped mid-body: nothing was stored, nobody to answer
            return JSONResponse({"detail": "the upload was interrupted"}, status_code=400)
        result = await asyncio.to_thread(_receive, collector, request.state.caller, trajectory_id, body)
        return JSONResponse({"result": result}, status_code=201 if result == "stored" else 200)

    @app.delete("/v1/sessions/{trajectory_id}")
    async def withdraw(trajectory_id: str, request: Request) -> dict[str, bool]:
        try:
            removed = await asyncio.to_thread(collector.withdraw, request.state.caller, trajectory_id)
        except NotYours:
            raise HTTPException(409, "this session was contributed by someone else") from None
        return {"removed": removed}

    @app.exception_handler(Refused)
    async def refused(request: Request, error: Refused) -> Response:
        return JSONResponse({"detail": str(error)}, status_code=422)

    door = Door(
        identify=collector.contributor_for,
        protected="/v1/",
        open_paths=frozenset({"/v1/health"}),
        credential="contributor key",
        max_body=max_body,
        loopback_only=False,
    )
    app.add_middleware(Gate, door=door)
    return app


def _receive(collector: Collector, contributor: str, trajectory_id: str, body: bytes) -> Received:
    trajectory, screenshots = accepted(read_contribution(body))
    if trajectory.id != trajectory_id:
        raise Refused(f"the record is session {trajectory.id}, not {trajectory_id}")
    try:
        return collector.receive(contributor, trajectory, screenshots)
    except NotYours:
        raise HTTPException(409, "this session id was contributed by someone else") from None
