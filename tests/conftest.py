from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.servers import FixtureSite, ScriptedModel

# pytest-xdist's workers export COLUMNS=80 and LINES=24, from which rich would fix the width of our consoles when they
# are made (at import, after this): the command-line tests give each call the terminal width they check.
for variable in ("COLUMNS", "LINES"):
    os.environ.pop(variable, None)


def run_async(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


@pytest.fixture(scope="session")
def site() -> Iterator[FixtureSite]:
    server = FixtureSite()
    yield server
    server.close()


@pytest.fixture
def model() -> Iterator[ScriptedModel]:
    server = ScriptedModel()
    yield server
    server.close()
