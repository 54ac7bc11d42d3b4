"""A killed `farol datagen run` continues where it stopped and never stores a trajectory twice (offline defaults:
the sandbox's generator with a seed variation, the oracle, the checker)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.store import Store
from agent.store.database import Database
from datagen.db import DatagenDB
from datagen.records import Solved
from tests.support.records import make_trajectory

FAROL = Path(sys.executable).parent / "farol"
TASKS = "information_seeking-011,information_seeking-012,information_seeking-002"


def rows(db: Path, sql: str) -> list[tuple]:
    """What `sql` selects from the database another process is writing, through the store's one way to open it;
    nothing before the command has made its file and tables."""
    if not db.exists():
        return []
    database = Database(db)
    try:
        tables = re.findall(r"\bfrom (\w+)", sql)
        if not all(database.has_table(table) for table in tables):
            return []
        return [tuple(row.values()) for row in database.query(sql)]
    finally:
        database.close()


def start(out: Path) -> subprocess.Popen:
    command = [
        str(FAROL),
        "datagen",
        "run",
        "--sites",
        "sandbox",
        "--n",
        "4",
        "--tasks",
        TASKS,
        "--parallel",
        "1",
        "--out",
        str(out),
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_killed_run_resumes_without_storing_a_trajectory_twice(tmp_path):
    out = tmp_path / "data"
    db = out / "farol.db"
    first = start(out)
    deadline = time.monotonic() + 240
    while not rows(db, "select 1 from datagen_jobs where state = 'solved'"):
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()[0]
        time.sleep(0.2)
    first.send_signal(signal.SIGKILL)
    first.wait()
    before = dict(rows(db, "select proposal_id, trajectory_id from datagen_jobs where state = 'solved'"))
    assert len(before) == 1

    second = start(out)
    output = second.communicate(timeout=300)[0]
    assert second.returncode == 0, output
    jobs = dict(rows(db, "select proposal_id, trajectory_id from datagen_jobs where state = 'verified'"))
    trajectories = [row[0] for row in rows(db, "select id from trajectories")]
    assert len(jobs) == 4 and sorted(trajectories) == sorted(jobs.values())  # one trajectory per proposal
    assert all(jobs[proposal] == trajectory for proposal, trajectory in before.items())  # not solved again
    sources = [row[0] for row in rows(db, "select source from datagen_proposals where status = 'accepted'")]
    assert sorted(sources) == ["generator", "generator", "generator", "mutation"]
    for (data,) in rows(db, "select data from trajectories"):
        header = json.loads(data)
        assert header["verifier_scores"] == {"checker": 1.0, "kept": 1.0} and header["status"] != "running"
    report = json.loads((out / "report.json").read_text())
    assert (report["solved"], report["kept"], report["total_cost"]) == (4, 4, 0.0)
    assert report["auxiliary"]["grounding"] > 0 and report["auxiliary"]["refusal"] > 0
    assert "kept 4" in output


def test_a_half_written_trajectory_is_removed_before_its_job_runs_again(tmp_path):
    store = Store(tmp_path / "farol.db")
    db = DatagenDB(store)
    trajectory, shots = make_trajectory("red", "blue")
    first = {trajectory.steps[0].screenshot: shots[trajectory.steps[0].screenshot]}
    with pytest.raises(KeyError):  # the write stops after the first step, as a kill would stop it
        db.store_solved(Solved(proposal_id="p1", trajectory=trajectory, screenshots=first))
    assert db.job("p1")["state"] == "storing" and len(store.load(trajectory.id).steps) == 1
    assert db.clear_unfinished() == 1
    assert db.job("p1") is None and store.list() == []
    store.close()
