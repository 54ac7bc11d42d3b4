"""A checkpoint used in-process: `farol run --model-path` (what `farol train sft` writes, or the tiny model)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from agent.store import Store

FAROL = Path(sys.executable).parent / "farol"


def test_farol_run_uses_a_checkpoint_in_process(site, tiny_model, tmp_path):
    db = tmp_path / "farol.db"
    args = ["run", "Find the answer", "--start-url", site.url("page2.html"), "--model-path", str(tiny_model)]
    result = subprocess.run([str(FAROL), *args, "--db", str(db)], capture_output=True, text=True, timeout=300)
    # Random weights write noise: the loop records both unreadable replies and stops, as with any model.
    assert result.returncode == 2 and "could not be parsed twice" in result.stderr, result.stdout + result.stderr
    trajectory = Store(db).load(Store(db).list()[0]["id"])
    assert trajectory.provenance.model == tiny_model.name and len(trajectory.steps) == 2
    assert all(step.tokens.prompt_tokens > 0 for step in trajectory.steps)


def test_a_folder_that_is_not_a_checkpoint_is_refused(site, tmp_path):
    args = [
        "run",
        "x",
        "--start-url",
        site.url("page2.html"),
        "--model-path",
        str(tmp_path),
        "--db",
        str(tmp_path / "f.db"),
    ]
    result = subprocess.run([str(FAROL), *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "not a model checkpoint" in result.stderr
