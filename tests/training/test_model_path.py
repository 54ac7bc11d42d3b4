"""A checkpoint used in-process: `farol run --model-path` and `farol eval run --model-path` (what `farol train sft`
writes, or the tiny model), on the device `--device` names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app as farol_app
from agent.cli import in_process_policy
from agent.store import Store
from eval.cli import app as eval_app

FAROL = Path(sys.executable).parent / "farol"


def test_farol_run_uses_a_checkpoint_in_process(site, tiny_model, tmp_path):
    db = tmp_path / "farol.db"
    args = ["run", "Find the answer", "--start-url", site.url("page2.html"), "--model-path", str(tiny_model)]
    args += ["--device", "cpu"]
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


def test_the_device_is_where_the_model_runs(tiny_model):
    assert in_process_policy(tiny_model, "cpu").model.device.type == "cpu"
    assert in_process_policy(tiny_model).device == "cpu"  # auto: no GPU on this machine


@pytest.mark.parametrize(
    "app, command",
    [
        (farol_app, ["run", "x", "--start-url", "http://127.0.0.1:9/"]),
        (eval_app, ["run", "--suite", "sandbox", "--max-steps", "1"]),
    ],
)
def test_a_device_that_is_not_here_is_refused(app, command, tiny_model, tmp_path):
    args = [*command, "--model-path", str(tiny_model), "--device", "cuda:3"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "no CUDA device cuda:3" in result.output, result.output
