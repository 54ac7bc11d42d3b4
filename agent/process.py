"""Which process is running a trajectory, and whether it still is.

A pid alone can be reused after its process ends; with the process's start time (Linux) it names one
process for good. Elsewhere the pid is checked alone.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcessId:
    host: str
    pid: int
    started: str  # clock ticks since boot when it started ("" where /proc is missing)

    def __str__(self) -> str:
        return f"{self.host}/{self.pid}/{self.started}"

    @classmethod
    def parse(cls, text: str | None) -> ProcessId:
        host, pid, started = (text or "//").split("/", 2) if (text or "").count("/") == 2 else ("", "0", "")
        return cls(host, int(pid or 0), started)

    def alive(self) -> bool:
        """False only when it is certain: the process ran on this machine and is gone (or was never named)."""
        if self.pid <= 0:
            return False
        if self.host != socket.gethostname():
            return True  # another machine's process: nothing here can tell
        if self.started and (current := _start_time(self.pid)) is not None:
            return current == self.started
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # another user's process
            return True
        return True


def this_process() -> ProcessId:
    return ProcessId(socket.gethostname(), os.getpid(), _start_time(os.getpid()) or "")


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 (starttime), counted after the command name, which may itself hold spaces and parentheses.
    return stat.rsplit(")", 1)[1].split()[19]
