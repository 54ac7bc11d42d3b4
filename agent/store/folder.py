"""The data folder: where it is, and every folder and file of ours in it private to its owner (0700, 0600).

What the store holds is what the pairing token protects, so nothing in it may be readable by others.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600


def default_db_path() -> Path:
    home = (
        os.environ.get("FAROL_HOME") or Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local/share") / "farol"
    )
    return Path(home) / "farol.db"


def private_dir(folder: Path, *, repair: bool = True) -> None:
    """Create `folder` readable by its owner only; `repair` also narrows an existing one (our data folder)."""
    folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    if repair and folder.stat().st_mode & 0o077:
        os.chmod(folder, PRIVATE_DIR)


def private_file(path: Path) -> None:
    """Create `path` empty and private if it is missing, and narrow it if not. An existing file is never opened
    here: closing any descriptor of a database would drop this process's locks on it (a corrupt WAL)."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, PRIVATE_FILE))
    os.chmod(path, PRIVATE_FILE)


def create_private(path: Path, data: bytes) -> bool:
    """Write `data` to `path`, private, only if no file is there; False if one is (another process may have just
    made it: its content stands, so every process reads the same)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    return True


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` with `data` at once (a reader sees the old file or the new one, never half of one)."""
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    partial.replace(path)
