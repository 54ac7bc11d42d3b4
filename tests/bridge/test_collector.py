"""The collector on loopback: what it takes (exactly the share preview, once), what it refuses and why, and
who may send (keys and size checked before the body is read)."""

from __future__ import annotations

import base64
import json
import socket

import httpx
import pytest

from agent.screenshot import digest_of
from agent.store import Store
from agent.trajectory import SCHEMA_VERSION
from bridge.contribution import contribution_of
from bridge.pairing import load_or_create_token
from bridge.sessions import share_preview
from tests.support.collector import CollectorThread, shared_session, stored_shared
from tests.support.records import png


@pytest.fixture
def collector(tmp_path):
    thread = CollectorThread(tmp_path / "collector" / "collector.db")
    yield thread
    thread.stop()


def put(collector: CollectorThread, body: dict | bytes, session_id: str, who: str = "alice") -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {collector.keys[who]}", "Content-Type": "application/json"}
    return httpx.put(f"{collector.url}/v1/sessions/{session_id}", content=content, headers=headers, timeout=30)


def nothing_stored(collector: CollectorThread) -> bool:
    store = collector.collector.store
    return store.list() == [] and not list(store.screenshot_dir.rglob("*.png"))


def test_an_upload_is_exactly_the_share_preview_stored_once_with_who_sent_it(collector, tmp_path):
    store = Store(tmp_path / "farol.db")
    trajectory = stored_shared(store, "red", "blue")
    contribution = contribution_of(store, trajectory)
    preview = share_preview(trajectory, lambda digest: digest)
    body = contribution.model_dump(mode="json")
    assert body == {
        "trajectory": preview["trajectory"],
        "screenshots": {
            digest: base64.b64encode(store.read_screenshot(digest)).decode() for digest in preview["screenshots"]
        },
    }
    sent = json.dumps(body)
    assert str(tmp_path) not in sent and load_or_create_token(tmp_path) not in sent  # no local path, no token

    first = put(collector, body, trajectory.id)
    assert first.status_code == 201 and first.json() == {"result": "stored"}
    again = put(collector, body, trajectory.id)
    assert again.status_code == 200 and again.json() == {"result": "unchanged"}

    held = collector.collector.store
    assert [row["id"] for row in held.list()] == [trajectory.id] and held.list()[0]["steps"] == 2
    received = held.load(trajectory.id)
    assert received.provenance.contributor == "alice" and received.provenance.received_at is not None
    assert received.provenance.farol_version == trajectory.provenance.farol_version
    as_sent = received.model_dump(mode="json")
    as_sent["provenance"].update(contributor=None, received_at=None)
    assert as_sent == preview["trajectory"]
    for step in trajectory.steps:
        assert held.read_screenshot(step.screenshot) == store.read_screenshot(step.screenshot)

    trajectory.final_answer = "Done, and more"  # the session went on: the new version replaces the old
    changed = contribution_of(store, trajectory).model_dump(mode="json")
    assert put(collector, changed, trajectory.id).json() == {"result": "replaced"}
    assert held.load(trajectory.id).final_answer == "Done, and more" and len(held.list()) == 1


def broken(kind: str) -> tuple[dict, str, str]:
    """An upload with one thing wrong: (body, session id, words the refusal must contain)."""
    trajectory, shots = shared_session("red", "blue")
    encoded = {digest: base64.b64encode(data).decode() for digest, data in shots.items()}
    record = trajectory.model_dump(mode="json")
    first = trajectory.steps[0].screenshot
    if kind == "unmasked":
        record["steps"][1]["action"]["text"] = "hunter2"
        return {"trajectory": record, "screenshots": encoded}, trajectory.id, "not masked"
    if kind == "corrupted":
        encoded[first] = base64.b64encode(shots[first][:-8] + b"corrupt!").decode()
        return {"trajectory": record, "screenshots": encoded}, trajectory.id, "not what its digest says"
    if kind == "not a png":
        text = b"<html>not a picture</html>"
        record["steps"][0]["screenshot"] = digest_of(text)
        encoded = {
            digest_of(text): base64.b64encode(text).decode(),
            trajectory.steps[1].screenshot: encoded[trajectory.steps[1].screenshot],
        }
        return {"trajectory": record, "screenshots": encoded}, trajectory.id, "not a PNG"
    if kind == "missing screenshot":
        del encoded[first]
        return {"trajectory": record, "screenshots": encoded}, trajectory.id, "missing"
    if kind == "extra screenshot":
        encoded[digest_of(png("green"))] = base64.b64encode(png("green")).decode()
        return {"trajectory": record, "screenshots": encoded}, trajectory.id, "no step names"
    if kind == "not shared":
        record["consent"]["shared"] = False
        return {"trajectory": record, "screenshots": encoded}, trajectory.id, "not shared"
    if kind == "newer schema":
        record["schema_version"] = SCHEMA_VERSION + 1
        return {"trajectory": record, "screenshots": encoded}, trajectory.id, "upgrade farol"
    if kind == "another id":
        return {"trajectory": record, "screenshots": encoded}, "f" * 32, "not " + "f" * 32
    if kind == "more fields":
        return {"trajectory": record, "screenshots": encoded, "token": "x"}, trajectory.id, "token"
    raise ValueError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "unmasked",
        "corrupted",
        "not a png",
        "missing screenshot",
        "extra screenshot",
        "not shared",
        "newer schema",
        "another id",
        "more fields",
    ],
)
def test_a_wrong_upload_is_refused_with_its_reason_and_nothing_is_stored(collector, kind):
    body, session_id, words = broken(kind)
    response = put(collector, body, session_id)
    assert response.status_code == 422, response.text
    assert words in response.json()["detail"]
    assert nothing_stored(collector)


def test_a_body_that_is_not_json_is_refused(collector):
    response = put(collector, b"{not json", "a" * 32)
    assert response.status_code == 422 and response.json()["detail"].startswith("not a contribution")
    assert nothing_stored(collector)


def raw_request(port: int, headers: list[str], body: bytes = b"") -> bytes:
    """Send exactly these request lines (and this much body, maybe less than declared); return the reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(("\r\n".join(headers) + "\r\n\r\n").encode() + body)
        raw.shutdown(socket.SHUT_WR) if body else None
        reply = b""
        while chunk := raw.recv(65536):
            reply += chunk
            if b"\r\n\r\n" in reply and b"}" in reply:
                break
        return reply


def put_lines(port: int, session_id: str, length: int, key: str | None) -> list[str]:
    lines = [f"PUT /v1/sessions/{session_id} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {length}"]
    return [*lines, f"Authorization: Bearer {key}"] if key else lines


def test_a_wrong_or_missing_key_and_an_oversized_body_are_refused_before_the_body_is_read(tmp_path):
    collector = CollectorThread(tmp_path / "collector.db", max_body=1024 * 1024)
    try:
        # Headers only: the body (50 MB declared) is never sent, so an answer proves it was not waited for.
        for key in (None, "farol_wrong"):
            reply = raw_request(collector.port, put_lines(collector.port, "a" * 32, 50_000_000, key))
            assert reply.startswith(b"HTTP/1.1 401") and b"wrong or missing contributor key" in reply
        reply = raw_request(collector.port, put_lines(collector.port, "a" * 32, 50_000_000, collector.keys["alice"]))
        assert reply.startswith(b"HTTP/1.1 413") and b"limited to 1048576 bytes" in reply
        deletion = httpx.delete(f"{collector.url}/v1/sessions/{'a' * 32}", headers={"Authorization": "Bearer nope"})
        assert deletion.status_code == 401
        assert httpx.get(f"{collector.url}/v1/health").json()["schema_version"] == SCHEMA_VERSION  # open
        assert nothing_stored(collector)
    finally:
        collector.stop()


def test_an_upload_interrupted_mid_body_stores_nothing(collector, tmp_path):
    store = Store(tmp_path / "farol.db")
    trajectory = stored_shared(store, "red", "blue")
    body = contribution_of(store, trajectory).model_dump_json().encode()
    lines = put_lines(collector.port, trajectory.id, len(body), collector.keys["alice"])
    raw_request(collector.port, lines, body[: len(body) // 2])  # half the body, then the connection ends
    assert nothing_stored(collector)
    assert put(collector, body, trajectory.id).json() == {"result": "stored"}  # not "unchanged": it never arrived


def test_a_contributor_cannot_replace_or_delete_someone_elses_session(collector, tmp_path):
    store = Store(tmp_path / "farol.db")
    trajectory = stored_shared(store, "red")
    body = contribution_of(store, trajectory).model_dump(mode="json")
    assert put(collector, body, trajectory.id, "alice").status_code == 201
    assert put(collector, body, trajectory.id, "bob").status_code == 409
    bob = {"Authorization": f"Bearer {collector.keys['bob']}"}
    assert httpx.delete(f"{collector.url}/v1/sessions/{trajectory.id}", headers=bob).status_code == 409
    assert collector.held() == {trajectory.id}
    assert collector.collector.store.load(trajectory.id).provenance.contributor == "alice"


def test_a_deletion_removes_the_rows_and_unshared_files_and_is_recorded(collector, tmp_path):
    store = Store(tmp_path / "farol.db")
    first, second = stored_shared(store, "red", "blue"), stored_shared(store, "red", "green")
    for trajectory in (first, second):
        assert (
            put(collector, contribution_of(store, trajectory).model_dump(mode="json"), trajectory.id).status_code == 201
        )
    alice = {"Authorization": f"Bearer {collector.keys['alice']}"}
    response = httpx.delete(f"{collector.url}/v1/sessions/{first.id}", headers=alice)
    assert response.json() == {"removed": True}
    held = collector.collector.store
    assert collector.held() == {second.id}
    assert not held.screenshot_path(digest_of(png("blue"))).exists()  # only the removed session used it
    assert held.screenshot_path(digest_of(png("red"))).exists()  # the other session still does
    assert httpx.delete(f"{collector.url}/v1/sessions/{first.id}", headers=alice).json() == {"removed": False}
    deletions = collector.collector.stats()["contributors"]["alice"]
    assert deletions == {"sessions": 1, "steps": 2, "deleted": 1}


def test_a_session_a_crash_cut_short_is_removed_before_serving(tmp_path):
    collector = CollectorThread(tmp_path / "collector.db")
    collector.stop()
    partial, shots = shared_session("red")
    collector.collector.store.save(partial, shots)  # rows and files, but the crash came before `contributions`
    collector.collector.remove_partial()
    assert collector.collector.store.list() == []
