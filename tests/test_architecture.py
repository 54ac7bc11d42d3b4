"""The floors in DESIGN.md, held: which package may import which, that only the store opens a database, that no
product package holds a test double, that every file the docs name exists, and that every file can be checked out
on any system."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {
    "agent": set(),
    "bridge": {"agent"},
    "sandbox": {"agent"},
    "eval": {"agent", "sandbox"},
    "datagen": {"agent", "sandbox", "eval"},
    "training": {"agent"},
    "collector": {"agent"},
    "doubles": {"agent"},  # stand-ins for the tests and benchmarks; no product package may import them
    "bench": {"agent", "bridge", "collector", "sandbox", "eval", "datagen", "training", "doubles"},  # never `tests`
}
PRODUCT = set(ALLOWED) - {"doubles", "bench"}
OURS = set(ALLOWED) | {"tests"}
DOCS = ["README.md", "DESIGN.md", "docs/sandbox/README.md"]
STORE = ROOT / "agent" / "store"
DATABASE_LIBRARIES = {"sqlite3", "sqlite_utils"}


def imported_modules(path: Path) -> set[str]:
    """The top-level modules `path` imports: `agent` for `from agent.store import Store`."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def imported_packages(path: Path) -> set[str]:
    return imported_modules(path) & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_no_package_imports_above_its_floor(package):
    wrong = {
        str(path.relative_to(ROOT)): sorted(found - ALLOWED[package] - {package})
        for path in sorted((ROOT / package).rglob("*.py"))
        if (found := imported_packages(path)) - ALLOWED[package] - {package}
    }
    assert wrong == {}


def test_product_packages_hold_no_test_doubles():
    """Scripted models, fakes and tiny models live in `doubles/`, and product code never imports them."""
    doubles = {
        str(path.relative_to(ROOT))
        for package in PRODUCT
        for path in (ROOT / package).rglob("*.py")
        if path.stem.startswith(("scripted_", "fake_", "tiny_"))
    }
    assert doubles == set()
    assert all("doubles" not in ALLOWED[package] for package in PRODUCT)


def test_only_the_store_opens_a_database():
    """Every table and file of ours goes through `agent/store/`: no other module imports a SQLite library."""
    found = {
        str(path.relative_to(ROOT))
        for package in ALLOWED
        for path in (ROOT / package).rglob("*.py")
        if STORE not in path.parents and imported_modules(path) & DATABASE_LIBRARIES
    }
    assert found == set()


def test_every_file_the_docs_name_exists():
    """Paths written in backquotes that look like our files (`agent/loop.py`, `extension/`) must exist."""
    pattern = re.compile(
        r"`((?:agent|bridge|collector|extension|sandbox|eval|datagen|training|doubles|bench|tests|docs)/[\w./-]*)`"
    )
    missing = {
        (doc, path) for doc in DOCS for path in pattern.findall((ROOT / doc).read_text()) if not (ROOT / path).exists()
    }
    assert missing == set()


# Names Windows reserves for devices, with any extension: a repository holding one cannot be checked out there.
RESERVED_ON_WINDOWS = re.compile(r"(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?", re.IGNORECASE)


def test_no_file_has_a_name_windows_reserves():
    skipped = {".git", ".venv", "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", "__pycache__"}
    reserved = [
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*")
        if not skipped & set(path.relative_to(ROOT).parts) and RESERVED_ON_WINDOWS.fullmatch(path.name)
    ]
    assert reserved == []
