from __future__ import annotations

from collections.abc import Iterator

import pytest

from datagen.solve import stop_sandboxes


@pytest.fixture(autouse=True)
def _sandboxes_stopped() -> Iterator[None]:
    """Jobs run in the test's process serve the sandbox webs they need; each test stops what it started."""
    yield
    stop_sandboxes()
