from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.servers import ScriptedModel


@pytest.fixture(scope="module")
def scripted_server() -> Iterator[ScriptedModel]:
    server = ScriptedModel()
    yield server
    server.close()


@pytest.fixture
def model(scripted_server: ScriptedModel) -> ScriptedModel:
    """One scripted model per module (stopping one takes half a second), emptied for each test."""
    scripted_server.replies.clear()
    scripted_server.requests.clear()
    return scripted_server
