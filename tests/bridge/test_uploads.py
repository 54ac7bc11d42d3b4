"""Contributing shared sessions from real bridges and stores to a real collector on loopback: automatic uploads,
un-sharing and deleting that follow, retries across restarts of both ends, `farol sessions upload`, and
`farol train build-data` on the collector's store."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from functools import partial
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from agent.actions import Type
from agent.secrets import SECRET_MASK
from agent.store import Store
from agent.trajectory import Trajectory, utcnow
from bridge.cli import sessions
from bridge.sessions import set_consent
from bridge.uploads import KEY_REFUSED, Backoff, KeyRing, Uploader, UploadQueue
from collector.cli import app as collector_commands
from collector.collector import Collector
from tests.conftest import run_async
from tests.support.collector import CollectorProcess, CollectorThread, shared_session, stored_shared
from tests.support.extension import BridgeThread, free_port
from tests.support.polling import poll

FAROL = Path(sys.executable).parent / "farol"
FAST = Backoff(first=0.05, cap=0.4)
NO_MODEL = "http://127.0.0.1:9/v1"  # the bridges here run no task


@pytest.fixture
def collector(tmp_path):
    thread = CollectorThread(tmp_path / "collector" / "collector.db")
    yield thread
    thread.stop()


def uploader_for(store: Store, url: str, key: str, *, auto: bool = True) -> Uploader:
    """An uploader with the key; with `auto`, it uploads every shared session there, earlier ones included."""
    keys = KeyRing(store.path.parent)
    keys.remember(url, key)
    if auto:
        keys.set_auto(url, include_earlier=True)
    return Uploader(store, keys, backoff=FAST, interval=0.05)


def states(store: Store) -> dict[str, str]:
    return {session_id: status.state for session_id, status in UploadQueue(store).statuses().items()}


def held_ids(db: Path) -> set[str]:
    return {row["id"] for row in Collector(db).contributed()}


def test_two_bridges_contribute_one_unshares_and_build_data_sees_exactly_the_rest(collector, tmp_path):
    bridges, stores, shared = {}, {}, {}
    for name in ("alice", "bob"):
        store = Store(tmp_path / name / "farol.db")
        sessions_here = []
        for colour in ("red", "blue", "green"):
            trajectory, shots = shared_session(colour, "white", task=f"{name}'s {colour} task")
            trajectory.consent.shared = False  # the person shares them in the panel below
            store.save(trajectory, shots)
            sessions_here.append(trajectory.id)
        stores[name] = store
        bridges[name] = BridgeThread(
            store.path, NO_MODEL, uploader=uploader_for(store, collector.url, collector.keys[name])
        )
        shared[name] = sessions_here[:2]  # the third stays private
    try:
        for name, bridge in bridges.items():
            for session_id in shared[name]:
                api(bridge, "post", f"/api/sessions/{session_id}/consent", json={"shared": True})
        everything = {*shared["alice"], *shared["bob"]}
        run_async(poll(collector.held, lambda held: held == everything, timeout=30, failure=str))
        for store in stores.values():  # the collector's answers reach the bridges' queues
            run_async(poll(partial(states, store), lambda s: set(s.values()) == {"uploaded"}, timeout=30, failure=str))
        listed = {row["id"]: row for row in api(bridges["alice"], "get", "/api/sessions").json()["sessions"]}
        assert {listed[i]["upload"]["state"] for i in shared["alice"]} == {"uploaded"}
        assert listed[shared["alice"][0]]["upload"]["collector"] == collector.url
        private = next(i for i in listed if i not in shared["alice"])
        assert listed[private]["upload"] is None

        unshared, deleted = shared["alice"][0], shared["bob"][0]
        api(bridges["alice"], "post", f"/api/sessions/{unshared}/consent", json={"shared": False})
        api(bridges["bob"], "delete", f"/api/sessions/{deleted}")
        remaining = everything - {unshared, deleted}
        run_async(poll(collector.held, lambda held: held == remaining, timeout=30, failure=str))
        run_async(poll(lambda: states(stores["alice"]), lambda s: s[unshared] == "withdrawn", timeout=30, failure=str))
        listed = {row["id"]: row for row in api(bridges["alice"], "get", "/api/sessions").json()["sessions"]}
        assert listed[unshared]["upload"]["state"] == "withdrawn"
    finally:
        for bridge in bridges.values():
            bridge.stop()
    assert {row["contributor"] for row in collector.collector.contributed()} == {"alice", "bob"}

    out = tmp_path / "dataset"
    built = subprocess.run(
        [str(FAROL), "train", "build-data", "--db", str(collector.db), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["trajectories"] == {"shared": len(remaining)}  # what the collector calls every shared session
    from datasets import load_from_disk  # heavy: only this test needs it

    dataset = load_from_disk(str(out))
    assert {row for split in dataset.values() for row in split["trajectory_id"]} == remaining
    (bobs,) = remaining & set(shared["bob"])
    bobs_samples = sum(split["trajectory_id"].count(bobs) for split in dataset.values())

    # By contributor: only bob's, each sample twice.
    from training.dataset import BuildOptions, build_dataset

    manifest = build_dataset([Store(collector.db)], tmp_path / "bob", BuildOptions(contributors={"bob": 2.0}))
    assert manifest.contributors == {"bob": 1} and manifest.left_out == {"contributor alice not selected": 1}
    assert sum(sum(counts.values()) for counts in manifest.samples.values()) == 2 * bobs_samples > 0


def api(bridge: BridgeThread, method: str, path: str, **kwargs) -> httpx.Response:
    response = httpx.request(
        method.upper(),
        f"http://127.0.0.1:{bridge.port}{path}",
        headers={"Authorization": f"Bearer {bridge.token}"},
        **kwargs,
    )
    assert response.is_success, response.text
    return response


def test_the_queue_survives_restarts_of_both_ends_and_loses_or_duplicates_nothing(tmp_path):
    collector_db = tmp_path / "collector" / "collector.db"
    key = Collector(collector_db).add_contributor("alice")
    process = CollectorProcess(collector_db, free_port())
    url = f"http://127.0.0.1:{process.port}"
    store = Store(tmp_path / "farol.db")
    colours = ("red", "blue", "green", "yellow", "purple", "orange", "black", "grey")
    contributed = [stored_shared(store, colour, "white") for colour in colours]
    ids = {trajectory.id for trajectory in contributed}

    # The collector is down: every upload fails and waits in the queue; then the bridge's process ends.
    before = uploader_for(store, url, key)
    assert run_async(before.step()) == dict.fromkeys(ids, "failed")
    assert set(states(store).values()) == {"retrying"}
    assert all("cannot be reached" in status.error for status in before.queue.statuses().values())

    async def through_restarts() -> None:
        uploader = uploader_for(Store(store.path), url, key)  # a new bridge process, the same queue
        running = asyncio.create_task(uploader.run())
        try:
            process.start()
            # Killed as soon as the first session arrived: the rest of the queue (maybe one mid-body) waits.
            await poll(
                lambda: states(store), lambda s: "uploaded" in s.values(), timeout=30, failure=str, interval=0.01
            )
            process.kill()
            process.start()
            await poll(lambda: states(store), lambda s: set(s.values()) == {"uploaded"}, timeout=60, failure=str)

            # A deletion while the collector is down is kept and sent once it is back.
            withdrawn = contributed[0]
            withdrawn.consent.shared = False
            process.kill()
            store.save_header(withdrawn)
            await poll(
                lambda: uploader.queue.statuses()[withdrawn.id],
                lambda s: s.state == "withdrawing" and s.error,
                timeout=30,
                failure=str,
            )
            process.start()
            await poll(lambda: states(store)[withdrawn.id], lambda s: s == "withdrawn", timeout=30, failure=str)
        finally:
            running.cancel()
            process.kill()

    run_async(through_restarts())
    collector = Collector(collector_db)
    assert held_ids(collector_db) == ids - {contributed[0].id}
    for trajectory in contributed[1:]:
        received = collector.store.load(trajectory.id)
        assert len(received.steps) == 2 and received.steps == trajectory.steps
        for step in received.steps:
            assert collector.store.read_screenshot(step.screenshot) == store.read_screenshot(step.screenshot)
    assert len(collector.store.list()) == len(ids) - 1  # nothing twice, nothing half-written left over


def test_a_session_that_would_be_refused_is_not_sent_until_it_changes(collector, tmp_path):
    store = Store(tmp_path / "farol.db")
    trajectory, shots = shared_session("red", "blue")
    trajectory.steps[1].action = Type(text="hunter2", coordinate=(1, 2))  # as if the mask had been taken off
    store.save(trajectory, shots)
    uploader = uploader_for(store, collector.url, collector.keys["alice"])
    assert run_async(uploader.step()) == {trajectory.id: "refused"}
    status = uploader.queue.statuses()[trajectory.id]
    assert status.state == "refused" and "not masked" in status.error
    assert run_async(uploader.step()) == {}  # a refusal is not retried as it is
    assert collector.held() == set()

    masked = trajectory.steps[1].model_copy(update={"action": Type(text=SECRET_MASK, coordinate=(1, 2))})
    trajectory.steps[1] = masked
    trajectory.updated_at = utcnow()
    store.save(trajectory, shots)
    assert run_async(uploader.step()) == {trajectory.id: "uploaded"}
    assert collector.held() == {trajectory.id}


def invoke(commands: typer.Typer, *arguments: str) -> tuple[int, str]:
    """A `farol` command group run in this process (tables wide enough for whole ids): exit code and output."""
    result = CliRunner(env={"COLUMNS": "200"}).invoke(commands, list(arguments))
    return result.exit_code, result.output


def farol_sessions(db: Path, *arguments: str) -> tuple[int, str]:
    return invoke(sessions, *arguments, "--db", str(db))


def test_farol_sessions_upload_unshare_and_delete(collector, tmp_path):
    db = tmp_path / "farol.db"
    store = Store(db)
    shared = stored_shared(store, "red")
    private, shots = shared_session("blue")
    private.consent.shared = False
    store.save(private, shots)
    key = collector.keys["bob"]

    code, said = farol_sessions(db, "upload", private.id, "--to", collector.url, "--key", key)
    assert code == 2 and f"Not shared: {private.id}" in said
    code, said = farol_sessions(db, "upload", "--to", "http://collector.example.org", "--key", key)
    assert code == 2 and "use https://" in said
    code, said = farol_sessions(db, "upload", "--to", collector.url, "--key", "farol_wrong", "--tries", "1")
    assert code == 1 and "refused this computer's key" in said
    assert collector.held() == set()

    code, said = farol_sessions(db, "upload", "--to", collector.url, "--key", key)
    assert code == 0 and f"{shared.id}  uploaded" in said
    assert collector.held() == {shared.id}
    code, said = farol_sessions(db, "upload")  # the one collector this data folder has a key for, remembered
    assert code == 0 and "up to date" in said
    assert "uploaded" in farol_sessions(db, "list")[1]

    assert "Removed from" in farol_sessions(db, "unshare", shared.id)[1]
    assert collector.held() == set()
    farol_sessions(db, "share", shared.id)
    assert f"{shared.id}  uploaded" in farol_sessions(db, "upload")[1]
    assert "Removed from" in farol_sessions(db, "delete", shared.id)[1]
    assert collector.held() == set()
    assert collector.collector.stats()["contributors"]["bob"]["deleted"] == 2


def test_collector_commands(collector, tmp_path):
    store = Store(tmp_path / "farol.db")
    trajectory: Trajectory = stored_shared(store, "red", "blue")
    uploader = uploader_for(store, collector.url, collector.keys["alice"])
    assert run_async(uploader.step()) == {trajectory.id: "uploaded"}

    def farol_collector(*arguments: str) -> tuple[int, str]:
        return invoke(collector_commands, *arguments, "--db", str(collector.db))

    code, said = farol_collector("add-contributor", "carol")
    assert code == 0 and collector.collector.contributor_for(said.split()[-1]) == "carol"
    code, said = farol_collector("add-contributor", "carol")
    assert code == 2 and "already a contributor" in said
    assert farol_collector("add-contributor", "bad name!")[0] == 2
    assert trajectory.id in farol_collector("list", "--contributor", "alice")[1]
    assert trajectory.id not in farol_collector("list", "--contributor", "bob")[1]
    assert "1 session(s), 2 step(s)" in farol_collector("stats")[1]
    assert "Exported 1 session(s)" in farol_collector("export", str(tmp_path / "out"))[1]
    assert (tmp_path / "out" / trajectory.id / "screenshot1.png").read_bytes() == store.read_screenshot(
        trajectory.steps[1].screenshot
    )


def test_an_upload_answered_after_another_process_unshared_the_session_sends_the_deletion_again(collector, tmp_path):
    store = Store(tmp_path / "farol.db")
    trajectory = stored_shared(store, "red")
    uploader = uploader_for(store, collector.url, collector.keys["alice"])
    uploader.queue.plan(collector.url, [trajectory.id])
    (in_flight,) = uploader.queue.table.due()
    # While this upload is on its way, `farol sessions unshare` in another process asks for (and sends) the deletion.
    trajectory.consent.shared = False
    store.save_header(trajectory)
    uploader.queue.want(trajectory.id, collector.url, "delete")
    uploader.queue.succeeded(in_flight, "v1")  # then the upload's answer arrives: it may have landed after the deletion
    assert states(store) == {trajectory.id: "withdrawing"}
    assert [row["want"] for row in uploader.queue.table.due()] == ["delete"]
    assert run_async(uploader.step()) == {trajectory.id: "withdrawn"}


def test_turning_on_automatic_uploads_sends_only_what_is_shared_afterwards_unless_asked(collector, tmp_path):
    db = tmp_path / "farol.db"
    store = Store(db)
    earlier = stored_shared(store, "red")
    key = collector.keys["alice"]
    code, said = farol_sessions(db, "upload", "--to", collector.url, "--key", key, "--auto")
    assert code == 0 and "those shared before stay here" in said
    later, shots = shared_session("blue")
    later.consent.shared = False
    store.save(later, shots)
    set_consent(store, store.load(later.id), shared=True)  # as the panel's switch does, after --auto

    bridge = Uploader(Store(db), KeyRing(tmp_path), backoff=FAST)  # the bridge, with the data folder's settings
    assert run_async(bridge.step()) == {later.id: "uploaded"}
    assert run_async(bridge.step()) == {} and collector.held() == {later.id}
    assert earlier.id not in states(store)

    code, said = farol_sessions(db, "upload", "--auto", "--include-earlier")
    assert code == 0 and f"{earlier.id}  uploaded" in said
    assert collector.held() == {earlier.id, later.id}


def test_a_refused_key_stops_uploads_to_that_collector_and_says_what_to_do(collector, tmp_path):
    db = tmp_path / "farol.db"
    store = Store(db)
    first = stored_shared(store, "red")
    uploader = uploader_for(store, collector.url, collector.keys["alice"])
    assert run_async(uploader.step()) == {first.id: "uploaded"}
    Collector(collector.db).revoke("alice")  # the people who run it revoke this computer's key

    second, third = stored_shared(store, "blue"), stored_shared(store, "green")
    outcomes = run_async(uploader.step())
    assert outcomes == {second.id: "refused", third.id: "refused"}  # after the first refusal, no more requests
    status = uploader.queue.statuses()[second.id]
    assert status.state == "refused" and status.error == KEY_REFUSED
    assert run_async(uploader.step()) == {}  # not retried
    listed = farol_sessions(db, "list")[1]
    assert "refused this computer's key" in listed and "farol sessions upload --key" in listed
    code, said = farol_sessions(db, "upload")
    assert code == 1 and "refused this computer's key" in said

    new_key = Collector(collector.db).add_contributor("alice", new_key=True)
    code, said = farol_sessions(db, "upload", "--key", new_key)
    assert code == 0 and f"{second.id}  uploaded" in said and f"{third.id}  uploaded" in said
    assert collector.held() == {first.id, second.id, third.id}
    assert set(states(store).values()) == {"uploaded"}


def test_sessions_list_shows_whole_ids_in_a_narrow_terminal(tmp_path):
    db = tmp_path / "farol.db"
    trajectory = stored_shared(Store(db), "red")
    result = CliRunner(env={"COLUMNS": "60"}).invoke(sessions, ["list", "--db", str(db)])
    assert result.exit_code == 0 and trajectory.id in result.output


def test_help_shows_the_defaults():
    said = invoke(sessions, "upload", "--help")[1]
    for default in ("(every shared session)", "--no-include-earlier", "[default: no-include-earlier]", "[default: 4]"):
        assert default in said, default
