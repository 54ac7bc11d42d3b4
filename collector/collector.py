"""The collector's data: an ordinary `Store` of the sessions received (`farol train build-data --db COLLECTOR_DB`
reads them like local ones), and its ledger (`agent/store/collector_ledger.py`): contributors, who sent what, the
exports made from it, and the deletions carried out.

What is stored says who sent it and when, and that it is a shared session (`provenance.source`), whatever the
sender claimed; a sender's verifier scores are dropped. A session is counted as received only when its
`contributions` row is written, after its rows and files; what a crash left without that row, and screenshot files
no session uses, are removed when it next starts serving. The same session sent twice is stored once. Every
deletion (by its contributor, by the people who run it, by the retention period) removes the session's rows, the
screenshot files no other session uses and its exports, and is logged with who and why.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import shutil
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from agent.store import Store, TrajectoryNotFound, private_dir
from agent.store.collector_ledger import CollectorLedger
from agent.trajectory import Trajectory, utcnow

MB = 1024 * 1024
DEFAULT_QUOTA_SESSIONS = 5000
DEFAULT_QUOTA_MB = 10 * 1024
SHARED_SOURCE = "shared"
CONTRIBUTOR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
Received = Literal["stored", "unchanged", "replaced"]


@dataclass(frozen=True)
class Quota:
    """What one contributor may keep here at once."""

    sessions: int = DEFAULT_QUOTA_SESSIONS
    bytes: int = DEFAULT_QUOTA_MB * MB


class NotYours(Exception):
    """The session id belongs to another contributor's session."""


class OverQuota(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


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
    def __init__(self, path: Path) -> None:
        self.store = Store(path)
        self.ledger = CollectorLedger(path)
        self.incoming = path.parent / "incoming"  # upload bodies on their way in, on disk rather than in memory
        private_dir(self.incoming)
        self._writing = threading.Lock()  # one upload or deletion at a time

    # -- before serving --------------------------------------------------------------------------

    def tidy(self) -> None:
        """Only before serving (while it serves, a session being written looks like both): remove the sessions a
        crash cut short, and the screenshot files no session uses."""
        self.remove_partial()
        self._sweep_screenshots()

    def remove_partial(self) -> None:
        """Sessions whose writing a crash cut short have rows but no `contributions` row: they never arrived."""
        received = {row["trajectory_id"] for row in self.ledger.contributions()}
        for row in self.store.list():
            if row["id"] not in received:
                self.store.delete(row["id"])
                self.ledger.log_deletion(row["id"], None, True, "collector", "its upload was cut short")

    def _sweep_screenshots(self) -> None:
        """Files no step names (or half-written ones): what a crash between a session's files and rows left."""
        used = self.store.screenshots_in_use()
        unused = [
            path
            for path in self.store.screenshot_dir.rglob("*")
            if path.is_file() and (path.suffix != ".png" or path.stem not in used)
        ]
        for path in unused:
            path.unlink(missing_ok=True)
        if unused:
            reason = f"{len(unused)} screenshot file(s) no session uses, found at start"
            self.ledger.log_deletion(None, None, True, "collector", reason)

    # -- contributors ------------------------------------------------------------------------------

    def add_contributor(self, name: str, *, new_key: bool = False) -> str:
        """A new contributor (or, with `new_key`, a new key for one, revoked or not): the key, shown only now."""
        if not CONTRIBUTOR_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a contributor name: letters, digits and _.@- (up to 64)")
        exists = name in self.ledger.contributors()
        if exists and not new_key:
            raise ValueError(f"{name} is already a contributor; --new-key replaces their key")
        if new_key and not exists:
            raise ValueError(f"{name} is not a contributor yet")
        key = "farol_" + secrets.token_urlsafe(32)
        self.ledger.set_key(name, key_hash(key))
        return key

    def revoke(self, name: str) -> None:
        """Refuse the contributor's key from now on (their sessions stay; `delete_contributor` removes them)."""
        if not self.ledger.revoke(name):
            raise ValueError(f"{name} is not a contributor with a key in use")

    def contributor_for(self, key: str) -> str | None:
        return self.ledger.contributor_for(key_hash(key))

    # -- contributions ------------------------------------------------------------------------------

    def check_quota(self, contributor: str, trajectory_id: str, size: int, quota: Quota) -> None:
        """`OverQuota` if keeping this session (`size` bytes, replacing any version of it) would go past it."""
        sessions, held = self.ledger.holdings(contributor, besides=trajectory_id)
        if sessions >= quota.sessions:
            raise OverQuota(429, f"you keep {sessions} sessions here, the most one contributor may; none is taken now")
        if held + size > quota.bytes:
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
            previous = self.ledger.contribution(trajectory.id)
            if previous is not None and previous["contributor"] != contributor:
                raise NotYours(trajectory.id)
            if previous is not None and previous["fingerprint"] == fingerprint:
                return "unchanged"
            self.check_quota(contributor, trajectory.id, size, quota)  # again, now its size is known
            self._forget(trajectory.id)  # the older version, or what a failed write left
            received_at = utcnow()
            self.store.save(as_received(trajectory, contributor, received_at), screenshots)
            self.ledger.add_contribution(
                {
                    "trajectory_id": trajectory.id,
                    "contributor": contributor,
                    "fingerprint": fingerprint,
                    "received_at": received_at.isoformat(),
                    "bytes": size,
                }
            )
            return "replaced" if previous is not None else "stored"

    def withdraw(self, contributor: str, trajectory_id: str) -> bool:
        """Remove a contributor's session, if it is here; record the deletion either way."""
        with self._writing:
            previous = self.ledger.contribution(trajectory_id)
            if previous is not None and previous["contributor"] != contributor:
                raise NotYours(trajectory_id)
            if previous is not None:
                self._forget(trajectory_id)
            reason = "withdrawn by its sender"
            self.ledger.log_deletion(trajectory_id, contributor, previous is not None, contributor, reason)
            return previous is not None

    def _forget(self, trajectory_id: str) -> None:
        """The `contributions` row goes first: a crash in between leaves a partial session, removed at start."""
        self.ledger.remove_contribution(trajectory_id)
        with contextlib.suppress(TrajectoryNotFound):  # a partial write may have left nothing
            self.store.delete(trajectory_id)
        for folder in self.ledger.exports(trajectory_id):
            shutil.rmtree(folder, ignore_errors=True)
        self.ledger.remove_exports(trajectory_id)

    # -- for the people who run it ---------------------------------------------------------------

    def delete_contributor(self, contributor: str, reason: str) -> int:
        """Remove every session the contributor sent (and their files and exports); how many there were."""
        with self._writing:
            rows = self.ledger.sent_by(contributor)
            for row in rows:
                self._forget(row["trajectory_id"])
                self.ledger.log_deletion(row["trajectory_id"], contributor, True, "operator", reason)
        return len(rows)

    def prune(self, retention: timedelta) -> int:
        """Remove the sessions received longer than `retention` ago; how many there were."""
        reason = f"received more than {retention.days} day(s) ago (the retention period)"
        with self._writing:
            rows = self.ledger.received_before((utcnow() - retention).isoformat())
            for row in rows:
                self._forget(row["trajectory_id"])
                self.ledger.log_deletion(row["trajectory_id"], row["contributor"], True, "retention", reason)
        return len(rows)

    def contributed(self, contributor: str | None = None) -> list[dict[str, Any]]:
        """Summaries of the sessions received, newest first, each with its contributor and received time."""
        received = {row["trajectory_id"]: row for row in self.ledger.contributions()}
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
        removed = self.ledger.removals()
        files = [path.stat().st_size for path in self.store.screenshot_dir.rglob("*.png")]
        return {
            "contributors": {
                name: {"sessions": sessions[name], "steps": steps[name], "deleted": removed[name]}
                for name in self.ledger.contributors()
            },
            "sessions": sum(sessions.values()),
            "steps": sum(steps.values()),
            "screenshots": len(files),
            "screenshot_bytes": sum(files),
        }
