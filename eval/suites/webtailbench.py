"""WebTailBench (Hugging Face microsoft/WebTailBench): a TSV the user downloads and names.

Columns: `benchmark` (the segment, e.g. `flights`), `id`, `task_summary`; the rubric files add
`precomputed_rubric` (JSON `{"items": [{"criterion", "description", "max_points", "condition"?}, ...]}`)
and some exports an `init_url`. The public files leave `init_url` empty: the agent starts wherever the
runner puts it.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from eval.suites._files import tsv_rows, unique, validated
from eval.tasks import EvalTask, Rubric, TaskFileError


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore")

    benchmark: str = Field(min_length=1)
    id: str = Field(min_length=1)
    task_summary: str = Field(min_length=1)
    init_url: str = Field(default="", pattern=r"^(https?://.*)?$")
    precomputed_rubric: str = ""


def load_webtailbench(path: Path) -> list[EvalTask]:
    loaded = []
    for line, data in tsv_rows(path, required=("benchmark", "id", "task_summary")):
        where = f"{path}:{line}"
        row = validated(_Row, data, where)
        loaded.append(
            EvalTask(
                id=row.id,
                suite="webtailbench",
                task=row.task_summary,
                start_url=row.init_url or None,
                category=row.benchmark,
                rubric=_rubric(row.precomputed_rubric, f"{where} (task {row.id})"),
            )
        )
    return unique(loaded, path)


def _rubric(text: str, where: str) -> Rubric | None:
    if not text:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TaskFileError(f"{where}: precomputed_rubric is not valid JSON: {error.msg}") from error
    if isinstance(data, list) and len(data) == 1:  # some exports wrap the rubric in a one-element list
        data = data[0]
    return validated(Rubric, data, f"{where}: precomputed_rubric")
