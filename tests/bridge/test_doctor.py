"""`farol doctor` on this machine: every job's needs checked, each gap with its fix."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.servers import ScriptedModel

FAROL = Path(sys.executable).parent / "farol"


def doctor(*args: str) -> str:
    result = subprocess.run(
        [str(FAROL), "doctor", *args], capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "250"}
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_doctor_reports_this_machine():
    lines = doctor("--model-url", "http://127.0.0.1:9/v1").splitlines()

    def row(name: str) -> str:
        return next(line for line in lines if line.startswith(f"│ {name}"))

    assert "ok" in row("Chromium") and "Chromium" in row("Chromium").split("│")[4]
    assert "ok" in row("extension files") and "iffbddakgccbfdhgejllngcbapaoknnb" in row("extension files")
    assert "missing" in row("model at http://127.0.0.1:9/v1") and "vllm serve" in row("model at")
    has_vllm, has_gpu = shutil.which("vllm") is not None, shutil.which("nvidia-smi") is not None
    assert ("ok" if has_gpu else "missing") in row("GPU")
    assert ("ok" if has_vllm else "[serve]") in row("vLLM")
    assert "ok" in row("transformers + torch")


def test_doctor_sees_what_an_endpoint_serves():
    model = ScriptedModel()
    try:
        served = doctor("--model-url", model.url, "--model", "scripted")
        wrong = doctor("--model-url", model.url, "--model", "microsoft/Fara-7B")
    finally:
        model.close()
    assert "serves scripted" in served and "ok" in next(line for line in served.splitlines() if "model at" in line)
    assert "use --model scripted" in wrong
