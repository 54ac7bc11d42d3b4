from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.servers import FixtureSite, ScriptedModel


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
