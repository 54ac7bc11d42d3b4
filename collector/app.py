"""The collector's HTTP API. It trusts no sender: the Gate checks the contributor's key and the declared size
before a byte of the body is read; then the contributor's quota and a free upload slot; the body streams to an
unnamed file in the data folder, and is checked (`agent/contribution.py` `accepted`: ids, approvals and masks
recomputed from the steps, image sizes from their headers) before anything is written.

    PUT    /v1/sessions/{id}   a `Contribution` (JSON) -> 201 stored; 200 unchanged or replaced; 422 refused;
                               429/413 over the contributor's quota; 503 busy (Retry-After)
    DELETE /v1/sessions/{id}   -> 200 {"removed": true|false}; recorded either way
    GET    /v1/health          open: {"farol": version, "schema_version": n}
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO, Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from agent import __version__
from agent.contribution import Contribution, Refused, accepted, first_problem, is_session_id
from agent.gate import Door, Gate
from agent.trajectory import SCHEMA_VERSION
from collector.collector import MB, Collector, NotYours, OverQuota, Quota, Received

log = logging.getLogger(__name__)

DEFAULT_MAX_UPLOAD_MB = 256
DEFAULT_UPLOADS_AT_ONCE = 2  # each one holds about three times its body in memory while it is checked
RETRY_AFTER_SECONDS = 30
PRUNE_EVERY_SECONDS = 3600
NOT_A_SESSION_ID = "not a session id: Farol's session ids are 32 lowercase hex digits"


@dataclass(frozen=True)
class Limits:
    max_body: int = DEFAULT_MAX_UPLOAD_MB * MB
    at_once: int = DEFAULT_UPLOADS_AT_ONCE
    quota: Quota = field(default_factory=Quota)
    retention: timedelta | None = None  # sessions received longer ago are deleted; None keeps them


class BodyTooLarge(Exception):
    """The body grew past the cap while it was read (its declared length, if any, did not say so)."""


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


def read_contribution(body: bytes) -> Contribution:
    try:
        return Contribution.model_validate_json(body)
    except ValidationError as error:
        raise Refused(f"not a contribution: {first_problem(error)}") from None


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
