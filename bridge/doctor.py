"""`farol doctor`: what this machine has and lacks for each of Farol's jobs, each gap with its fix."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from dataclasses import dataclass

import httpx
from rich.markup import escape
from rich.table import Table

from agent.options import ModelName, ModelUrl
from agent.playwright_env import CHROMIUM
from agent.policy import DEFAULT_MODEL, DEFAULT_MODEL_URL, vllm_hint
from agent.terminal import console
from bridge.browser import EXTENSION_DIR
from bridge.model_server import INSTALL_HINT, gpu_count
from bridge.pairing import EXTENSION_ID


@dataclass(frozen=True)
class Finding:
    what: str
    needed_for: str
    ok: bool
    detail: str
    fix: str = ""


def doctor(
    model_url: ModelUrl = DEFAULT_MODEL_URL,
    model: ModelName = DEFAULT_MODEL,
) -> None:
    """Check this machine for each job (browser, extension, model, GPU serving, training, datagen at scale)."""
    table = Table("check", "for", "status", "detail", "fix")
    for finding in findings(model_url, model):
        status = "[green]ok[/green]" if finding.ok else "[yellow]missing[/yellow]"
        table.add_row(finding.what, finding.needed_for, status, escape(finding.detail), escape(finding.fix))
    console.print(table)


def findings(model_url: str, model: str) -> list[Finding]:
    gpus = gpu_count()
    in_process = ("transformers", "torch")
    return [
        _chromium(),
        _extension(),
        _endpoint(model_url, model),
        Finding("GPU", "serving the model", gpus > 0, f"{gpus} NVIDIA GPU(s)", "" if gpus else "vLLM needs one"),
        _tool("vLLM", "serving the model", "vllm", INSTALL_HINT),
        _module("transformers + torch", "the in-process model", in_process, "pip install -e '.[train]'"),
        _module("DeepSpeed", "training", ("deepspeed",), "pip install deepspeed"),
        _module("Ray", "datagen and eval across machines", ("ray",), "pip install ray"),
    ]


def _chromium() -> Finding:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return Finding("Chromium", "farol run, eval, datagen", False, f"{CHROMIUM} not found",
                       "apt-get install chromium (or set FAROL_CHROMIUM)")  # fmt: skip
    try:
        version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError) as error:
        return Finding("Chromium", "farol run, eval, datagen", False, str(error), "reinstall chromium")
    return Finding("Chromium", "farol run, eval, datagen", True, version or CHROMIUM)


def _extension() -> Finding:
    manifest = EXTENSION_DIR / "manifest.json"
    try:
        version = json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return Finding("extension files", "your Chrome", False, f"no readable {manifest}", "reinstall Farol")
    return Finding("extension files", "your Chrome", True, f"{EXTENSION_DIR} (version {version}, ID {EXTENSION_ID})")


def _endpoint(model_url: str, model: str) -> Finding:
    what = f"model at {model_url}"
    try:
        listed = httpx.get(model_url.rstrip("/") + "/models", timeout=3).json()
        served = [entry["id"] for entry in listed.get("data", [])]
    except (httpx.HTTPError, ValueError, AttributeError, KeyError, TypeError):
        return Finding(what, "every task", False, "nothing answers", vllm_hint(model_url, model))
    if model not in served:
        return Finding(what, "every task", False, f"serves {', '.join(served) or 'nothing'}", f"use --model {served[0]}"
                       if served else "load a model")  # fmt: skip
    return Finding(what, "every task", True, f"serves {model}")


def _tool(what: str, needed_for: str, command: str, fix: str) -> Finding:
    path = shutil.which(command)
    return Finding(what, needed_for, path is not None, path or f"no `{command}` on PATH", "" if path else fix)


def _module(what: str, needed_for: str, modules: tuple[str, ...], fix: str) -> Finding:
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        return Finding(what, needed_for, False, f"{', '.join(missing)} not installed", fix)
    return Finding(what, needed_for, True, "installed")
