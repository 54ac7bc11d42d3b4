"""The bridge's locks, tried from outside as a hostile page or another local user would."""

from __future__ import annotations

import os
import socket
import stat

import httpx
import pytest

from agent.store import Store
from bridge.pairing import load_or_create_token
from tests.support.extension import BridgeThread
from tests.support.records import make_trajectory

pytestmark = pytest.mark.unit


@pytest.fixture
def bridge(model, tmp_path):
    thread = BridgeThread(tmp_path / "farol.db", model.url)
    yield thread
    thread.stop()


def raw_request(port: int, head: list[str], body: bytes = b"") -> tuple[int, bytes]:
    """Send exactly these request lines (and maybe part of a body); return the status and what came back."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < _length(answer):
            chunk = raw.recv(4096)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b" ", 2)[1]), answer


def _length(answer: bytes) -> int:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


def test_health_answers_loopback_hosts_only(bridge):
    base = f"http://127.0.0.1:{bridge.port}"
    assert httpx.get(f"{base}/api/health").json()["farol"]
    rebinding = httpx.get(f"{base}/api/health", headers={"Host": f"evil.example:{bridge.port}"})
    assert rebinding.status_code == 403 and "farol" not in rebinding.text


def test_a_huge_body_without_the_token_is_refused_before_it_is_read(bridge):
    """A declared 1 GiB body, none of it sent: the answer comes at once, so nothing waited for or read it."""
    status, answer = raw_request(
        bridge.port,
        [
            "POST /api/sessions/x/consent HTTP/1.1",
            f"Host: 127.0.0.1:{bridge.port}",
            "Content-Type: application/json",
            f"Content-Length: {1 << 30}",
        ],
    )
    assert status == 401 and b"pairing token" in answer


def test_bodies_are_capped_with_the_token_too(bridge):
    auth = f"Authorization: Bearer {bridge.token}"
    declared, _ = raw_request(
        bridge.port,
        ["POST /api/sessions/x/consent HTTP/1.1", f"Host: 127.0.0.1:{bridge.port}", auth, f"Content-Length: {1 << 20}"],
    )
    assert declared == 413
    # No declared length (chunked): cut off once it grows past the cap.
    chunk = b"a" * 32_768
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(4))
    streamed, answer = raw_request(
        bridge.port,
        ["POST /api/sessions/x/consent HTTP/1.1", f"Host: 127.0.0.1:{bridge.port}", auth, "Transfer-Encoding: chunked"],
        chunks,
    )
    assert streamed == 413 and b"limited" in answer


def test_the_data_folder_is_private(tmp_path, monkeypatch):
    home = tmp_path / "farol-home"
    monkeypatch.setenv("FAROL_HOME", str(home))
    home.mkdir(mode=0o755)
    store = Store()  # the default data folder: narrowed to its owner
    trajectory, shots = make_trajectory("red")
    store.save(trajectory, shots)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.screenshot_dir.stat().st_mode) == 0o700
    screenshot = store.screenshot_path(trajectory.steps[0].screenshot)
    assert stat.S_IMODE(screenshot.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(screenshot.stat().st_mode) == 0o600


def test_a_token_readable_by_others_is_made_private(tmp_path, caplog):
    token = load_or_create_token(tmp_path)
    path = tmp_path / "pairing-token"
    os.chmod(path, 0o644)
    assert load_or_create_token(tmp_path) == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "readable by other users" in caplog.text
