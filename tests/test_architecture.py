"""The floors in DESIGN.md, held: which package may import which, and every file the docs name exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {
    "agent": set(),
    "bridge": {"agent"},
    "sandbox": {"agent"},
    "eval": {"agent", "sandbox"},
    "datagen": {"agent", "sandbox", "eval"},
    "training": {"agent"},
    "bench": {"agent", "bridge", "sandbox", "eval", "datagen", "training"},  # never `tests`
}
OURS = set(ALLOWED) | {"tests"}
DOCS = ["README.md", "DESIGN.md", "docs/sandbox/README.md"]


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_no_package_imports_above_its_floor(package):
    wrong = {
        str(path.relative_to(ROOT)): sorted(found - ALLOWED[package] - {package})
        for path in sorted((ROOT / package).rglob("*.py"))
        if (found := imported_packages(path)) - ALLOWED[package] - {package}
    }
    assert wrong == {}


def test_every_file_the_docs_name_exists():
    """Paths written in backquotes that look like our files (`agent/loop.py`, `extension/`) must exist."""
    pattern = re.compile(r"`((?:agent|bridge|extension|sandbox|eval|datagen|training|bench|tests|docs)/[\w./-]*)`")
    missing = {
        (doc, path) for doc in DOCS for path in pattern.findall((ROOT / doc).read_text()) if not (ROOT / path).exists()
    }
    assert missing == set()
