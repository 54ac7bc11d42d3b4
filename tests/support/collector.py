"""A real collector on loopback for the tests: in a thread, or as its own process (to kill it mid-queue);
and shared sessions to contribute."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import uvicorn

from agent.actions import Type
from agent.secrets import SECRET_MASK
from agent.store import Store
from agent.trajectory import Approval, Trajectory, UserTurn, utcnow
from collector.app import Limits, create_collector_app
from collector.collector import Collector
from tests.support.extension import ServerThread, free_port
from tests.support.records import make_trajectory


class CollectorThread(ServerThread):
    """`farol collector serve` in a thread; `keys` holds a key for each contributor named."""

    def __init__(
        self, db: Path, contributors: tuple[str, ...] = ("alice", "bob"), limits: Limits | None = None
    ) -> None:
        self.db, self.port = db, free_port()
        self.collector = Collector(db)
        self.keys = {name: self.collector.add_contributor(name) for name in contributors}
        app = create_collector_app(self.collector, limits)
        super().__init__(uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def held(self) -> set[str]:
        """The ids of the sessions the collector holds now."""
        return {row["id"] for row in self.collector.contributed()}


class CollectorProcess:
    """The collector's own command in a process of its own, so that it can be killed (SIGKILL) and restarted."""

    def __init__(self, db: Path, port: int) -> None:
        self.db, self.port = db, port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = "from collector.cli import app; app()"
        arguments = ["serve", "--port", str(self.port), "--db", str(self.db)]
        self.process = subprocess.Popen([sys.executable, "-c", command, *arguments], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/v1/health", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("the collector did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


def shared_session(*colours: str, task: str = "A task") -> tuple[Trajectory, dict[str, bytes]]:
    """A finished, successful, shared extension session whose last step typed a password (masked, as the loop does)."""
    trajectory, shots = make_trajectory(*colours)
    trajectory.task = task
    trajectory.user_turns.append(UserTurn(text=task, before_step=0))
    trajectory.provenance.source = "extension"
    trajectory.terminate_status = "success"
    trajectory.consent.shared, trajectory.consent.at = True, utcnow()
    last = trajectory.steps[-1]
    last.action = Type(text=SECRET_MASK, coordinate=(1, 2))
    trajectory.approvals.append(
        Approval(step=last.index, kind="guard", reason="typing into a password field", decision="approve")
    )
    return trajectory, shots


def stored_shared(store: Store, *colours: str) -> Trajectory:
    trajectory, shots = shared_session(*colours)
    store.save(trajectory, shots)
    return store.load(trajectory.id)
