"""`farol sessions`: sharing from the command line, with the same preview as the panel."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agent.store import Store
from tests.support.records import make_trajectory

FAROL = Path(sys.executable).parent / "farol"


def farol(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(FAROL), "sessions", *args], capture_output=True, text=True, timeout=60)


def test_share_preview_share_and_unshare(tmp_path):
    db = tmp_path / "farol.db"
    store = Store(db)
    trajectory, shots = make_trajectory("red", "blue")
    store.save(trajectory, shots)

    preview = farol("share", trajectory.id, "--preview", "--db", str(db))
    assert preview.returncode == 0, preview.stderr
    shown = json.loads(preview.stdout)
    assert shown["trajectory"]["id"] == trajectory.id and shown["trajectory"]["consent"]["shared"] is False
    assert [Path(path).read_bytes() for path in shown["screenshots"]] == list(shots.values())
    assert not Store(db).load(trajectory.id).consent.shared  # a preview changes nothing

    assert farol("share", trajectory.id, "--db", str(db)).returncode == 0
    assert Store(db).load(trajectory.id).consent.shared
    exported = farol("export", str(tmp_path / "out"), "--consented", "--db", str(db))
    assert "Exported 1 shared session" in exported.stdout

    assert farol("unshare", trajectory.id, "--db", str(db)).returncode == 0
    assert not Store(db).load(trajectory.id).consent.shared
    assert "Exported 0 shared session" in farol("export", str(tmp_path / "out2"), "--consented", "--db", str(db)).stdout

    missing = farol("share", "nope", "--db", str(db))
    assert missing.returncode == 2 and "No session nope" in missing.stderr
