"""The bridge's boundaries: who may connect, what bad input does, the REST API, restarts."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright
from websockets.asyncio.client import connect

from agent.chromium import CHROMIUM, CHROMIUM_ARGS
from agent.store import Store
from bridge.pairing import (
    CLOSE_BAD_HOST,
    CLOSE_BAD_PROTOCOL,
    CLOSE_WRONG_TOKEN,
    EXTENSION_ID,
    EXTENSION_ORIGIN,
    load_or_create_token,
)
from bridge.protocol import (
    MAX_MESSAGE_BYTES,
    PROTOCOL_VERSION,
    RELAYED_PATH,
    SCHEMA_PATH,
    TYPES_PATH,
    protocol_types_text,
    relayed_methods_text,
    schema_text,
)
from bridge.uploads import KeyRing
from tests.conftest import run_async
from tests.support.extension import BridgeThread
from tests.support.records import make_trajectory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bridge(model, tmp_path):
    thread = BridgeThread(tmp_path / "farol.db", model.url)
    yield thread
    thread.stop()


def handshake(port: int, *, host: str, origin: str | None, protocols: list[str]) -> tuple[int, int | None]:
    """Send a raw WebSocket upgrade request with exactly these headers; return the HTTP status and, when the
    bridge accepted only to close at once, the close code it sent."""
    lines = [
        "GET /ws HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {base64.b64encode(b'farol-test-key!!').decode()}",
        "Sec-WebSocket-Version: 13",
    ]
    if origin:
        lines.append(f"Origin: {origin}")
    if protocols:
        lines.append(f"Sec-WebSocket-Protocol: {', '.join(protocols)}")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        raw.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        received = raw.recv(4096)
        status = int(received.split(b" ", 2)[1])
        if status != 101:
            return status, None
        while b"\r\n\r\n" not in received:
            received += raw.recv(4096)
        frame = received.split(b"\r\n\r\n", 1)[1]
        with contextlib.suppress(TimeoutError):
            raw.settimeout(0.5)  # a bridge that keeps the socket open sends nothing: no close code then
            while len(frame) < 4:
                frame += raw.recv(4096)
        if len(frame) >= 4 and frame[0] == 0x88:  # a close frame: its payload starts with the code
            return status, int.from_bytes(frame[2:4], "big")
        return status, None


def test_handshake_checks(bridge):
    good = ["farol.v1", f"farol.token.{bridge.token}"]
    host = f"127.0.0.1:{bridge.port}"
    assert handshake(bridge.port, host=host, origin=EXTENSION_ORIGIN, protocols=good) == (101, None)
    assert handshake(bridge.port, host=f"localhost:{bridge.port}", origin=EXTENSION_ORIGIN, protocols=good) == (
        101,
        None,
    )
    # Our extension is told why, with a close code its panel turns into words.
    told = [
        (dict(host=host, origin=EXTENSION_ORIGIN, protocols=["farol.v1", "farol.token.wrong"]), CLOSE_WRONG_TOKEN),
        (dict(host=host, origin=EXTENSION_ORIGIN, protocols=["farol.v1"]), CLOSE_WRONG_TOKEN),  # no token
        (dict(host=f"evil.example:{bridge.port}", origin=EXTENSION_ORIGIN, protocols=good), CLOSE_BAD_HOST),
        (dict(host=host, origin=EXTENSION_ORIGIN, protocols=[f"farol.token.{bridge.token}"]), CLOSE_BAD_PROTOCOL),
    ]
    for attempt, code in told:
        assert handshake(bridge.port, **attempt) == (101, code), attempt
    # Anything else learns nothing: a bare 403, which a web page cannot tell from nothing listening.
    refused = [
        dict(host=host, origin="http://127.0.0.1:8000", protocols=good),  # a web page
        dict(host=host, origin="chrome-extension://abcdefghijklmnopabcdefghijklmnop", protocols=good),
        dict(host=host, origin=None, protocols=good),
    ]
    for attempt in refused:
        assert handshake(bridge.port, **attempt) == (403, None), attempt


def test_a_web_page_cannot_open_the_bridge_socket_even_with_the_token(bridge, site):
    async def scenario():
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = await browser.new_page()
            await page.goto(site.url("page2.html"))
            outcome = await page.evaluate(
                """([url, token]) => new Promise((resolve) => {
                    const ws = new WebSocket(url, ['farol.v1', 'farol.token.' + token]);
                    ws.onopen = () => resolve('open');
                    ws.onclose = (event) => resolve('closed ' + event.code);
                })""",
                [f"ws://127.0.0.1:{bridge.port}/ws", bridge.token],
            )
            await browser.close()
            return outcome

    assert run_async(scenario()) == "closed 1006"


async def extension_client(bridge):
    return await connect(
        bridge.ws_url,
        origin=EXTENSION_ORIGIN,
        subprotocols=["farol.v1", f"farol.token.{bridge.token}"],
        max_size=None,
    )


def test_bad_messages_get_an_error_and_the_connection_stays_up(bridge):
    async def scenario():
        replies = []
        async with await extension_client(bridge) as ws:
            for bad in [
                "not json",
                json.dumps({"v": PROTOCOL_VERSION, "type": "teleport"}),
                json.dumps({"v": PROTOCOL_VERSION, "type": "start_task"}),
                json.dumps({"v": PROTOCOL_VERSION - 1, "type": "ping"}),  # an older extension
                json.dumps({"v": PROTOCOL_VERSION, "type": "ping", "extra": True}),
                "x" * (MAX_MESSAGE_BYTES + 1),
            ]:
                await ws.send(bad)
                replies.append(json.loads(await ws.recv()))
            await ws.send(b"\x00binary")
            replies.append(json.loads(await ws.recv()))
            await ws.send(json.dumps({"v": PROTOCOL_VERSION, "type": "ping"}))
            replies.append(json.loads(await ws.recv()))
        return replies

    replies = run_async(scenario())
    assert [r["type"] for r in replies] == ["error"] * 7 + ["pong"]
    assert "malformed" in replies[0]["message"]
    assert "type" in replies[1]["message"]
    assert "task" in replies[2]["message"]
    assert "different versions of Farol" in replies[3]["message"] and "Reload the extension" in replies[3]["message"]
    assert "too large" in replies[5]["message"]
    assert "text frames" in replies[6]["message"]


def test_hello_gets_a_welcome_and_results_for_unknown_requests_are_ignored(bridge):
    async def scenario():
        async with await extension_client(bridge) as ws:
            await ws.send(json.dumps({"v": PROTOCOL_VERSION, "type": "hello", "extension_version": "0.1.0"}))
            welcome = json.loads(await ws.recv())
            settings = json.loads(await ws.recv())
            await ws.send(json.dumps({"v": PROTOCOL_VERSION, "type": "result", "id": "nobody-asked", "ok": True}))
            follow_up = {"type": "follow_up", "session_id": "missing", "text": "hi"}
            await ws.send(json.dumps({"v": PROTOCOL_VERSION, **follow_up}))
            return welcome, settings, json.loads(await ws.recv())

    welcome, settings, error = run_async(scenario())
    assert welcome["type"] == "welcome" and welcome.get("session") is None
    # What the bridge uses comes right after: the panel names the model and the collector from it.
    assert settings == {"v": PROTOCOL_VERSION, "type": "settings", "model": "fara-test", "model_url": bridge.model_url}
    assert error == {"v": PROTOCOL_VERSION, "type": "error", "message": "Unknown session."}


def test_protocol_schema_types_and_relay_allow_list_in_the_extension_match_the_bridge():
    assert SCHEMA_PATH.read_text() == schema_text(), "run: python -m bridge.protocol"
    assert TYPES_PATH.read_text() == protocol_types_text(), "run: python -m bridge.protocol"
    assert RELAYED_PATH.read_text() == relayed_methods_text(), "run: python -m bridge.protocol"


def test_manifest_key_gives_the_extension_id_the_bridge_trusts():
    key = json.loads((ROOT / "extension" / "manifest.json").read_text())["key"]
    digest = hashlib.sha256(base64.b64decode(key)).hexdigest()[:32]
    assert "".join(chr(ord("a") + int(c, 16)) for c in digest) == EXTENSION_ID


def test_pairing_token_is_private_and_stable(tmp_path):
    data_dir = tmp_path / "farol"  # made at first start, as private as the store makes it
    token = load_or_create_token(data_dir)
    assert data_dir.stat().st_mode & 0o777 == 0o700
    assert (data_dir / "pairing-token").stat().st_mode & 0o777 == 0o600
    assert load_or_create_token(data_dir) == token and len(token) == 48


def test_rest_api_needs_the_token_and_exports_only_shared_sessions(bridge):
    store = Store(bridge.db)
    private, private_shots = make_trajectory("red")
    shared, shared_shots = make_trajectory("blue")
    shared.consent.shared = True
    store.save(private, private_shots)
    store.save(shared, shared_shots)
    base = f"http://127.0.0.1:{bridge.port}"
    auth = {"Authorization": f"Bearer {bridge.token}"}

    assert httpx.get(f"{base}/api/sessions").status_code == 401
    assert httpx.get(f"{base}/api/sessions", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert httpx.get(f"{base}/api/sessions", headers={**auth, "Host": "evil.example"}).status_code == 403
    listed = httpx.get(f"{base}/api/sessions", headers=auth).json()["sessions"]
    assert {row["id"] for row in listed} == {private.id, shared.id}

    detail = httpx.get(f"{base}/api/sessions/{private.id}", headers=auth).json()
    assert detail["session"]["id"] == private.id and detail["steps"][0]["thumbnail"].startswith("data:image/jpeg")
    preview = httpx.get(f"{base}/api/sessions/{private.id}/share-preview", headers=auth).json()
    assert preview["trajectory"]["id"] == private.id
    image = httpx.get(base + preview["screenshots"][0], headers=auth)
    assert image.status_code == 200 and image.content == private_shots[private.steps[0].screenshot]
    assert (
        httpx.get(
            f"{base}/api/sessions/{private.id}/screenshots/{shared.steps[0].screenshot}.png", headers=auth
        ).status_code
        == 404
    )

    assert httpx.get(f"{base}/api/sessions/{private.id}/export", headers=auth).status_code == 403
    archive = httpx.get(f"{base}/api/sessions/{shared.id}/export", headers=auth)
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"

    consent = httpx.post(f"{base}/api/sessions/{private.id}/consent", json={"shared": True}, headers=auth).json()
    assert consent["shared"] is True and Store(bridge.db).load(private.id).consent.shared
    assert httpx.delete(f"{base}/api/sessions/{private.id}", headers=auth).status_code == 204
    assert httpx.get(f"{base}/api/sessions/{private.id}", headers=auth).status_code == 404


def test_a_bridge_restart_marks_running_sessions_interrupted(model, tmp_path):
    store = Store(tmp_path / "farol.db")
    running, shots = make_trajectory("red")
    running.status = "running"
    running.provenance.source = "extension"
    store.save(running, shots)
    thread = BridgeThread(tmp_path / "farol.db", model.url)
    try:
        restored = Store(tmp_path / "farol.db").load(running.id)
        assert restored.status == "interrupted" and "Send a message to continue" in restored.reason
    finally:
        thread.stop()


def test_timeline_previews_are_made_once_per_screenshot(bridge):
    """The second look at a session is served from the previews made the first time, not from the files."""
    store = Store(bridge.db)
    trajectory, shots = make_trajectory("red", "blue")
    store.save(trajectory, shots)
    url = f"http://127.0.0.1:{bridge.port}/api/sessions/{trajectory.id}"
    auth = {"Authorization": f"Bearer {bridge.token}"}
    first = httpx.get(url, headers=auth).json()["steps"]
    assert all(step["thumbnail"].startswith("data:image/jpeg;base64,") for step in first)
    for digest in shots:
        store.screenshot_path(digest).unlink()
    assert httpx.get(url, headers=auth).json()["steps"] == first


def test_settings_change_the_model_and_collector_and_say_what_is_wrong(bridge, tmp_path):
    base, auth = f"http://127.0.0.1:{bridge.port}", {"Authorization": f"Bearer {bridge.token}"}
    keys = KeyRing(tmp_path)
    assert httpx.get(f"{base}/api/settings", headers=auth).json() == {
        "v": PROTOCOL_VERSION,
        "type": "settings",
        "model": "fara-test",
        "model_url": bridge.model_url,
        "collector": None,
        "collector_refused": None,
    }
    put = {"model": "fara-test", "model_url": bridge.model_url, "collector": "https://c.example"}
    refused = httpx.put(f"{base}/api/settings", headers=auth, json=put)
    assert refused.status_code == 422 and "no contributor key for https://c.example" in refused.json()["detail"]
    plain = httpx.put(f"{base}/api/settings", headers=auth, json={**put, "collector": "http://c.example"})
    assert plain.status_code == 422 and "plain http" in plain.json()["detail"]
    assert httpx.get(f"{base}/api/settings", headers=auth).json()["collector"] is None  # nothing half-applied
    # With a key: sessions shared from now on go there; the ones shared before only when the person says so.
    saved = httpx.put(f"{base}/api/settings", headers=auth, json={**put, "collector_key": "k1"}).json()
    assert saved["collector"] == "https://c.example" and keys.key_for("https://c.example") == "k1"
    assert keys.shared_after("https://c.example") is not None
    httpx.put(f"{base}/api/settings", headers=auth, json={**put, "include_earlier": True})
    assert keys.shared_after("https://c.example") is None
    # The endpoint test says what it serves.
    check = {"model_url": bridge.model_url, "model": "scripted"}  # what the scripted model lists
    assert httpx.post(f"{base}/api/settings/test-model", headers=auth, json=check).json()["ok"] is True
    wrong = httpx.post(f"{base}/api/settings/test-model", headers=auth, json={**check, "model": "other"}).json()
    assert wrong["ok"] is False and "not other" in wrong["detail"]
