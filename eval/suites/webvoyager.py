"""WebVoyager (Fara's 595-task revision): JSONL tasks joined with their reference answers by id."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from eval.suites._files import describe, jsonl_rows, load_json, unique, validated
from eval.tasks import EvalTask, TaskFileError

DATA = Path(__file__).parent.parent / "data" / "webvoyager"
TASKS = DATA / "WebVoyager_data_08312025.jsonl"
ANSWERS = DATA / "reference_answer.json"


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore")

    web_name: str = Field(min_length=1)
    id: str = Field(pattern=r"^.+--\d+$")  # "<site>--<number>": the site and number index the answers
    ques: str = Field(min_length=1)
    web: str = Field(pattern=r"^https?://")


class _Answer(BaseModel):
    id: int
    type: Literal["possible", "golden"]
    ans: str


class _Site(BaseModel):
    notice: str = ""
    answers: list[_Answer]


_ANSWERS = TypeAdapter(dict[str, _Site])


def load_webvoyager(tasks: Path = TASKS, answers: Path = ANSWERS) -> list[EvalTask]:
    references = _load_answers(answers)
    loaded = []
    for line, data in jsonl_rows(tasks):
        row = validated(_Row, data, f"{tasks}:{line}")
        site, number = row.id.rsplit("--", 1)
        found = references.get((site, int(number)))
        if found is None:
            raise TaskFileError(f"{tasks}:{line}: no reference answer for {row.id} in {answers}")
        answer, notice = found
        loaded.append(
            EvalTask(
                id=row.id,
                suite="webvoyager",
                task=row.ques,
                start_url=row.web,
                category=row.web_name,
                reference_answer=answer.ans,
                metadata={"answer_type": answer.type, "notice": notice},
            )
        )
    return unique(loaded, tasks)


def _load_answers(path: Path) -> dict[tuple[str, int], tuple[_Answer, str]]:
    try:
        sites = _ANSWERS.validate_python(load_json(path))
    except ValidationError as error:
        raise TaskFileError(f"{path}: {describe(error)}") from error
    return {
        (site, answer.id): (answer, entry.notice.strip()) for site, entry in sites.items() for answer in entry.answers
    }
