from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.episode import Sandbox
from sandbox.server import SandboxServer
from sandbox.taskspec import Task, load_suite


@pytest.fixture(scope="session")
def server() -> Iterator[SandboxServer]:
    """The sandbox web (seed 0, the suite's seed) on a free port, in this process."""
    with SandboxServer(seed=0) as running:
        yield running


@pytest.fixture(scope="session")
def sandbox(server: SandboxServer) -> Sandbox:
    return Sandbox(server.url, server.secret)


@pytest.fixture(scope="session")
def suite() -> list[Task]:
    return load_suite()
