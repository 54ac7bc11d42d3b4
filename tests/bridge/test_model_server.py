"""The managed model server, with a stand-in `vllm` (and `nvidia-smi`) on PATH: start, readiness, the log,
crashes in plain words, restarts, and a clean stop, through the Python API and through `farol serve`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from bridge.model_server import ManagedModelServer, ModelServerUnavailable, ServeOptions
from bridge.pairing import EXTENSION_ORIGIN, SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX
from tests.conftest import run_async
from tests.support.extension import free_port

ROOT = Path(__file__).resolve().parents[2]
FAROL = Path(sys.executable).parent / "farol"


@pytest.fixture
def stand_ins(tmp_path, monkeypatch):
    """`vllm` and a two-GPU `nvidia-smi` on PATH; returns the folder where the fake vLLM records its starts."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "vllm").write_text(f'#!/bin/sh\nexec {sys.executable} -m tests.support.fake_vllm "$@"\n')
    (bin_dir / "nvidia-smi").write_text(
        "#!/bin/sh\necho 'GPU 0: NVIDIA H200 (UUID: a)'\necho 'GPU 1: NVIDIA H200 (UUID: b)'\n"
    )
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    state = tmp_path / "fake-vllm"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("FAKE_VLLM_STATE", str(state))
    return state


def starts(state: Path) -> list[dict]:
    return [json.loads(line) for line in (state / "starts.jsonl").read_text().splitlines()]


def managed(tmp_path, **options) -> tuple[ManagedModelServer, list[str]]:
    heard: list[str] = []

    async def notify(text: str) -> None:
        heard.append(text)

    serve = ServeOptions(model="ckpt/out", served_name="microsoft/Fara-7B", port=free_port(), **options)
    return ManagedModelServer(serve, tmp_path / "model-server.log", max_restarts=2, notify=notify), heard


def test_it_starts_with_fara_flags_answers_and_stops(stand_ins, tmp_path):
    server, _ = managed(tmp_path)
    server.start()
    try:
        run_async(server.wait_ready())
        assert httpx.get(f"{server.url}/models").status_code == 200
    finally:
        server.stop()
    assert server.process.poll() is not None
    argv = starts(stand_ins)[0]["argv"]
    assert argv[:2] == ["serve", "ckpt/out"]
    flags = dict(zip(argv[2::2], argv[3::2], strict=True))
    assert flags["--served-model-name"] == "microsoft/Fara-7B" and int(flags["--max-model-len"]) >= 15000
    assert json.loads(flags["--limit-mm-per-prompt"]) == {"image": 3}
    assert flags["--tensor-parallel-size"] == "2" and flags["--host"] == "127.0.0.1"  # every GPU, loopback only
    log = (tmp_path / "model-server.log").read_text()
    assert "Loading weights" in log and "--- farol: starting vllm serve ckpt/out" in log


@pytest.mark.parametrize(("mode", "words"), [("oom", "ran out of GPU memory"), ("port", "is taken by another program")])
def test_a_failed_start_is_said_in_plain_words(stand_ins, tmp_path, monkeypatch, mode, words):
    monkeypatch.setenv("FAKE_VLLM_MODE", mode)
    server, _ = managed(tmp_path)
    server.start()
    with pytest.raises(ModelServerUnavailable, match=words):
        run_async(server.wait_ready())


def test_a_crash_is_reported_and_restarted_then_given_up(stand_ins, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_VLLM_MODE", "serve_then_oom")
    server, heard = managed(tmp_path)

    async def scenario():
        server.start()
        await server.wait_ready()
        await asyncio.wait_for(server.supervise(), timeout=60)

    try:
        run_async(scenario())
    finally:
        server.stop()
    assert len(starts(stand_ins)) == 3  # the first start and two restarts
    assert heard[0].startswith("The model server stopped: it ran out of GPU memory") and "(1 of 2)" in heard[0]
    assert "The model server is back." in heard and "giving up" in heard[-1]


def test_farol_serve_runs_the_model_reports_a_crash_to_the_panel_and_stops_it(stand_ins, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_VLLM_MODE", "crash_once")
    model_port, bridge_port = free_port(), free_port()
    process = subprocess.Popen(
        [
            str(FAROL),
            "serve",
            "--serve-model",
            "ckpt/out",
            "--model-url",
            f"http://127.0.0.1:{model_port}/v1",
            "--port",
            str(bridge_port),
            "--db",
            str(tmp_path / "farol.db"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The first start dies before it is ready: that is a failed start, said plainly, exit 2.
        out, err = process.communicate(timeout=60)
        assert process.returncode == 2 and "Engine" not in err and "exited with code 1" in err, out + err
        # Started again (the fake now serves), the bridge comes up once the model answers.
        process = subprocess.Popen(process.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _answers(f"http://127.0.0.1:{bridge_port}/api/health"):
            time.sleep(0.2)
        assert _answers(f"http://127.0.0.1:{model_port}/v1/models")
        fake = starts(stand_ins)[-1]["pid"]
        run_async(_extension_hears_a_crash(bridge_port, tmp_path, fake))
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
    finally:
        process.kill()
    assert not _alive(starts(stand_ins)[-1]["pid"])  # stopped with the bridge


async def _extension_hears_a_crash(port: int, data_dir: Path, fake_pid: int) -> None:
    token = (data_dir / "pairing-token").read_text().strip()
    protocols = [SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + token]
    async with connect(f"ws://127.0.0.1:{port}/ws", origin=EXTENSION_ORIGIN, subprotocols=protocols) as socket:
        os.kill(fake_pid, signal.SIGKILL)  # the model server dies under the bridge
        while True:
            message = json.loads(await asyncio.wait_for(socket.recv(), timeout=30))
            if message["type"] == "error" and "model server stopped" in message["message"]:
                assert "Restarting it (1 of 3)" in message["message"]
                return


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]


def test_without_vllm_or_a_gpu_it_says_what_to_do(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {**os.environ, "PATH": f"{empty}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin"}
    args = [str(FAROL), "serve", "--serve-model", "x", "--model-url", f"http://127.0.0.1:{free_port()}/v1"]
    result = subprocess.run(
        [*args, "--db", str(tmp_path / "f.db")], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 2 and "vLLM is not installed" in result.stderr and "[serve]" in result.stderr
    (empty / "vllm").write_text("#!/bin/sh\nexit 0\n")
    (empty / "vllm").chmod(0o755)
    result = subprocess.run(
        [*args, "--db", str(tmp_path / "f.db")], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 2 and "no NVIDIA GPU found" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
