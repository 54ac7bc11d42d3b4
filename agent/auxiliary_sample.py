"""The auxiliary-sample record: what data generation writes beside its trajectories (`datagen/auxiliary_data.py`)
and training reads as samples (`training/auxiliary.py`), the kinds of data Fara-7B was trained with besides them.

Each sample is about one kept screenshot, named by digest (the store holds the PNG), with the model size its
points are in and its page; its id is made from its content, so storing it twice keeps one.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, Field, TypeAdapter

AuxiliaryKind = Literal["grounding", "question", "caption", "refusal"]
AUXILIARY_KINDS: tuple[AuxiliaryKind, ...] = get_args(AuxiliaryKind)
WrittenBy = Literal["dom", "model"]  # answered from the page's DOM reading, or written by an annotator model


class Shot(BaseModel):
    """The screenshot a sample is about."""

    screenshot: str  # its digest
    model_width: int
    model_height: int
    url: str


class _Sample(Shot):
    id: str
    trajectory_id: str | None = None  # the trajectory whose step the screenshot is, when made from one

    def shot(self) -> Shot:
        return Shot.model_validate(self.model_dump(include=set(Shot.model_fields)))


class GroundingSample(_Sample):
    """An element named in words -> its centre (and box) in model pixels."""

    kind: Literal["grounding"] = "grounding"
    instruction: str
    point: tuple[int, int]
    box: tuple[int, int, int, int]
    role: str
    name: str


class QuestionSample(_Sample):
    kind: Literal["question"] = "question"
    question: str
    answer: str
    source: WrittenBy


class CaptionSample(_Sample):
    kind: Literal["caption"] = "caption"
    caption: str
    title: str | None = None  # the page's title, when read from the DOM
    source: WrittenBy


class RefusalSample(_Sample):
    """A harmful request on a page of a site -> Fara-7B's refusal (its thoughts, then `terminate`)."""

    kind: Literal["refusal"] = "refusal"
    site: str
    category: str
    request: str
    reply: str


AuxiliarySample = Annotated[
    GroundingSample | QuestionSample | CaptionSample | RefusalSample, Field(discriminator="kind")
]
AUXILIARY_SAMPLE: TypeAdapter[AuxiliarySample] = TypeAdapter(AuxiliarySample)
