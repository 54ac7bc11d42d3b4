"""The flywheel on one CPU machine, as a person runs it: synthetic data from the sandbox, a dataset, a fine-tuned
tiny model, and that model evaluated on the sandbox, each step through the `farol` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FAROL = Path(sys.executable).parent / "farol"


def farol(*args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(FAROL), *args], capture_output=True, text=True, timeout=timeout)
    assert result.returncode in (0, 1), f"farol {' '.join(args)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.mark.full
def test_datagen_then_build_data_then_sft_then_eval(tiny_model, tmp_path):
    farol(
        "datagen",
        "run",
        "--sites",
        "sandbox",
        "--n",
        "2",
        "--tasks",
        "information_seeking",
        "--out",
        str(tmp_path / "gen"),
    )
    farol(
        "train",
        "build-data",
        "--db",
        str(tmp_path / "gen" / "farol.db"),
        "--out",
        str(tmp_path / "data"),
        "--eval-fraction",
        "0",
    )
    manifest = json.loads((tmp_path / "data" / "manifest.json").read_text())
    assert manifest["trajectories"]["datagen"] >= 1 and manifest["samples"]["train"]["datagen"] >= 2
    assert manifest["samples"]["train"]["grounding"] > 0  # the auxiliary sets came along

    (tmp_path / "sft.toml").write_text(
        f'model = "{tiny_model}"\ndata = "{tmp_path / "data"}"\noutput_dir = "{tmp_path / "sft"}"\n'
        'deepspeed = "zero2"\nmax_steps = 2\nbf16 = false\nsave_steps = 100\ndataloader_workers = 0\n'
    )  # no max_pixels: a budget under the screenshots' 1428x896 is refused (their coordinates are in those pixels)
    farol("train", "sft", "--config", str(tmp_path / "sft.toml"))
    final = tmp_path / "sft" / "final"
    assert (final / "model.safetensors").exists()

    result = farol(
        "eval",
        "run",
        "--suite",
        "sandbox",
        "--tasks",
        "information_seeking-001",
        "--max-steps",
        "2",
        "--model-path",
        str(final),
        "--device",
        "cpu",
        "--out",
        str(tmp_path / "results"),
    )
    outcome = json.loads(next((tmp_path / "results").glob("run*/information_seeking-001/result.json")).read_text())
    assert outcome["task_id"] == "information_seeking-001" and outcome["steps"] >= 1  # it ran; it is not yet good
    assert "sandbox (split eval):" in result.stdout  # the eval split is what it scores
