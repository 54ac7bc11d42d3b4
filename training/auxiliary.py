"""The auxiliary sets data generation writes beside its trajectories, as training samples.

They live in the `datagen_aux` table of the store they were made in (see `datagen/db.py` and
`datagen/auxiliary_data.py`: one JSON record a row, naming a stored screenshot by digest and the model size its
points are in). Grounding and refusal samples are asked as agent turns (Fara-7B's system prompt, the screenshot,
the words) and answered in its action space; questions and captions are asked as plain image questions and
answered in words.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from agent.actions import LeftClick
from agent.geometry import ScreenGeometry, png_size
from agent.history import Turn, build_messages, data_url_bytes, split_images
from agent.parser import format_reply
from agent.store import Store
from training.samples import Sample, make_sample

TABLE = "datagen_aux"
DESCRIBE = "Describe this screenshot."


def auxiliary_samples(store: Store) -> Iterator[Sample]:
    """Every auxiliary sample in the store whose screenshot is still there; none when it has no such table."""
    if TABLE not in store.db.table_names():
        return
    for row in store.db[TABLE].rows:
        record: dict[str, Any] = json.loads(row["data"])
        path = store.screenshot_path(record["screenshot"])
        if not path.exists():  # its trajectory was deleted
            continue
        yield _sample(row["kind"], row["trajectory_id"] or "", record, path.read_bytes())


def _sample(kind: str, trajectory_id: str, record: dict[str, Any], png: bytes) -> Sample:
    if kind == "grounding":
        text = record["instruction"]
        target = format_reply(f"I click {record['name']}.", LeftClick(coordinate=tuple(record["point"])))
    elif kind == "refusal":
        text, target = record["request"], record["reply"]
    else:
        text = record["question"] if kind == "question" else DESCRIBE
        target = record["answer"] if kind == "question" else record["caption"]
    turn = Turn(png, _geometry(png, record), record["url"], user_text=text)
    messages = build_messages([turn])
    if kind in ("question", "caption"):
        messages = messages[1:]  # a plain image question: the chat template's own system line, not the agent's
    conversation, images = split_images(messages, decode=data_url_bytes)
    return make_sample(trajectory_id, 0, kind, text, conversation, images, target)


def _geometry(png: bytes, record: dict[str, Any]) -> ScreenGeometry:
    """The screenshot resized to the model size its points were labelled in."""
    width, height = png_size(png)
    return ScreenGeometry(width, height, record["model_width"], record["model_height"])
