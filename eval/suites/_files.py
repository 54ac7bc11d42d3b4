"""Reading task files with errors that name the file and the line (or item), never a traceback."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from eval.tasks import EvalTask, TaskFileError

Row = TypeVar("Row", bound=BaseModel)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")  # a byte-order mark (spreadsheet exports) is not data
    except FileNotFoundError as error:
        raise TaskFileError(f"{path}: no such file") from error
    except (OSError, UnicodeDecodeError) as error:
        raise TaskFileError(f"{path}: cannot read: {error}") from error


def load_json(path: Path) -> Any:
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as error:
        raise TaskFileError(f"{path}:{error.lineno}: invalid JSON: {error.msg}") from error


def jsonl_rows(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, decoded object) for every non-blank line."""
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as error:
            raise TaskFileError(f"{path}:{number}: invalid JSON: {error.msg}") from error


def tsv_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for a tab-separated file with a header; quoted fields may hold tabs and newlines."""
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""), delimiter="\t")
    try:
        header = reader.fieldnames or []
        missing = [name for name in required if name not in header]
        if missing:
            raise TaskFileError(f"{path}:1: missing column(s) {', '.join(missing)}; the header has {header}")
        for row in reader:
            if None in row:  # more fields than the header names: csv files the extras under None
                fields = len(header) + len(row[None])
                raise TaskFileError(f"{path}:{reader.line_num}: {fields} fields but the header names {len(header)}")
            yield reader.line_num, {key: (value or "").strip() for key, value in row.items()}
    except csv.Error as error:
        raise TaskFileError(f"{path}:{reader.line_num}: {error}") from error


def validated(model: type[Row], data: Any, where: str) -> Row:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise TaskFileError(f"{where}: {describe(error)}") from error


def describe(error: ValidationError) -> str:
    """Pydantic's errors in one line: `field: message; ...`."""
    parts = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"])
        parts.append(f"{field}: {problem['msg']}" if field else problem["msg"])
    return "; ".join(parts)


def unique(tasks: list[EvalTask], path: Path) -> list[EvalTask]:
    seen: set[str] = set()
    for task in tasks:
        if task.id in seen:
            raise TaskFileError(f"{path}: task id {task.id!r} appears more than once")
        seen.add(task.id)
    return tasks
