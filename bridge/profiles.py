"""Chromium profiles for `farol browser`, kept in the data folder and private to their owner (0700).

The persistent one keeps the extension paired between runs. A task's profile is throwaway: Chromium's
session-restore files hold what was typed during the run (card numbers included), so it is removed when
the run ends, and one left by a run that crashed is removed at the next start.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent.process import ProcessId, this_process
from agent.store.folder import PRIVATE_DIR, private_dir


def persistent_profile(data_dir: Path) -> Path:
    profile = data_dir / "browser-profile"
    private_dir(profile)
    return profile


@contextmanager
def throwaway_profile(data_dir: Path) -> Iterator[Path]:
    """A fresh profile for one run, named after its process; removed afterwards, whatever happens."""
    runs = data_dir / "task-profiles"
    private_dir(runs)
    _remove_orphans(runs)
    me = this_process()
    profile = runs / f"{me.pid}-{me.started}"
    profile.mkdir(mode=PRIVATE_DIR)
    try:
        yield profile
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def _remove_orphans(runs: Path) -> None:
    for profile in runs.iterdir():
        pid, _, started = profile.name.partition("-")
        if pid.isdigit() and not ProcessId(socket.gethostname(), int(pid), started).alive():
            shutil.rmtree(profile, ignore_errors=True)
