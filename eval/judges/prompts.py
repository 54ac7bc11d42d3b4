"""The reference judges' prompts, read from the benchmark data files in `eval/data/judges` (see its README)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def reference_prompt(name: str) -> str:
    """The exact text of `eval/data/judges/<name>`, e.g. `webvoyager/system_prompt.txt` (no newline added)."""
    return (files("eval") / "data" / "judges" / name).read_bytes().decode("utf-8")
