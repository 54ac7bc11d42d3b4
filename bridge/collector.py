"""The collector: where the sessions people share arrive, kept in the ordinary store format (`agent/store.py`),
so `farol train build-data --db COLLECTOR_DB` reads them like local ones.

It trusts no sender. Each contributor has a key (stored hashed, revocable); the Gate checks it, and the declared
size, before a byte of the body is read. An upload is taken whole or not at all: its body streams to an unnamed
file in the data folder (a few uploads at once, each within the contributor's quota), and it is checked
(`bridge/contribution.py`: ids, approvals and masks recomputed from the steps, image sizes from their headers)
before anything is written. What is stored says who sent it and when, and that it is a shared session
(`provenance.source`), whatever the sender claimed; a sender's verifier scores are dropped. A session is counted
as received only when its `contributions` row is written, after its rows and files; what a crash left without
that row, and screenshot files no session uses, are removed when it next starts serving. The same session sent
twice is stored once. Every deletion (by its contributor, by the people who run it, by the retention period)
removes the session's rows, the screenshot files no other session uses and its exports, and is logged in
`deletions` with who and why.

    PUT    /v1/sessions/{id}   a `Contribution` (JSON) -> 201 stored; 200 unchanged or replaced; 422 refused;
                               429/413 over the contributor's quota; 503 busy (Retry-After)
    DELETE /v1/sessions/{id}   -> 200 {"removed": true|false}; recorded either way
    GET    /v1/health          open: {"farol": version, "schema_version": n}
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import secrets
import shutil
import sqlite3
import tempfile
import threading
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, Literal

import sqlite_utils
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from agent import __version__
from agent.store import PRIVATE_DIR, Store, TrajectoryNotFound
from agent.trajectory import SCHEMA_VERSION, Trajectory, utcnow
from bridge.contribution import Refused, accepted, is_session_id, read_contribution
from bridge.gate import Door, Gate

log = logging.getLogger(__name__)

MB = 1024 * 1024
DEFAULT_MAX_UPLOAD_MB = 256
DEFAULT_UPLOADS_AT_ONCE = 2  # each one holds about three times its body in memory while it is checked
DEFAULT_QUOTA_SESSIONS = 5000
DEFAULT_QUOTA_MB = 10 * 1024
RETRY_AFTER_SECONDS = 30
PRUNE_EVERY_SECONDS = 3600
SHARED_SOURCE = "shared"
CONTRIBUTOR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
NOT_A_SESSION_ID = "not a session id: Farol's session ids are 32 lowercase hex digits"
Received = Literal["stored", "unchanged", "replaced"]


@dataclass(frozen=True)
class Quota:
    """What one contributor may keep here at once."""

    sessions: int = DEFAULT_QUOTA_SESSIONS
    bytes: int = DEFAULT_QUOTA_MB * MB


@dataclass(frozen=True)
class Limits:
    max_body: int = DEFAULT_MAX_UPLOAD_MB * MB
    at_once: int = DEFAULT_UPLOADS_AT_ONCE
    quota: Quota = field(default_factory=Quota)
    retention: timedelta | None = None  # sessions received longer ago are deleted; None keeps them


class NotYours(Exception):
    """The session id belongs to another contributor's session."""


class OverQuota(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class BodyTooLarge(Exception):
    """The body grew past the cap while it was read (its declared length, if any, did not say so)."""


def key_hash(key: str) -> str:
    """Keys are 32 random bytes, so a plain sha256 is as good as a slow hash for finding and checking them."""
    return hashlib.sha256(key.encode()).hexdigest()


def as_received(trajectory: Trajectory, contributor: str, received_at: datetime) -> Trajectory:
    """What the collector keeps: who sent it and when, and that it is a shared session. A sender's verifier
    scores are dropped, so a shared session can never pass for synthetic data a verifier kept."""
    provenance = trajectory.provenance.model_copy(
        update={"source": SHARED_SOURCE, "contributor": contributor, "received_at": received_at}
    )
    return trajectory.model_copy(update={"provenance": provenance, "verifier_scores": {}, "verifier_reasons": {}})


class Collector:
    """The collector's store: an ordinary `Store`, plus its contributors, who sent what, the exports made from
    it, and the deletions carried out."""

    def __init__(self, path: Path) -> None:
        self.store = Store(path)
        self.incoming = path.parent / "incoming"  # upload bodies on their way in, on disk rather than in memory
        self.incoming.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        # Its own connection: a key lookup at the door never waits behind a long upload on the store's.
        self.db = sqlite_utils.Database(sqlite3.connect(path, check_same_thread=False, timeout=30))
        self._query = threading.Lock()  # one statement at a time on our connection
        self._writing = threading.Lock()  # one upload or deletion at a time
        self._create_tables()

    def _create_tables(self) -> None:
        """If missing: `farol collector` commands may run while it serves."""
        self.db["contributors"].create(
            {"name": str, "key_hash": str, "created_at": str, "revoked_at": str}, pk="name", if_not_exists=True
        )
        self.db["contributors"].create_index(["key_hash"], unique=True, if_not_exists=True)
        self.db["contributions"].create(
            {"trajectory_id": str, "contributor": str, "fingerprint": str, "received_at": str, "bytes": int},
            pk="trajectory_id",
            if_not_exists=True,
        )
        self.db["deletions"].create(
            {
                "id": int,
                "trajectory_id": str,
                "contributor": str,
                "requested_at": str,
                "removed": int,
                "by": str,  # the contributor's name, "operator", "retention" or "collector"
                "reason": str,
            },
            pk="id",
            if_not_exists=True,
        )
        self.db["exports"].create(
            {"trajectory_id": str, "path": str, "exported_at": str}, pk=("trajectory_id", "path"), if_not_exists=True
        )
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        """Collectors made before these columns existed get them, empty."""
        added = (("contributors", "revoked_at", str), ("contributions", "bytes", int))
        for table, column, kind in (*added, ("deletions", "by", str), ("deletions", "reason", str)):
            if column not in self.db[table].columns_dict:
                self.db[table].add_column(column, kind)

    def _rows(self, sql: str, args: list[Any] | None = None) -> list[dict[str, Any]]:
        with self._query:
            return list(self.db.query(sql, args or []))

    # -- before serving --------------------------------------------------------------------------

    def tidy(self) -> None:
        """Only before serving (while it serves, a session being written looks like both): remove the sessions a
        crash cut short, and the screenshot files no session uses."""
        self.remove_partial()
        self._sweep_screenshots()

    def remove_partial(self) -> None:
        """Sessions whose writing a crash cut short have rows but no `contributions` row: they never arrived."""
        received = {row["trajectory_id"] for row in self._rows("select trajectory_id from contributions")}
        for row in self.store.list():
            if row["id"] not in received:
                self.store.delete(row["id"])
                self._log_deletion(row["id"], None, True, "collector", "its upload was cut short")

    def _sweep_screenshots(self) -> None:
        """Files no step names (or half-written ones): what a crash between a session's files and rows left."""
        used = {row["screenshot"] for row in self._rows("select distinct screenshot from steps")}
        unused = [
            path
            for path in self.store.screenshot_dir.rglob("*")
            if path.is_file() and (path.suffix != ".png" or path.stem not in used)
        ]
        for path in unused:
            path.unlink(missing_ok=True)
        if unused:
            reason = f"{len(unused)} screenshot file(s) no session uses, found at start"
            self._log_deletion(None, None, True, "collector", reason)

    # -- contributors ------------------------------------------------------------------------------

    def add_contributor(self, name: str, *, new_key: bool = False) -> str:
        """A new contributor (or, with `new_key`, a new key for one, revoked or not): the key, shown only now."""
        if not CONTRIBUTOR_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a contributor name: letters, digits and _.@- (up to 64)")
        exists = bool(self._rows("select name from contributors where name = ?", [name]))
        if exists and not new_key:
            raise ValueError(f"{name} is already a contributor; --new-key replaces their key")
        if new_key and not exists:
            raise ValueError(f"{name} is not a contributor yet")
        key = "farol_" + secrets.token_urlsafe(32)
        row = {"name": name, "key_hash": key_hash(key), "created_at": utcnow().isoformat(), "revoked_at": None}
        with self._query, self.db.conn:
            self.db["contributors"].upsert(row, pk="name")
        return key

    def revoke(self, name: str) -> None:
        """Refuse the contributor's key from now on (their sessions stay; `delete_contributor` removes them)."""
        with self._query, self.db.conn:
            revoked = self.db.execute(
                "update contributors set revoked_at = ? where name = ? and revoked_at is null",
                [utcnow().isoformat(), name],
            ).rowcount
        if not revoked:
            raise ValueError(f"{name} is not a contributor with a key in use")

    def contributor_for(self, key: str) -> str | None:
        rows = self._rows("select name from contributors where key_hash = ? and revoked_at is null", [key_hash(key)])
        return rows[0]["name"] if rows else None

    # -- contributions ------------------------------------------------------------------------------

    def check_quota(self, contributor: str, trajectory_id: str, size: int, quota: Quota) -> None:
        """`OverQuota` if keeping this session (`size` bytes, replacing any version of it) would go past it."""
        held = self._rows(
            "select count(*) as sessions, coalesce(sum(bytes), 0) as bytes from contributions "
            "where contributor = ? and trajectory_id != ?",
            [contributor, trajectory_id],
        )[0]
        if held["sessions"] >= quota.sessions:
            raise OverQuota(
                429, f"you keep {held['sessions']} sessions here, the most one contributor may; none is taken now"
            )
        if held["bytes"] + size > quota.bytes:
            raise OverQuota(
                413,
                f"this session would take your uploads here past {quota.bytes} bytes, the most one contributor "
                "may keep",
            )

    def receive(
        self, contributor: str, trajectory: Trajectory, screenshots: dict[str, bytes], size: int, quota: Quota
    ) -> Received:
        """Store a checked contribution once; a changed one (the session went on) replaces the old one."""
        fingerprint = hashlib.sha256(trajectory.model_dump_json().encode()).hexdigest()
        with self._writing:
            previous = self._contribution(trajectory.id)
            if previous is not None and previous["contributor"] != contributor:
                raise NotYours(trajectory.id)
            if previous is not None and previous["fingerprint"] == fingerprint:
                return "unchanged"
            self.check_quota(contributor, trajectory.id, size, quota)  # again, now its size is known
            self._forget(trajectory.id)  # the older version, or what a failed write left
            received_at = utcnow()
            self.store.save(as_received(trajectory, contributor, received_at), screenshots)
            row = {
                "trajectory_id": trajectory.id,
                "contributor": contributor,
                "fingerprint": fingerprint,
                "received_at": received_at.isoformat(),
                "bytes": size,
            }
            with self._query, self.db.conn:
                self.db["contributions"].insert(row)
            return "replaced" if previous is not None else "stored"

    def withdraw(self, contributor: str, trajectory_id: str) -> bool:
        """Remove a contributor's session, if it is here; record the deletion either way."""
        with self._writing:
            previous = self._contribution(trajectory_id)
            if previous is not None and previous["contributor"] != contributor:
                raise NotYours(trajectory_id)
            if previous is not None:
                self._forget(trajectory_id)
            self._log_deletion(trajectory_id, contributor, previous is not None, contributor, "withdrawn by its sender")
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
        for row in self._rows("select path from exports where trajectory_id = ?", [trajectory_id]):
            shutil.rmtree(row["path"], ignore_errors=True)
        with self._query, self.db.conn:
            self.db["exports"].delete_where("trajectory_id = ?", [trajectory_id])

    def _log_deletion(
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
        with self._query, self.db.conn:
            self.db["deletions"].insert(row)

    # -- for the people who run it ---------------------------------------------------------------

    def delete_contributor(self, contributor: str, reason: str) -> int:
        """Remove every session the contributor sent (and their files and exports); how many there were."""
        with self._writing:
            rows = self._rows("select trajectory_id from contributions where contributor = ?", [contributor])
            for row in rows:
                self._forget(row["trajectory_id"])
                self._log_deletion(row["trajectory_id"], contributor, True, "operator", reason)
        return len(rows)

    def prune(self, retention: timedelta) -> int:
        """Remove the sessions received longer than `retention` ago; how many there were."""
        cutoff = (utcnow() - retention).isoformat()
        reason = f"received more than {retention.days} day(s) ago (the retention period)"
        with self._writing:
            rows = self._rows("select * from contributions where received_at < ?", [cutoff])
            for row in rows:
                self._forget(row["trajectory_id"])
                self._log_deletion(row["trajectory_id"], row["contributor"], True, "retention", reason)
        return len(rows)

    def record_export(self, trajectory_id: str, folder: Path) -> None:
        """An export is a copy: deleting the session later removes it too."""
        row = {"trajectory_id": trajectory_id, "path": str(folder.resolve()), "exported_at": utcnow().isoformat()}
        with self._query, self.db.conn:
            self.db["exports"].upsert(row, pk=("trajectory_id", "path"))

    def deletions(self) -> list[dict[str, Any]]:
        """The deletion log, newest first."""
        return self._rows("select * from deletions order by id desc")

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


class StreamingGate(Gate):
    """The same door, but the body streams on to the collector (which writes it to disk) instead of being held in
    memory first; past the cap, reading it raises `BodyTooLarge`."""

    async def _forward_capped(self, scope: Scope, receive: Receive, send: Send) -> None:
        size = 0

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            size += len(message.get("body", b""))
            if size > self.door.max_body:
                raise BodyTooLarge
            return message

        await self.app(scope, counted, send)


class _Slots:
    """How many uploads are being taken now (all on the event loop's thread, so a plain count)."""

    def __init__(self, size: int) -> None:
        self.size, self.busy = size, 0

    @property
    def full(self) -> bool:
        return self.busy >= self.size

    def __enter__(self) -> None:
        self.busy += 1

    def __exit__(self, *exc_info: object) -> None:
        self.busy -= 1


def create_collector_app(collector: Collector, limits: Limits | None = None) -> FastAPI:
    limits = limits or Limits()
    slots = _Slots(limits.at_once)

    @contextlib.asynccontextmanager
    async def retention(app: FastAPI) -> AsyncIterator[None]:
        pruning = asyncio.create_task(_prune_every(collector, limits.retention)) if limits.retention else None
        yield
        if pruning is not None:
            pruning.cancel()

    app = FastAPI(
        title="Farol collector",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=retention,
    )

    @app.get("/v1/health")
    def health() -> dict[str, Any]:
        return {"farol": __version__, "schema_version": SCHEMA_VERSION}

    @app.put("/v1/sessions/{trajectory_id}")
    async def receive(trajectory_id: str, request: Request) -> JSONResponse:
        contributor = request.state.caller
        _require_session_id(trajectory_id)
        declared = int(request.headers.get("content-length") or 0)  # the Gate checked it is a number
        await asyncio.to_thread(collector.check_quota, contributor, trajectory_id, declared, limits.quota)
        if slots.full:
            raise HTTPException(
                503, "the collector is taking other uploads; try again soon", {"Retry-After": str(RETRY_AFTER_SECONDS)}
            )
        with slots, tempfile.TemporaryFile(dir=collector.incoming) as body:  # unnamed: gone even after a crash
            try:
                async for chunk in request.stream():
                    body.write(chunk)
            except ClientDisconnect:  # the upload stopped mid-body: nothing was stored, nobody to answer
                return JSONResponse({"detail": "the upload was interrupted"}, status_code=400)
            body.seek(0)
            result = await asyncio.to_thread(_receive, collector, contributor, trajectory_id, body, limits.quota)
        return JSONResponse({"result": result}, status_code=201 if result == "stored" else 200)

    @app.delete("/v1/sessions/{trajectory_id}")
    async def withdraw(trajectory_id: str, request: Request) -> dict[str, bool]:
        _require_session_id(trajectory_id)
        try:
            removed = await asyncio.to_thread(collector.withdraw, request.state.caller, trajectory_id)
        except NotYours:
            raise HTTPException(409, "this session was contributed by someone else") from None
        return {"removed": removed}

    @app.exception_handler(Refused)
    async def refused(request: Request, error: Refused) -> Response:
        return JSONResponse({"detail": str(error)}, status_code=422)

    @app.exception_handler(OverQuota)
    async def over_quota(request: Request, error: OverQuota) -> Response:
        return JSONResponse({"detail": str(error)}, status_code=error.status)

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, error: BodyTooLarge) -> Response:
        return JSONResponse({"detail": f"request bodies are limited to {limits.max_body} bytes"}, status_code=413)

    door = Door(
        identify=collector.contributor_for,
        protected="/v1/",
        open_paths=frozenset({"/v1/health"}),
        credential="contributor key",
        max_body=limits.max_body,
        loopback_only=False,
    )
    app.add_middleware(StreamingGate, door=door)
    return app


def _require_session_id(trajectory_id: str) -> None:
    """Checked before the id is looked up or used anywhere (it becomes a folder name in exports)."""
    if not is_session_id(trajectory_id):
        raise HTTPException(422, NOT_A_SESSION_ID)


def _receive(collector: Collector, contributor: str, trajectory_id: str, body: IO[bytes], quota: Quota) -> Received:
    trajectory, screenshots = accepted(read_contribution(body.read()))
    if trajectory.id != trajectory_id:
        raise Refused(f"the record is session {trajectory.id}, not {trajectory_id}")
    try:
        return collector.receive(contributor, trajectory, screenshots, body.tell(), quota)
    except NotYours:
        raise HTTPException(409, "this session id was contributed by someone else") from None


async def _prune_every(collector: Collector, retention: timedelta) -> None:
    """At start, then every hour, for as long as it serves."""
    while True:
        try:
            await asyncio.to_thread(collector.prune, retention)
        except Exception:  # a bad pass (the database busy) must not end pruning
            log.exception("pruning failed")
        await asyncio.sleep(PRUNE_EVERY_SECONDS)
