from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.export import export_webeval
from agent.screenshot import digest_of
from agent.store import Store, TrajectoryNotFound
from agent.store.database import Database
from tests.support.fara import reply
from tests.support.records import make_trajectory, png
from tests.support.servers import Slow

FAROL = Path(sys.executable).parent / "farol"


@pytest.mark.unit
def test_round_trip(tmp_path):
    store = Store(tmp_path / "farol.db")
    trajectory, shots = make_trajectory("red", "blue")
    store.save(trajectory, shots)
    loaded = store.load(trajectory.id)
    assert loaded == trajectory
    assert store.read_screenshot(loaded.steps[1].screenshot) == png("blue")
    assert [row["id"] for row in store.list()] == [trajectory.id]
    assert store.list()[0]["steps"] == 2
    assert Database(tmp_path / "farol.db").query("pragma journal_mode") == [{"journal_mode": "wal"}]


@pytest.mark.unit
def test_delete_removes_rows_and_files_but_keeps_shared_screenshots(tmp_path):
    store = Store(tmp_path / "farol.db")
    first, first_shots = make_trajectory("red", "green")
    second, second_shots = make_trajectory("green", "white")
    store.save(first, first_shots)
    store.save(second, second_shots)
    red, green = (store.screenshot_path(digest_of(png(c))) for c in ("red", "green"))
    store.delete(first.id)
    assert not red.exists()
    assert green.exists()  # the second trajectory still uses it
    with pytest.raises(TrajectoryNotFound):
        store.load(first.id)
    store.delete(second.id)
    assert not any(store.screenshot_dir.rglob("*.png"))
    assert store.list() == [] and store.screenshots_in_use() == set()  # no trajectory row, no step row
    with pytest.raises(TrajectoryNotFound):
        store.delete(second.id)


@pytest.mark.unit
def test_newer_schema_is_refused(tmp_path):
    store = Store(tmp_path / "farol.db")
    trajectory, shots = make_trajectory("red")
    trajectory.schema_version = 99
    store.save(trajectory, shots)
    with pytest.raises(ValueError, match="upgrade farol"):
        store.load(trajectory.id)


@pytest.mark.unit
def test_export_has_the_webeval_layout(tmp_path):
    store = Store(tmp_path / "farol.db")
    trajectory, shots = make_trajectory("red", "blue")
    store.save(trajectory, shots)
    out = export_webeval(store, trajectory, tmp_path / "out")
    answer = json.loads((out / f"{trajectory.id}_final_answer.json").read_text())
    assert answer["final_answer"] == "Done" and answer["screenshots"] == ["screenshot0.png", "screenshot1.png"]
    assert answer["is_aborted"] is False and answer["token_usage"] == {"prompt_tokens": 20, "completion_tokens": 4}
    assert (out / "screenshot1.png").read_bytes() == png("blue")
    log = [json.loads(line)["message"] for line in (out / "web_surfer.log").read_text().splitlines()]
    assert log[:3] == [
        "Thought #0: t",
        'Action #0: executing tool \'computer_use\' with arguments {"action": "left_click", "coordinate": [1.0, 2.0]}',
        "Observation#0: clicked",
    ]
    assert json.loads((out / "times.json").read_text())["duration"] >= 0


def test_killing_a_running_process_loses_no_completed_step(site, model, tmp_path):
    quick = [reply(f"Move {i}.", "mouse_move", coordinate=[100 + 10 * i, 100]) for i in range(4)]
    model.add(*quick, Slow(reply("Too late.", "terminate", status="success"), delay=60))
    db = tmp_path / "farol.db"
    process = subprocess.Popen(
        [
            str(FAROL),
            "run",
            "Move around",
            "--start-url",
            site.url("page2.html"),
            "--model-url",
            model.url,
            "--db",
            str(db),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env={**os.environ},
    )
    try:
        deadline = time.monotonic() + 90
        while len(model.requests) < 5 and time.monotonic() < deadline:  # the fifth call hangs
            time.sleep(0.05)
        assert len(model.requests) == 5, "the run did not reach the slow step"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        process.kill()
    # It never finished, and its process is gone: whoever reads the store sees it interrupted.
    listed = subprocess.run([str(FAROL), "sessions", "list", "--db", str(db)], capture_output=True, text=True)
    assert "interrupted" in listed.stdout and "running" not in listed.stdout
    store = Store(db)
    trajectory = store.load(store.list()[0]["id"])
    assert trajectory.status == "interrupted" and f"({process.pid}) ended" in trajectory.reason
    assert [step.index for step in trajectory.steps] == [0, 1, 2, 3]
    assert [step.thoughts for step in trajectory.steps] == [f"Move {i}." for i in range(4)]
    for step in trajectory.steps:
        assert digest_of(store.read_screenshot(step.screenshot)) == step.screenshot
