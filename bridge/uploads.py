"""Uploading shared sessions to a collector, and sending a deletion when one is un-shared or deleted.

The queue is a side table of the store (`store.uploads`, `agent/store/uploads.py`), so it survives restarts: one row
per session and collector, saying what the collector should hold (`want`: the upload, or its deletion) and whether
the collector has acknowledged it (`done`). `reconcile` keeps the rows in step with the store: a session un-shared
or deleted after it was sent wants a deletion, one that went on after it was sent (a follow-up) wants sending again,
and with automatic uploads every session shared after they were turned on (unless the person asked for the earlier
ones too) that has ended wants sending. Failures are retried with backoff; a refusal (the collector says what is
wrong with the session) waits until the session changes; a refused key stops everything for that collector until the
person gives a new one. The collector keeps a session once however often it arrives, so a retry after a lost answer
never duplicates it.

Keys live in the data folder (`collector.json`, 0600), one per collector used, so a deletion can be sent
later by any Farol process; the same file may name the collector automatic uploads go to, since when, and the
collectors that refused their key.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel

from agent import __version__
from agent.contribution import Contribution, Refused, accepted, contribution_of
from agent.gate import is_loopback_host
from agent.store import Store, TrajectoryNotFound, write_private
from agent.store.uploads import UploadRow, Want
from agent.trajectory import utcnow

log = logging.getLogger(__name__)

UploadState = Literal["queued", "retrying", "uploaded", "refused", "withdrawing", "withdrawn"]
Outcome = Literal["uploaded", "unchanged", "withdrawn", "refused", "failed", "waiting"]
REFUSALS = {409, 413, 422}  # the collector will never take this version of the session: do not retry it
KEY_REFUSALS = {401, 403}  # the collector will take nothing with this key: do not retry anything there
KEY_REFUSED = (
    "the collector refused this computer's key; get a new key from the people who run it and run "
    "`farol sessions upload --key NEW_KEY`"
)


class UploadStatus(BaseModel):
    """A session's upload as the panel's History shows it."""

    state: UploadState
    collector: str
    error: str | None = None


@dataclass(frozen=True)
class Backoff:
    first: float = 2.0
    cap: float = 600.0

    def delay(self, attempts: int) -> float:
        return min(self.cap, self.first * 2.0 ** max(0, attempts - 1))


def normal_url(url: str) -> str:
    return url.strip().rstrip("/")


def collector_url(url: str) -> str:
    """A collector's base URL, checked: https, or plain http to this machine only (a key must not travel in clear)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"{url!r} is not a collector URL: use https://HOST[:PORT][/PATH]")
    if parts.scheme == "http" and not is_loopback_host(parts.netloc):
        raise ValueError(f"{url} is plain http: use https:// (your key would cross the network in clear)")
    return normal_url(url)


class KeyRing:
    """`collector.json` in the data folder: each collector's key, and where automatic uploads go (if anywhere)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "collector.json"

    def _read(self) -> dict[str, Any]:
        try:
            settings: dict[str, Any] = json.loads(self.path.read_text())
            return settings
        except FileNotFoundError:
            return {"auto": None, "keys": {}}
        except (OSError, ValueError) as error:
            raise ValueError(f"{self.path} is not readable collector settings ({error}); fix or remove it") from None

    def _write(self, settings: dict[str, Any]) -> None:
        write_private(self.path, json.dumps(settings, indent=2).encode())

    def key_for(self, url: str) -> str | None:
        key: str | None = self._read().get("keys", {}).get(normal_url(url))
        return key

    def remember(self, url: str, key: str) -> None:
        """Keep the key given for a collector; giving one (a new one, or the same again) retries a refused key."""
        settings = self._read()
        url = normal_url(url)
        if settings.get("keys", {}).get(url) != key or url in settings.get("refused", []):
            settings.setdefault("keys", {})[url] = key
            settings["refused"] = [refused for refused in settings.get("refused", []) if refused != url]
            self._write(settings)

    @property
    def auto(self) -> str | None:
        return self._read().get("auto")

    def known(self) -> list[str]:
        """The collectors a key is kept for."""
        return sorted(self._read().get("keys", {}))

    def set_auto(self, url: str | None, *, include_earlier: bool = False) -> None:
        """Where shared sessions go by themselves (None: nowhere): those shared from now on, or (`include_earlier`)
        every shared session. Naming the collector they already go to keeps its time unless `include_earlier`."""
        settings = self._read()
        url = normal_url(url) if url else None
        since = settings.setdefault("auto_since", {})
        if url != settings.get("auto"):
            since.pop(settings.get("auto") or "", None)
        if url and (include_earlier or url not in since):
            since[url] = None if include_earlier else utcnow().isoformat()
        self._write({**settings, "auto": url})

    def shared_after(self, url: str) -> datetime | None:
        """Automatic uploads to `url` take the sessions shared after this time (None: every shared session). The
        first time a collector is used for them without `set_auto` (`farol serve --collector-url`), that is now."""
        settings = self._read()
        since = settings.setdefault("auto_since", {})
        if normal_url(url) not in since:
            since[normal_url(url)] = utcnow().isoformat()
            self._write(settings)
        recorded = since[normal_url(url)]
        return datetime.fromisoformat(recorded) if recorded else None

    def refuse(self, url: str) -> None:
        """The collector refused the key kept for it: nothing more is sent there until a key is given again."""
        settings = self._read()
        if normal_url(url) not in settings.get("refused", []):
            settings.setdefault("refused", []).append(normal_url(url))
            self._write(settings)

    def refused(self) -> set[str]:
        """The collectors that refused the key kept for them."""
        return set(self._read().get("refused", []))


class UploadQueue:
    """What to send where, over the store's `uploads` rows: planned, reconciled with the sessions, and settled as
    each attempt goes."""

    def __init__(self, store: Store) -> None:
        self.store, self.table = store, store.uploads
        self._shared_at: dict[str, datetime | None] = {}  # each shared session's consent time, read once

    def want(self, trajectory_id: str, collector: str, want: Want) -> None:
        self.table.put(trajectory_id, collector, want=want, done=0, refused=0, attempts=0, next_try=0.0, error=None)

    def plan(self, collector: str, trajectory_ids: list[str], *, again: bool = True) -> None:
        """These sessions should be at `collector`: new ones, withdrawn ones, and (with `again`) refused ones."""
        held = {row["trajectory_id"]: row for row in self.table.rows(collector)}
        for trajectory_id in trajectory_ids:
            row = held.get(trajectory_id)
            if row is None or row["want"] == "delete" or (again and row["refused"]):
                self.want(trajectory_id, collector, "upload")

    def reconcile(self, auto: str | None = None, shared_after: datetime | None = None) -> None:
        """Bring the rows in step with the store (see the module's docstring); with `auto`, plan the sessions
        shared after `shared_after` (all shared sessions when it is None)."""
        sessions = {row["id"]: row for row in self.store.list()}
        for row in self.table.rows():
            session = sessions.get(row["trajectory_id"])
            key = (row["trajectory_id"], row["collector"])
            if row["want"] == "delete":
                if row["done"] and session is None:
                    self.table.drop(*key)  # carried out, and no session left here to show it on
            elif session is None or not session["shared"]:
                if row["sent"]:
                    self.want(*key, "delete")
                else:  # never sent: the collector cannot hold it
                    self.table.drop(*key)
            elif _changed_since_answered(row, session):
                self.want(*key, "upload")  # the session went on after it was sent (or refused)
        if auto:
            self._plan_auto(auto, shared_after, sessions)

    def _plan_auto(self, auto: str, shared_after: datetime | None, sessions: dict[str, dict[str, Any]]) -> None:
        """Sessions shared (and ended) that `auto` does not hold yet, if they were shared after `shared_after`."""
        shared = {sid for sid, session in sessions.items() if session["shared"]}
        self._shared_at = {sid: at for sid, at in self._shared_at.items() if sid in shared}  # un-shared: read again
        held = {row["trajectory_id"] for row in self.table.rows(auto, want="upload")}
        new = [sid for sid in shared if sid not in held and _ended(sessions[sid])]
        self.plan(auto, [sid for sid in new if self._shared_after(sid, shared_after)], again=False)

    def _shared_after(self, trajectory_id: str, moment: datetime | None) -> bool:
        if moment is None:
            return True
        if trajectory_id not in self._shared_at:
            try:
                self._shared_at[trajectory_id] = self.store.load(trajectory_id).consent.at
            except TrajectoryNotFound:  # deleted meanwhile: the next pass sees it gone
                return False
        shared_at = self._shared_at[trajectory_id]
        return shared_at is not None and shared_at >= moment

    def hold_for_key(self, refused: set[str]) -> None:
        """Rows for a collector that refused the key wait, saying so; once a key is given again, they go."""
        self.table.hold_for_key(refused, KEY_REFUSED)

    def succeeded(self, row: UploadRow, version: str | None = None) -> None:
        self.table.settle(row, done=1, attempts=0, error=None, version=version or row["version"])

    def failed(self, row: UploadRow, error: str, backoff: Backoff) -> None:
        attempts = row["attempts"] + 1
        self.table.settle(row, attempts=attempts, next_try=time.time() + backoff.delay(attempts), error=error)

    def refused(self, row: UploadRow, reason: str, version: str | None) -> None:
        self.table.settle(row, refused=1, error=reason, version=version)

    def key_refused(self, row: UploadRow) -> None:
        self.table.settle(row, refused=1, error=KEY_REFUSED)

    def mark_sent(self, row: UploadRow) -> None:
        self.table.put(row["trajectory_id"], row["collector"], sent=1)

    def statuses(self) -> dict[str, UploadStatus]:
        """Each session's newest upload state (a session sent to several collectors shows the latest)."""
        statuses = {}
        for row in sorted(self.table.rows(), key=lambda row: row["updated_at"]):
            statuses[row["trajectory_id"]] = UploadStatus(
                state=_state(row), collector=row["collector"], error=row["error"]
            )
        return statuses


def _ended(session: dict[str, Any]) -> bool:
    return str(session["status"]) != "running"


def _changed_since_answered(row: UploadRow, session: dict[str, Any]) -> bool:
    """The collector answered this row (took or refused the session) and the session went on since; a refused
    key is not an answer about the session."""
    answered = row["done"] or (row["refused"] and row["error"] != KEY_REFUSED)
    return bool(answered) and _ended(session) and row["version"] != session["updated_at"]


def _state(row: UploadRow) -> UploadState:
    if row["want"] == "delete":
        return "withdrawn" if row["done"] else "withdrawing"
    if row["done"]:
        return "uploaded"
    if row["refused"]:
        return "refused"
    return "retrying" if row["attempts"] else "queued"


class Uploader:
    """Works through the queue: reconcile, then send what is due, one request at a time."""

    def __init__(
        self,
        store: Store,
        keys: KeyRing,
        *,
        auto: str | None = None,
        backoff: Backoff | None = None,
        interval: float = 2.0,
    ) -> None:
        self.store, self.keys, self.queue = store, keys, UploadQueue(store)
        self._auto = normal_url(auto) if auto else None
        if self._auto:  # what is shared from now on goes there (see `KeyRing.shared_after`)
            keys.shared_after(self._auto)
        self.backoff = backoff or Backoff()
        self.interval = interval

    @property
    def auto(self) -> str | None:
        """Where shared sessions go by themselves: the collector given at start, else the data folder's."""
        return self._auto or self.keys.auto

    def use(self, collector: str | None, *, include_earlier: bool = False) -> None:
        """Send sessions shared from now on (`include_earlier`: and those shared before) to `collector` (None:
        nowhere), as the panel's Settings ask."""
        if collector != self.auto or include_earlier:
            self._auto = None
            self.keys.set_auto(collector, include_earlier=include_earlier)

    async def run(self) -> None:
        """The bridge's background task: a pass every `interval` seconds, for as long as the bridge runs."""
        while True:
            try:
                await self.step()
            except Exception:  # a bad pass (the database busy, a broken settings file) must not end uploading
                log.exception("upload pass failed")
            await asyncio.sleep(self.interval)

    async def step(self) -> dict[str, Outcome]:
        """One pass of the bridge's: reconcile the queue (with automatic uploads), then try each row that is due."""
        return await self._pass(None, self.auto)

    async def _pass(self, collector: str | None, auto: str | None) -> dict[str, Outcome]:
        await asyncio.to_thread(self._reconcile, auto)
        tried = await self._attempt_all(await asyncio.to_thread(self.queue.table.due, collector))
        return {row["trajectory_id"]: outcome for row, outcome in tried}

    def _reconcile(self, auto: str | None) -> None:
        self.queue.reconcile(auto, self.keys.shared_after(auto) if auto else None)
        self.queue.hold_for_key(self.keys.refused())

    async def follow(self, trajectory_id: str) -> dict[str, Outcome]:
        """Send now what un-sharing or deleting this session calls for, per collector; the rest of the queue waits."""
        await asyncio.to_thread(self._reconcile, None)
        due = await asyncio.to_thread(self.queue.table.due)
        tried = await self._attempt_all([row for row in due if row["trajectory_id"] == trajectory_id])
        return {row["collector"]: outcome for row, outcome in tried}

    async def _attempt_all(self, rows: list[UploadRow]) -> list[tuple[UploadRow, Outcome]]:
        if not rows:
            return []
        async with httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=10.0)) as client:
            return [(row, await self._attempt(client, row)) for row in rows]

    async def drain(self, collector: str, attempts: int) -> dict[str, Outcome]:
        """Passes for `collector` (what is planned, no automatic uploads) until nothing is pending there or each
        pending row has had `attempts` tries."""
        outcomes: dict[str, Outcome] = {}
        while True:
            outcomes |= await self._pass(collector, None)
            pending = self.queue.table.pending(collector)
            if not pending or all(row["attempts"] >= attempts for row in pending):
                return outcomes
            soonest = min(row["next_try"] for row in pending if row["attempts"] < attempts)
            await asyncio.sleep(max(0.0, soonest - time.time()))

    async def _attempt(self, client: httpx.AsyncClient, row: UploadRow) -> Outcome:
        collector, trajectory_id = row["collector"], row["trajectory_id"]
        if collector in self.keys.refused():  # refused earlier in this pass
            await asyncio.to_thread(self.queue.key_refused, row)
            return "refused"
        key = self.keys.key_for(collector)
        if key is None:
            await asyncio.to_thread(self.queue.failed, row, f"no key for {collector}", self.backoff)
            return "failed"
        headers = {"Authorization": f"Bearer {key}", "User-Agent": f"farol/{__version__}"}
        url = f"{collector}/v1/sessions/{trajectory_id}"
        version = None
        try:
            if row["want"] == "delete":
                response = await client.delete(url, headers=headers)
            else:
                contribution = await asyncio.to_thread(self._contribution, trajectory_id)
                if contribution is None:  # running again (or gone: the next reconcile sees to it)
                    await asyncio.to_thread(
                        self.queue.failed, row, "the session is running; sent when it ends", self.backoff
                    )
                    return "waiting"
                version = contribution.trajectory["updated_at"]
                body = await asyncio.to_thread(_checked_body, contribution)
                await asyncio.to_thread(self.queue.mark_sent, row)
                response = await client.put(url, content=body, headers={**headers, "Content-Type": "application/json"})
        except Refused as refusal:
            await asyncio.to_thread(self.queue.refused, row, str(refusal), version)
            return "refused"
        except httpx.HTTPError as error:
            await asyncio.to_thread(self.queue.failed, row, f"{collector} cannot be reached ({error!r})", self.backoff)
            return "failed"
        if response.is_success:
            await asyncio.to_thread(self.queue.succeeded, row, version)
            if row["want"] == "delete":
                return "withdrawn"
            return "unchanged" if response.json().get("result") == "unchanged" else "uploaded"
        detail = _detail(response)
        if response.status_code in KEY_REFUSALS:
            await asyncio.to_thread(self.keys.refuse, collector)
            await asyncio.to_thread(self.queue.key_refused, row)
            return "refused"
        if response.status_code in REFUSALS:
            await asyncio.to_thread(self.queue.refused, row, detail, version)
            return "refused"
        await asyncio.to_thread(self.queue.failed, row, detail, self.backoff)
        return "failed"

    def _contribution(self, trajectory_id: str) -> Contribution | None:
        """What sharing this session hands over, if it is still shared and has ended."""
        try:
            trajectory = self.store.load(trajectory_id)
        except TrajectoryNotFound:
            return None
        if not trajectory.consent.shared or trajectory.status == "running":
            return None
        return contribution_of(self.store, trajectory)


def _checked_body(contribution: Contribution) -> str:
    """The request body, once it passes the collector's own checks: a session it would refuse is not sent."""
    accepted(contribution)
    return contribution.model_dump_json()


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    return f"HTTP {response.status_code}: {detail or response.reason_phrase}"
