"""The collector on loopback: what it takes (exactly the share preview, once), what it refuses and why, and
who may send (keys and size checked before the body is read)."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import struct
import zlib
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from agent.actions import Type
from agent.contribution import PNG_SIGNATURE, contribution_of, share_preview
from agent.parser import format_reply
from agent.screenshot import digest_of
from agent.store import Store
from agent.terminal import CONTROL_CHARACTERS
from agent.trajectory import KEPT_SCORE, SCHEMA_VERSION
from bridge.pairing import load_or_create_token
from collector.app import Limits
from collector.cli import app as collector_commands
from collector.collector import Quota
from tests.conftest import run_async
from tests.support.collector import CollectorThread, shared_session, stored_shared
from tests.support.polling import poll
from tests.support.records import png

pytestmark = pytest.mark.unit


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
    assert received.provenance.source == "shared"  # set by the collector, whatever the sender said
    as_sent = received.model_dump(mode="json")
    as_sent["provenance"].update(source="extension", contributor=None, received_at=None)
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
    if kind == "record id not a session id":
        record["id"] = "../../" + "a" * 26
        return {"trajectory": record, "screenshots": encoded}, trajectory.id, "not a session id"
    if kind == "no approval row":
        record["approvals"] = []  # the text is masked, but the guard's question was taken out
        return {"trajectory": record, "screenshots": encoded}, trajectory.id, "no approval row"
    if kind == "raw reply unmasked":
        record["steps"][1]["raw_text"] = format_reply("Typing the password", Type(text="hunter2", coordinate=(1, 2)))
        return {"trajectory": record, "screenshots": encoded}, trajectory.id, "not masked"
    if kind == "guard stop without approval":
        record["steps"][1]["action"]["text"] = "hunter2"
        record["steps"][1]["result"] = {"ok": False, "blocked": "the person denied: typing into a password field"}
        record["approvals"] = []
        return {"trajectory": record, "screenshots": encoded}, trajectory.id, "no approval row"
    if kind == "approval of a missing step":
        record["approvals"][0]["step"] = 7
        return {"trajectory": record, "screenshots": encoded}, trajectory.id, "does not have"
    if kind == "critical point on a click":
        record["approvals"].append({"step": 0, "kind": "critical_point", "reason": "r", "decision": "approve"})
        return {"trajectory": record, "screenshots": encoded}, trajectory.id, "did not terminate"
    if kind == "huge image":
        bomb = png_declaring(12000, 12000)
        record["steps"][0]["screenshot"] = digest_of(bomb)
        encoded = {
            digest_of(bomb): base64.b64encode(bomb).decode(),
            trajectory.steps[1].screenshot: encoded[trajectory.steps[1].screenshot],
        }
        return {"trajectory": record, "screenshots": encoded}, trajectory.id, "12000x12000"
    raise ValueError(kind)


def png_declaring(width: int, height: int) -> bytes:
    """A tiny file whose header declares a huge image (its pixels would take gigabytes once decoded)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(b"IEND", b"")


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
        "record id not a session id",
        "no approval row",
        "raw reply unmasked",
        "guard stop without approval",
        "approval of a missing step",
        "critical point on a click",
        "huge image",
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
    collector = CollectorThread(tmp_path / "collector.db", limits=Limits(max_body=1024 * 1024))
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


def contribute(collector: CollectorThread, store: Store, *colours: str, who: str = "alice") -> str:
    trajectory = stored_shared(store, *colours)
    response = put(collector, contribution_of(store, trajectory).model_dump(mode="json"), trajectory.id, who)
    assert response.status_code == 201, response.text
    return trajectory.id


def farol_collector(collector: CollectorThread, *arguments: str, columns: int = 200) -> tuple[int, str]:
    result = CliRunner(env={"COLUMNS": str(columns)}).invoke(
        collector_commands, [*arguments, "--db", str(collector.db)]
    )
    return result.exit_code, result.output


@pytest.mark.parametrize("session_id", ["A" * 32, "a" * 33, "a" * 500, "..", "%2e%2e", "a%1b%5b2J" + "a" * 24])
def test_a_path_that_is_not_a_session_id_is_refused_and_nothing_is_stored_or_logged(collector, tmp_path, session_id):
    store = Store(tmp_path / "farol.db")
    trajectory = stored_shared(store, "red")
    body = contribution_of(store, trajectory).model_dump(mode="json")
    alice = {"Authorization": f"Bearer {collector.keys['alice']}"}
    response = put(collector, body, session_id)
    assert 400 <= response.status_code < 500, response.text
    deletion = httpx.delete(f"{collector.url}/v1/sessions/{session_id}", headers=alice)
    assert 400 <= deletion.status_code < 500
    assert nothing_stored(collector) and collector.collector.ledger.deletions() == []


def test_a_shared_session_cannot_pass_for_kept_synthetic_data(collector):
    trajectory, shots = shared_session("red", "blue")
    trajectory.provenance.source = "datagen"
    trajectory.verifier_scores = {KEPT_SCORE: 1.0}
    trajectory.verifier_reasons = {KEPT_SCORE: "kept by the verifiers"}
    encoded = {digest: base64.b64encode(data).decode() for digest, data in shots.items()}
    body = {"trajectory": trajectory.model_dump(mode="json"), "screenshots": encoded}
    assert put(collector, body, trajectory.id).status_code == 201
    received = collector.collector.store.load(trajectory.id)
    assert received.provenance.source == "shared" and received.provenance.contributor == "alice"
    assert received.verifier_scores == {} and received.verifier_reasons == {}


def open_connections(directory: Path) -> int:
    """Files under `directory` this process holds open (the collector runs in a thread of it)."""
    opened = []
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(FileNotFoundError):  # closed meanwhile (listing the folder opens one)
            opened.append(os.readlink(f"/proc/self/fd/{fd}"))
    return sum(1 for target in opened if target.startswith(str(directory)))


def test_uploads_beyond_the_limit_wait_and_each_body_goes_to_disk(tmp_path):
    collector = CollectorThread(tmp_path / "collector" / "collector.db", limits=Limits(at_once=2))
    store = Store(tmp_path / "farol.db")
    trajectory = stored_shared(store, "red")
    body = contribution_of(store, trajectory).model_dump_json().encode()
    incoming = collector.collector.incoming
    slow = [socket.create_connection(("127.0.0.1", collector.port), timeout=10) for _ in range(2)]
    try:
        for connection in slow:  # two uploads that have sent half their body and wait
            lines = put_lines(collector.port, trajectory.id, len(body), collector.keys["alice"])
            connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body[: len(body) // 2])
        run_async(poll(lambda: open_connections(incoming), lambda count: count == 2, timeout=30, failure=str))
        busy = put(collector, body, trajectory.id)
        assert busy.status_code == 503 and int(busy.headers["Retry-After"]) > 0
    finally:
        for connection in slow:
            connection.close()
    status = lambda: put(collector, body, trajectory.id).status_code  # noqa: E731
    run_async(poll(status, lambda code: code == 201, timeout=30, failure=str))
    assert open_connections(incoming) == 0 and collector.held() == {trajectory.id}
    collector.stop()


def test_a_contributor_over_their_quota_is_refused_with_a_reason(tmp_path):
    collector = CollectorThread(tmp_path / "collector" / "collector.db", limits=Limits(quota=Quota(sessions=1)))
    store = Store(tmp_path / "farol.db")
    first = contribute(collector, store, "red")
    second = stored_shared(store, "blue")
    response = put(collector, contribution_of(store, second).model_dump(mode="json"), second.id)
    assert response.status_code == 429 and "the most one contributor may" in response.json()["detail"]
    first_again = contribution_of(store, store.load(first)).model_dump(mode="json")
    first_again["trajectory"]["final_answer"] = "Done, and more"
    assert put(collector, first_again, first).json() == {"result": "replaced"}  # replacing stays within it
    assert put(collector, contribution_of(store, second).model_dump(mode="json"), second.id, "bob").status_code == 201
    collector.stop()

    small = CollectorThread(tmp_path / "small" / "collector.db", limits=Limits(quota=Quota(bytes=1000)))
    response = put(small, contribution_of(store, second).model_dump(mode="json"), second.id)
    assert response.status_code == 413 and "1000 bytes" in response.json()["detail"]
    assert nothing_stored(small)
    small.stop()


def test_a_revoked_key_is_refused_and_a_new_one_works(collector, tmp_path):
    store = Store(tmp_path / "farol.db")
    trajectory = stored_shared(store, "red")
    body = contribution_of(store, trajectory).model_dump(mode="json")
    code, said = farol_collector(collector, "revoke", "alice")
    assert code == 0 and "refused from now on" in said
    assert put(collector, body, trajectory.id).status_code == 401
    assert farol_collector(collector, "revoke", "alice")[0] == 2  # no key in use
    code, said = farol_collector(collector, "add-contributor", "alice", "--new-key")
    collector.keys["alice"] = said.split()[-1]
    assert put(collector, body, trajectory.id).status_code == 201


def test_deleting_a_contributor_removes_their_sessions_files_and_exports_and_logs_it(collector, tmp_path):
    store = Store(tmp_path / "farol.db")
    alices = [contribute(collector, store, "red", "blue"), contribute(collector, store, "green")]
    bobs = contribute(collector, store, "red", "white", who="bob")
    out = tmp_path / "out"
    assert "Exported 3 session(s)" in farol_collector(collector, "export", str(out))[1]
    code, said = farol_collector(collector, "delete", "--contributor", "alice", "--reason", "she asked")
    assert code == 0 and "Deleted 2 session(s)" in said
    held = collector.collector.store
    assert collector.held() == {bobs}
    assert not held.screenshot_path(digest_of(png("blue"))).exists()
    assert held.screenshot_path(digest_of(png("red"))).exists()  # bob's session still uses it
    assert sorted(path.name for path in out.iterdir()) == [bobs]
    logged = [row for row in collector.collector.ledger.deletions() if row["contributor"] == "alice"]
    assert sorted(row["trajectory_id"] for row in logged) == sorted(alices)
    assert {(row["by"], row["reason"], row["removed"]) for row in logged} == {("operator", "she asked", 1)}
    assert all(trajectory_id in farol_collector(collector, "deletions")[1] for trajectory_id in alices)


def received_long_ago(collector: CollectorThread, trajectory_id: str) -> None:
    ledger = collector.collector.ledger
    row = ledger.contribution(trajectory_id)
    ledger.remove_contribution(trajectory_id)
    ledger.add_contribution({**row, "received_at": "2001-01-01T00:00:00+00:00"})


def test_sessions_past_the_retention_period_are_pruned_by_command_and_by_the_serving_collector(collector, tmp_path):
    store = Store(tmp_path / "farol.db")
    old, older, recent = (contribute(collector, store, colour) for colour in ("red", "blue", "green"))
    received_long_ago(collector, old)
    code, said = farol_collector(collector, "prune", "--days", "30")
    assert code == 0 and "Deleted 1 session(s)" in said and collector.held() == {older, recent}
    collector.stop()

    received_long_ago(collector, older)
    serving = CollectorThread(collector.db, contributors=(), limits=Limits(retention=timedelta(days=30)))
    try:
        run_async(poll(serving.held, lambda held: held == {recent}, timeout=30, failure=str))
    finally:
        serving.stop()
    by_retention = [row for row in serving.collector.ledger.deletions() if row["by"] == "retention"]
    assert sorted(row["trajectory_id"] for row in by_retention) == sorted([old, older])
    assert all("30 day(s)" in row["reason"] for row in by_retention)


def test_screenshot_files_no_session_uses_are_swept_at_start(collector, tmp_path):
    store = Store(tmp_path / "farol.db")
    kept = contribute(collector, store, "red")
    held = collector.collector.store
    orphan = held.put_screenshot(png("blue"))
    partial = held.screenshot_path(orphan).with_suffix(".123.tmp")
    partial.write_bytes(b"half a file")
    collector.collector.tidy()
    assert not held.screenshot_path(orphan).exists() and not partial.exists()
    assert held.screenshot_path(digest_of(png("red"))).exists() and collector.held() == {kept}
    (sweep,) = collector.collector.ledger.deletions()
    assert sweep["by"] == "collector" and "2 screenshot file(s)" in sweep["reason"]


def test_list_prints_whole_ids_and_no_control_characters_and_export_stays_in_its_folder(collector, tmp_path):
    store = Store(tmp_path / "farol.db")
    trajectory, shots = shared_session("red", task="\x1b]0;pwned\x07\x1b[2J[red]Book[/red] a table\x9b31m")
    store.save(trajectory, shots)
    put(collector, contribution_of(store, trajectory).model_dump(mode="json"), trajectory.id)
    # A row that never came through the door (an older collector, a hand edit): its id must never name a path.
    sneaked, sneaked_shots = shared_session("blue")
    sneaked.id = "../../escaped"
    collector.collector.store.save(sneaked, sneaked_shots)
    collector.collector.ledger.add_contribution(
        {
            "trajectory_id": sneaked.id,
            "contributor": "alice",
            "fingerprint": "x",
            "received_at": "2030-01-01",
            "bytes": None,
        }
    )

    code, said = farol_collector(collector, "list", columns=70)
    assert code == 0 and trajectory.id in said
    assert not CONTROL_CHARACTERS.search(said.replace("\n", ""))
    assert "[red]Book[/red]" in farol_collector(collector, "list", columns=300)[1]  # shown, not obeyed

    out = tmp_path / "exports" / "out"
    code, said = farol_collector(collector, "export", str(out))
    assert code == 0 and "Exported 1 session(s)" in said and "not a session id" in said
    assert sorted(path.name for path in (tmp_path / "exports").iterdir()) == ["out"]
    assert sorted(path.name for path in out.iterdir()) == [trajectory.id]


def test_help_shows_the_defaults(collector):
    said = farol_collector(collector, "serve", "--help")[1]
    for default in ("[default: 2]", "[default: 256]", "(keep them)", "collector/collector.db"):
        assert default in said, default


def test_a_body_without_a_declared_length_is_cut_off_at_the_cap(tmp_path):
    collector = CollectorThread(tmp_path / "collector.db", limits=Limits(max_body=1024 * 1024))
    try:
        chunks = (b" " * 65536 for _ in range(64))  # 4 MiB, chunked: no Content-Length to refuse it by
        headers = {"Authorization": f"Bearer {collector.keys['alice']}", "Content-Type": "application/json"}
        response = httpx.put(f"{collector.url}/v1/sessions/{'a' * 32}", content=chunks, headers=headers, timeout=30)
        assert response.status_code == 413 and "limited to 1048576 bytes" in response.json()["detail"]
        assert nothing_stored(collector)
    finally:
        collector.stop()
