"""The auxiliary sets data generation writes beside its trajectories, as training samples.

They are the store's auxiliary samples (`store.auxiliary`; the record is `agent/auxiliary_sample.py`), each naming
a stored screenshot by digest and the model size its points are in. Grounding and refusal samples are asked as
agent turns (Fara-7B's system prompt, the screenshot, the words) and answered in its action space; questions and
captions are asked as plain image questions and answered in words.
"""

from __future__ import annotations

from collections.abc import Iterator

from agent.actions import LeftClick
from agent.auxiliary_sample import AuxiliarySample, GroundingSample, QuestionSample, RefusalSample
from agent.geometry import ScreenGeometry, png_size
from agent.history import Turn, build_messages, data_url_bytes, split_images
from agent.parser import format_reply
from agent.store import Store
from training.samples import Sample, make_sample

DESCRIBE = "Describe this screenshot."


def auxiliary_samples(store: Store) -> Iterator[Sample]:
    """Every auxiliary sample in the store whose screenshot is still there."""
    for record in store.auxiliary.samples():
        path = store.screenshot_path(record.screenshot)
        if not path.exists():  # its trajectory was deleted
            continue
        yield _sample(record, path.read_bytes())


def _sample(record: AuxiliarySample, png: bytes) -> Sample:
    if isinstance(record, GroundingSample):
        text = record.instruction
        target = format_reply(f"I click {record.name}.", LeftClick(coordinate=record.point))
    elif isinstance(record, RefusalSample):
        text, target = record.request, record.reply
    elif isinstance(record, QuestionSample):
        text, target = record.question, record.answer
    else:
        text, target = DESCRIBE, record.caption
    # The screenshot resized to the model size its points were labelled in.
    width, height = png_size(png)
    turn = Turn(png, ScreenGeometry(width, height, record.model_width, record.model_height), record.url, user_text=text)
    messages = build_messages([turn])
    if record.kind in ("question", "caption"):
        messages = messages[1:]  # a plain image question: the chat template's own system line, not the agent's
    conversation, images = split_images(messages, decode=data_url_bytes)
    return make_sample(record.trajectory_id or "", 0, record.kind, text, conversation, images, target)
