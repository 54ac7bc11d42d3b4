"""Regenerate the README's side-panel screenshots, light and dark, from the real panel, extension and bridge
(`make screenshots`, or `.venv/bin/python docs/screenshots.py [OUT]`; OUT defaults to docs/screenshots/).

The tour is `tests/support/panel_tour.py`, the same one `tests/extension/test_panel_screenshots.py` runs, so the
pictures show what the tests see.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a file, this folder is on the path; the repository's packages are not

from tests.support.panel_tour import take_screenshots  # noqa: E402


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="farol-screenshots-") as work:
        for shot in take_screenshots(out, Path(work)):
            print(shot)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
