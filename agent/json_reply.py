"""A model's answer in JSON: judges and data generation's roles answer with one JSON object, which models wrap
in a code fence or surround with prose."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)
ModelT = TypeVar("ModelT", bound=BaseModel)


def json_object(reply: str) -> Any:
    """The JSON object in a reply, inside a code fence or between the first `{` and the last `}`; None if none."""
    fenced = _FENCE.search(reply)
    text = fenced.group(1) if fenced else reply
    start, end = text.find("{"), text.rfind("}")
    try:
        return json.loads(text[start : end + 1]) if 0 <= start < end else None
    except json.JSONDecodeError:
        return None


def parsed_reply(model: type[ModelT], reply: str) -> ModelT | None:
    """The reply's JSON object read as `model`; None when it has none or the object does not fit."""
    try:
        return model.model_validate(json_object(reply))
    except ValidationError:
        return None
