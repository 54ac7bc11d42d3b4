"""Online-Mind2Web: 300 live-web tasks in one JSON array, with a difficulty level each."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from eval.suites._files import load_json, unique, validated
from eval.tasks import EvalTask, TaskFileError

TASKS = Path(__file__).parent.parent / "data" / "om2w" / "Online_Mind2Web_06042025.json"


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore")

    task_id: str = Field(min_length=1)
    confirmed_task: str = Field(min_length=1)
    website: str = Field(pattern=r"^https?://")
    reference_length: int = Field(ge=0)  # steps a person needed: easy 1-5, medium 6-10, hard 11+
    level: Literal["easy", "medium", "hard"]


def load_om2w(path: Path = TASKS) -> list[EvalTask]:
    data = load_json(path)
    if not isinstance(data, list):
        raise TaskFileError(f"{path}: expected a JSON array of tasks, found {type(data).__name__}")
    loaded = []
    for index, item in enumerate(data):
        label = item.get("task_id") if isinstance(item, dict) else None
        row = validated(_Row, item, f"{path}: item {index}" + (f" (task_id {label})" if label else ""))
        loaded.append(
            EvalTask(
                id=row.task_id,
                suite="om2w",
                task=row.confirmed_task,
                start_url=row.website,
                category=urlsplit(row.website).hostname,
                level=row.level,
                metadata={"reference_length": row.reference_length},
            )
        )
    return unique(loaded, path)
